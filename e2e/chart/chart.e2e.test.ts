/**
 * The Helm chart as a cluster admin uses it: lint, render (deploy/ is its rendering), install into
 * the local cluster under the restricted Pod Security Standard, upgrade with a changed value; the
 * ClusterRoles for people allow what they say and nothing more; and the operator, run with the
 * identity of the chart's ServiceAccount, does its whole job (install, upgrade, rollback, deletion,
 * an AppMarket synced with credentials from the release namespace) without a single forbidden request, so the least-privilege ClusterRole is also sufficient.
 *
 * The operator image cannot run here (KWOK nodes have no container runtime): the chart's pods are
 * only scheduled and reported Running/Ready by KWOK, and the operator runs as a local process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../src/kube/client.js';
import { KubeClient, ferryRef } from '../../src/kube/client.js';
import {
  DEPLOY_DIR,
  DEPLOY_NAMESPACE,
  deployFiles,
  helmTemplateArgs,
} from '../../src/tools/render-deploy.js';
import type { Obj } from '../support/shop.js';
import {
  asVersion,
  createShopSecret,
  getInstall,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
  workload,
} from '../support/shop.js';
import {
  OperatorProcess,
  createNamespace,
  kube,
  notYet,
  repoRoot,
  run,
  waitFor,
  world,
} from '../support/world.js';
import type { AppTemplate } from '../../src/api/index.js';
import { exportPackage } from '../../src/bundle/export.js';
import { RegistryClient } from '../../src/bundle/registry-client.js';
import { emptyIndex, parseMarketUrl } from '../../src/market/format.js';
import { pushPackage } from '../../src/market/push.js';
import { MarketStore } from '../../src/market/store.js';
import { buildImage, pushImage, randomLayer } from '../../src/testing/bundle/images.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';

const CHART = join(repoRoot, 'charts', 'ferry');
const RELEASE = 'ferry';
const APP = 'shop-chart';
/** helm is built from source on a fresh machine (e2e/tools-helm.sh): minutes, once. */
const HELM_BUILD_TIMEOUT_MS = 20 * 60_000;

let helmBin = '';
let helmHome = '';

/** Runs e2e/tools-helm.sh with its progress on our stderr; resolves to the bin dir. */
function buildHelm(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'e2e', 'tools-helm.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error(`tools-helm.sh exited ${code}`)),
    );
  });
}

async function helm(...args: string[]): Promise<string> {
  const { stdout } = await run(join(helmBin, 'helm'), args, {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      KUBECONFIG: world.kubeconfig,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
  return stdout;
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(join(world.bin, 'kubectl'), ['--kubeconfig', world.kubeconfig, ...args]);
  return stdout;
}

const objectsOf = (text: string) => (yaml.loadAll(text) as Obj[]).filter(Boolean);

/** A token for a ServiceAccount from the TokenRequest API, as a pod would get it. */
async function tokenFor(admin: KubeClient, namespace: string, name: string): Promise<string> {
  const res = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  return res.status.token;
}

/** A kubeconfig for the e2e cluster that authenticates with a bearer token. */
function tokenConfig(token: string): KubeConfig {
  const admin = new KubeConfig();
  admin.loadFromFile(world.kubeconfig);
  const cluster = admin.getCurrentCluster()!;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'token', cluster: cluster.name, user: 'token' }],
    currentContext: 'token',
  });
  return config;
}

async function serviceAccountClient(admin: KubeClient, namespace: string, name: string) {
  return KubeClient.fromKubeConfig(tokenConfig(await tokenFor(admin, namespace, name)));
}

const appInstall = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppInstall',
  metadata: { name, namespace },
  spec: { app: 'nothing-here', version: '1.0.0' },
});

const appTemplate = (name: string): KubeObject => ({
  ...shopTemplate('1.0.0', name),
});

const appMarket = (name: string, url = 'market.example.com/acme'): KubeObject =>
  ({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppMarket',
    metadata: { name },
    spec: { url, interval: '1h' },
  }) as KubeObject;
const markets = '/apis/ferry.dev/v1alpha1/appmarkets';

/** Creates with ?dryRun=All: authorized and validated as a real create, stored nowhere. */
const dryRunCreate = (client: KubeClient, object: KubeObject, path: string) =>
  client.request('POST', path, { body: object, query: { dryRun: 'All' } });

