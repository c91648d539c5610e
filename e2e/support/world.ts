import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/client.js';

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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** A running `ferry operator` child process. */
export class OperatorProcess {
  /** Every operator started and not yet known to have exited; killAll() in afterAll. */
  private static readonly running = new Set<OperatorProcess>();
  readonly logs: string[] = [];
  private constructor(readonly child: ChildProcess) {
    OperatorProcess.running.add(this);
    child.once('exit', () => OperatorProcess.running.delete(this));
  }

  /**
   * Starts `ferry operator` (resync 30 s unless `resyncSeconds`); a start that times out kills the
   * child. `kubeconfig` replaces the admin's (pass it here, not in extraArgs: the last --kubeconfig wins).
   */
  static async start(
    extraArgs: string[] = [],
    { resyncSeconds = 30, timeoutMs = 60_000, kubeconfig = world.kubeconfig } = {},
  ): Promise<OperatorProcess> {
    const child = spawn(
      join(repoRoot, 'scripts', 'node'),
      [
        join(repoRoot, 'dist', 'cli', 'main.js'),
        'operator',
        '--kubeconfig',
        kubeconfig,
        '--probe-address',
        '127.0.0.1:0',
        '--resync',
        String(resyncSeconds),
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'debug' } },
    );
    const operator = new OperatorProcess(child);
    const collect = (chunk: Buffer) =>
      operator.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    try {
      await waitFor(
        'operator started',
        async () => {
          if (child.exitCode !== null)
            fatal(`operator exited ${child.exitCode}:\n${operator.logs.join('\n')}`);
          return (
            operator.logs.some((l) => l.includes('operator started') || l.includes('became leader')) ||
            notYet(operator.logs.slice(-3))
          );
        },
        { timeoutMs },
      );
    } catch (error) {
      await operator.kill();
      throw error;
    }
    return operator;
  }

  /** SIGKILLs every operator still running (afterAll: a test aborted by Jest leaves none behind). */
  static async killAll(): Promise<number> {
    const left = [...OperatorProcess.running];
    await Promise.all(left.map((o) => o.kill()));
    return left.length;
  }

  /** Sum of a metric's samples (optionally only those whose labels contain `labelText`). */
  async metric(name: string, labelText = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.probePort}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labelText))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  get probePort(): number | undefined {
    for (const line of this.logs) {
      const match = /"probePort":(\d+)/.exec(line);
      if (match) return Number(match[1]);
    }
    return undefined;
  }

  /** SIGKILL: no chance to clean up, as a crash or OOM kill. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode) return;
    if (this.child.pid === undefined) return; // never spawned
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill('SIGTERM');
    return exited;
  }

  errors(): string[] {
    return this.logs.filter((l) => /"level":(50|60)/.test(l));
  }
}
