import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_FILE = join(tmpdir(), `ferry-e2e-state-${process.pid}.json`);

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

/**
 * Brings up what the e2e suites need, once per run: the local control plane (unless KUBECONFIG points
 * at a cluster already, e.g. kind) and a local OCI registry. Tests read FERRY_E2E_* variables.
 */
export default async function globalSetup(): Promise<void> {
  const state: Record<string, string> = {};
  run('install-deps.sh', []);
  process.env.FERRY_E2E_BIN = run('tools.sh', []).trim().split('\n').pop()!;
  if (process.env.KUBECONFIG) {
    process.env.FERRY_E2E_KUBECONFIG = process.env.KUBECONFIG;
  } else {
    const clusterDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-cluster-'));
    state.clusterDir = clusterDir;
    writeFileSync(STATE_FILE, JSON.stringify(state));
    process.env.FERRY_E2E_KUBECONFIG = lastLine(run('cluster.sh', ['up', clusterDir]), 'KUBECONFIG=');
  }
  const registryDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-registry-'));
  state.registryDir = registryDir;
  writeFileSync(STATE_FILE, JSON.stringify(state));
  process.env.FERRY_E2E_REGISTRY = lastLine(run('registry.sh', ['up', registryDir]), 'REGISTRY=');
  process.env.FERRY_E2E_STATE = STATE_FILE;
}
