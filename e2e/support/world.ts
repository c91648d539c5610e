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

/** Polls until `check` returns a value other than undefined/false, or fails with the last state. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${String(last)}`);
    await sleep(intervalMs);
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
  readonly logs: string[] = [];
  private constructor(readonly child: ChildProcess) {}

  /** `kubeconfig` replaces the admin's (pass it here, not in extraArgs: the last --kubeconfig wins). */
  static async start(
    extraArgs: string[] = [],
    { kubeconfig = world.kubeconfig } = {},
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
        '30',
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'debug' } },
    );
    const operator = new OperatorProcess(child);
    const collect = (chunk: Buffer) =>
      operator.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitFor(
      'operator started',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`operator exited ${child.exitCode}:\n${operator.logs.join('\n')}`);
        return operator.logs.some((l) => l.includes('operator started') || l.includes('became leader'));
      },
      { timeoutMs: 30_000 },
    );
    return operator;
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
