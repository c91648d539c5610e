/**
 * The GitOps path (spec.version edited in git and synced), no-op reconciles that write nothing,
 * invalid input reported with the field at fault and nothing changed, and deletion that keeps data.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { KubeApiError, ferryRef } from '../../src/kube/client.js';
import { resourceOfPath } from '../../src/controller/runtime/metrics.js';
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
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, sleep, waitFor } from '../support/world.js';

const APP = 'shop-gitops';

describe('GitOps, no-op reconciles, invalid input, deletion', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;

  beforeAll(async () => {
    client = kube();
    await userApply(client, shopTemplate('1.0.0', APP));
    await userApply(client, shopTemplate('2.0.0', APP));
    await userApply(
      client,
      asVersion(shopTemplate('1.0.0', APP), '9.0.0', (spec) => (spec.components[0].dependsOn = ['web'])),
    );
    operator = await OperatorProcess.start(['--resync', '2']);
    ns = await createNamespace(client, 'gitops');
    await createShopSecret(client, ns);
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    client.close();
  });

  /** Every object of the namespace as `kind/namespace/name@resourceVersion`, sorted: a created,
   * deleted or changed object all show as a difference. */
  async function objectVersions(): Promise<string[]> {
    const kinds = [
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'PersistentVolumeClaim'],
      ['ferry.dev/v1alpha1', 'AppInstall'],
      ['ferry.dev/v1alpha1', 'AppRevision'],
      ['v1', 'Event'],
    ];
    const out: string[] = [];
    for (const [apiVersion, kind] of kinds) {
      const list = await client.list({ apiVersion: apiVersion!, kind: kind!, namespace: ns });
      for (const o of list.items)
        out.push(`${kind}/${o.metadata!.namespace}/${o.metadata!.name}@${o.metadata!.resourceVersion}`);
    }
    return out.sort();
  }

  async function apiWrites(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${operator.probePort}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('ferry_api_writes_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  /** ferry_api_writes_total by `verb resource` (e.g. `PATCH appinstalls/status`). */
  async function writesByResource(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${operator.probePort}/metrics`)).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^ferry_api_writes_total\{verb="(\w+)",resource="([^"]+)"\} (\d+)$/gm))
      out.set(`${m[1]} ${m[2]}`, Number(m[3]));
    return out;
  }

  /**
   * The writes the operator logged (its debug "api write" lines) into one namespace, from log line
   * `from` on, by `verb resource` as /metrics labels them. The operator watches the whole cluster, and
   * installs that other suites left behind may write at any moment: /metrics alone cannot tell whose
   * writes it counted.
   */
  function writesIn(namespace: string, from: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const line of operator.logs.slice(from)) {
      if (!line.includes('"msg":"api write"')) continue;
      const { method, path } = JSON.parse(line) as { method: string; path: string };
      if (!path.includes(`/namespaces/${namespace}/`)) continue;
      const key = `${method} ${resourceOfPath(path)}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
    return out;
  }

  async function quiet(): Promise<void> {
    let before = await apiWrites();
    await waitFor(
      'the operator to go quiet',
      async () => {
        await sleep(3000);
        const now = await apiWrites();
        const still = now === before;
        before = now;
        return still;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
  }

  it('writes at most 10 requests (Events aside) for a fresh 3-component install: its objects and its records', async () => {
    // the shape of the operator benchmark's app: db <- api <- web, a Service and a Deployment each
    const component = (name: string, port: number, dependsOn: string[]) => ({
      name,
      image: `registry.example.com/writes/${name}:1.0.0`,
      replicas: 1,
      ports: [{ name: 'http', port }],
      dependsOn,
    });
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppTemplate',
      metadata: { name: 'writes.1.0.0' },
      spec: {
        app: 'writes',
        version: '1.0.0',
        components: [
          component('db', 5432, []),
          component('api', 8080, ['db']),
          component('web', 80, ['api']),
        ],
      },
    } as KubeObject);
    const wns = await createNamespace(client, 'writes');
    await quiet();
    const before = await writesByResource();
    const fromLine = operator.logs.length;
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppInstall',
      metadata: { name: 'app', namespace: wns },
      spec: { app: 'writes', version: '1.0.0' },
    } as KubeObject);
    await waitReady(client, wns, 1, 90_000, 'app');
    await quiet();
    const writes = Object.fromEntries(writesIn(wns, fromLine));
    // /metrics counted each of them (and maybe writes of other suites' installs besides)
    const counted = await writesByResource();
    const uncounted = Object.entries(writes).filter(
      ([key, n]) => (counted.get(key) ?? 0) - (before.get(key) ?? 0) < n,
    );
    expect(uncounted).toEqual([]);
    // the floor's 6 applies, the revision, its record at the end, the install's status at the start
    // and at Ready; no finalizer (volumeDeletionPolicy Retain), no progress in between
    expect(writes).toEqual({
      'PATCH services': 3,
      'PATCH deployments': 3,
      'POST apprevisions': 1,
      'PATCH apprevisions/status': 1,
      'PATCH appinstalls/status': 2,
      'POST events': 2,
    });
    const total = Object.entries(writes).reduce((n, [k, v]) => n + (k.endsWith(' events') ? 0 : v), 0);
    expect(total).toBeLessThanOrEqual(10);
  });

  it('upgrades when spec.version is edited, and re-applying the same manifest writes nothing', async () => {
    await userApply(client, shopInstall(ns, APP, '1.0.0'));
    await waitReady(client, ns, 1);
    await userApply(client, shopInstall(ns, APP, '2.0.0'));
    const install = await waitReady(client, ns, 2);
    expect(install.status.version).toBe('2.0.0');
    const [, upgrade] = await revisions(client, ns);
    expect(upgrade!.spec).toMatchObject({
      cause: 'Upgrade',
      version: '2.0.0',
      causeRef: { kind: 'AppInstall', name: 'shop' },
    });
    expect(imageOf(await workload(client, ns, 'reports'))).toBe('registry.example.com/shop/reports:2.0.0');

    // The rollout's last status updates first: wait until the operator has written nothing for 3s.
    let writesBefore = await apiWrites();
    await waitFor(
      'the operator to go quiet',
      async () => {
        await sleep(3000);
        const now = await apiWrites();
        const quiet = now === writesBefore;
        writesBefore = now;
        return quiet;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
    const before = await objectVersions();
    const logLines = operator.logs.length;
    await userApply(client, shopInstall(ns, APP, '2.0.0'));
    await sleep(6000); // three resync periods of 2s
    expect(await objectVersions()).toEqual(before);
    // none in this namespace (other suites' installs, which this operator also watches, may write)
    expect([...writesIn(ns, logLines)]).toEqual([]);
  });

  it('refuses a version that is not SemVer at the API server', async () => {
    const error = await userApply(client, shopInstall(ns, APP, '2.0')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).toContain('spec.version');
    expect((await getInstall(client, ns)).spec.version).toBe('2.0.0');
  });

  const stalledWith = (reason: string) =>
    waitFor(`Stalled ${reason}`, async () => {
      const install = await getInstall(client, ns);
      const stalled = condition(install, 'Stalled');
      return (
        stalled?.status === 'True' &&
        stalled.reason === reason &&
        install.status.observedGeneration === install.metadata!.generation &&
        install
      );
    });

  /**
   * The same objects as `before`, unchanged — except the AppInstall the test edits (same object, new
   * resourceVersion) and Events (the operator reports the problems with new ones).
   */
  async function expectNothingChanged(before: string[]) {
    const comparable = (list: string[]) =>
      list
        .filter((o) => !o.startsWith('Event/'))
        .map((o) => (o.startsWith('AppInstall/') ? o.replace(/@.*$/, '') : o));
    expect(comparable(await objectVersions())).toEqual(comparable(before));
    expect((await revisions(client, ns)).map((r) => r.spec.revision)).toEqual([1, 2]);
  }

  it('reports an unknown component in overrides, an unknown version and a template with a cycle as Stalled, changing nothing', async () => {
    const before = await objectVersions();

    await userApply(
      client,
      shopInstall(ns, APP, '2.0.0', { overrides: [{ component: 'cache', replicas: 2 }] }),
    );
    let install = await stalledWith('InvalidSpec');
    expect(condition(install, 'Stalled')!.message).toContain(
      'spec.overrides[0].component: unknown component "cache"',
    );
    expect(condition(install, 'Ready')!.message).toContain('shop-gitops 2.0.0 (revision 2) keeps running');

    await userApply(client, shopInstall(ns, APP, '7.7.7'));
    install = await stalledWith('TemplateNotFound');
    expect(condition(install, 'Stalled')!.message).toContain(
      'spec.version: AppTemplate shop-gitops.7.7.7 not found (available versions of shop-gitops: 1.0.0, 2.0.0)',
    );

    await waitFor('template 9.0.0 marked invalid', async () => {
      const t = await client.get<Obj>(ferryRef('AppTemplate', undefined, `${APP}.9.0.0`));
      return (
        condition(t, 'Valid')?.status === 'False' &&
        condition(t, 'Valid')!.message.includes('dependency cycle: db -> web -> api -> db')
      );
    });
    await userApply(client, shopInstall(ns, APP, '9.0.0'));
    await stalledWith('TemplateInvalid');

    await expectNothingChanged(before);
    await userApply(client, shopInstall(ns, APP, '2.0.0'));
    const back = await waitReady(client, ns, 2);
    expect(condition(back, 'Stalled')).toBeUndefined();
    await expectNothingChanged(before);
  });

  it('reports a missing required parameter without creating anything', async () => {
    const other = await createNamespace(client, 'noparam');
    const manifest = shopInstall(other, APP, '1.0.0');
    manifest.spec.parameters = [{ name: 'PUBLIC_URL', value: 'x' }];
    await userApply(client, manifest);
    const install = await waitFor('Stalled InvalidSpec', async () => {
      const i = await getInstall(client, other);
      return condition(i, 'Stalled')?.reason === 'InvalidSpec' && i;
    });
    expect(condition(install, 'Stalled')!.message).toContain(
      'spec.parameters: required parameter "DB_PASSWORD" has no value',
    );
    expect(await revisions(client, other)).toEqual([]);
    expect(await workload(client, other, 'api')).toBeUndefined();
  });

  it('waits for a missing parameter Secret, then installs once it exists', async () => {
    const other = await createNamespace(client, 'nosecret');
    await userApply(client, shopInstall(other, APP, '1.0.0'));
    const install = await waitFor('Ready=False ParameterSecretNotFound', async () => {
      const i = await getInstall(client, other);
      return condition(i, 'Ready')?.reason === 'ParameterSecretNotFound' && i;
    });
    expect(condition(install, 'Ready')!.message).toContain(
      `spec.parameters[DB_PASSWORD].valueFrom.secretKeyRef: Secret ${other}/shop-secrets not found`,
    );
    expect(condition(install, 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'ParameterSecretNotFound',
    });
    expect(condition(install, 'Stalled')).toBeUndefined();
    expect(await revisions(client, other)).toEqual([]);
    await createShopSecret(client, other);
    await waitReady(client, other, 1, 60_000);
  });

  it('keeps PVCs when an install is deleted, unless volumeDeletionPolicy is Delete', async () => {
    const retainNs = await createNamespace(client, 'retain');
    const deleteNs = await createNamespace(client, 'delete');
    for (const [namespace, policy] of [
      [retainNs, 'Retain'],
      [deleteNs, 'Delete'],
    ] as const) {
      await createShopSecret(client, namespace);
      await userApply(client, shopInstall(namespace, APP, '1.0.0', { volumeDeletionPolicy: policy }));
      await waitReady(client, namespace, 1);
      await client.delete(ferryRef('AppInstall', namespace, 'shop'));
    }
    const pvc = (namespace: string) =>
      client.get<KubeObject>({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace,
        name: 'shop-db-data',
      });
    for (const namespace of [retainNs, deleteNs]) {
      await waitFor(`install and workloads gone in ${namespace}`, async () => {
        const gone = !(await client.get(ferryRef('AppInstall', namespace, 'shop')));
        const revisionsLeft = (await revisions(client, namespace)).length;
        const workloadsLeft =
          (await workload(client, namespace, 'api')) ?? (await workload(client, namespace, 'db'));
        return gone && revisionsLeft === 0 && !workloadsLeft;
      });
    }
    expect(await pvc(retainNs)).toBeDefined();
    await waitFor('PVC deleted with policy Delete', async () => {
      const claim = await pvc(deleteNs);
      return !claim || Boolean(claim.metadata?.deletionTimestamp);
    });
  });
});
