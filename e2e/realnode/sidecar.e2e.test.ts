/* eslint-disable @typescript-eslint/no-explicit-any -- template specs are edited as plain data */
import type { KubeObject } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import { createShopSecret, shopInstall, userApply, waitReady } from '../support/shop.js';
import { Budget, OperatorProcess, createNamespace, kube, notYet, waitFor } from '../support/world.js';
import type { OfflineShop, Pod } from './offline-shop.js';
import { deliverShop, http, pods, scheduleOnRealNodeOnly, serviceUrl, waitServing } from './offline-shop.js';

/**
 * Issue 14 item 4 on the real node: a sidecar with its own port and readiness probe (the sample
 * server as a metrics endpoint beside api). Its port is served through api's Service; its probe
 * counts for the pod's readiness: a sidecar failing it keeps the new pod out of service while its
 * main container is ready.
 */

const APP = `shop-sc${Date.now().toString(36)}`;
const client = kube();
let shop: OfflineShop;
let ns = '';

const metricsSidecar = (spec: any) => {
  const api = spec.components.find((c: { name: string }) => c.name === 'api');
  api.sidecars = [
    {
      name: 'metrics',
      image: 'registry.example.com/shop/web:1.0.0',
      env: [
        { name: 'PORT', value: '9102' },
        { name: 'ROLE', value: 'metrics' },
        { name: 'VERSION', value: 'metrics-sidecar' },
        { name: 'FAIL_READINESS', value: '0' },
      ],
      ports: [{ name: 'metrics', port: 9102 }],
      readinessProbe: { httpGet: { path: '/readyz', port: 9102 }, periodSeconds: 1 },
    },
  ];
};

interface PodStatus {
  conditions?: { type: string; status: string }[];
  containerStatuses?: { name: string; ready: boolean }[];
  initContainerStatuses?: { name: string; ready: boolean; started?: boolean }[];
}
const statusOf = (pod: Pod) => pod.status as Pod['status'] & PodStatus;
const podReady = (pod: Pod) => statusOf(pod).conditions?.find((c) => c.type === 'Ready')?.status === 'True';

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  shop = await deliverShop(APP, { versions: ['1.0.0'], edit1: metricsSidecar });
  console.log(`offline delivery of ${APP} (api with a metrics sidecar):\n${shop.log.join('\n')}`);
  await OperatorProcess.start();
  ns = await createNamespace(client, 'sidecar');
  await createShopSecret(client, ns);
}, 600_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  shop?.stop();
  client.close();
});

describe('a sidecar with a port and a readiness probe on the real node', () => {
  test(
    'runs beside api, probed, and answers on its port through the component Service',
    async () => {
      const budget = new Budget(240_000);
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', { upgradePolicy: { progressDeadlineSeconds: 240 } }) as KubeObject,
      );
      await waitReady(client, ns, 1, budget.left(), 'shop', { stallMs: 180_000 });
      const api = await pods(client, ns, 'api');
      expect(api.length).toBe(3);
      for (const pod of api) {
        expect(podReady(pod)).toBe(true);
        expect(statusOf(pod).initContainerStatuses).toEqual([
          expect.objectContaining({ name: 'metrics', ready: true, started: true }),
        ]);
      }
      const service = await client.get<Obj>({
        apiVersion: 'v1',
        kind: 'Service',
        namespace: ns,
        name: 'shop-api',
      });
      expect(service!.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`)).toEqual([
        'http:8080',
        'metrics:9102',
      ]);
      const metrics = `${(await serviceUrl(client, ns, 'shop-api')).replace(/:8080$/, ':9102')}/version`;
      await waitServing(metrics);
      expect((await http(metrics)).trim()).toBe('metrics-sidecar');
    },
    Budget.jestTimeout(240_000),
  );

  test(
    'a sidecar failing its readiness probe keeps the new pod out of service though api itself is ready',
    async () => {
      const before = new Set((await pods(client, ns, 'api')).map((p) => p.metadata.uid));
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', {
          upgradePolicy: { progressDeadlineSeconds: 240 },
          overrides: [
            {
              component: 'api',
              containers: [{ name: 'metrics', env: [{ name: 'FAIL_READINESS', value: '1' }] }],
            },
          ],
        }) as KubeObject,
      );
      const fresh = await waitFor(
        'a new api pod whose sidecar runs but fails its probe',
        async () => {
          const pod = (await pods(client, ns, 'api')).find(
            (p) =>
              !before.has(p.metadata.uid) &&
              statusOf(p).containerStatuses?.find((c) => c.name === 'api')?.ready === true,
          );
          return pod ?? notYet((await pods(client, ns, 'api')).map((p) => p.status));
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      // Give the probe a few more periods: the sidecar stays unready, and so does the pod.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const now = (await pods(client, ns, 'api')).find((p) => p.metadata.uid === fresh.metadata.uid)!;
      expect(statusOf(now).initContainerStatuses).toEqual([
        expect.objectContaining({ name: 'metrics', ready: false, started: true }),
      ]);
      expect(podReady(now)).toBe(false);
      // The old pods keep serving: the rollout waits for a pod that never becomes Ready.
      expect(
        (await pods(client, ns, 'api')).filter((p) => before.has(p.metadata.uid) && podReady(p)).length,
      ).toBeGreaterThanOrEqual(2);
    },
    Budget.jestTimeout(150_000),
  );
});
