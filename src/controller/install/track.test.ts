import type { AppRevision } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { draftInstall } from '../../model/drafts.js';
import { fakeContext } from '../../testing/fake-cluster.js';
import { shopTemplate } from '../../testing/fixtures.js';
import { revisionOf, seedShopInstall, seedShopTemplates } from '../../testing/install-world.js';
import { proposeTrackedUpgrade } from './track.js';

describe('proposeTrackedUpgrade', () => {
  it('creates the proposed AppUpgrade owned by the install, says so, and repeats nothing', async () => {
    const { ctx, cluster } = fakeContext();
    seedShopTemplates(cluster);
    const t = shopTemplate('1.0.0');
    cluster.seed({
      ...t,
      metadata: { name: 'shop.1.0.1' },
      spec: { ...t.spec, version: '1.0.1' },
    } as KubeObject);
    const install = seedShopInstall(cluster, (i) => (i.spec.upgradePolicy.track = 'patch'));
    const r1 = revisionOf(install, 1, draftInstall(t.spec, install.spec), {}) as AppRevision;
    const requests = () => ctx.cache.requestsFor('shop', 'shop');

    await proposeTrackedUpgrade(ctx, install, [r1], requests());
    const created = cluster.all('AppUpgrade', 'shop');
    expect(created.map((u) => [u.metadata!.name, (u as { spec?: unknown }).spec])).toEqual([
      [
        'shop-track-1.0.1',
        expect.objectContaining({ install: 'shop', toVersion: '1.0.1', approval: 'Manual', approved: false }),
      ],
    ]);
    expect(created[0]!.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'AppInstall', name: 'shop', controller: false }),
    ]);
    expect(cluster.all('Event', 'shop').map((e) => [e.reason, e.message])).toEqual([
      [
        'UpgradeProposed',
        'shop 1.0.1 is available (upgradePolicy.track: patch): created AppUpgrade shop-track-1.0.1, waiting for approval',
      ],
    ]);

    const writes = cluster.writes.length;
    await proposeTrackedUpgrade(ctx, install, [r1], requests()); // the cache has it now
    await proposeTrackedUpgrade(ctx, install, [r1], []); // a cache that lags: the create conflicts
    expect(cluster.writes.length).toBe(writes);
    expect(cluster.all('Event', 'shop')).toHaveLength(1);
  });
});
