/** The benchmark application: its template, install and namespace names, and fake KWOK nodes. */
import type { KubeObject } from '../../src/kube/client.js';
import { APP, NAMESPACES, PODS_PER_NODE, VERSION } from './config.js';

interface Condition {
  type: string;
  status: string;
}
export type Install = KubeObject & {
  status?: { observedGeneration?: number; conditions?: Condition[]; operation?: unknown };
};

/** The bench app at `version` (1.0.0; 1.1.0, the mass upgrade's, differs only in its images' tags). */
export function templateObject(version = VERSION): KubeObject {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `${APP}.${version}` },
    spec: {
      app: APP,
      version,
      description: 'Benchmark application: web -> api -> db, one replica each, no volumes.',
      components: [
        {
          name: 'db',
          image: `registry.example.com/bench/db:${version}`,
          replicas: 1,
          ports: [{ name: 'postgres', port: 5432 }],
          env: [
            { name: 'POSTGRES_DB', value: 'bench' },
            { name: 'MAX_CONNECTIONS', value: '100' },
          ],
        },
        {
          name: 'api',
          image: `registry.example.com/bench/api:${version}`,
          replicas: 1,
          dependsOn: ['db'],
          ports: [{ name: 'http', port: 8080 }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'CACHE_TTL_SECONDS', value: '60' },
            { name: 'WORKERS', value: '4' },
          ],
        },
        {
          name: 'web',
          image: `registry.example.com/bench/web:${version}`,
          replicas: 1,
          dependsOn: ['api'],
          ports: [{ name: 'http', port: 80 }],
          env: [
            { name: 'PUBLIC_URL', value: 'http://bench.local' },
            { name: 'THEME', value: 'classic' },
          ],
        },
      ],
    },
  };
}
export const LEVEL_OF: Record<string, number> = { db: 0, api: 1, web: 2 };

export const installName = (i: number) => `app-${i}`;
export const benchNamespace = (i: number) => `bench-${i % NAMESPACES}`;

export function nodeObject(name: string): KubeObject {
  // the shape of e2e/cluster.sh nodes_manifest
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: String(PODS_PER_NODE) },
      capacity: { cpu: '32', memory: '256Gi', pods: String(PODS_PER_NODE) },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

/** Ready for its current generation. */
export const isReady = (o: Install) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
  o.status?.observedGeneration === o.metadata?.generation;
