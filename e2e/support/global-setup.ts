import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(e2eDir, '..');
/** PersistentVolumes for the local cluster, which has no storage provisioner. */
const LOCAL_PERSISTENT_VOLUMES = 40;

function lastLine(output: string, prefix: string): string {
  const line = output
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`expected a ${prefix} line in:\n${output}`);
  return line.slice(prefix.length);
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('bash', [join(e2eDir, script), ...args], {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function kubectl(args: string[], input?: string): string {
  return execFileSync(
    join(process.env.FERRY_E2E_BIN!, 'kubectl'),
    ['--kubeconfig', process.env.FERRY_E2E_KUBECONFIG!, ...args],
    {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
}

function persistentVolumes(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `ferry-e2e-pv-${i}`, labels: { 'ferry.dev/e2e': 'true' } },
      spec: {
        capacity: { storage: '100Gi' },
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/tmp/ferry-e2e-pv-${i}` },
      },
    }),
  ).join('\n---\n');
}

/**
 * Brings up what the e2e suites need, once per run: the local control plane (unless KUBECONFIG points
 * at a cluster already, e.g. kind), Ferry's CRDs, and a local OCI registry. Tests read FERRY_E2E_*.
 * With `realNode` (the e2e-realnode project, see globalSetup below) the local world also
 * gets a real node (FERRY_E2E_REAL_NODE=1 e2e/cluster.sh up) with local PersistentVolumes on it,
 * and FERRY_E2E_NODE names it.
 */
async function setupWorld({ realNode }: { realNode: boolean }): Promise<void> {
  if (realNode && process.env.FERRY_E2E_STATE)
    throw new Error('the e2e-realnode project starts its own world: run it in a jest process of its own');
  if (realNode && process.env.KUBECONFIG)
    throw new Error('the e2e-realnode project starts its own local world with a real node: unset KUBECONFIG');
  const stateFile = join(tmpdir(), `ferry-e2e-state-${process.pid}.json`);
  const state: Record<string, string> = {};
  process.env.FERRY_E2E_STATE = stateFile;
  const save = () => writeFileSync(stateFile, JSON.stringify(state));
  try {
    run('install-deps.sh', []);
    process.env.FERRY_E2E_BIN = run('tools.sh', []).trim().split('\n').pop()!;
    if (process.env.KUBECONFIG) {
      process.env.FERRY_E2E_KUBECONFIG = process.env.KUBECONFIG;
    } else {
      state.clusterDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-cluster-'));
      save();
      const up = run('cluster.sh', ['up', state.clusterDir], {
        ...process.env,
        FERRY_E2E_REAL_NODE: realNode ? '1' : '0',
      });
      process.env.FERRY_E2E_KUBECONFIG = lastLine(up, 'KUBECONFIG=');
      // The real node's world has local PVs on that node (default StorageClass ferry-local).
      if (realNode) process.env.FERRY_E2E_NODE = lastLine(up, 'FERRY_E2E_NODE=');
      else kubectl(['apply', '-f', '-'], persistentVolumes(LOCAL_PERSISTENT_VOLUMES));
    }
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
    kubectl(['wait', '--for', 'condition=Established', '--timeout=60s', '-f', join(repoRoot, 'crds')]);
    state.registryDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-registry-'));
    save();
    process.env.FERRY_E2E_REGISTRY = lastLine(run('registry.sh', ['up', state.registryDir]), 'REGISTRY=');
  } catch (error) {
    // Jest skips global teardown when setup fails: stop what was started here.
    for (const [script, dir] of [
      ['registry.sh', state.registryDir],
      ['cluster.sh', state.clusterDir],
    ] as const) {
      if (dir) execFileSync('bash', [join(e2eDir, script), 'down', dir], { stdio: 'inherit' });
    }
    throw error;
  }
}

/** Jest's global setup for both e2e projects; the e2e-realnode project's world has the real node. */
export default function globalSetup(
  _globalConfig: unknown,
  projectConfig: { displayName?: string | { name: string } },
): Promise<void> {
  const name = projectConfig.displayName;
  return setupWorld({ realNode: (typeof name === 'string' ? name : name?.name) === 'e2e-realnode' });
}
