import type { AppInstall } from '../../../api/index.js';
import { FakeCluster, fakeContext } from '../../../testing/fake-cluster.js';
import { seedShopInstall } from '../../../testing/install-world.js';
import { FINALIZER } from '../../context.js';
import { addFinalizer, finalize } from './finalize.js';

function world(policy: 'Retain' | 'Delete') {
  const cluster = new FakeCluster();
  const t = fakeContext(cluster);
  const install = seedShopInstall(cluster, (i) => {
    i.spec.volumeDeletionPolicy = policy;
    i.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  });
  for (const name of ['data-shop-db', 'other']) {
    cluster.seed({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: 'shop', labels: name === 'other' ? {} : { 'ferry.dev/install': 'shop' } },
    });
  }
  return { ...t, install };
}

describe('finalize', () => {
  it('keeps the PVCs with volumeDeletionPolicy Retain and releases the install', async () => {
    const { ctx, cluster, install } = world('Retain');
    await finalize(ctx, install);
    expect(
      cluster
        .all('PersistentVolumeClaim')
        .map((p) => p.metadata!.name)
        .sort(),
    ).toEqual(['data-shop-db', 'other']);
    expect(cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!.metadata.finalizers).toEqual([]);
  });

  it('deletes only the install’s PVCs with volumeDeletionPolicy Delete', async () => {
    const { ctx, cluster, install } = world('Delete');
    await finalize(ctx, install);
    expect(cluster.all('PersistentVolumeClaim').map((p) => p.metadata!.name)).toEqual(['other']);
    expect(cluster.writeLines()).toEqual([
      'delete PersistentVolumeClaim/data-shop-db',
      'merge-patch AppInstall/shop',
    ]);
  });

  it('does nothing once the finalizer is gone', async () => {
    const { ctx, cluster, install } = world('Delete');
    await finalize(ctx, { ...install, metadata: { ...install.metadata, finalizers: [] } });
    expect(cluster.writeLines()).toEqual([]);
  });

  it('adds the finalizer conditionally on the version it read', async () => {
    const { ctx, cluster, install } = world('Retain');
    const without = { ...install, metadata: { ...install.metadata, finalizers: [] } };
    cluster.seed({ ...without, metadata: { ...without.metadata, labels: { touched: 'yes' } } }); // a newer version
    await expect(addFinalizer(ctx, without)).rejects.toThrow(/resourceVersion/);
    const current = cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!;
    await addFinalizer(ctx, current);
    expect(cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!.metadata.finalizers).toEqual([FINALIZER]);
  });
});
