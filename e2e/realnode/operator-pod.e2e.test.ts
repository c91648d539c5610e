/* eslint-disable @typescript-eslint/no-explicit-any -- test helpers read arbitrary object fields */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { Prober } from '../../src/tools/prober.js';
import type { ProbeReport } from '../../src/tools/prober.js';
import type { Obj } from '../support/shop.js';
import { createShopSecret, shopInstall, userApply, waitPhase, waitReady } from '../support/shop.js';
import {
  Budget,
  createNamespace,
  fatal,
  kube,
  notYet,
  repoRoot,
  run,
  sleep,
  waitFor,
  world,
} from '../support/world.js';
import type { OfflineShop, Pod } from './offline-shop.js';
import {
  deliverShop,
  describeProbe,
  ferry,
  http,
  scheduleOnRealNodeOnly,
  serviceUrl,
  waitServing,
  requestUpgradeTo2,
} from './offline-shop.js';

/**
 * Issue 11, on the real node: the operator as a cluster admin installs it offline — its image built
 * here without Docker (npm run image), `ferry export --operator` (signed), `ferry import
 * --chart-out` into the site registry, `helm install` of the imported chart with its
 * values-offline.yaml. Two replicas run as pods under the chart's ServiceAccount, one leads; they
 * carry out shop's install, upgrade and rollback. The leader pod is deleted mid-upgrade: the other
 * replica takes over and finishes it.
 */

const APP = `shop-ro${Date.now().toString(36)}`;
const RELEASE = 'ferry';
const NAMESPACE = 'ferry-system';
const LEASE = 'ferry-operator-leader';
/** helm and the operator image's base are built on a fresh machine: minutes, once. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
const client = kube();
let shop: OfflineShop;
let work = '';
let helmBin = '';
let imageDigest = '';
let ns = '';

function script(path: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.endsWith('.sh') ? 'bash' : join(repoRoot, 'scripts', 'node'), [path, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path} exited ${code}:\n${out}`)),
    );
  });
}

async function helm(...args: string[]): Promise<string> {
  const { stdout } = await run(join(helmBin, 'helm'), args, {
    cwd: work,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      KUBECONFIG: world.kubeconfig,
      HELM_CACHE_HOME: join(work, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(work, 'helm', 'config'),
      HELM_DATA_HOME: join(work, 'helm', 'data'),
    },
  });
  return stdout;
}

const operatorPods = async () =>
  (
    await client.list<Pod & Obj>(
      { apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE },
      { labelSelector: `app.kubernetes.io/instance=${RELEASE}` },
    )
  ).items;

/** The pod that holds the leader Lease (the holder identity is `<hostname>_<pid>`). */
async function leaseHolder(): Promise<string | undefined> {
  const lease = await client.get<Obj>({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: NAMESPACE,
    name: LEASE,
  });
  const identity = lease?.spec?.holderIdentity as string | undefined;
  return identity?.replace(/_\d+$/, '');
}

/** The operator's /metrics of one pod, from the host (pod IPs are routed into the node's world). */
async function metric(pod: Pod & Obj, name: string, labelText = ''): Promise<number> {
  const text = await http(`http://${(pod as any).status.podIP}:8081/metrics`);
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labelText))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const readyPods = async () =>
  (await operatorPods()).filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      ),
  );

