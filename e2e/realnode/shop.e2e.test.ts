import { ferryRef } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/client.js';
import { Prober } from '../../src/tools/prober.js';
import type { ProbeReport } from '../../src/tools/prober.js';
import { PodRecorder } from '../support/recorder.js';
import type { Obj } from '../support/shop.js';
import { createShopSecret, shopInstall, userApply, waitPhase, waitReady } from '../support/shop.js';
import { Budget, OperatorProcess, createNamespace, kube, sleep, waitFor } from '../support/world.js';
import type { OfflineShop } from './offline-shop.js';
import {
  deliverShop,
  describeProbe,
  scheduleOnRealNodeOnly,
  http,
  pods,
  serviceUrl,
  waitServing,
  requestUpgradeTo2,
} from './offline-shop.js';

/**
 * Issue 11, on the real node: the shop goes the offline way (sample images in a vendor registry →
 * `ferry export` → `ferry import` into the site registry), the operator installs it, its pods pull
 * from the site registry by digest and serve; records written through api into db's volume survive
 * the upgrade to 2.0.0 and the rollback; and while each change rolls, Probers request the web and
 * api Services every 50 ms: not one request fails.
 */

const APP = `shop-rn${Date.now().toString(36)}`;
const client = kube();
let shop: OfflineShop;

let ns = '';
const RECORDS = Array.from({ length: 20 }, (_, i) => ({ order: i + 1, item: `book-${i + 1}` }));
/** After a change succeeds, how long the Probers keep going: past the old pods' preStop sleep (5 s). */
const SETTLE_MS = 10_000;

const url = async (component: string, path: string) =>
  `${await serviceUrl(client, ns, `shop-${component}`)}${path}`;

async function records(): Promise<unknown[]> {
  const list = JSON.parse(await http(await url('api', '/records'))) as { id: number; data: unknown }[];
  return list.map((r) => r.data);
}

async function pvcUid(): Promise<string> {
  const list = await client.list<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns });
  expect(list.items.map((p) => p.metadata!.name)).toEqual(['shop-db-data']);
  return list.items[0]!.metadata!.uid!;
}

/**
 * Runs `change` (creates an AppUpgrade or AppRollback) with Probers on web's and api's /version and
 * on web's `/` (the whole chain), waits until it is done and SETTLE_MS more, and returns the reports.
 */
async function probed(change: () => Promise<void>, done: () => Promise<unknown>) {
  for (const target of [await url('web', '/version'), await url('api', '/version')])
    await waitServing(target);
  const startedAt = Date.now();
  const probers = {
    web: new Prober(await url('web', '/version'), { intervalMs: 50 }),
    api: new Prober(await url('api', '/version'), { intervalMs: 50 }),
    chain: new Prober(await url('web', '/'), { intervalMs: 50 }),
  };
  await sleep(2_000); // a baseline before the change
  const requestAt = Date.now();
  let reports: Record<keyof typeof probers, ProbeReport>;
  try {
    await change();
    await done();
    const doneAt = Date.now();
    await sleep(SETTLE_MS);
    reports = {
      web: await probers.web.stop(),
      api: await probers.api.stop(),
      chain: await probers.chain.stop(),
    };
    const lines = [
      `rolled out in ${((doneAt - requestAt) / 1000).toFixed(1)} s (request created → Succeeded)`,
      describeProbe('web /version', reports.web, startedAt, requestAt),
      describeProbe('api /version', reports.api, startedAt, requestAt),
      `web / (the chain web → api → db; db is one pod on a ReadWriteOnce volume, so it is down while it restarts): ` +
        `${reports.chain.requests} requests, ${reports.chain.failures.length} failed` +
        (reports.chain.failures.length
          ? ` between ${((reports.chain.failures[0]!.at - (requestAt - startedAt)) / 1000).toFixed(1)} s and ` +
            `${((reports.chain.failures.at(-1)!.at - (requestAt - startedAt)) / 1000).toFixed(1)} s`
          : ''),
    ];
    return { reports, lines };
  } finally {
    await Promise.all(Object.values(probers).map((p) => p.stop()));
  }
}

