import type { AppRevision } from '../../../api/index.js';
import { draftConfigChange, draftInstall, draftUpgrade } from '../../../model/drafts.js';
import { fakeContext } from '../../../testing/fake-cluster.js';
import {
  finishJobs,
  revisionOf,
  rollOut,
  seedShopInstall,
  seedShopTemplates,
  shopSecret,
} from '../../../testing/install-world.js';
import { shopTemplate } from '../../../testing/fixtures.js';
import type { InstallWork } from '../work.js';
import { continueRevision } from './continue.js';

function world(deadlineSeconds = 600) {
  const t = fakeContext();
  seedShopTemplates(t.cluster);
  shopSecret(t.cluster);
  const install = seedShopInstall(
    t.cluster,
    (i) => (i.spec.upgradePolicy.progressDeadlineSeconds = deadlineSeconds),
  );
  const r1 = t.cluster.seed(
    revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {
      outcome: 'Progressing',
    }),
  ) as AppRevision;
  const work: InstallWork = {
    install,
    revisions: [r1],
    templates: t.ctx.cache.templatesOf('shop'),
    log: t.ctx.log,
  };
  const step = () => continueRevision(t.ctx, work, work.revisions.at(-1)!);
  const workloads = () =>
    [...t.cluster.all('Deployment', 'shop'), ...t.cluster.all('StatefulSet', 'shop')]
      .map((w) => w.metadata!.name)
      .sort();
  return { ...t, install, work, step, workloads };
}

describe('continueRevision', () => {
  it('rolls out level by level: the next level is applied only when the one before has rolled out', async () => {
    const { cluster, work, step, workloads, logs } = world();
    expect(await step()).toEqual({ requeueAfterMs: 2000 });
    expect(workloads()).toEqual(['shop-db']);
    expect(work.revisions[0]!.status!.message).toMatch(/^level 1\/3: waiting for db/);

    expect(await step()).toEqual({ requeueAfterMs: 2000 }); // db not rolled out yet
    expect(workloads()).toEqual(['shop-db']);

    rollOut(cluster, 'shop');
    await step();
    expect(workloads()).toEqual(['shop-api', 'shop-db']);
    rollOut(cluster, 'shop');
    await step();
    rollOut(cluster, 'shop');
    expect(await step()).toEqual({ again: true });

    const done = work.revisions[0]!;
    expect(done.status).toMatchObject({ outcome: 'Succeeded', finishedAt: expect.stringMatching(/Z$/) });
    expect(done.status!.components!.map((c) => c.state)).toEqual(['Ready', 'Ready', 'Ready']);
    expect(cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!.status!.outcome).toBe('Succeeded');
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'revision 1, installing shop 1.0.0 succeeded' }),
    );
  });

  it('components whose objects do not change hold nothing: a change of web alone passes db and api at once', async () => {
    const { ctx, cluster, install, work, step } = world();
    for (let i = 0; i < 4; i++) {
      await step();
      rollOut(cluster, 'shop');
    }
    expect(work.revisions[0]!.status!.outcome).toBe('Succeeded');
    const generation = (name: string) =>
      (cluster.get('Deployment', 'shop', name) ?? cluster.get('StatefulSet', 'shop', name))!.metadata!
        .generation;
    const before = ['shop-db', 'shop-api', 'shop-web'].map(generation);

    const overrides = install.spec.overrides!.map((o) => (o.component === 'web' ? { ...o, replicas: 4 } : o));
    const spec = { ...install.spec, overrides };
    const r2 = cluster.seed(
      revisionOf(install, 2, draftConfigChange(ctx.cache.contentOf(work.revisions[0]!), spec), {
        outcome: 'Progressing',
      }),
    ) as AppRevision;
    work.revisions.push(r2);
    await continueRevision(ctx, work, r2); // one look: db and api re-applied and done, web rolling
    expect(work.revisions[1]!.status!.components!.map((c) => `${c.name}:${c.state}`)).toEqual([
      'db:Ready',
      'api:Ready',
      'web:Progressing',
    ]);
    expect(['shop-db', 'shop-api', 'shop-web'].map(generation)).toEqual([
      before[0],
      before[1],
      before[2]! + 1,
    ]);
  });

  it('writes nothing when a look finds the rollout where it was', async () => {
    const { cluster, step } = world();
    await step();
    cluster.writes.length = 0;
    await step();
    expect(cluster.writeLines()).toEqual([]);
  });

  it('fails a component that misses the progress deadline, with reason ProgressDeadlineExceeded', async () => {
    const { cluster, work, step, advance, logs } = world(60);
    await step();
    rollOut(cluster, 'shop', false);
    advance(61_000);
    expect(await step()).toEqual({ again: true });
    expect(work.revisions[0]!.status).toMatchObject({
      outcome: 'Failed',
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringContaining('component db did not roll out within 60s'),
    });
    expect(cluster.all('Event', 'shop').map((e) => e.reason)).toContain('Failed');
    expect(logs).toContainEqual(expect.objectContaining({ reason: 'ProgressDeadlineExceeded' }));
  });

  it('marks the revisions it replaces Superseded when it succeeds', async () => {
    const { ctx, cluster, install } = world();
    const r1 = cluster.seed(
      revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {
        outcome: 'Succeeded',
      }),
    ) as AppRevision;
    const r2 = cluster.seed(
      revisionOf(
        install,
        2,
        draftUpgrade(ctx.cache.contentOf(r1), shopTemplate('2.0.0').spec, install.spec),
        {
          outcome: 'Progressing',
        },
      ),
    ) as AppRevision;
    const work: InstallWork = {
      install,
      revisions: [r1, r2],
      templates: ctx.cache.templatesOf('shop'),
      log: ctx.log,
    };
    for (let i = 0; i < 6; i++) {
      await continueRevision(ctx, work, work.revisions[1]!);
      rollOut(cluster, 'shop');
      finishJobs(cluster, 'shop');
    }
    expect(work.revisions.map((r) => r.status?.outcome)).toEqual(['Superseded', 'Succeeded']);
    expect(cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!.status!.outcome).toBe('Superseded');
  });
});
