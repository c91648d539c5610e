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

function run(script: string, args: string[]): string {
  return execFileSync('bash', [join(e2eDir, script), ...args], {
    encoding: 'utf8',
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
 */
export default async function globalSetup(): Promise<void> {
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
      process.env.FERRY_E2E_KUBECONFIG = lastLine(run('cluster.sh', ['up', state.clusterDir]), 'KUBECONFIG=');
      kubectl(['apply', '-f', '-'], persistentVolumes(LOCAL_PERSISTENT_VOLUMES));
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
