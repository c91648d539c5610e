import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/client.js';
import { OperatorProcess as SharedOperatorProcess } from '../../src/tools/operator-process.js';
import { sleep } from '../../src/util/sleep.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const run = promisify(execFile);

/** The e2e environment that global-setup prepared. */
export const world = {
  get kubeconfig(): string {
    const value = process.env.FERRY_E2E_KUBECONFIG;
    if (!value)
      throw new Error('FERRY_E2E_KUBECONFIG is not set: run the e2e project through jest (global setup)');
    return value;
  },
  get registry(): string {
    return process.env.FERRY_E2E_REGISTRY ?? '';
  },
  get bin(): string {
    return process.env.FERRY_E2E_BIN ?? '';
  },
};

export const kube = () => KubeClient.fromDefault(world.kubeconfig);

export { sleep };

/** Thrown by a waitFor check to stop waiting at once: the awaited state can no longer come. */
export class FatalWaitError extends Error {}

/** Ends a waitFor at once with `message` (e.g. a request reached phase Failed while Succeeded was awaited). */
export function fatal(message: string): never {
  throw new FatalWaitError(message);
}

const PENDING = Symbol('pending');
export interface Pending {
  [PENDING]: true;
  state: unknown;
}
/** What a waitFor check returns while not done: `state` is reported on timeout and measures progress. */
export const notYet = (state: unknown): Pending => ({ [PENDING]: true, state });
const isPending = (value: unknown): value is Pending =>
  typeof value === 'object' && value !== null && PENDING in value;

export function describeState(state: unknown): string {
  if (state instanceof Error) return state.message;
  const text = typeof state === 'string' ? state : JSON.stringify(state);
  return text === undefined ? String(state) : text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

export interface WaitOptions {
  /** Hard limit. */
  timeoutMs?: number;
  intervalMs?: number;
  /**
   * Fails sooner when the observed state (a check's notYet(state)) has not changed for this long:
   * a wait that depends on progress rather than on a guess of how long a slow machine needs.
   */
  stallMs?: number;
}

/**
 * Polls until `check` returns a value other than undefined/false/notYet(…). Fails at once when the
 * check calls fatal(), after `stallMs` without progress, or at `timeoutMs`; the message carries the
 * state last observed.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false | Pending>,
  { timeoutMs = 60_000, intervalMs = 250, stallMs }: WaitOptions = {},
): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: unknown;
  let lastText: string | undefined;
  let changedAt = started;
  for (;;) {
    try {
      const value = await check();
      if (isPending(value)) last = value.state;
      else if (value !== undefined && value !== false) return value as T;
      else last = value;
    } catch (error) {
      if (error instanceof FatalWaitError)
        throw new Error(`gave up waiting for ${what}: ${error.message}`, { cause: error });
      last = error;
    }
    const text = describeState(last);
    const now = Date.now();
    if (text !== lastText) {
      lastText = text;
      changedAt = now;
    }
    if (now > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${text}`);
    if (stallMs !== undefined && now - changedAt > stallMs)
      throw new Error(
        `no progress for ${stallMs}ms (after ${now - started}ms) waiting for ${what}; last: ${text}`,
      );
    await sleep(intervalMs);
  }
}

/** One explicit time budget for a test: waits take what is left of it, so Jest's limit never hits first. */
export class Budget {
  private readonly deadline: number;
  constructor(readonly ms: number) {
    this.deadline = Date.now() + ms;
  }
  /** Time left, less `reserveMs` kept for what comes after. */
  left(reserveMs = 0): number {
    return Math.max(0, this.deadline - Date.now() - reserveMs);
  }
  /** The Jest timeout for a test with this budget: a margin to report and clean up. */
  static jestTimeout(ms: number): number {
    return ms + 30_000;
  }
}

export function readManifests(path: string): KubeObject[] {
  return (yaml.loadAll(readFileSync(path, 'utf8')) as KubeObject[]).filter(Boolean);
}

/** Applies Ferry's CRDs and waits until each is Established. */
export async function applyCrds(client: KubeClient): Promise<void> {
  const dir = join(repoRoot, 'crds');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const crd of readManifests(join(dir, file))) await client.apply(crd);
  }
  for (const file of readdirSync(dir)) {
    const name = file.replace(/\.yaml$/, '');
    await waitFor(`CRD ${name} Established`, async () => {
      const crd = await client.get<
        KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
      >({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name,
      });
      return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

let namespaceCounter = 0;
/** A fresh namespace for one test. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid % 10000}-${Date.now() % 100000}-${namespaceCounter++}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await waitFor(`ServiceAccount default in ${name}`, () =>
    client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }),
  );
  return name;
}

/** A running `ferry operator` child process (src/tools/operator-process.ts, shared with bench and demo). */
export type OperatorProcess = SharedOperatorProcess;
export const OperatorProcess = {
  /**
   * Starts `ferry operator` from dist/ (resync 30 s unless `resyncSeconds`, debug logs); a start that
   * times out kills the child. `kubeconfig` replaces the admin's (pass it here, not in extraArgs: the
   * last --kubeconfig wins).
   */
  start(
    extraArgs: string[] = [],
    { resyncSeconds = 30, timeoutMs = 60_000, kubeconfig = world.kubeconfig } = {},
  ): Promise<OperatorProcess> {
    return SharedOperatorProcess.start({
      kubeconfig,
      args: ['--resync', String(resyncSeconds), ...extraArgs],
      logLevel: 'debug',
      timeoutMs,
    });
  },
  /** SIGKILLs every operator still running (afterAll: a test aborted by Jest leaves none behind). */
  killAll: () => SharedOperatorProcess.killAll(),
};
