/**
 * The bench's local cluster (e2e/cluster.sh in a temp dir) and its tear-down at the end, on error
 * and on SIGINT/SIGTERM; the private operator build; kube-controller-manager's client rate limit.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/kube/client.js';
import { KubeClient } from '../../src/kube/client.js';
import { sleep } from '../../src/util/sleep.js';
import { nodeObject } from './app.js';
import {
  CONCURRENCY,
  DIST,
  KCM_QPS,
  N,
  PODS_PER_INSTALL,
  PODS_PER_NODE,
  log,
  root,
  shutdown,
} from './config.js';
import { pool, waitUntil } from './kube.js';

export const work = mkdtempSync(join(tmpdir(), 'ferry-bench-operator-'));
const clusterDir = join(work, 'cluster');
let clusterUp: ChildProcess | undefined;
let clusterStarted = false;
/** Stopped first by cleanup() (the operator phase sets it). */
export const stopFirst: { operator?: { stop(): Promise<unknown> } } = {};

function runScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    clusterUp = child;
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clusterUp = undefined;
      if (code === 0) resolve(out);
      else reject(new Error(`bash ${args.join(' ')} failed (${signal ?? code})`));
    });
  });
}

let cleaning: Promise<void> | undefined;
/** Stops the operator, tears the cluster down and removes the work dir (once). */
export function cleanup(): Promise<void> {
  shutdown.abort();
  cleaning ??= (async () => {
    await stopFirst.operator?.stop().catch(() => undefined);
    if (clusterUp) {
      // `up` still running: it stops what it started on TERM
      const exited = new Promise((r) => clusterUp?.once('exit', r));
      clusterUp.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    }
    if (clusterStarted || existsSync(clusterDir)) {
      log('tearing the cluster down');
      await new Promise((resolve) =>
        spawn('bash', [join(root, 'e2e', 'cluster.sh'), 'down', clusterDir], { stdio: 'inherit' })
          .on('exit', resolve)
          .on('error', resolve),
      );
    }
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}

/** SIGINT/SIGTERM clean up and exit 130/143. */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(code));
    });
  }
}

/** A private build of src/ (the shared dist/ may be rebuilt by someone else meanwhile). */
export function operatorBuild(): string {
  if (DIST) return DIST;
  const outDir = join(root, 'node_modules', '.cache', 'ferry-bench-operator-dist');
  rmSync(outDir, { recursive: true, force: true });
  log('building the operator (tsc) into a private dist');
  try {
    execFileSync(
      join(root, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
  } catch {
    // type errors elsewhere in the tree still emit JavaScript; use it if it is there
  }
  if (!existsSync(join(outDir, 'cli', 'main.js'))) throw new Error('tsc produced no cli/main.js');
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return outDir;
}

/**
 * --kcm-qps: restarts e2e/cluster.sh's kube-controller-manager with the same arguments plus a higher
 * client rate limit (its default, 20 QPS / burst 30, is what bounds Deployment rollouts here), and
 * records the new pid in the state dir so `cluster.sh down` stops it.
 */
async function raiseControllerManagerQps(qps: number): Promise<void> {
  const pidsFile = join(clusterDir, 'pids');
  const line = readFileSync(pidsFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('kube-controller-manager '));
  const pid = Number(line?.split(' ')[1]);
  if (!pid) throw new Error('no kube-controller-manager in the cluster pids file');
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  await waitUntil('kube-controller-manager exit', async () => !existsSync(`/proc/${pid}`), 20_000);
  // started as cluster.sh starts it (setsid, in the background of a shell that exits at once), so
  // it is not the bench's child: `cluster.sh down` stops it like the other components
  const newPid = Number(
    execFileSync(
      'bash',
      [
        '-c',
        'setsid "$@" </dev/null >>"$LOG" 2>&1 & echo $!',
        '_',
        ...args,
        `--kube-api-qps=${qps}`,
        `--kube-api-burst=${qps * 2}`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, LOG: join(clusterDir, 'logs', 'kube-controller-manager.log') },
      },
    ).trim(),
  );
  appendFileSync(pidsFile, `kube-controller-manager ${newPid}\n`);
  await sleep(2000);
  if (!existsSync(`/proc/${newPid}`)) throw new Error('restarted kube-controller-manager exited');
  log(`kube-controller-manager restarted with --kube-api-qps=${qps} --kube-api-burst=${qps * 2}`);
}

export interface Cluster {
  kubeconfig: string;
  client: KubeClient;
  kubectl: (...args: string[]) => string;
  serverVersion?: string;
  /** KWOK nodes: e2e/cluster.sh's and the bench's own. */
  nodes: number;
}

/**
 * Brings the cluster up, raises kube-controller-manager's rate limit (--kcm-qps), applies crds/ and
 * adds enough KWOK nodes for every pod of every phase.
 */
export async function startCluster(): Promise<Cluster> {
  log(`starting a cluster in ${clusterDir}`);
  clusterStarted = true;
  const up = await runScript([join(root, 'e2e', 'cluster.sh'), 'up', clusterDir]);
  const kubeconfig = /^KUBECONFIG=(.*)$/m.exec(up)?.[1];
  const bin = /^FERRY_E2E_BIN=(.*)$/m.exec(up)?.[1];
  if (!kubeconfig || !bin) throw new Error(`cluster.sh up printed no KUBECONFIG/FERRY_E2E_BIN:\n${up}`);
  const kubectl = (...args: string[]) =>
    execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const client = KubeClient.fromDefault(kubeconfig);
  if (KCM_QPS > 0) await raiseControllerManagerQps(KCM_QPS);
  const serverVersion = (
    JSON.parse(kubectl('version', '-o', 'json')) as { serverVersion?: { gitVersion?: string } }
  ).serverVersion?.gitVersion;

  log('applying crds/');
  kubectl('apply', '--server-side', '-f', join(root, 'crds'));
  kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');

  // the phases run one after the other, each in a cluster emptied of the one before: one phase's pods
  // (and the probes') at a time
  const pods = (N + 2) * PODS_PER_INSTALL;
  const nodesNeeded = Math.ceil((pods * 1.15) / PODS_PER_NODE);
  const existing = 3; // e2e/cluster.sh's kwok-node-0..2
  const extra = Math.max(0, nodesNeeded - existing);
  log(`adding ${extra} KWOK nodes (${pods} pods, ${PODS_PER_NODE} per node)`);
  await pool(
    Array.from({ length: extra }, (_, k) => `bench-node-${k}`),
    CONCURRENCY,
    async (name) => {
      await client.create(nodeObject(name));
    },
  );
  kubectl('wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s');
  await waitUntil('node taints cleared', async () => {
    const nodes = await client.list<KubeObject & { spec?: { taints?: unknown[] } }>({
      apiVersion: 'v1',
      kind: 'Node',
    });
    return nodes.items.every((n) => !n.spec?.taints?.length);
  });
  return { kubeconfig, client, kubectl, serverVersion, nodes: existing + extra };
}