const forbidden = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ status: 403 });

describe('Helm chart charts/ferry', () => {
  let admin: KubeClient;
  let releaseNs: string;
  const namespaces: string[] = [];
  const clusterBindings: string[] = [];

  beforeAll(async () => {
    helmBin = await buildHelm();
    helmHome = mkdtempSync(join(tmpdir(), 'ferry-e2e-helm-'));
    admin = kube();
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (releaseNs)
      await helm('uninstall', RELEASE, '--namespace', releaseNs, '--wait').catch(() => undefined);
    for (const name of clusterBindings)
      await admin.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name });
    for (const name of namespaces) await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    admin?.close();
    if (helmHome) rmSync(helmHome, { recursive: true, force: true });
  });

  describe('lint and render', () => {
    it('passes helm lint --strict without warnings', async () => {
      for (const values of [
        [],
        ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'replicaCount=1'],
      ]) {
        const out = await helm('lint', '--strict', CHART, ...values);
        expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
        expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
      }
    });

    it('renders exactly deploy/ with its default values (else run `npm run generate:deploy`)', async () => {
      const files = deployFiles(await helm(...helmTemplateArgs()));
      const dir = join(repoRoot, DEPLOY_DIR);
      expect(readdirSync(dir).filter((f) => f.endsWith('.yaml'))).toEqual(files.map(([name]) => name));
      for (const [name, text] of files) {
        expect({ file: name, same: readFileSync(join(dir, name), 'utf8') === text }).toEqual({
          file: name,
          same: true,
        });
      }
    });

    it('deploy/ is accepted by the API server as `kubectl apply -f deploy/` (server-side dry run)', async () => {
      // A dry run creates no namespace, so the namespaced objects need ferry-system to exist.
      const nsRef = { apiVersion: 'v1', kind: 'Namespace', name: DEPLOY_NAMESPACE };
      const created = !(await admin.get(nsRef));
      if (created)
        await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEPLOY_NAMESPACE } });
      try {
        const out = await kubectl('apply', '--dry-run=server', '-f', join(repoRoot, DEPLOY_DIR));
        expect(out).toContain(`deployment.apps/${RELEASE} created (server dry run)`);
        expect(out).toContain(
          'clusterrole.rbac.authorization.k8s.io/ferry-installer created (server dry run)',
        );
      } finally {
        if (created) await admin.delete(nsRef);
      }
    });

    it('renders an offline registry, a digest, pull secrets, scheduling and a ServiceMonitor', async () => {
      const digest = `sha256:${'ab'.repeat(32)}`;
      const objects = objectsOf(
        await helm(
          'template',
          'site',
          CHART,
          '--namespace',
          'ops',
          '--set',
          'image.registry=registry.site.local:5000',
          '--set',
          'image.repository=mirror/ferry',
          '--set',
          `image.digest=${digest}`,
          '--set',
          'imagePullSecrets[0].name=site-registry',
          '--set',
          'nodeSelector.role=infra',
          '--set',
          'tolerations[0].key=dedicated,tolerations[0].operator=Exists',
          '--set',
          'metrics.serviceMonitor.enabled=true',
          '--set',
          'metrics.serviceMonitor.labels.release=prometheus',
        ),
      );
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const pod = deployment.spec.template.spec;
      expect(pod.containers[0].image).toBe(`registry.site.local:5000/mirror/ferry:0.1.0@${digest}`);
      expect(pod.imagePullSecrets).toEqual([{ name: 'site-registry' }]);
      expect(pod.nodeSelector).toEqual({ role: 'infra' });
      expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
      const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
      expect(monitor.metadata!.namespace).toBe('ops');
      expect(monitor.metadata!.labels!.release).toBe('prometheus');
      expect(monitor.spec.endpoints).toEqual([
        expect.objectContaining({ port: 'http-metrics', path: '/metrics' }),
      ]);
      const service = objects.find((o) => o.kind === 'Service')!;
      expect(service.spec.selector).toEqual(monitor.spec.selector.matchLabels);
      expect(objectsOf(await helm('template', 'x', CHART)).some((o) => o.kind === 'ServiceMonitor')).toBe(
        false,
      );
    });

    it('rejects values its schema does not allow', async () => {
      await expect(helm('template', 'x', CHART, '--set', 'image.digest=latest')).rejects.toThrow(/digest/);
      await expect(helm('template', 'x', CHART, '--set', 'replicas=2')).rejects.toThrow(/replicas/);
      await expect(helm('template', 'x', CHART, '--set', 'operator.logLevel=loud')).rejects.toThrow(
        /logLevel/,
      );
    });
  });

  describe('install and upgrade', () => {
    it('installs into a restricted namespace: CRDs Established, Deployment Available', async () => {
      releaseNs = await createNamespace(admin, 'ferry-chart');
      namespaces.push(releaseNs);
      // The restricted Pod Security Standard: the API server refuses pods that are not hardened.
      await admin.mergePatch(
        { apiVersion: 'v1', kind: 'Namespace', name: releaseNs },
        { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
      );
      await helm('install', RELEASE, CHART, '--namespace', releaseNs, '--wait', '--timeout', '2m');
      for (const file of readdirSync(join(CHART, 'crds'))) {
        await kubectl(
          'wait',
          '--for=condition=Established',
          '--timeout=30s',
          `crd/${file.replace(/\.yaml$/, '')}`,
        );
      }
      await kubectl(
        '-n',
        releaseNs,
        'wait',
        '--for=condition=Available',
        '--timeout=60s',
        `deployment/${RELEASE}`,
      );
      const deployment = (await admin.get<Obj>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: releaseNs,
        name: RELEASE,
      }))!;
      expect(deployment.status.readyReplicas).toBe(2);
      const pods = await admin.list<Obj>(
        { apiVersion: 'v1', kind: 'Pod', namespace: releaseNs },
        { labelSelector: `app.kubernetes.io/instance=${RELEASE}` },
      );
      expect(pods.items.map((p) => p.status.phase)).toEqual(['Running', 'Running']);
      // Spread over nodes by the default soft anti-affinity.
      expect(new Set(pods.items.map((p) => p.spec.nodeName)).size).toBe(2);
      const status = JSON.parse(await helm('status', RELEASE, '--namespace', releaseNs, '-o', 'json'));
      expect(status.info.status).toBe('deployed');
    });

    it('upgrades with a changed value', async () => {
      await helm(
        'upgrade',
        RELEASE,
        CHART,
        '--namespace',
        releaseNs,
        '--reuse-values',
        '--set',
        'replicaCount=3',
        '--set',
        'operator.logLevel=debug',
        '--wait',
        '--timeout',
        '2m',
      );
      await kubectl('-n', releaseNs, 'rollout', 'status', `deployment/${RELEASE}`, '--timeout=60s');
      const deployment = (await admin.get<Obj>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: releaseNs,
        name: RELEASE,
      }))!;
      expect(deployment.spec.replicas).toBe(3);
      expect(deployment.status.availableReplicas).toBe(3);
      expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
        name: 'FERRY_LOG_LEVEL',
        value: 'debug',
      });
      const status = JSON.parse(await helm('status', RELEASE, '--namespace', releaseNs, '-o', 'json'));
      expect({ version: status.version, status: status.info.status }).toEqual({
        version: 2,
        status: 'deployed',
      });
    });
  });

  describe('ClusterRoles for people', () => {
    let nsA: string;
    let nsB: string;
    const installs = (ns: string) => `/apis/ferry.dev/v1alpha1/namespaces/${ns}/appinstalls`;
    const templates = '/apis/ferry.dev/v1alpha1/apptemplates';

    async function serviceAccountWith(ns: string, name: string, clusterRole: string, cluster = false) {
      await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      };
      if (cluster) {
        clusterBindings.push(`${ns}-${name}`);
        await admin.create({ ...binding, kind: 'ClusterRoleBinding', metadata: { name: `${ns}-${name}` } });
      } else {
        await admin.create({ ...binding, kind: 'RoleBinding', metadata: { name, namespace: ns } });
      }
      return serviceAccountClient(admin, ns, name);
    }

    beforeAll(async () => {
      nsA = await createNamespace(admin, 'ferry-rbac-a');
      nsB = await createNamespace(admin, 'ferry-rbac-b');
      namespaces.push(nsA, nsB);
    });

    it('ferry-installer bound in A: installs in A, not in B, publishes no AppTemplate', async () => {
      const installer = await serviceAccountWith(nsA, 'installer', 'ferry-installer');
      try {
        const created = await installer.create(appInstall(nsA, 'mine'));
        await installer.mergePatch(ferryRef('AppInstall', nsA, 'mine'), { spec: { version: '1.0.1' } });
        // what the installer wrote is stored: the object it created, with its patch applied
        const listed = (await installer.list<Obj>(ferryRef('AppInstall', nsA))).items;
        expect(listed.map((i) => [i.metadata!.name, i.metadata!.uid, i.spec.app, i.spec.version])).toEqual([
          ['mine', created.metadata!.uid, 'nothing-here', '1.0.1'],
        ]);
        expect(await installer.delete(ferryRef('AppInstall', nsA, 'mine'))).toBe(true);
        await dryRunCreate(
          installer,
          {
            apiVersion: 'ferry.dev/v1alpha1',
            kind: 'AppUpgrade',
            metadata: { name: 'up', namespace: nsA },
            spec: { install: 'mine', toVersion: '2.0.0' },
          },
          `/apis/ferry.dev/v1alpha1/namespaces/${nsA}/appupgrades`,
        );
        // A RoleBinding grants nothing cluster-scoped.
        await forbidden(installer.list(ferryRef('AppTemplate')));
        await forbidden(installer.create(appInstall(nsB, 'theirs')));
        await forbidden(installer.list(ferryRef('AppInstall', nsB)));
        await forbidden(dryRunCreate(installer, appTemplate('installer-app'), templates));
        // Connecting a market is a publisher's job.
        await forbidden(dryRunCreate(installer, appMarket('installer-market'), markets));
        // AppRevisions and status belong to the operator.
        await forbidden(
          dryRunCreate(
            installer,
            {
              apiVersion: 'ferry.dev/v1alpha1',
              kind: 'AppRevision',
              metadata: { name: 'mine-1', namespace: nsA },
              spec: {},
            },
            `/apis/ferry.dev/v1alpha1/namespaces/${nsA}/apprevisions`,
          ),
        );
      } finally {
        installer.close();
      }
    });

    it('ferry-viewer reads but creates nothing; ferry-publisher publishes AppTemplates and connects AppMarkets', async () => {
      const viewer = await serviceAccountWith(nsA, 'viewer', 'ferry-viewer', true);
      const publisher = await serviceAccountWith(nsB, 'publisher', 'ferry-publisher', true);
      try {
        await viewer.list(ferryRef('AppInstall', nsA));
        await viewer.list(ferryRef('AppRevision', nsB));
        await viewer.list(ferryRef('AppTemplate'));
        await viewer.list(ferryRef('AppMarket'));
        await forbidden(viewer.create(appInstall(nsA, 'viewed')));
        await forbidden(dryRunCreate(viewer, appMarket('viewer-market'), markets));
        await forbidden(dryRunCreate(viewer, appTemplate('viewer-app'), templates));
        await forbidden(viewer.delete(ferryRef('AppTemplate', undefined, 'anything')));
        await dryRunCreate(publisher, appTemplate('published-app'), templates);
        await dryRunCreate(publisher, appMarket('published-market'), markets);
        await publisher.list(ferryRef('AppMarket'));
        await forbidden(publisher.create(appInstall(nsB, 'published')));
        // AppMarket status is the operator's, and a publisher reads no Secret of the operator.
        await forbidden(
          publisher.mergePatch(ferryRef('AppMarket', undefined, 'anything'), { status: {} }, 'status'),
        );
        await forbidden(
          publisher.get({ apiVersion: 'v1', kind: 'Secret', namespace: releaseNs, name: 'any' }),
        );
      } finally {
        viewer.close();
        publisher.close();
      }
    });

    it('aggregates into the built-in roles: edit installs, view only reads', async () => {
      const editor = await serviceAccountWith(nsB, 'editor', 'edit');
      const reader = await serviceAccountWith(nsB, 'reader', 'view');
      try {
        // The clusterrole-aggregation controller fills the built-in roles asynchronously.
        await waitFor('edit aggregates ferry-installer', async () => {
          await dryRunCreate(editor, appInstall(nsB, 'edited'), installs(nsB));
          return true;
        });
        await waitFor('view aggregates ferry-viewer', async () => {
          await reader.list(ferryRef('AppInstall', nsB));
          return true;
        });
        await forbidden(dryRunCreate(reader, appInstall(nsB, 'read'), installs(nsB)));
        await forbidden(dryRunCreate(editor, appTemplate('editor-app'), templates));
      } finally {
        editor.close();
        reader.close();
      }
    });
  });

  describe("the operator with the chart's ServiceAccount", () => {
    let operator: OperatorProcess;
    let ns: string;
    let kubeconfigDir: string;
    let kubeconfig: string;

    beforeAll(async () => {
      // The identity the chart's pods get: the release's ServiceAccount, bound by the chart only.
      kubeconfigDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-sa-'));
      kubeconfig = join(kubeconfigDir, 'kubeconfig');
      writeFileSync(kubeconfig, tokenConfig(await tokenFor(admin, releaseNs, RELEASE)).exportConfig());
      operator = await OperatorProcess.start(
        ['--leader-elect', '--leader-election-namespace', releaseNs, '--namespace', releaseNs],
        { kubeconfig },
      ).catch((error: unknown) => {
        throw new Error(`operator did not start with the chart's RBAC: ${String(error)}`);
      });
      ns = await createNamespace(admin, 'ferry-chart-shop');
      namespaces.push(ns);
      await createShopSecret(admin, ns);
    });

    afterAll(async () => {
      // Leave no finalizer behind that only a running operator could remove.
      if (ns && (await admin.get(ferryRef('AppInstall', ns, 'shop')))) {
        await admin.delete(ferryRef('AppInstall', ns, 'shop'));
        await waitFor('AppInstall gone', async () => !(await admin.get(ferryRef('AppInstall', ns, 'shop'))), {
          timeoutMs: 20_000,
        }).catch(() => undefined);
      }
      for (const version of ['1.0.0', '1.0.1', '2.0.0'])
        await admin.delete(ferryRef('AppTemplate', undefined, `${APP}.${version}`));
      if (operator) expect(await operator.stop()).toBe(0);
      if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
    });

    it("runs as the chart's ServiceAccount, not as the admin", async () => {
      // A SelfSubjectReview through the very kubeconfig file the operator was started with.
      const self = KubeClient.fromDefault(kubeconfig);
      try {
        const review = await self.request<{ status: { userInfo: { username: string; groups: string[] } } }>(
          'POST',
          '/apis/authentication.k8s.io/v1/selfsubjectreviews',
          { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
        );
        expect(review.status.userInfo.username).toBe(`system:serviceaccount:${releaseNs}:${RELEASE}`);
        expect(review.status.userInfo.groups).not.toContain('system:masters');
      } finally {
        self.close();
      }
      expect(operator.child.spawnargs.filter((a) => a === '--kubeconfig')).toHaveLength(1);
      expect(operator.child.spawnargs[operator.child.spawnargs.indexOf('--kubeconfig') + 1]).toBe(kubeconfig);
    });

    it('becomes leader through the Lease in the release namespace and reports ready', async () => {
      const lease = await waitFor('Lease held', async () => {
        const l = await admin.get<Obj>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: releaseNs,
          name: 'ferry-operator-leader',
        });
        return l?.spec?.holderIdentity && l;
      });
      expect(lease.spec.holderIdentity).toContain('_');
      const ready = await fetch(`http://127.0.0.1:${operator.probePort}/readyz`);
      expect(ready.status).toBe(200);
    });

    it('installs, upgrades, rolls back with pruning and deletes an application', async () => {
      await userApply(admin, shopTemplate('1.0.0', APP));
      await userApply(admin, shopTemplate('2.0.0', APP));
      await waitFor('AppTemplate status written', async () => {
        const t = await admin.get<Obj>(ferryRef('AppTemplate', undefined, `${APP}.2.0.0`));
        return t?.status?.conditions?.length > 0;
      });
      await userApply(admin, shopInstall(ns, APP, '1.0.0', { volumeDeletionPolicy: 'Delete' }));
      await waitReady(admin, ns, 1);

      await userApply(admin, {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppUpgrade',
        metadata: { name: 'to-2', namespace: ns },
        spec: { install: 'shop', toVersion: '2.0.0' },
      } as KubeObject);
      await waitReady(admin, ns, 2);
      expect((await getInstall(admin, ns)).spec.version).toBe('2.0.0');
      const reports = await workload(admin, ns, 'reports');
      expect(reports?.spec?.template.spec?.containers[0]?.image).toBe(
        shopTemplate('2.0.0', APP).spec.components.find((c: { name: string }) => c.name === 'reports').image,
      );

      await userApply(admin, {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppRollback',
        metadata: { name: 'back', namespace: ns },
        spec: { install: 'shop', toRevision: 1, pruneAddedComponents: true },
      } as KubeObject);
      await waitReady(admin, ns, 3);
      await waitFor('reports pruned', async () => !(await workload(admin, ns, 'reports')));
      const rollback = await admin.get<Obj>(ferryRef('AppRollback', ns, 'back'));
      expect(rollback!.status).toMatchObject({
        phase: 'Succeeded',
        toRevision: 1,
        revision: 3,
        prunedComponents: ['reports'],
      });
      expect((await revisions(admin, ns)).map((r) => r.spec.revision)).toEqual([1, 2, 3]);

      const events = await admin.list<Obj>(
        { apiVersion: 'v1', kind: 'Event', namespace: ns },
        { fieldSelector: 'source=ferry-operator' },
      );
      // Events are written with the operator's identity too: one per phase change of the install
      expect(
        events.items.map((e) => (e as { involvedObject: { kind: string } }).involvedObject.kind),
      ).toContain('AppInstall');

      const claims = () =>
        admin.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns }).then((l) => l.items);
      expect((await claims()).length).toBeGreaterThan(0);
      await admin.delete(ferryRef('AppInstall', ns, 'shop'));
      await waitFor(
        'AppInstall finalized',
        async () => !(await admin.get(ferryRef('AppInstall', ns, 'shop'))),
      );
      await waitFor('PVCs deleted (volumeDeletionPolicy: Delete)', async () =>
        (await claims()).every((c) => c.metadata?.deletionTimestamp),
      );
    });

    it('rolls the components that use a rotated parameter Secret, and proposes a tracked upgrade', async () => {
      await userApply(admin, asVersion(shopTemplate('1.0.0', APP), '1.0.1'));
      const install = shopInstall(ns, APP, '1.0.0', { upgradePolicy: { track: 'patch' } });
      install.metadata!.name = 'rot';
      await userApply(admin, install);
      await waitReady(admin, ns, 1, 90_000, 'rot');
      // upgradePolicy.track: the AppUpgrade is created with the ServiceAccount's create on appupgrades
      const proposed = await waitFor('tracked AppUpgrade', () =>
        admin.get<Obj>(ferryRef('AppUpgrade', ns, 'rot-track-1.0.1')),
      );
      expect(proposed.spec).toMatchObject({ install: 'rot', toVersion: '1.0.1', approval: 'Manual' });

      const secretRef = { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'shop-secrets' };
      expect((await admin.get(secretRef))!.metadata!.labels).toMatchObject({
        'ferry.dev/parameter-secret': 'true',
      });
      const checksums = async () => {
        const out: Record<string, string> = {};
        for (const [kind, c] of [
          ['StatefulSet', 'db'],
          ['Deployment', 'api'],
          ['Deployment', 'web'],
        ] as const) {
          const w = await admin.get<Obj>({ apiVersion: 'apps/v1', kind, namespace: ns, name: `rot-${c}` });
          out[c] = w!.spec.template.metadata.annotations['ferry.dev/config-checksum'];
        }
        return out;
      };
      const before = await checksums();
      await admin.mergePatch(secretRef, {
        data: { 'db-password': Buffer.from('rotated-pw').toString('base64') },
      });
      const rotated = await waitReady(admin, ns, 2, 90_000, 'rot');
      expect(rotated.status.history[0]).toMatchObject({
        revision: 2,
        cause: 'ParameterChange',
        outcome: 'Succeeded',
      });
      const revision2 = await admin.get<Obj>(ferryRef('AppRevision', ns, 'rot-r2'));
      expect(revision2!.spec.changedParameters).toEqual(['DB_PASSWORD']);
      const after = await checksums();
      expect([after.db !== before.db, after.api !== before.api, after.web === before.web]).toEqual([
        true,
        true,
        true,
      ]);
      const rendered = await admin.get<Obj & { data: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ns,
        name: 'rot-api-secret',
      });
      expect(Buffer.from(rendered!.data['env.DB_PASSWORD']!, 'base64').toString()).toBe('rotated-pw');

      await admin.delete(ferryRef('AppInstall', ns, 'rot'));
      await waitFor(
        'AppInstall rot finalized',
        async () => !(await admin.get(ferryRef('AppInstall', ns, 'rot'))),
      );
    });

    it('syncs an AppMarket with a credentials Secret of the release namespace', async () => {
      const registry = startRegistry({ auth: 'robot:chart-market-pw' });
      const rc = new RegistryClient(registry.address, {
        plainHttp: true,
        credentials: { username: 'robot', password: 'chart-market-pw' },
      });
      const app = `chartmk${Date.now().toString(36)}`;
      const dir = mkdtempSync(join(tmpdir(), 'ferry-e2e-chart-market-'));
      try {
        await pushImage(rc, 'vendor/web', '1.0.0', buildImage([await randomLayer(512)]));
        const file = join(dir, 'pkg.tar');
        await exportPackage({
          templates: [
            {
              ...shopTemplate('1.0.0', app),
              spec: {
                app,
                version: '1.0.0',
                components: [{ name: 'web', image: `${registry.address}/vendor/web:1.0.0` }],
              },
            } as AppTemplate,
          ],
          output: file,
          clientFor: () => rc,
        });
        const store = new MarketStore(rc, parseMarketUrl(`${registry.address}/chart`));
        await pushPackage({ store, packageFile: file });
        await store.writeIndex({
          ...emptyIndex(),
          apps: { [app]: { listed: true, changedAt: '2026-01-01T00:00:00Z' } },
        });
        await admin.create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'market-creds',
            namespace: releaseNs,
            labels: { 'ferry.dev/market-credentials': 'true' },
          },
          type: 'kubernetes.io/basic-auth',
          stringData: { username: 'robot', password: 'chart-market-pw' },
        } as KubeObject);
        await userApply(admin, {
          ...appMarket(app, `${registry.address}/chart`),
          spec: { url: `${registry.address}/chart`, plainHttp: true, secretRef: { name: 'market-creds' } },
        } as KubeObject);
        await waitFor('AppMarket Ready', async () => {
          const m = await admin.get<Obj>(ferryRef('AppMarket', undefined, app));
          const ready = m?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
          return ready?.status === 'True' || notYet(ready);
        });
        expect(await admin.get(ferryRef('AppTemplate', undefined, `${app}.1.0.0`))).toBeDefined();
      } finally {
        await admin.delete(ferryRef('AppMarket', undefined, app));
        await admin.delete(ferryRef('AppTemplate', undefined, `${app}.1.0.0`));
        rc.close();
        registry.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('did all of it without one forbidden request (ferry_kube_api_errors_total{code="403"} is 0)', async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${operator.probePort}/metrics`)).text();
      const errors = apiErrors(metrics);
      // the family is exported, and the operator did write through the client that counts
      expect(metrics).toContain('# TYPE ferry_kube_api_errors_total counter');
      expect(metrics).toMatch(/^ferry_api_writes_total\{verb="PATCH",resource="[^"]+"\} [1-9]/m);
      expect({ forbidden: errors.get('403') ?? 0, errors: Object.fromEntries(errors) }).toMatchObject({
        forbidden: 0,
      });
    });
  });
});

/** ferry_kube_api_errors_total summed by code. */
function apiErrors(metrics: string): Map<string, number> {
  const byCode = new Map<string, number>();
  for (const m of metrics.matchAll(/^ferry_kube_api_errors_total\{code="(\d+)",verb="\w+"\} (\d+)$/gm))
    byCode.set(m[1]!, (byCode.get(m[1]!) ?? 0) + Number(m[2]));
  return byCode;
}
