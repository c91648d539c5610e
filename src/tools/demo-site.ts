import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl } from './demo-commands.js';

/**
 * The volume of the site's storage class that the shop's database claims: on the real node a local
 * volume there (a directory of this demo's), on KWOK a hostPath nobody mounts.
 */
export function siteVolume(work: string, realNode: boolean, bin: string, kubeconfig: string): object {
  const path = join(work, 'pv');
  mkdirSync(path, { mode: 0o777, recursive: true });
  chmodSync(path, 0o777); // the database runs as a non-root user
  const spec = {
    capacity: { storage: '50Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'site-local',
  };
  if (!realNode)
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'demo-pv' },
      spec: { ...spec, hostPath: { path } },
    };
  const node = kubectl(
    bin,
    kubeconfig,
    ['get', 'nodes', '-l', 'type!=kwok', '-o', 'jsonpath={.items[0].metadata.name}'],
    undefined,
    true,
  );
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'demo-pv' },
    spec: {
      ...spec,
      local: { path },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
  };
}
