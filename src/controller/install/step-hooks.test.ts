import type { AppRevision } from '../../api/index.js';
import { draftInstall } from '../../model/drafts.js';
import { fakeContext } from '../../testing/fake-cluster.js';
import { shopTemplate } from '../../testing/fixtures.js';
import {
  finishJobs,
  revisionOf,
  rollOut,
  seedShopInstall,
  seedShopTemplates,
  shopSecret,
} from '../../testing/install-world.js';
import { continueRevision } from './actions/continue.js';
import type { InstallWork } from './work.js';

/** shop 2.0.0 installed from scratch: its migration Job runs after db and before api. */
function world() {
  const t = fakeContext();
  seedShopTemplates(t.cluster);
  shopSecret(t.cluster);
  const install = seedShopInstall(t.cluster, (i) => (i.spec.version = '2.0.0'));
  const r1 = t.cluster.seed(
    revisionOf(install, 1, draftInstall(shopTemplate('2.0.0').spec, install.spec), {
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
  const jobs = () => t.cluster.all('Job', 'shop').map((j) => j.metadata!.name);
  const hooks = () => work.revisions[0]!.status!.hooks!;
  const creates = () => t.cluster.writeLines().filter((l) => l.startsWith('create Job/'));
  /** Steps until db has rolled out and the migration's turn has come. */
  const untilMigration = async () => {
    await step();
    rollOut(t.cluster, 'shop');
    await step();
  };
  /** The status write after the Job's create never happened: the revision says Pending, no start. */
  const loseHookStart = () => {
    const lost = structuredClone(t.cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!);
    lost.status!.hooks![0] = { ...lost.status!.hooks![0]!, state: 'Pending' };
    delete lost.status!.hooks![0]!.startedAt;
    t.cluster.seed(lost);
  };
  /** A new operator process at `now`: a fresh context over the same cluster, the revision as stored. */
  const restart = (now: Date) => {
    const restarted = fakeContext(t.cluster, now);
    const revision = t.cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!;
    const work: InstallWork = {
      install,
      revisions: [revision],
      templates: restarted.ctx.cache.templatesOf('shop'),
      log: restarted.ctx.log,
    };
    return { restarted, revision, work };
  };
  return { ...t, install, work, step, jobs, hooks, creates, untilMigration, loseHookStart, restart };
}

describe('hooks in the rollout', () => {
  it('runs the Pre hook after the level before and before its component; records exit code and log tail', async () => {
    const { cluster, work, step, jobs, hooks } = world();
    await step();
    expect(hooks()).toEqual([
      { name: 'migrate', component: 'api', phase: 'Pre', level: 1, job: 'shop-r1-migrate', state: 'Pending' },
    ]);
    expect(jobs()).toEqual([]); // db first

    rollOut(cluster, 'shop');
    await step();
    expect(jobs()).toEqual(['shop-r1-migrate']);
    // api's configuration is there for the Job to read; api's workload is not.
    expect(cluster.get('Secret', 'shop', 'shop-api-secret')).toBeDefined();
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeUndefined();
    expect(hooks()[0]).toMatchObject({ state: 'Running', startedAt: expect.any(String) });
    expect(work.revisions[0]!.status!.message).toBe(
      'level 2/3: hook migrate (before api): Job shop-r1-migrate created',
    );

    await step(); // still running
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeUndefined();

    finishJobs(cluster, 'shop', { log: 'migrate: api 2.0.0, schema to 2.0.0\nmigrate: done\n' });
    await step();
    expect(hooks()[0]).toMatchObject({
      state: 'Succeeded',
      exitCode: 0,
      log: 'migrate: api 2.0.0, schema to 2.0.0\nmigrate: done\n',
      finishedAt: expect.any(String),
    });
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeDefined();
  });

  it('goes on as soon as the hook pod exited 0, before the Job controller marks the Job Complete', async () => {
    const { cluster, step, hooks, untilMigration } = world();
    await untilMigration();
    finishJobs(cluster, 'shop', { log: 'migrate: done\n', jobStatus: false });
    await step();
    expect(hooks()[0]).toMatchObject({ state: 'Succeeded', exitCode: 0, log: 'migrate: done\n' });
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeDefined();
  });

  it('a pod that exited 0 but belongs to another Job of that name does not count', async () => {
    const { cluster, step, hooks, untilMigration } = world();
    await untilMigration();
    finishJobs(cluster, 'shop', { jobStatus: false });
    const pod = cluster.all('Pod', 'shop')[0]!;
    cluster.seed({
      ...pod,
      metadata: {
        ...pod.metadata,
        ownerReferences: [{ ...pod.metadata!.ownerReferences![0]!, uid: 'an-earlier-job' }],
      },
    });
    await step();
    expect(hooks()[0]).toMatchObject({ state: 'Running' });
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeUndefined();
  });

  it('writes nothing when a look finds the Job where it was', async () => {
    const { cluster, step, untilMigration } = world();
    await untilMigration();
    await step();
    cluster.writes.length = 0;
    await step();
    expect(cluster.writeLines()).toEqual([]);
  });

  it('never creates the Job twice: an operator that died before recording it finds it again by name', async () => {
    const { ctx, cluster, creates, untilMigration, loseHookStart, restart } = world();
    await untilMigration();
    expect(creates()).toEqual(['create Job/shop-r1-migrate']);

    // The status write after the create never happened: the revision says Pending, the Job exists.
    loseHookStart();

    // A new operator process: a fresh context over the same cluster.
    const { restarted, revision, work } = restart(ctx.now());
    await continueRevision(restarted.ctx, work, revision);
    expect(creates()).toEqual(['create Job/shop-r1-migrate']);
    expect(work.revisions[0]!.status!.hooks![0]).toMatchObject({ state: 'Running' });

    finishJobs(cluster, 'shop');
    for (let i = 0; i < 4; i++) {
      await continueRevision(restarted.ctx, work, work.revisions[0]!);
      rollOut(cluster, 'shop');
    }
    expect(work.revisions[0]!.status!.outcome).toBe('Succeeded');
    expect(creates()).toEqual(['create Job/shop-r1-migrate']);
  });

  it('a Job that ended before its lost start was recorded gets its creation time as the start', async () => {
    const { ctx, cluster, untilMigration, loseHookStart, restart } = world();
    await untilMigration();
    loseHookStart();
    finishJobs(cluster, 'shop');

    const { restarted, revision, work } = restart(new Date(ctx.now().getTime() + 3_600_000));
    await continueRevision(restarted.ctx, work, revision);
    const job = cluster.get('Job', 'shop', 'shop-r1-migrate')!;
    expect(work.revisions[0]!.status!.hooks![0]).toMatchObject({
      state: 'Succeeded',
      startedAt: job.metadata!.creationTimestamp,
    });
  });

  it('a failed Job fails the change with HookFailed, its exit code and last log line; api is never applied', async () => {
    const { cluster, work, step, hooks, untilMigration } = world();
    await untilMigration();
    finishJobs(cluster, 'shop', { exitCode: 1, log: 'migrate: api 2.0.0\nmigrate: failed on purpose\n' });
    expect(await step()).toEqual({ again: true });
    expect(hooks()[0]).toMatchObject({ state: 'Failed', exitCode: 1 });
    expect(work.revisions[0]!.status).toMatchObject({
      outcome: 'Failed',
      reason: 'HookFailed',
      message:
        'hook migrate (before api) failed: Job shop-r1-migrate failed (BackoffLimitExceeded: Job has reached the specified backoff limit), exit code 1; log ends: "migrate: failed on purpose"',
    });
    expect(cluster.get('Deployment', 'shop', 'shop-api')).toBeUndefined();
  });

  it('a Job past its deadline fails with HookDeadlineExceeded; a pod without a log records "no log"', async () => {
    const { cluster, work, step, hooks, untilMigration } = world();
    await untilMigration();
    finishJobs(cluster, 'shop', { exitCode: 137, reason: 'DeadlineExceeded' });
    await step();
    expect(work.revisions[0]!.status).toMatchObject({ outcome: 'Failed', reason: 'HookDeadlineExceeded' });
    expect(hooks()[0]).toMatchObject({ state: 'Failed', exitCode: 137, log: 'no log' });
  });

  it('a Job deleted while it runs fails the change and is not created again', async () => {
    const { cluster, work, step, creates, untilMigration } = world();
    await untilMigration();
    await cluster.client.delete({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: 'shop',
      name: 'shop-r1-migrate',
    });
    await step();
    expect(work.revisions[0]!.status).toMatchObject({
      outcome: 'Failed',
      reason: 'HookFailed',
      message: expect.stringContaining('was deleted before it ended; it is not created again'),
    });
    expect(creates()).toEqual(['create Job/shop-r1-migrate']);
  });
});
