import type { KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  createShopSecret,
  imageOf,
  shopInstall,
  userApply,
  waitPhase,
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor } from '../support/world.js';
import type { OfflineShop } from './offline-shop.js';
import { deliverShop, pods, requestUpgradeTo2, scheduleOnRealNodeOnly } from './offline-shop.js';

/**
 * Issue 14 item 5, on the real node: 2.0.0's migration hook (the real api image, `server migrate`)
 * exits 1 (MIGRATE_FAIL=1). The upgrade fails with HookFailed before api is touched, the revision
 * records the real exit code and log tail, and autoRollback restores 1.0.0.
 */

const APP = `shop-rh${Date.now().toString(36)}`;
const client = kube();
let shop: OfflineShop;

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  shop = await deliverShop(APP, {
    edit2: (spec) => spec.hooks[0].env.push({ name: 'MIGRATE_FAIL', value: '1' }),
  });
  await OperatorProcess.start();
}, 600_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  shop?.stop();
  client.close();
});

test('a migration that exits 1 fails the upgrade with its exit code and log, and it is rolled back', async () => {
  const ns = await createNamespace(client, 'realhook');
  await createShopSecret(client, ns);
  await userApply(
    client,
    shopInstall(ns, APP, '1.0.0', { upgradePolicy: { autoRollback: true } }) as KubeObject,
  );
  await waitReady(client, ns, 1, 240_000, 'shop', { stallMs: 180_000 });
  const oldApi = (await pods(client, ns, 'api')).map((p) => p.metadata.uid).sort();
  const oldImage = imageOf(await workload(client, ns, 'api'));

  await requestUpgradeTo2(client, ns);
  const upgrade = await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'RolledBack', {
    timeoutMs: 300_000,
    stallMs: 180_000,
  });
  expect(upgrade.status.message).toMatch(
    /^hook migrate \(before api\) failed: Job shop-r2-migrate failed \(BackoffLimitExceeded: .*\), exit code 1; log ends: "migrate: failed on purpose \(MIGRATE_FAIL=1\)"/,
  );
  const failed = (await client.get<Obj>(ferryRef('AppRevision', ns, 'shop-r2')))!;
  expect(failed.status).toMatchObject({ outcome: 'Failed', reason: 'HookFailed' });
  expect(failed.status.hooks[0]).toMatchObject({ state: 'Failed', exitCode: 1 });
  expect(failed.status.hooks[0].log).toContain('migrate: api 2.0.0, schema to 2.0.0');
  expect(failed.status.hooks[0].log).toContain('migrate: failed on purpose (MIGRATE_FAIL=1)');

  // api was never touched: the same pods, the same image.
  await waitFor('the automatic rollback (revision 3) succeeded', async () => {
    const r3 = await client.get<Obj>(ferryRef('AppRevision', ns, 'shop-r3'));
    return r3?.status?.outcome === 'Succeeded' || notYet(r3?.status);
  });
  expect((await pods(client, ns, 'api')).map((p) => p.metadata.uid).sort()).toEqual(oldApi);
  expect(imageOf(await workload(client, ns, 'api'))).toBe(oldImage);
}, 600_000);