const bodies = (report: ProbeReport) => report.answers.map((a) => a.body);
/** The version served last: every answer after the last answer of any other version. */
const lastServed = (report: ProbeReport) => [...report.answers].sort((a, b) => b.last - a.last)[0]!.body;

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  shop = await deliverShop(APP);
  console.log(`offline delivery of ${APP}:\n${shop.log.join('\n')}`);
  await OperatorProcess.start();
  ns = await createNamespace(client, 'realshop');
  await createShopSecret(client, ns);
}, 600_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  shop?.stop();
  client.close();
});

describe('the shop on the real node, delivered offline', () => {
  test(
    'installs from the site registry: every pod pulls its image there by digest and serves',
    async () => {
      const budget = new Budget(240_000);
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', { upgradePolicy: { progressDeadlineSeconds: 240 } }) as KubeObject,
      );
      await waitReady(client, ns, 1, budget.left(), 'shop', { stallMs: 180_000 });

      const running = await pods(client, ns);
      expect(running.map((p) => p.metadata.labels?.['ferry.dev/component']).sort()).toEqual([
        'api',
        'api',
        'api',
        'db',
        'web',
        'web',
      ]);
      for (const pod of running) {
        expect(pod.spec.nodeName).toBe(process.env.FERRY_E2E_NODE);
        const image = pod.spec.containers[0]!.image;
        expect(image).toMatch(new RegExp(`^${shop.site}/vendor/shop/[a-z]+@sha256:[0-9a-f]{64}$`));
        // What containerd pulled is that digest, from the site registry.
        expect(pod.status.containerStatuses?.[0]?.imageID).toBe(image);
        expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
      }
      // No pod, workload or template of this app names the vendor registry.
      const templates = await client.list<Obj>(ferryRef('AppTemplate'));
      const mine = templates.items.filter((t) => t.spec.app === APP);
      expect(mine.map((t) => t.spec.version).sort()).toEqual(['1.0.0', '2.0.0']);
      const everything = JSON.stringify([
        running,
        mine,
        (await client.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns })).items,
        (await client.list({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns })).items,
      ]);
      expect(everything).not.toContain(shop.vendor.address);
      expect(everything).toContain(shop.site);

      // web → api → db by Service name, each answering with its role and version (once the node's
      // proxy routes the new Services: the install is Ready before that).
      await waitServing(await url('web', '/'));
      const chain = JSON.parse(await http(await url('web', '/')));
      expect(chain).toMatchObject({
        role: 'web',
        version: '1.0.0',
        upstream: { role: 'api', version: '1.0.0', upstream: { role: 'db', version: '1.0.0' } },
      });
    },
    Budget.jestTimeout(240_000),
  );

  test('records written through api land on db volume', async () => {
    await waitServing(await url('api', '/records'));
    for (const record of RECORDS)
      await http(await url('api', '/records'), {
        method: 'POST',
        body: JSON.stringify(record),
        headers: { 'content-type': 'application/json' },
      });
    expect(await records()).toEqual(RECORDS);
  });

  let claimUid = '';
  let dbPodUid = '';
  test(
    'upgrades to 2.0.0 with an AppUpgrade: 0 failed requests on web and api, /version flips, records kept',
    async () => {
      claimUid = await pvcUid();
      dbPodUid = (await pods(client, ns, 'db'))[0]!.metadata.uid;
      const started = new PodRecorder(client, ns);
      await started.start();
      const { reports, lines } = await probed(
        async () => {
          await requestUpgradeTo2(client, ns);
        },
        async () => {
          await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', {
            timeoutMs: 300_000,
            stallMs: 180_000,
          });
          await waitReady(client, ns, 2, 60_000);
        },
      ).finally(() => started.stop());
      console.log(`upgrade ${APP} 1.0.0 → 2.0.0 on the real node:\n${lines.join('\n')}`);
      expect(reports.web.failures).toEqual([]);
      expect(reports.api.failures).toEqual([]);
      expect(bodies(reports.web)).toEqual(['1.0.0', '2.0.0']);
      expect(bodies(reports.api)).toEqual(['1.0.0', '2.0.0']);
      expect(lastServed(reports.web)).toBe('2.0.0');
      expect(reports.web.requests).toBeGreaterThan(100);
      // The order, from the pods (real readiness probes): api's new pods were created only once db's
      // new pod was Ready, web's and reports' only once every new api pod was.
      expect(started.orderViolations('db', 'api')).toEqual([]);
      expect(started.orderViolations('api', 'web')).toEqual([]);
      expect(started.orderViolations('api', 'reports')).toEqual([]);

      // 2.0.0's migration hook really ran (api's image, `migrate`) with api's environment, and its
      // exit code and log were recorded on the revision.
      const upgraded = (await client.get<Obj>(ferryRef('AppRevision', ns, 'shop-r2')))!;
      expect(upgraded.status.hooks).toEqual([
        expect.objectContaining({ name: 'migrate', state: 'Succeeded', exitCode: 0 }),
      ]);
      expect(upgraded.status.hooks[0].log).toContain('migrate: api 2.0.0, schema to 2.0.0');
      expect(upgraded.status.hooks[0].log).toContain('migrate: done');

      // db really restarted (1.0.1) on the same claim, and every record is there.
      const [db] = await pods(client, ns, 'db');
      expect(db!.metadata.uid).not.toBe(dbPodUid);
      expect(db!.spec.containers[0]!.image).toMatch(new RegExp(`^${shop.site}/vendor/shop/db@sha256:`));
      expect(await pvcUid()).toBe(claimUid);
      expect(await records()).toEqual(RECORDS);
      const chain = JSON.parse(await http(await url('web', '/')));
      expect(chain).toMatchObject({
        version: '2.0.0',
        upstream: { version: '2.0.0', upstream: { role: 'db', version: '1.0.1' } },
      });
    },
    Budget.jestTimeout(420_000),
  );

  test(
    'rolls back to revision 1 with an AppRollback: 0 failed requests, /version flips back, records kept',
    async () => {
      expect(claimUid).not.toBe('');
      const { reports, lines } = await probed(
        async () => {
          await client.create({
            apiVersion: 'ferry.dev/v1alpha1',
            kind: 'AppRollback',
            metadata: { name: 'back', namespace: ns },
            spec: { install: 'shop', toRevision: 1 },
          } as KubeObject);
        },
        async () => {
          await waitPhase(client, 'AppRollback', ns, 'back', 'Succeeded', {
            timeoutMs: 300_000,
            stallMs: 180_000,
          });
          await waitReady(client, ns, 3, 60_000);
        },
      );
      console.log(`rollback ${APP} 2.0.0 → revision 1 (1.0.0) on the real node:\n${lines.join('\n')}`);
      expect(reports.web.failures).toEqual([]);
      expect(reports.api.failures).toEqual([]);
      expect(bodies(reports.web)).toEqual(['2.0.0', '1.0.0']);
      expect(lastServed(reports.web)).toBe('1.0.0');
      expect(lastServed(reports.api)).toBe('1.0.0');

      expect(await pvcUid()).toBe(claimUid);
      expect(await records()).toEqual(RECORDS);
      const chain = JSON.parse(await http(await url('web', '/')));
      expect(chain).toMatchObject({
        version: '1.0.0',
        upstream: { version: '1.0.0', upstream: { role: 'db', version: '1.0.0' } },
      });
      // reports, added by 2.0.0, is kept running (not pruned).
      await waitFor('reports still serving', async () =>
        (await http(await url('reports', '/version'))).trim() === '2.0.0' ? true : undefined,
      );
    },
    Budget.jestTimeout(420_000),
  );
});
