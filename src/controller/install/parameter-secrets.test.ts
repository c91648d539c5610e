import type { AppInstall, AppRevision } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { fakeContext } from '../../testing/fake-cluster.js';
import { rollOut, seedShopInstall, seedShopTemplates, shopSecret } from '../../testing/install-world.js';
import type { Workload } from '../context.js';
import { parametersChanged } from './parameter-secrets.js';
import { reconcileInstall } from './reconciler.js';

const podChecksum = (w: KubeObject | undefined) =>
  (w as Workload).spec!.template.metadata!.annotations!['ferry.dev/config-checksum'];

describe('parameter Secret rotation', () => {
  async function installed() {
    const t = fakeContext();
    seedShopTemplates(t.cluster);
    shopSecret(t.cluster);
    seedShopInstall(t.cluster);
    const reconcile = () => reconcileInstall(t.ctx, 'shop/shop');
    for (let i = 0; i < 4; i++) {
      await reconcile();
      rollOut(t.cluster, 'shop');
    }
    await reconcile();
    const install = () => t.cluster.get<AppInstall>('AppInstall', 'shop', 'shop')!;
    expect(install().status!.revision).toBe(1);
    return { ...t, reconcile, install };
  }
  const workload = (cluster: ReturnType<typeof fakeContext>['cluster'], c: string) =>
    cluster.get('Deployment', 'shop', `shop-${c}`) ?? cluster.get('StatefulSet', 'shop', `shop-${c}`);

  it('rolls the components using a rotated Secret as a ParameterChange revision; nothing else moves', async () => {
    const { cluster, reconcile, install } = await installed();
    const before = Object.fromEntries(
      ['db', 'api', 'web'].map((c) => [c, podChecksum(workload(cluster, c))]),
    );
    expect(
      workload(cluster, 'web')!.metadata!.annotations?.['ferry.dev/parameter-secrets-checksum'],
    ).toBeUndefined();
    expect(workload(cluster, 'api')!.metadata!.annotations?.['ferry.dev/parameter-secrets-checksum']).toMatch(
      /^[0-9a-f]{64}$/,
    );
    expect(
      JSON.parse(workload(cluster, 'api')!.metadata!.annotations!['ferry.dev/parameter-secrets-checksums']!),
    ).toEqual({ DB_PASSWORD: expect.stringMatching(/^[0-9a-f]{16}$/) });

    cluster.writes.length = 0;
    await reconcile();
    expect(cluster.writes).toEqual([]); // no rotation: nothing written

    cluster.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shop-secrets', namespace: 'shop', labels: { 'ferry.dev/parameter-secret': 'true' } },
      data: { 'db-password': Buffer.from('rotated').toString('base64') },
    } as KubeObject);
    await reconcile();
    const r2 = cluster.get<AppRevision>('AppRevision', 'shop', 'shop-r2')!;
    expect([r2.spec.cause, r2.spec.version, r2.spec.causeRef?.kind]).toEqual([
      'ParameterChange',
      '1.0.0',
      'AppInstall',
    ]);
    expect(r2.spec.changedParameters).toEqual(['DB_PASSWORD']); // which one, never its value
    expect(JSON.stringify(r2.spec)).not.toContain('rotated');
    for (let i = 0; i < 3; i++) {
      rollOut(cluster, 'shop');
      await reconcile();
    }
    expect(install().status!.revision).toBe(2);
    expect(install().status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'ParameterChangeSucceeded',
    });
    const after = Object.fromEntries(['db', 'api', 'web'].map((c) => [c, podChecksum(workload(cluster, c))]));
    expect(after.db).not.toBe(before.db);
    expect(after.api).not.toBe(before.api);
    expect(after.web).toBe(before.web);

    cluster.writes.length = 0;
    await reconcile();
    await reconcile();
    expect(cluster.writes).toEqual([]); // once
  });

  it('a Secret written without a change of content (a label, the same data) starts nothing', async () => {
    const { cluster, reconcile } = await installed();
    const secret = cluster.get('Secret', 'shop', 'shop-secrets')!;
    cluster.seed({
      ...secret,
      metadata: { ...secret.metadata, labels: { ...secret.metadata!.labels, team: 'a' } },
    });
    cluster.writes.length = 0;
    await reconcile();
    expect(cluster.writes).toEqual([]);
    expect(cluster.get('AppRevision', 'shop', 'shop-r2')).toBeUndefined();
  });
});

describe('parametersChanged', () => {
  it('names the parameters whose digests differ, added or dropped ones included', () => {
    expect(
      parametersChanged(
        JSON.stringify({ A: '1', B: '2', C: '3' }),
        JSON.stringify({ A: '1', B: 'x', D: '4' }),
      ),
    ).toEqual(['B', 'C', 'D']);
    expect(parametersChanged('{"A":"1"}', '{"A":"1"}')).toEqual([]);
  });

  it('counts every parameter used now when the workload predates per-parameter digests', () => {
    expect(parametersChanged(undefined, JSON.stringify({ B: '2', A: '1' }))).toEqual(['A', 'B']);
    expect(parametersChanged('not json', JSON.stringify({ A: '1' }))).toEqual(['A']);
  });
});
