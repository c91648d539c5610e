/**
 * The informer against the real API server, through a loopback TCP proxy the test controls: when
 * its watch position has expired (410 Gone, as after a long disconnect), it relists, delivers what
 * changed while it was away as add/delete, and keeps delivering events from the new watch.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../src/kube/client.js';
import { KubeClient } from '../src/kube/client.js';
import type { InformerEvent } from '../src/controller/runtime/informer.js';
import { Informer } from '../src/controller/runtime/informer.js';
import { SlowProxy } from './support/slow-proxy.js';
import { createNamespace, kube, world, waitFor } from './support/world.js';

const configMap = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels: { 'ferry.dev/e2e-informer': 'true' } },
  data: { k: 'v' },
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
  return new KubeClient(config);
}

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
    const server = new URL(admin.config.getCurrentCluster()!.server);
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

  it('relists on 410 Gone, delivering what changed meanwhile, and still delivers watch events', async () => {
    await admin.create(configMap(ns, 'before'));
    informer = new Informer<KubeObject>(
      watcher,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns },
      { labelSelector: 'ferry.dev/e2e-informer', onError: (e) => errors.push(String(e)) },
    );
    informer.on((event: InformerEvent, o) => events.push(`${event} ${o.metadata!.name}`));
    informer.start();
    await informer.waitForSync();
    await admin.create(configMap(ns, 'watched'));
    await waitFor('watched delivered', async () => events.includes('add watched'));
    expect(informer.stats).toEqual({ lists: 1, watches: 1, relistsOnGone: 0 });

    // The network stalls: what happens now reaches the informer only if it relists.
    proxy.stall();
    await admin.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'before' });
    await admin.create(configMap(ns, 'meanwhile'));
    await new Promise((r) => setTimeout(r, 500));
    expect(events).toEqual(['add before', 'add watched']);
    // Its watch position expires, as it does when an informer stays away past the API server's
    // watch window (resourceVersion 1 is long gone); then the connection drops.
    (informer as unknown as { resourceVersion: string }).resourceVersion = '1';
    proxy.resume();
    proxy.dropConnections();

    await waitFor('relisted after 410 Gone', async () => informer.stats.relistsOnGone === 1, {
      timeoutMs: 20_000,
    });
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
    await admin.create(configMap(ns, 'after'));
    await waitFor('after delivered', async () => events.includes('add after'));
    expect(events).toEqual(['add before', 'add watched', 'add meanwhile', 'delete before', 'add after']);
    // the 410 is handled by relisting, never reported as an error
    expect(errors.filter((e) => /410|gone|too old/i.test(e))).toEqual([]);
  });
});
