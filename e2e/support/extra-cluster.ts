import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/client.js';
import { applyCrds, repoRoot } from './world.js';

/**
 * A second local cluster (control plane + KWOK nodes, e2e/cluster.sh) beside the world's, with
 * Ferry's CRDs: for stories that need two clusters, e.g. one site market feeding both.
 */
export interface ExtraCluster {
  kubeconfig: string;
  client: KubeClient;
  stop(): void;
}

export async function startExtraCluster(name: string): Promise<ExtraCluster> {
  const dir = join(mkdtempSync(join(tmpdir(), `ferry-e2e-${name}-`)), 'cluster');
  const script = join(repoRoot, 'e2e', 'cluster.sh');
  const down = () => {
    try {
      execFileSync('bash', [script, 'down', dir], { stdio: 'ignore' });
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  };
  let client: KubeClient | undefined;
  try {
    const output = execFileSync('bash', [script, 'up', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FERRY_E2E_REAL_NODE: '0' },
    });
    const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(output)?.[1];
    if (!kubeconfig) throw new Error(`cluster.sh up printed no KUBECONFIG= line:\n${output}`);
    client = KubeClient.fromDefault(kubeconfig);
    await applyCrds(client);
    // no storage provisioner here: a few volumes for the claims of a test's installs
    for (let i = 0; i < 4; i++)
      await client.apply({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${name}-pv-${i}` },
        spec: {
          capacity: { storage: '100Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: join(dirname(dir), `pv-${i}`) },
        },
      } as KubeObject);
    const ready = client;
    return {
      kubeconfig,
      client: ready,
      stop() {
        ready.close();
        down();
      },
    };
  } catch (error) {
    client?.close();
    down();
    throw error;
  }
}
