import { fakeContext } from '../../testing/fake-cluster.js';
import { seedShopInstall, seedShopTemplates } from '../../testing/install-world.js';
import { Priority } from '../runtime/queue.js';
import { reconcileTemplate } from './reconciler.js';

describe('reconcileTemplate', () => {
  it('wakes the installs of its app when its status changed: those at its version first, the rest with the backlog', async () => {
    const { cluster, ctx, enqueued } = fakeContext();
    seedShopTemplates(cluster);
    seedShopInstall(cluster); // at 1.0.0
    seedShopInstall(cluster, (i) => {
      i.metadata.name = 'shop-next';
      i.spec.version = '2.0.0';
    });
    seedShopInstall(cluster, (i) => {
      i.metadata.name = 'other-app';
      i.spec.app = 'erp';
    });

    await reconcileTemplate(ctx, 'shop.2.0.0'); // first seen: Valid, images, digest written
    expect(cluster.writeLines()).toEqual(['apply AppTemplate/shop.2.0.0/status']);
    expect(enqueued).toEqual([
      { queue: 'install', key: 'shop/shop', priority: Priority.Low },
      { queue: 'install', key: 'shop/shop-next', priority: Priority.Normal },
    ]);

    // a resync of the same template: nothing written, nobody woken (2,000 installs of one app would
    // otherwise be queued every resync, ahead of an install just created)
    enqueued.length = 0;
    cluster.writes.length = 0;
    await reconcileTemplate(ctx, 'shop.2.0.0');
    expect(cluster.writes).toEqual([]);
    expect(enqueued).toEqual([]);
  });
});
