import type { AppRevision } from '../../../api/index.js';
import { draftInstall, draftRollback, draftUpgrade } from '../../../model/drafts.js';
import { fakeContext } from '../../../testing/fake-cluster.js';
import { revisionOf, seedShopInstall } from '../../../testing/install-world.js';
import { shopTemplate } from '../../../testing/fixtures.js';
import type { InstallWork } from '../work.js';
import { autoRollback } from './auto-rollback.js';

describe('autoRollback', () => {
  it('restores the last good revision as a new one that keeps the failed one’s cause', async () => {
    const { ctx, cluster, logs } = fakeContext();
    const install = seedShopInstall(cluster);
    const r1 = cluster.seed(
      revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {}),
    ) as AppRevision;
    const failed = cluster.seed({
      ...revisionOf(
        install,
        2,
        draftUpgrade(ctx.cache.contentOf(r1), shopTemplate('2.0.0').spec, install.spec),
        {
          outcome: 'Failed',
        },
      ),
      spec: {
        ...revisionOf(install, 2, draftInstall(shopTemplate('2.0.0').spec, install.spec)).spec,
        causeRef: { kind: 'AppUpgrade', name: 'to-2', uid: 'u2' },
      },
    }) as AppRevision;
    const work: InstallWork = { install, revisions: [r1, failed], templates: new Map(), log: ctx.log };
    const draft = draftRollback(
      ctx.cache.contentOf(failed),
      { revision: 1, content: ctx.cache.contentOf(r1) },
      install.spec,
      false,
    );

    expect(await autoRollback(ctx, work, failed, draft)).toEqual({ again: true });

    const r3 = cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r3')!;
    expect(r3.metadata.annotations).toEqual({ 'ferry.dev/auto-rollback-of': '2' });
    expect(r3.spec).toMatchObject({
      cause: 'Rollback',
      restoredRevision: 1,
      version: '1.0.0',
      causeRef: { kind: 'AppUpgrade', name: 'to-2' },
    });
    expect(work.revisions.map((r) => r.spec.revision)).toEqual([1, 2, 3]);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'revision 2 failed; rolling back automatically to revision 1' }),
    );
  });
});
