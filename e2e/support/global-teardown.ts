import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Stops exactly what global-setup started. FERRY_E2E_KEEP=1 leaves it running for debugging. */
export default async function globalTeardown(): Promise<void> {
  const stateFile = process.env.FERRY_E2E_STATE;
  if (!stateFile || !existsSync(stateFile)) return;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { clusterDir?: string; registryDir?: string };
  if (process.env.FERRY_E2E_KEEP === '1') {
    console.log(
      `\nFERRY_E2E_KEEP=1: left running; KUBECONFIG=${process.env.FERRY_E2E_KUBECONFIG} REGISTRY=${process.env.FERRY_E2E_REGISTRY}`,
    );
    return;
  }
  for (const [script, dir] of [
    ['registry.sh', state.registryDir],
    ['cluster.sh', state.clusterDir],
  ] as const) {
    if (dir) execFileSync('bash', [join(e2eDir, script), 'down', dir], { stdio: 'inherit' });
  }
  rmSync(stateFile, { force: true });
}
