import type { KubeObject } from '../../src/kube/client.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';
import type { Obj } from '../support/shop.js';
import { createShopSecret, shopInstall, userApply, waitPhase, waitReady } from '../support/shop.js';
import { Budget, OperatorProcess, createNamespace, kube, notYet, waitFor } from '../support/world.js';
import type { OfflineShop } from './offline-shop.js';
import { deliverShop, pods, requestUpgradeTo2, scheduleOnRealNodeOnly } from './offline-shop.js';

/**
 * Issue 14 item 2 on the real node: the site registry requires credentials. `ferry import
 * --pull-secret` creates the pull Secret from the credentials the import used; a pod without it is
 * refused by the registry (so the registry really enforces them), and the shop installed with
 * spec.imagePullSecrets pulls every image through containerd with those credentials and runs; so
 * does the upgrade to 2.0.0, whose migration Job is the first to pull api 2.0.0.
 */

const APP = `shop-ps${Date.now().toString(36)}`;
const PASSWORD = `pw-${Date.now().toString(36)}`;
const PULL_SECRET = 'site-registry';
const client = kube();
let registry: LocalRegistry;
let shop: OfflineShop;
let ns = '';

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  registry = startRegistry({ auth: `site:${PASSWORD}` });
  ns = await createNamespace(client, 'pullsecret');
  shop = await deliverShop(APP, {
    siteRegistry: { address: registry.address, username: 'site', password: PASSWORD },
    ownImages: true, // images no other suite's pods pulled: the node must fetch them with the Secret
    pullSecret: { name: PULL_SECRET, namespace: ns },
  });
  console.log(`offline delivery of ${APP} into a registry with auth:\n${shop.log.join('\n')}`);
  await OperatorProcess.start();
  await createShopSecret(client, ns);
}, 600_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  shop?.stop();
  registry?.stop();
  client.close();
});

/** The image of the imported api component, by digest in the site registry. */
async function siteImageOfApi(version = '1.0.0'): Promise<string> {
  const templates = await client.list<Obj>({ apiVersion: 'ferry.dev/v1alpha1', kind: 'AppTemplate' });
  const template = templates.items.find((t) => t.spec.app === APP && t.spec.version === version);
  const api = template?.spec.components.find((c: { name: string }) => c.name === 'api');
  if (!api) throw new Error(`no AppTemplate of ${APP} ${version} with an api component`);
  return api.image as string;
}

describe('site registry credentials on the real node', () => {
  test('ferry import --pull-secret wrote a dockerconfigjson Secret for the site registry', async () => {
    const secret = await client.get<Obj & { type?: string; data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name: PULL_SECRET,
    });
    expect(secret?.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(secret!.data['.dockerconfigjson']!, 'base64').toString('utf8'));
    expect(Object.keys(config.auths)).toEqual([registry.address]);
    expect(Buffer.from(config.auths[registry.address].auth, 'base64').toString('utf8')).toBe(
      `site:${PASSWORD}`,
    );
    expect(shop.log.join('\n')).not.toContain(PASSWORD);
  });

  test(
    'a pod without the pull Secret is refused by the site registry',
    async () => {
      const image = await siteImageOfApi();
      expect(image.startsWith(`${registry.address}/site/`)).toBe(true);
      await client.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'no-credentials', namespace: ns },
        spec: {
          containers: [{ name: 'api', image, imagePullPolicy: 'Always' }],
          securityContext: { runAsNonRoot: true, runAsUser: 65532 },
        },
      } as KubeObject);
      const waiting = await waitFor(
        'the credential-less pod to fail its pull',
        async () => {
          const pod = await client.get<Obj>({
            apiVersion: 'v1',
            kind: 'Pod',
            namespace: ns,
            name: 'no-credentials',
          });
          const state = pod?.status?.containerStatuses?.[0]?.state?.waiting;
          return state?.reason === 'ErrImagePull' || state?.reason === 'ImagePullBackOff'
            ? state
            : notYet(pod?.status ?? 'no status');
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      console.log(`without credentials: ${waiting.reason}: ${waiting.message}`);
      expect(String(waiting.message)).toMatch(/401|[Uu]nauthorized|authorization failed/);
      await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'no-credentials' });
    },
    Budget.jestTimeout(120_000),
  );

  test(
    'the install naming the pull Secret pulls every image with it and becomes Ready',
    async () => {
      const budget = new Budget(240_000);
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', {
          imagePullSecrets: [{ name: PULL_SECRET }],
          upgradePolicy: { progressDeadlineSeconds: 240 },
        }) as KubeObject,
      );
      await waitReady(client, ns, 1, budget.left(), 'shop', { stallMs: 180_000 });
      const running = (await pods(client, ns)).filter((p) => p.metadata.labels?.['ferry.dev/component']);
      expect(running.length).toBeGreaterThanOrEqual(4);
      for (const pod of running) {
        expect(pod.spec.nodeName).toBe(process.env.FERRY_E2E_NODE);
        expect((pod.spec as { imagePullSecrets?: unknown }).imagePullSecrets).toEqual([
          { name: PULL_SECRET },
        ]);
        const image = pod.spec.containers[0]!.image;
        expect(image.startsWith(`${registry.address}/site/`)).toBe(true);
        expect(pod.status.containerStatuses?.[0]?.imageID).toBe(image);
        expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
      }
    },
    Budget.jestTimeout(240_000),
  );

  test(
    'the upgrade to 2.0.0 pulls with it too: its migration Job first, then the new component images',
    async () => {
      await requestUpgradeTo2(client, ns);
      const upgrade = await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', {
        timeoutMs: 240_000,
        stallMs: 180_000,
      });
      expect(upgrade.status.plan.hooks.map((h: { name: string }) => h.name)).toEqual(['migrate']);
      const job = await client.get<Obj>({
        apiVersion: 'batch/v1',
        kind: 'Job',
        namespace: ns,
        name: 'shop-r2-migrate',
      });
      expect(job!.spec.template.spec.imagePullSecrets).toEqual([{ name: PULL_SECRET }]);
      expect(job!.status.succeeded).toBe(1);
      const revision = await client.get<Obj>({
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppRevision',
        namespace: ns,
        name: 'shop-r2',
      });
      expect(revision!.status.hooks).toEqual([
        expect.objectContaining({ name: 'migrate', state: 'Succeeded', exitCode: 0 }),
      ]);
      // Pods of 1.0.0 may still be terminating when the upgrade reports Succeeded; the ones that
      // serve now must be 2.0.0's, pulled from the site registry with the Secret and ready.
      const api2 = await siteImageOfApi('2.0.0');
      expect(api2.startsWith(`${registry.address}/site/`)).toBe(true);
      const serving = (await pods(client, ns)).filter(
        (p) => p.metadata.labels?.['ferry.dev/component'] === 'api' && !p.metadata.deletionTimestamp,
      );
      expect(serving.length).toBeGreaterThan(0);
      for (const pod of serving) {
        expect(pod.spec.containers[0]!.image).toBe(api2);
        expect(pod.status.containerStatuses?.[0]?.imageID).toBe(api2);
        expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
      }
    },
    Budget.jestTimeout(240_000),
  );
});
