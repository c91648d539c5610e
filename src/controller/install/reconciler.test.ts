import type { AppInstall, AppRevision } from '../../api/index.js';
import { fakeContext } from '../../testing/fake-cluster.js';
import { rollOut, seedShopInstall, seedShopTemplates, shopSecret } from '../../testing/install-world.js';
import { draftDigest } from '../../model/drafts.js';
import { PROGRESS_RECORD_MS } from './progress.js';
import { reconcileInstall } from './reconciler.js';

const condition = (install: AppInstall | undefined, type: string) =>
  install?.status?.conditions?.find((c) => c.type === type);

function world() {
  const t = fakeContext();
  seedShopTemplates(t.cluster);
  shopSecret(t.cluster);
  const reconcile = () => reconcileInstall(t.ctx, 'shop/shop');
  const install = () => t.cluster.get<AppInstall>('AppInstall', 'shop', 'shop');
  return { ...t, reconcile, install };
}

describe('reconcileInstall', () => {
  it('installs shop step by step: status at the start, the records at the end, nothing between; then nothing', async () => {
    const { cluster, reconcile, install } = world();
    seedShopInstall(cluster, (i) => (i.metadata.finalizers = [])); // volumeDeletionPolicy Retain

    // no finalizer (nothing to finalize with Retain): the revision, level 1, and the status saying so
    expect(await reconcile()).toEqual({ requeueAfterMs: 2000 });
    expect(cluster.writeLines()).toEqual([
      'merge-patch Secret/shop-secrets',
      'create AppRevision/shop-r1',
      'apply ConfigMap/shop-db-config',
      'apply Secret/shop-db-secret',
      'apply PersistentVolumeClaim/shop-db-data',
      'apply Service/shop-db',
      'apply Service/shop-db-headless',
      'apply StatefulSet/shop-db',
      'apply AppInstall/shop/status',
    ]);
    expect(install()!.metadata.finalizers).toEqual([]);
    expect(condition(install(), 'Reconciling')).toMatchObject({ status: 'True', reason: 'Installing' });
    expect(install()!.status!.operation).toEqual({ kind: 'Install', revision: 1 });

    // the next levels: only their objects (the progress is held, see progress.ts)
    for (const objects of [
      ['apply Secret/shop-api-secret', 'apply Service/shop-api', 'apply Deployment/shop-api'],
      ['apply Service/shop-web', 'apply Ingress/shop-web-public', 'apply Deployment/shop-web'],
    ]) {
      cluster.writes.length = 0;
      rollOut(cluster, 'shop');
      expect(await reconcile()).toEqual({ requeueAfterMs: 2000 });
      expect(cluster.writeLines().sort()).toEqual(objects.sort()); // a level's objects go at once
    }
    expect(cluster.get('AppRevision', 'shop', 'shop-r1')!.status).toBeUndefined();

    cluster.writes.length = 0;
    rollOut(cluster, 'shop');
    expect(await reconcile()).toBeUndefined();
    expect(cluster.writeLines()).toEqual([
      'merge-patch AppRevision/shop-r1/status',
      'apply AppInstall/shop/status',
    ]);
    expect(condition(install(), 'Ready')).toMatchObject({ status: 'True', reason: 'InstallSucceeded' });
    expect(install()!.status).toMatchObject({ version: '1.0.0', revision: 1, availableUpgrades: ['2.0.0'] });
    expect(install()!.status!.components!.map((c) => `${c.name}:${c.state}`)).toEqual([
      'db:Ready',
      'api:Ready',
      'web:Ready',
    ]);
    // the revision's record is complete: every level with its start and end, in order
    const rows = cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!.status!.components!;
    expect(rows.map((r) => `${r.name}:${r.level}:${r.state}`)).toEqual([
      'db:0:Ready',
      'api:1:Ready',
      'web:2:Ready',
    ]);
    for (const r of rows) expect(r.startedAt! <= r.finishedAt!).toBe(true);
    expect(cluster.all('Event', 'shop').map((e) => e.reason)).toEqual(['Installing', 'Succeeded']);

    cluster.writes.length = 0;
    expect(await reconcile()).toBeUndefined();
    expect(await reconcile()).toBeUndefined();
    expect(cluster.writes).toEqual([]);
  });

  it('writes the progress of a rollout that goes on at most every PROGRESS_RECORD_MS', async () => {
    const { cluster, reconcile, install, advance } = world();
    seedShopInstall(cluster);
    await reconcile();
    const revision = () => cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r1')!;
    rollOut(cluster, 'shop', false); // db applied, not available yet
    cluster.writes.length = 0;
    advance(PROGRESS_RECORD_MS - 1000);
    await reconcile();
    expect(cluster.writeLines()).toEqual([]);
    advance(1000);
    rollOut(cluster, 'shop'); // db rolled out: api starts
    await reconcile();
    expect(cluster.writeLines()).toEqual([
      'apply Secret/shop-api-secret',
      'apply Service/shop-api',
      'apply Deployment/shop-api',
      'merge-patch AppRevision/shop-r1/status',
      'apply AppInstall/shop/status',
    ]);
    expect(revision().status!.components!.map((r) => `${r.name}:${r.state}`)).toEqual([
      'db:Ready',
      'api:Progressing',
      'web:Pending',
    ]);
    expect(install()!.status!.components!.find((c) => c.name === 'db')).toMatchObject({ state: 'Ready' });

    // an operator that restarts here (nothing held) resumes from the record and the workloads
    const { ctx } = fakeContext(cluster);
    rollOut(cluster, 'shop');
    await reconcileInstall(ctx, 'shop/shop');
    rollOut(cluster, 'shop');
    await reconcileInstall(ctx, 'shop/shop');
    expect(revision().status).toMatchObject({ outcome: 'Succeeded' });
    expect(cluster.all('AppRevision', 'shop')).toHaveLength(1);
    // db's end, recorded before the restart, stays
    expect(revision().status!.components![0]!.finishedAt).toBe(
      new Date(Date.parse('2026-01-01T00:00:00Z') + PROGRESS_RECORD_MS).toISOString().replace('.000Z', 'Z'),
    );
  });

  it('adds its finalizer only when deleting the install has work: volumeDeletionPolicy Delete', async () => {
    const { cluster, reconcile, install } = world();
    seedShopInstall(cluster, (i) => {
      i.metadata.finalizers = [];
      i.spec.volumeDeletionPolicy = 'Delete';
    });
    expect(await reconcile()).toBeUndefined();
    expect(cluster.writeLines()).toEqual(['merge-patch AppInstall/shop']);
    expect(install()!.metadata.finalizers).toEqual(['ferry.dev/cleanup']);
  });

  it('waits for a missing parameter Secret without failing (Reconciling, not Stalled)', async () => {
    const { cluster, reconcile, install } = world();
    cluster.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'shop-secrets' });
    seedShopInstall(cluster);
    expect(await reconcile()).toEqual({ requeueAfterMs: 15_000 });
    expect(condition(install(), 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'ParameterSecretNotFound',
    });
    expect(condition(install(), 'Stalled')).toBeUndefined();
    expect(cluster.all('AppRevision')).toEqual([]);
  });

  it('stalls on a spec it cannot apply, and says which field', async () => {
    const { cluster, reconcile, install } = world();
    seedShopInstall(cluster, (i) => (i.spec.version = '3.0.0'));
    expect(await reconcile()).toBeUndefined();
    expect(condition(install(), 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'TemplateNotFound',
      message: expect.stringMatching(/^spec\.version: AppTemplate shop\.3\.0\.0 not found/),
    });
    expect(cluster.all('Event', 'shop').map((e) => e.reason)).toEqual(['TemplateNotFound']);
  });

  it('reports an object that does not match the schema instead of skipping it', async () => {
    const { cluster, reconcile, install, logs } = world();
    seedShopInstall(cluster, (i) => ((i.spec as { historyLimit: unknown }).historyLimit = 'many'));
    await reconcile();
    expect(condition(install(), 'Stalled')).toMatchObject({
      reason: 'InvalidObject',
      message: expect.stringContaining('spec.historyLimit'),
    });
    expect(logs).toContainEqual(expect.objectContaining({ level: 50, kind: 'AppInstall' }));
    cluster.writes.length = 0;
    await reconcile();
    expect(cluster.writes).toEqual([]);
  });

  it('shows an unexpected error in status and rethrows it for a retry with backoff', async () => {
    const { cluster, reconcile, install } = world();
    seedShopInstall(cluster);
    cluster.failNext = { verb: 'create', kind: 'AppRevision', error: new Error('connection reset by peer') };
    await expect(reconcile()).rejects.toThrow('connection reset by peer');
    expect(condition(install(), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReconcileError',
      message: 'connection reset by peer; retrying',
    });
    expect(cluster.all('AppRevision')).toEqual([]);

    await reconcile();
    expect(condition(install(), 'Reconciling')).toMatchObject({ reason: 'Installing' });
  });

  it('writes its status again on the stored install when someone changed the install meanwhile (409)', async () => {
    const { cluster, ctx, reconcile, install } = world();
    seedShopInstall(cluster, (i) => (i.metadata.finalizers = []));
    const apply = ctx.client.apply.bind(ctx.client);
    let refused = 0;
    ctx.client.apply = async (object, options) => {
      if (object.kind === 'AppInstall' && options?.subresource === 'status' && refused === 0) {
        // a label added by someone else between this reconcile's read and its status write
        await cluster.client.mergePatch(
          { apiVersion: 'ferry.dev/v1alpha1', kind: 'AppInstall', namespace: 'shop', name: 'shop' },
          { metadata: { labels: { team: 'erp' } } },
        );
        refused++;
      }
      return apply(object, options);
    };

    expect(await reconcile()).toEqual({ requeueAfterMs: 2000 });
    expect(refused).toBe(1);
    // what the reconcile recorded made it: the spec it applied, the operation it started
    expect(install()!.status!.lastAppliedSpecDigest).toBe(draftDigest('1.0.0', install()!.spec));
    expect(install()!.status!.operation).toEqual({ kind: 'Install', revision: 1 });
    expect(install()!.metadata.labels).toMatchObject({ team: 'erp' });
  });

  it('with every rollout slot taken, a new install waits (WaitingForRolloutSlot) and starts when one ends', async () => {
    const { cluster, ctx, enqueued } = fakeContext(undefined, undefined, 1); // --max-rollouts 1
    seedShopTemplates(cluster);
    shopSecret(cluster);
    seedShopInstall(cluster, (i) => (i.metadata.finalizers = []));
    seedShopInstall(cluster, (i) => {
      i.metadata.name = 'shop2';
      i.metadata.finalizers = [];
    });
    const shop2 = () => cluster.get<AppInstall>('AppInstall', 'shop', 'shop2');
    await reconcileInstall(ctx, 'shop/shop'); // takes the slot
    ctx.slots.rollingChanged('shop/shop', true); // as the manager does on its revision's watch event

    cluster.writes.length = 0;
    expect(await reconcileInstall(ctx, 'shop/shop2')).toBeUndefined(); // no polling: it is woken
    expect(cluster.writeLines()).toEqual(['apply AppInstall/shop2/status']);
    expect(cluster.get('AppRevision', 'shop', 'shop2-r1')).toBeUndefined();
    expect(condition(shop2(), 'Ready')).toMatchObject({ status: 'False', reason: 'WaitingForRolloutSlot' });
    expect(condition(shop2(), 'Ready')!.message).toContain('at most 1 rollouts at once (--max-rollouts)');
    expect(condition(shop2(), 'Reconciling')).toMatchObject({ status: 'True' });
    expect(condition(shop2(), 'Stalled')?.status).not.toBe('True');
    cluster.writes.length = 0;
    await reconcileInstall(ctx, 'shop/shop2'); // a resync while it waits writes nothing
    expect(cluster.writes).toEqual([]);

    ctx.slots.rollingChanged('shop/shop', false); // shop's rollout ended
    expect(enqueued).toContainEqual({ queue: 'install', key: 'shop/shop2' });
    await reconcileInstall(ctx, 'shop/shop2');
    expect(cluster.get('AppRevision', 'shop', 'shop2-r1')).toBeDefined();
    expect(condition(shop2(), 'Reconciling')).toMatchObject({ status: 'True', reason: 'Installing' });
  });

  it('does not act on a cache older than what it wrote', async () => {
    const { cluster, reconcile } = world();
    seedShopInstall(cluster);
    cluster.freeze();
    await reconcile(); // creates revision 1; the frozen informers do not show it
    cluster.writes.length = 0;
    expect(await reconcile()).toEqual({ requeueAfterMs: 200 });
    expect(cluster.writes).toEqual([]);
    cluster.thaw();
    expect(await reconcile()).toEqual({ requeueAfterMs: 2000 });
    expect(cluster.all('AppRevision')).toHaveLength(1);
  });
});

