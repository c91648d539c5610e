/**
 * The informer against the real API server, through a loopback TCP proxy the test controls: when
 * its watch position has expired (410 Gone, as after a long disconnect), it relists, delivers what
 * changed while it was away as add/delete, and keeps delivering events from the new watch.
 *
 * It watches core Events: kube-apiserver keeps no watch cache for them (its default cache size for
 * events is 0), so a watch resumes from etcd's history, which the test compacts (as the API server
 * itself does every 5 minutes) while the informer is cut off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../src/kube/client.js';
import { KubeClient } from '../src/kube/client.js';
import type { InformerEvent } from '../src/controller/runtime/informer.js';
import { Informer } from '../src/controller/runtime/informer.js';
import { sleep } from '../src/util/sleep.js';
import { SlowProxy } from './support/slow-proxy.js';
import { createNamespace, kube, world, waitFor } from './support/world.js';

const event = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace, labels: { 'ferry.dev/e2e-informer': 'true' } },
  involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'any', namespace },
  reason: 'Test',
  message: name,
  type: 'Normal',
});

/** The admin's kubeconfig, sent through the proxy (TLS passes through it untouched). */
function throughProxy(proxy: SlowProxy): KubeClient {
  const config = new KubeConfig();
  config.loadFromFile(world.kubeconfig);
  const cluster = config.getCurrentCluster()!;
  const server = new URL(cluster.server);
  server.host = proxy.address;
  config.clusters = config.clusters.map((c) =>
    c.name === cluster.name ? { ...c, server: server.toString().replace(/\/$/, '') } : c,
  );
  return KubeClient.fromKubeConfig(config);
}

/** etcd of the local cluster global setup started (e2e/cluster.sh); none with an outside KUBECONFIG. */
function localEtcd(): string | undefined {
  const state = process.env.FERRY_E2E_STATE;
  if (!state || !existsSync(state)) return undefined;
  const { clusterDir } = JSON.parse(readFileSync(state, 'utf8')) as { clusterDir?: string };
  if (!clusterDir) return undefined;
  const port = /^etcd (\d+)$/m.exec(readFileSync(join(clusterDir, 'ports'), 'utf8'))?.[1];
  return port && `http://127.0.0.1:${port}`;
}

/** Compacts etcd's history up to its current revision (etcd's JSON gateway), as the apiserver does every 5 min. */
async function compactEtcd(etcd: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${etcd}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { header: { revision: string } };
  };
  const { header } = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  await post('/v3/kv/compaction', { revision: header.revision, physical: true });
}

const etcd = localEtcd();
if (!etcd) console.warn('no local etcd (KUBECONFIG names an outside cluster): the 410 Gone test is skipped');

describe('Informer', () => {
  let admin: KubeClient;
  let proxy: SlowProxy;
  let watcher: KubeClient;
  let informer: Informer<KubeObject>;
  let ns: string;
  const events: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    admin = kube();
    const server = new URL(admin.apiServer);
    proxy = await SlowProxy.start(`${server.hostname}:${server.port || 443}`, 1e9);
    watcher = throughProxy(proxy);
    ns = await createNamespace(admin, 'informer');
  });
  afterAll(async () => {
    informer?.stop();
    watcher?.close();
    await proxy?.close();
    await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    admin.close();
  });

  (etcd ? it : it.skip)(
    'relists on 410 Gone, delivering what changed meanwhile, and still delivers watch events',
    async () => {
      await admin.create(event(ns, 'before'));
      informer = new Informer<KubeObject>(
        watcher,
        { apiVersion: 'v1', kind: 'Event', namespace: ns },
        { labelSelector: 'ferry.dev/e2e-informer', onError: (e) => errors.push(String(e)) },
      );
      informer.on((event: InformerEvent, o) => events.push(`${event} ${o.metadata!.name}`));
      informer.start();
      await informer.waitForSync();
      await admin.create(event(ns, 'watched'));
      await waitFor('watched delivered', async () => events.includes('add watched'));
      expect(informer.stats).toEqual({ lists: 1, watches: 1, relistsOnGone: 0 });

      // The network stalls: what happens now reaches the informer only if it relists.
      proxy.stall();
      await admin.delete({ apiVersion: 'v1', kind: 'Event', namespace: ns, name: 'before' });
      await admin.create(event(ns, 'meanwhile'));
      await sleep(500);
      expect(events).toEqual(['add before', 'add watched']);
      // Its watch position expires, as it does when an informer stays away for long: etcd's history
      // is compacted past it. Then the connection drops, and the informer resumes from where it was.
      await compactEtcd(etcd!);
      proxy.resume();
      proxy.dropConnections();

      await waitFor(
        'relisted after 410 Gone',
        async () => {
          if (informer.stats.relistsOnGone === 1) return true;
          throw new Error(JSON.stringify({ stats: informer.stats, errors, events }));
        },
        {
          timeoutMs: 20_000,
        },
      );
      await waitFor('changes made meanwhile delivered', async () =>
        ['delete before', 'add meanwhile'].every((e) => events.includes(e)),
      );
      expect(informer.stats.lists).toBe(2);
      expect(
        informer
          .list()
          .map((o) => o.metadata!.name)
          .sort(),
      ).toEqual(['meanwhile', 'watched']);

      // the watch that follows the relist delivers again
      await admin.create(event(ns, 'after'));
      await waitFor('after delivered', async () => events.includes('add after'));
      expect(events).toEqual(['add before', 'add watched', 'add meanwhile', 'delete before', 'add after']);
      // the 410 is handled by relisting, never reported as an error
      expect(errors.filter((e) => /410|gone|too old/i.test(e))).toEqual([]);
    },
  );
});
