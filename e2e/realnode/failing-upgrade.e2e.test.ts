/* eslint-disable @typescript-eslint/no-explicit-any -- test helpers read arbitrary object fields */
import type { KubeObject } from '../../src/kube/client.js';
import { Prober } from '../../src/tools/prober.js';
import {
  createShopSecret,
  getInstall,
  installSummary,
  shopInstall,
  userApply,
  waitPhase,
  waitReady,
} from '../support/shop.js';
import { Budget, OperatorProcess, createNamespace, kube, notYet, sleep, waitFor } from '../support/world.js';
import type { OfflineShop } from './offline-shop.js';
import {
  deliverShop,
  describeProbe,
  pods,
  scheduleOnRealNodeOnly,
  serviceUrl,
  waitServing,
  requestUpgradeTo2,
} from './offline-shop.js';

/**
 * Issue 11, on the real node: a release whose api never gets ready (its 2.0.0 sets FAIL_READINESS=1,
 * a real image failing its real readiness probe), delivered offline like any other. The upgrade
 * misses its progress deadline and fails — or, with autoRollback, is rolled back — while the old
 * pods serve throughout: Probers on web and api see not one failed request and never 2.0.0.
 */

const APP = `shop-rf${Date.now().toString(36)}`;
const DEADLINE_SECONDS = 30;
const client = kube();
let shop: OfflineShop;

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  shop = await deliverShop(APP, {
    edit2: (spec) => {
      const api = spec.components.find((c: any) => c.name === 'api');
      api.env.push({ name: 'FAIL_READINESS', value: '1' });
    },
  });
  await OperatorProcess.start();
}, 600_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  shop?.stop();
  client.close();
});

/** Installs 1.0.0 in a fresh namespace, then requests 2.0.0 with Probers on web and api running. */
async function failingUpgrade(autoRollback: boolean, phase: 'Failed' | 'RolledBack') {
  const ns = await createNamespace(client, autoRollback ? 'realfail-ar' : 'realfail');
  await createShopSecret(client, ns);
  await userApply(
    client,
    shopInstall(ns, APP, '1.0.0', {
      upgradePolicy: { autoRollback, progressDeadlineSeconds: DEADLINE_SECONDS },
    }) as KubeObject,
  );
  await waitReady(client, ns, 1, 240_000, 'shop', { stallMs: 180_000 });
  const oldApi = (await pods(client, ns, 'api')).map((p) => p.metadata.uid).sort();

  const startedAt = Date.now();
  const url = async (c: string) => `${await serviceUrl(client, ns, `shop-${c}`)}/version`;
  await waitServing(await url('web'));
  await waitServing(await url('api'));
  const web = new Prober(await url('web'), { intervalMs: 50 });
  const api = new Prober(await url('api'), { intervalMs: 50 });
  await sleep(2_000);
  const requestAt = Date.now();
  try {
    await requestUpgradeTo2(client, ns);
    const upgrade = await waitPhase(client, 'AppUpgrade', ns, 'to-2', phase, {
      timeoutMs: 300_000,
      stallMs: 180_000,
    });
    const endedAt = Date.now();
    // After an automatic rollback the install stays Ready=False (UpgradeFailed: spec.version is not
    // applied) while 1.0.0 runs again as revision 3.
    if (autoRollback)
      await waitFor(
        'revision 3 rolled out',
        async () => {
          const install = await getInstall(client, ns);
          const rolled = (install.status?.components ?? []).every((c: any) =>
            ['Ready', 'Retained'].includes(c.state),
          );
          return install.status?.revision === 3 && rolled ? install : notYet(installSummary(install));
        },
        { timeoutMs: 120_000 },
      );
    await sleep(10_000); // past the preStop sleep of any pod stopped at the end
    const reports = { web: await web.stop(), api: await api.stop() };
    console.log(
      `failing upgrade of ${APP} (api 2.0.0 never ready; deadline ${DEADLINE_SECONDS} s, autoRollback ${autoRollback}): ` +
        `${upgrade.status.phase} ${((endedAt - requestAt) / 1000).toFixed(1)} s after the request — ${upgrade.status.message}\n` +
        `${describeProbe('web /version', reports.web, startedAt, requestAt)}\n` +
        `${describeProbe('api /version', reports.api, startedAt, requestAt)}`,
    );
    return { ns, upgrade, reports, oldApi };
  } finally {
    await Promise.all([web.stop(), api.stop()]);
  }
}

describe('a failing upgrade with a real image, on the real node', () => {
  test(
    'misses its deadline and ends Failed; the old pods serve throughout',
    async () => {
      const { ns, upgrade, reports, oldApi } = await failingUpgrade(false, 'Failed');
      expect(upgrade.status.message).toMatch(
        new RegExp(`^component api did not roll out within ${DEADLINE_SECONDS}s: `),
      );
      expect(reports.web.failures).toEqual([]);
      expect(reports.api.failures).toEqual([]);
      expect(reports.api.answers.map((a) => a.body)).toEqual(['1.0.0']);
      expect(reports.web.answers.map((a) => a.body)).toEqual(['1.0.0']);
      expect(reports.api.requests).toBeGreaterThan(200);

      // The three old api pods are still the ready ones; the new one runs and is not ready.
      const api = await pods(client, ns, 'api');
      const ready = api.filter((p) => p.status.containerStatuses?.[0]?.ready);
      expect(ready.map((p) => p.metadata.uid).sort()).toEqual(oldApi);
      const unready = api.filter((p) => !p.status.containerStatuses?.[0]?.ready);
      expect(unready.length).toBeGreaterThanOrEqual(1);
      expect(unready.every((p) => p.status.phase === 'Running')).toBe(true);
      const install = await getInstall(client, ns);
      expect(install.status.conditions.find((c: any) => c.type === 'Stalled')).toMatchObject({
        status: 'True',
        reason: 'ProgressDeadlineExceeded',
      });
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    },
    Budget.jestTimeout(600_000),
  );

  test(
    'with autoRollback it is RolledBack to 1.0.0; the old pods serve throughout',
    async () => {
      const { ns, upgrade, reports } = await failingUpgrade(true, 'RolledBack');
      expect(upgrade.status.message).toMatch(
        /did not roll out within 30s.*rolled back to revision 1 as revision 3/,
      );
      expect(reports.web.failures).toEqual([]);
      expect(reports.api.failures).toEqual([]);
      expect(reports.api.answers.map((a) => a.body)).toEqual(['1.0.0']);
      expect(reports.web.answers.map((a) => a.body)).toEqual(['1.0.0']);
      const install = await getInstall(client, ns);
      expect(install.status.version).toBe('1.0.0');
      expect(install.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'UpgradeFailed',
      });
      const api = await pods(client, ns, 'api');
      expect(api.every((p) => p.status.containerStatuses?.[0]?.ready)).toBe(true);
      expect(api.filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(3);
    },
    Budget.jestTimeout(600_000),
  );
});
