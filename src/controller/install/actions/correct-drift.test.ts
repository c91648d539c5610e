import type { AppRevision } from '../../../api/index.js';
import { draftInstall } from '../../../model/drafts.js';
import { fakeContext } from '../../../testing/fake-cluster.js';
import { revisionOf, seedShopInstall, shopSecret } from '../../../testing/install-world.js';
import { shopTemplate } from '../../../testing/fixtures.js';
import type { InstallWork } from '../work.js';
import { correctDrift } from './correct-drift.js';

describe('correctDrift', () => {
  it('re-applies only the drifted components, with the revision they belong to, and says so', async () => {
    const { ctx, cluster } = fakeContext();
    shopSecret(cluster);
    const install = seedShopInstall(cluster);
    const r1 = cluster.seed(
      revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {}),
    ) as AppRevision;
    const work: InstallWork = { install, revisions: [r1], templates: new Map(), log: ctx.log };

    expect(await correctDrift(ctx, work, r1, ['api'])).toEqual({});

    expect(
      cluster
        .all('Deployment', 'shop')
        .map((d) => [d.metadata!.name, d.metadata!.labels!['ferry.dev/revision']]),
    ).toEqual([['shop-api', '1']]);
    expect(cluster.all('StatefulSet', 'shop')).toEqual([]);
    const events = cluster.all('Event', 'shop');
    expect(events.map((e) => [e.reason, e.message])).toEqual([
      ['DriftCorrected', 're-applied api (workload missing or changed outside Ferry)'],
    ]);
  });
});
