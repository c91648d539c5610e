/* eslint-disable @typescript-eslint/no-explicit-any -- reading arbitrary status fields */
/**
 * An upgrade whose new pods never become Ready (a KWOK stage keeps them unready) fails after
 * progressDeadlineSeconds; with autoRollback the operator restores the previous revision on its own.
 * Neither leaves the install locked: a later change still goes through.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  asVersion,
  condition,
  createShopSecret,
  getInstall,
  imageOf,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitPhase,
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor } from '../support/world.js';

const APP = 'shop-failure';
const NEVER_READY = 'example.invalid/ferry/never-ready:1.0';
const RESYNC_SECONDS = 2;

describe('a failing upgrade', () => {
  let client: KubeClient;
  let operator: OperatorProcess;

  beforeAll(async () => {
    client = kube();
    // A short resync, so "not retried on its own" is checked across several resync rounds.
    operator = await OperatorProcess.start([], { resyncSeconds: RESYNC_SECONDS });
    const v1 = shopTemplate('1.0.0', APP);
    await userApply(client, v1);
    await userApply(
      client,
      asVersion(v1, '1.1.0', (spec) => (spec.components[1].image = NEVER_READY)),
    );
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    client.close();
  });

  /**
   * Waits for `rounds` resync rounds: every round reconciles each AppInstall in the cluster at least
   * once (reconcile counter), and rounds come no sooner than the resync period (+20% jitter) apart.
   */
  async function resyncRounds(rounds: number): Promise<void> {
    const installs = (await client.list(ferryRef('AppInstall'))).items.length;
    const reconciles = () => operator.metric('ferry_reconcile_total', 'kind="install"');
    const before = await reconciles();
    const started = Date.now();
    await waitFor(
      `${rounds} resync rounds`,
      async () => {
        const done = (await reconciles()) - before;
        const elapsed = Date.now() - started;
        return (
          (done >= rounds * installs && elapsed >= rounds * RESYNC_SECONDS * 1200) ||
          notYet({ reconciles: done, installs, elapsed })
        );
      },
      { timeoutMs: 60_000 },
    );
  }

  async function installed(autoRollback: boolean): Promise<string> {
    const ns = await createNamespace(client, autoRollback ? 'fail-auto' : 'fail');
    await createShopSecret(client, ns);
    await userApply(
      client,
      shopInstall(ns, APP, '1.0.0', { upgradePolicy: { autoRollback, progressDeadlineSeconds: 10 } }),
    );
    await waitReady(client, ns, 1);
    return ns;
  }

  async function upgradeTo110(ns: string): Promise<void> {
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-1.1', namespace: ns },
      spec: { install: 'shop', toVersion: '1.1.0' },
    } as KubeObject);
  }
  it('fails after the progress deadline, keeps the old pods serving, and reports Stalled', async () => {
    const ns = await installed(false);
    await upgradeTo110(ns);
    const { status } = await waitPhase(client, 'AppUpgrade', ns, 'to-1.1', 'Failed', {
      timeoutMs: 120_000,
      stallMs: 60_000,
    });
    expect(status.message).toMatch(/^component api did not roll out within 10s: /);
    expect(status.components.find((c: any) => c.name === 'api').state).toBe('Failed');
    expect(status.components.find((c: any) => c.name === 'web').state).toBe('Pending');

    // the request's status and the install's are written by two reconciles: wait for the install's
    const install = await waitFor('install reports the failed upgrade', async () => {
      const current = await getInstall(client, ns);
      return condition(current, 'Ready')?.reason === 'UpgradeFailed'
        ? current
        : notYet(current.status?.conditions);
    });
    expect(condition(install, 'Ready')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
    expect(condition(install, 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(status.conditions.find((c: any) => c.type === 'Ready').reason).toBe('ProgressDeadlineExceeded');
    expect(install.status.version).toBe('1.0.0');
    const api = await workload(client, ns, 'api');
    expect(imageOf(api)).toBe(NEVER_READY);
    expect(api!.status!.availableReplicas).toBe(3); // maxUnavailable 0: the old pods kept serving
    expect(imageOf(await workload(client, ns, 'web'))).toBe('registry.example.com/shop/web:1.0.0');
    expect((await revisions(client, ns)).map((r) => `${r.spec.revision}:${r.status.outcome}`)).toEqual([
      '1:Succeeded',
      '2:Failed',
    ]);

    // Nothing is locked: rolling back works right away.
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppRollback',
      metadata: { name: 'undo', namespace: ns },
      spec: { install: 'shop' },
    } as KubeObject);
    const back = await waitReady(client, ns, 3, 60_000);
    expect(back.status.version).toBe('1.0.0');
    expect(imageOf(await workload(client, ns, 'api'))).toBe('registry.example.com/shop/api:1.0.0');
    const rollback = await client.get<Obj>(ferryRef('AppRollback', ns, 'undo'));
    expect(rollback!.status).toMatchObject({ phase: 'Succeeded', toRevision: 1, revision: 3 });
  });

  it('rolls back automatically with autoRollback and reports RolledBack', async () => {
    const ns = await installed(true);
    await upgradeTo110(ns);
    const { status } = await waitPhase(client, 'AppUpgrade', ns, 'to-1.1', 'RolledBack', {
      timeoutMs: 150_000,
      stallMs: 60_000,
    });
    expect(status.message).toMatch(/did not roll out within 10s.*rolled back to revision 1 as revision 3/);
    // The AppUpgrade turns RolledBack from revision 3's record; the install's status is written by its
    // own reconcile right after: wait for the one that ended the operation.
    const install = await waitFor('install status at revision 3, its operation ended', async () => {
      const i = await getInstall(client, ns);
      return i.status?.revision === 3 && !i.status.operation ? i : notYet(i.status);
    });
    expect(install.status.version).toBe('1.0.0');
    expect(condition(install, 'Ready')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
    expect(condition(install, 'Ready')!.message).toContain('rolled back automatically to revision 1');
    const api = await waitFor('api back on 1.0.0 and available', async () => {
      const w = await workload(client, ns, 'api');
      const ok =
        imageOf(w) === 'registry.example.com/shop/api:1.0.0' &&
        w!.status!.availableReplicas === 3 &&
        w!.status!.updatedReplicas === 3;
      return ok ? w! : notYet({ image: imageOf(w), status: w?.status });
    });
    expect(api.metadata!.labels!['ferry.dev/revision']).toBe('3');
    const list = await revisions(client, ns);
    expect(list.map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}`)).toEqual([
      '1:Install:Superseded',
      '2:Upgrade:Failed',
      '3:Rollback:Succeeded',
    ]);
    expect(list[2]!.metadata!.annotations!['ferry.dev/auto-rollback-of']).toBe('2');

    // The failed spec.version is not retried on its own, however often the operator resyncs: count
    // revisions only after at least two resync rounds have reconciled every AppInstall.
    await resyncRounds(2);
    expect((await revisions(client, ns)).map((r) => r.spec.revision)).toEqual([1, 2, 3]);
    expect((await getInstall(client, ns)).spec.version).toBe('1.1.0');
  });
});