describe('request history', () => {
  const upgrade = (name: string, phase: string | undefined, labels?: Record<string, string>) => ({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppUpgrade',
    metadata: { name, namespace: 'shop', ...(labels ? { labels } : {}) },
    spec: { install: 'shop', toVersion: '1.0.0' },
    ...(phase ? { status: { phase, queuedAt: `2026-01-01T00:00:0${name.length}.000000Z` } } : {}),
  });

  it('owns every request of the install and prunes ended ones beyond historyLimit, keeping GitOps-managed ones', async () => {
    const { cluster, reconcile } = world();
    seedShopInstall(cluster, (i) => (i.spec.historyLimit = 1));
    for (let i = 0; i < 4; i++) {
      rollOut(cluster, 'shop');
      await reconcile();
    }
    cluster.seed(upgrade('a', 'Succeeded'));
    cluster.seed(upgrade('bb', 'Failed', { 'argocd.argoproj.io/instance': 'shop' }));
    cluster.seed(upgrade('ccc', 'Succeeded'));
    cluster.seed(upgrade('dddd', 'Failed'));
    await reconcile();

    const left = cluster.all('AppUpgrade', 'shop');
    expect(left.map((u) => u.metadata!.name)).toEqual(['bb', 'dddd']);
    const uid = cluster.get('AppInstall', 'shop', 'shop')!.metadata!.uid;
    for (const u of left)
      expect(u.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'AppInstall', uid })]);

    cluster.writes.length = 0;
    await reconcile();
    expect(cluster.writes).toEqual([]);
  });
});