beforeAll(async () => {
  await scheduleOnRealNodeOnly(client);
  work = mkdtempSync(join(tmpdir(), 'ferry-operator-pod-'));
  // What a vendor does: build the image, pack it with the chart, sign it.
  const [helmOut, imageOut] = await Promise.all([
    script(join(repoRoot, 'e2e', 'tools-helm.sh')),
    script(join(repoRoot, 'dist', 'tools', 'build-image.js'), ['--layout', join(work, 'image')]),
  ]);
  helmBin = helmOut.trim().split('\n').pop()!;
  imageDigest = /^image ferry:\S+ (sha256:[a-f0-9]{64}):/m.exec(imageOut)![1]!;
  console.log(imageOut.trim().split('\n').pop());
  await ferry('keys', 'generate', '-o', join(work, 'vendor'));
  const pkg = join(work, 'ferry-operator.tar.zst');
  console.log(
    await ferry(
      'export',
      '--operator',
      '--chart',
      join(repoRoot, 'charts', 'ferry'),
      '--image',
      `oci:${join(work, 'image')}`,
      '--sign-key',
      join(work, 'vendor.key'),
      '-o',
      pkg,
      '--quiet',
    ),
  );
  // What the site admin does: import it (signature required), helm install the imported chart.
  console.log(
    await ferry(
      'import',
      pkg,
      '--registry',
      `${world.registry}/ferry-site`,
      '--key',
      join(work, 'vendor.pub'),
      '--chart-out',
      join(work, 'chart'),
      '--plain-http',
      '--quiet',
    ),
  );
  shop = await deliverShop(APP);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (helmBin && work) await helm('uninstall', RELEASE, '-n', NAMESPACE, '--wait').catch(() => undefined);
  shop?.stop();
  client.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the operator as pods from its own offline chart, on the real node', () => {
  test(
    'helm install of the imported chart: 2 replicas from the site registry by digest, one leader',
    async () => {
      const values = yaml.load(readFileSync(join(work, 'chart', 'values-offline.yaml'), 'utf8')) as any;
      expect(values.image).toMatchObject({
        registry: world.registry,
        repository: expect.stringMatching(/^ferry-site\//),
        digest: imageDigest,
      });
      await helm(
        'install',
        RELEASE,
        join(work, 'chart', 'ferry'),
        '-n',
        NAMESPACE,
        '--create-namespace',
        '-f',
        join(work, 'chart', 'values-offline.yaml'),
        '--set',
        'operator.logLevel=debug',
        '--wait',
        '--timeout',
        '180s',
      );
      const pods = await readyPods();
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        expect(pod.spec.nodeName).toBe(process.env.FERRY_E2E_NODE);
        expect(pod.spec.containers[0]!.image).toMatch(
          new RegExp(`^${world.registry}/${values.image.repository}(:[^@]+)?@${imageDigest}$`),
        );
        // What containerd pulled: that digest, from the site registry.
        expect(pod.status.containerStatuses?.[0]?.imageID).toBe(
          `${world.registry}/${values.image.repository}@${imageDigest}`,
        );
        // The chart's ServiceAccount, nothing else.
        expect((pod as any).spec.serviceAccountName).toBe(RELEASE);
      }
      const holder = await waitFor('a leader', leaseHolder, { timeoutMs: 60_000 });
      expect(pods.map((p) => p.metadata.name)).toContain(holder);
    },
    Budget.jestTimeout(240_000),
  );

  test(
    'installs shop; the leader pod is deleted mid-upgrade, the other replica takes over and finishes; rollback',
    async () => {
      ns = await createNamespace(client, 'realop');
      await createShopSecret(client, ns);
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', { upgradePolicy: { progressDeadlineSeconds: 240 } }) as KubeObject,
      );
      await waitReady(client, ns, 1, 240_000, 'shop', { stallMs: 180_000 });

      await waitServing(`${await serviceUrl(client, ns, 'shop-web')}/version`);
      const startedAt = Date.now();
      const web = new Prober(`${await serviceUrl(client, ns, 'shop-web')}/version`, { intervalMs: 50 });
      const requestAt = Date.now();
      let takeover = '';
      let report: ProbeReport;
      try {
        await requestUpgradeTo2(client, ns);
        // Mid-upgrade: its first level (db) has rolled out, the others have not.
        await waitFor(
          'the upgrade past db, before api and web are done',
          async () => {
            const status = (await client.get<Obj>(ferryRef('AppUpgrade', ns, 'to-2')))?.status;
            const state = (name: string) => status?.components?.find((c: any) => c.name === name)?.state;
            if (status?.phase === 'Succeeded') fatal('the upgrade ended before the leader was deleted');
            return status?.phase === 'Progressing' && state('db') === 'Ready' && state('web') !== 'Ready'
              ? true
              : notYet(status?.components);
          },
          { timeoutMs: 120_000, intervalMs: 100 },
        );
        const leader = (await leaseHolder())!;
        const standby = (await readyPods()).find((p) => p.metadata.name !== leader)!;
        expect(standby).toBeDefined();
        const deletedAt = Date.now();
        await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE, name: leader });
        const newLeader = await waitFor(
          'another replica to take the Lease',
          async () => {
            const holder = await leaseHolder();
            return holder && holder !== leader ? holder : notYet(holder);
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const takenAt = Date.now();
        // The standby and the Deployment's replacement pod both campaign once the Lease is released;
        // either may win — a live operator pod, never the deleted one.
        const live = (await operatorPods())
          .filter((p) => !p.metadata.deletionTimestamp)
          .map((p) => p.metadata.name);
        expect(live).toContain(newLeader);
        const winner = newLeader === standby.metadata.name ? 'the standby' : 'the replacement pod';
        const upgrade = await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', {
          timeoutMs: 300_000,
          stallMs: 180_000,
        });
        const doneAt = Date.now();
        await waitReady(client, ns, 2, 60_000);
        takeover =
          `leader ${leader} deleted ${((deletedAt - requestAt) / 1000).toFixed(1)} s into the upgrade; ` +
          `${newLeader} (${winner}) held the Lease ${((takenAt - deletedAt) / 1000).toFixed(1)} s later; ` +
          `upgrade Succeeded ${((doneAt - takenAt) / 1000).toFixed(1)} s after the takeover (${upgrade.status.message})`;
        await sleep(10_000);
      } finally {
        // Reported even when the upgrade failed; asserted below only when it did not.
        report = await web.stop();
        console.log(
          `operator pods, upgrade of ${APP} 1.0.0 → 2.0.0 with the leader deleted:\n${takeover}\n` +
            describeProbe('web /version', report, startedAt, requestAt),
        );
      }
      expect(report.failures).toEqual([]);
      expect(report.answers.map((a) => a.body)).toEqual(['1.0.0', '2.0.0']);
      expect(JSON.parse(await http(`${await serviceUrl(client, ns, 'shop-web')}/`))).toMatchObject({
        version: '2.0.0',
        upstream: { version: '2.0.0', upstream: { version: '1.0.1' } },
      });

      await client.create({
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppRollback',
        metadata: { name: 'back', namespace: ns },
        spec: { install: 'shop', toRevision: 1 },
      } as KubeObject);
      await waitPhase(client, 'AppRollback', ns, 'back', 'Succeeded', {
        timeoutMs: 300_000,
        stallMs: 180_000,
      });
      await waitReady(client, ns, 3, 60_000);
      // The old pods may answer for their preStop sleep (5 s) after the rollout is complete.
      const versions = (hop: any): string[] => (hop ? [hop.version, ...versions(hop.upstream)] : []);
      const chain = await waitFor(
        'web → api → db all at 1.0.0',
        async () => {
          const hop = JSON.parse(await http(`${await serviceUrl(client, ns, 'shop-web')}/`));
          return versions(hop).join(' ') === '1.0.0 1.0.0 1.0.0' ? hop : notYet(versions(hop));
        },
        { timeoutMs: 30_000 },
      );
      expect(chain).toMatchObject({ role: 'web', upstream: { role: 'api', upstream: { role: 'db' } } });

      // The chart's RBAC was enough: the leader met no forbidden request in all of it.
      const holder = await leaseHolder();
      const leader = (await readyPods()).find((p) => p.metadata.name === holder)!;
      expect(leader).toBeDefined();
      expect(await metric(leader, 'ferry_leader')).toBe(1);
      expect(await metric(leader, 'ferry_reconcile_total')).toBeGreaterThan(0);
      expect(await metric(leader, 'ferry_kube_api_errors_total', 'code="403"')).toBe(0);
    },
    Budget.jestTimeout(900_000),
  );
});
