import type { AppInstall } from '../../../api/index.js';
import { draftDigest, draftInstall, draftUpgrade } from '../../../model/drafts.js';
import { activeRevision } from '../../../model/revisions.js';
import { fakeContext } from '../../../testing/fake-cluster.js';
import {
  revisionOf,
  seedShopInstall,
  seedShopTemplates,
  shopSecret,
} from '../../../testing/install-world.js';
import { shopTemplate } from '../../../testing/fixtures.js';
import { WaitingError } from '../../errors.js';
import type { InstallWork } from '../work.js';
import { start } from './start.js';

const workFor = (ctx: ReturnType<typeof fakeContext>['ctx'], install: AppInstall): InstallWork => ({
  install,
  revisions: ctx.cache.revisionsOf('shop', 'shop', install.metadata.uid),
  templates: ctx.cache.templatesOf('shop'),
  log: ctx.log,
});

describe('start', () => {
  it('creates the next revision, in progress until its first step writes a status, and records the applied spec', async () => {
    const { ctx, cluster, logs } = fakeContext();
    seedShopTemplates(cluster);
    shopSecret(cluster);
    const install = seedShopInstall(cluster);
    const work = workFor(ctx, install);
    const draft = draftInstall(shopTemplate('1.0.0').spec, install.spec);
    const specDigest = draftDigest('1.0.0', install.spec);

    const result = await start(
      ctx,
      work,
      draft,
      { kind: 'AppInstall', name: 'shop', uid: install.metadata.uid },
      { spec: true, specDigest },
    );

    expect(result).toEqual({ again: true });
    // The parameter Secret gets the label the operator's Secret watch selects (once).
    expect(cluster.writeLines()).toEqual(['merge-patch Secret/shop-secrets', 'create AppRevision/shop-r1']);
    expect(cluster.get('Secret', 'shop', 'shop-secrets')!.metadata!.labels).toEqual({
      'ferry.dev/parameter-secret': 'true',
    });
    const created = ctx.cache.revisionsOf('shop', 'shop', install.metadata.uid);
    expect(created.map((r) => [r.spec.revision, r.spec.cause, r.status])).toEqual([
      [1, 'Install', undefined],
    ]);
    expect(activeRevision(created)).toBe(created[0]);
    expect(created[0]!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'AppInstall', uid: install.metadata.uid, controller: true }),
    ]);
    expect(work.revisions).toHaveLength(1);
    expect(work.lastAppliedSpecDigest).toBe(specDigest);
    expect(created[0]!.metadata.annotations).toEqual({ 'ferry.dev/applied-spec-digest': specDigest });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'revision 1, installing shop 1.0.0 started' }),
    );
    expect(cluster.all('Event', 'shop').map((e) => e.reason)).toEqual(['Installing']);
  });

  it('does not start without the parameter Secret, and creates nothing', async () => {
    const { ctx, cluster } = fakeContext();
    seedShopTemplates(cluster);
    const install = seedShopInstall(cluster);
    const draft = draftInstall(shopTemplate('1.0.0').spec, install.spec);

    await expect(
      start(
        ctx,
        workFor(ctx, install),
        draft,
        { kind: 'AppInstall', name: 'shop' },
        { spec: true, specDigest: 'x' },
      ),
    ).rejects.toThrow(WaitingError);
    expect(cluster.writeLines()).toEqual([]);
  });

  it('adopts a revision an earlier attempt created with the same inputs instead of failing', async () => {
    const { ctx, cluster } = fakeContext();
    seedShopTemplates(cluster);
    shopSecret(cluster);
    const install = seedShopInstall(cluster);
    const draft = draftInstall(shopTemplate('1.0.0').spec, install.spec);
    const causeRef = { kind: 'AppInstall' as const, name: 'shop', uid: install.metadata.uid };
    await start(ctx, workFor(ctx, install), draft, causeRef, { spec: true, specDigest: 'x' });
    cluster.writes.length = 0;

    const stale: InstallWork = { ...workFor(ctx, install), revisions: [] }; // a cache that missed the create
    await start(ctx, stale, draft, causeRef, { spec: true, specDigest: 'x' });
    expect(cluster.writeLines()).toEqual([]);
    expect(cluster.all('AppRevision')).toHaveLength(1);
    expect(ctx.expectations.cacheLagsBehind(install, [])).toBe(true);
  });

  it('from a request: moves spec.version with a test-and-set JSON patch', async () => {
    const { ctx, cluster } = fakeContext();
    seedShopTemplates(cluster);
    shopSecret(cluster);
    const install = seedShopInstall(cluster);
    const r1 = cluster.seed(
      revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {}),
    );
    const work = workFor(ctx, install);
    const draft = draftUpgrade(
      ctx.cache.contentOf(work.revisions[0]!),
      shopTemplate('2.0.0').spec,
      install.spec,
    );

    await start(
      ctx,
      work,
      draft,
      { kind: 'AppUpgrade', name: 'to-2', uid: 'u1' },
      { spec: false, version: '2.0.0' },
    );

    expect(r1.metadata?.name).toBe('shop-r1');
    expect(cluster.writeLines()).toEqual([
      'merge-patch Secret/shop-secrets',
      'create AppRevision/shop-r2',
      'json-patch AppInstall/shop',
    ]);
    expect(cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!.spec.version).toBe('2.0.0');
    expect(work.lastAppliedSpecDigest).toBe(draftDigest('2.0.0', install.spec));
    // ... and on the revision, created with it: a lost status write does not lose it
    expect(cluster.get('AppRevision', 'shop', 'shop-r2')!.metadata!.annotations).toEqual({
      'ferry.dev/applied-spec-digest': draftDigest('2.0.0', install.spec),
    });
    // decisions later in this reconcile see the version moved, not the cached one
    expect(work.install.spec.version).toBe('2.0.0');
    expect(work.resourceVersion).toBe(cluster.get('AppInstall', 'shop', 'shop')!.metadata!.resourceVersion);
  });

  it('from a request: a concurrent edit of spec.version wins and is applied next', async () => {
    const { ctx, cluster } = fakeContext();
    seedShopTemplates(cluster);
    shopSecret(cluster);
    const install = seedShopInstall(cluster);
    cluster.seed(revisionOf(install, 1, draftInstall(shopTemplate('1.0.0').spec, install.spec), {}));
    const work = workFor(ctx, install);
    const draft = draftUpgrade(
      ctx.cache.contentOf(work.revisions[0]!),
      shopTemplate('2.0.0').spec,
      install.spec,
    );
    cluster.seed({ ...install, spec: { ...install.spec, version: '1.0.1' } }); // someone else's edit

    const result = await start(
      ctx,
      work,
      draft,
      { kind: 'AppUpgrade', name: 'to-2', uid: 'u1' },
      { spec: false, version: '2.0.0' },
    );

    expect(result).toEqual({ requeueAfterMs: 0 }); // no more decisions on a spec known to be stale
    expect(cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!.spec.version).toBe('1.0.1');
    expect(work.lastAppliedSpecDigest).toBeUndefined();
  });
});
