/* eslint-disable @typescript-eslint/no-explicit-any -- reading arbitrary status fields */
/**
 * The scenario Ferry exists for: install shop 1.0.0, the admin adjusts site configuration, 2.0.0
 * arrives and shows up as an available upgrade, a manual AppUpgrade shows its plan, is approved and
 * rolls out in dependency order without dropping availability, site values survive, the PVC is the
 * same volume; then a rollback to revision 1 restores the old images and keeps `reports`.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Sample } from '../support/recorder.js';
import { PodRecorder, WorkloadRecorder, rolledOut, writtenBefore } from '../support/recorder.js';
import type { Obj } from '../support/shop.js';
import {
  condition,
  createShopSecret,
  envOf,
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
import { OperatorProcess, createNamespace, kube, waitFor } from '../support/world.js';

const APP = 'shop-scenario';

describe('shop: install, configure, upgrade, roll back', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  let pvcUid: string;

  beforeAll(async () => {
    client = kube();
    ns = await createNamespace(client, 'scenario');
    await createShopSecret(client, ns);
    operator = await OperatorProcess.start();
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    client.close();
  });

  /** On a failure, what the db StatefulSet went through and what the operator wrote in the namespace. */
  const explainDbRollout = (recorder: WorkloadRecorder) => {
    const samples = recorder
      .of('shop-db')
      .map(
        (x) =>
          `@${x.resourceVersion} gen ${x.generation}/${x.observedGeneration} ${x.updateRevision} ${x.image}`,
      );
    const writes = operator.logs.filter((l) => l.includes(ns) || /apptemplates|AppTemplate/.test(l));
    console.log(
      `db StatefulSet:\n${samples.join('\n')}\noperator (debug):\n${writes.slice(-300).join('\n')}`,
    );
  };

  const pvc = () =>
    client.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: 'shop-db-data' });

  it('installs 1.0.0 and becomes Ready with one Install revision', async () => {
    await userApply(client, shopTemplate('1.0.0', APP));
    await userApply(client, shopInstall(ns, APP));
    const install = await waitReady(client, ns, 1);
    expect(install.status.version).toBe('1.0.0');
    expect(install.status.components.map((c: any) => `${c.name}:${c.state}:${c.availableReplicas}`)).toEqual([
      'db:Ready:1',
      'api:Ready:3',
      'web:Ready:2',
    ]);
    expect(
      (await revisions(client, ns)).map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}`),
    ).toEqual(['1:Install:Succeeded']);
    const api = await workload(client, ns, 'api');
    expect(envOf(api)).toMatchObject({ DB_HOST: `shop-db.${ns}.svc`, DB_PORT: '5432', LOG_LEVEL: 'info' });
    const claim = await pvc();
    expect(claim?.metadata?.ownerReferences).toBeUndefined();
    pvcUid = claim!.metadata!.uid!;
  });

  it("applies the admin's env and config file overrides as a ConfigChange revision", async () => {
    await userApply(
      client,
      shopInstall(ns, APP, '1.0.0', {
        overrides: [
          { component: 'api', env: [{ name: 'LOG_LEVEL', value: 'debug' }] },
          { component: 'db', configFiles: [{ name: 'postgresql.conf', content: 'max_connections = 300\n' }] },
        ],
      }),
    );
    await waitReady(client, ns, 2);
    expect(envOf(await workload(client, ns, 'api')).LOG_LEVEL).toBe('debug');
    const config = await client.get<Obj & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'shop-db-config',
    });
    expect(config!.data['postgresql.conf']).toBe('max_connections = 300\n');
    expect((await revisions(client, ns)).map((r) => `${r.spec.revision}:${r.spec.cause}`)).toEqual([
      '1:Install',
      '2:ConfigChange',
    ]);
  });

  it('lists 2.0.0 in availableUpgrades once its template exists', async () => {
    await userApply(client, shopTemplate('2.0.0', APP));
    await waitFor('availableUpgrades = [2.0.0]', async () => {
      const install = await getInstall(client, ns);
      return JSON.stringify(install.status?.availableUpgrades) === '["2.0.0"]';
    });
  });

  let upgrade: Obj;
  it('plans a manual AppUpgrade: reports added, images changed, env defaults not applied', async () => {
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-2', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0', approval: 'Manual' },
    } as KubeObject);
    upgrade = await waitFor('AppUpgrade WaitingForApproval', async () => {
      const u = await client.get<Obj>(ferryRef('AppUpgrade', ns, 'to-2'));
      return u?.status?.phase === 'WaitingForApproval' && u;
    });
    const plan = upgrade.status.plan;
    expect(plan.levels).toEqual([['db'], ['api'], ['web', 'reports']]);
    expect(plan.components.map((c: any) => `${c.name}:${c.change}`)).toEqual([
      'db:Changed',
      'api:Changed',
      'web:Changed',
      'reports:Added',
    ]);
    const apiPatch = plan.components.find((c: any) => c.name === 'api').patch;
    expect(apiPatch).toContainEqual({
      op: 'replace',
      path: '/image',
      previous: '"registry.example.com/shop/api:1.0.0"',
      value: '"registry.example.com/shop/api:2.0.0"',
    });
    expect(
      plan.notApplied.map((n: any) => `${n.component}/${n.kind}/${n.name}:${n.installed}->${n.template}`),
    ).toEqual([
      'db/ConfigFile/postgresql.conf:max_connections = 100\nshared_buffers = 128MB\n->max_connections = 200\nshared_buffers = 256MB\n',
      'api/Env/LOG_LEVEL:info->warn',
      'api/Env/CACHE_TTL_SECONDS:60->300',
      'web/Env/THEME:classic->modern',
    ]);
    expect(imageOf(await workload(client, ns, 'api'))).toBe('registry.example.com/shop/api:1.0.0');
    expect(await revisions(client, ns)).toHaveLength(2);
  });

  it('rolls out in dependency order without dropping below replicas - maxUnavailable, keeping site values', async () => {
    const recorder = new WorkloadRecorder(client, ns);
    const pods = new PodRecorder(client, ns);
    await recorder.start();
    await pods.start();
    await client.mergePatch(ferryRef('AppUpgrade', ns, 'to-2'), { spec: { approved: true } });
    try {
      await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', {
        timeoutMs: 300_000,
        stallMs: 90_000,
      });
    } finally {
      await recorder.stop();
      await pods.stop();
    }
    // Dependency order, from the pods: a dependent's new pods are created only after every new pod of
    // its dependency is Ready (old pods still stopping do not hold them).
    if (pods.orderViolations('db', 'api').length) explainDbRollout(recorder);
    expect(pods.orderViolations('db', 'api')).toEqual([]);
    expect(pods.orderViolations('api', 'web')).toEqual([]);
    expect(pods.orderViolations('api', 'reports')).toEqual([]);
    expect(pods.created('api')).toHaveLength(3);

    const install = await waitReady(client, ns, 3);
    expect(install.spec.version).toBe('2.0.0');
    expect(install.status.version).toBe('2.0.0');

    // Every component's last observed state is the new version, completely rolled out.
    const images = {
      'shop-db': 'registry.example.com/shop/db:1.0.1',
      'shop-api': 'registry.example.com/shop/api:2.0.0',
      'shop-web': 'registry.example.com/shop/web:2.0.0',
      'shop-reports': 'registry.example.com/shop/reports:2.0.0',
    };
    for (const [name, image] of Object.entries(images)) {
      const last = recorder.of(name).at(-1);
      expect({ name, image: last?.image, rolledOut: last && rolledOut(last) }).toEqual({
        name,
        image,
        rolledOut: true,
      });
    }

    // ... and from the workloads: a level's workloads change only after every workload of the
    // previous level has completely rolled out (not merely received its new spec).
    const done = (name: keyof typeof images) => recorder.firstRolledOut(name, images[name])!;
    const changed = (name: keyof typeof images) => recorder.firstWith(name, images[name])!;
    const before = (first: Sample, then: Sample) =>
      `${first.name}@${first.resourceVersion} ${writtenBefore(first, then) ? '<' : '>='} ${then.name}@${then.resourceVersion}`;
    expect(before(done('shop-db'), changed('shop-api'))).toMatch(/ < /);
    expect(before(done('shop-api'), changed('shop-web'))).toMatch(/ < /);
    expect(before(done('shop-api'), changed('shop-reports'))).toMatch(/ < /);

    // Availability never fell below replicas - maxUnavailable (api: maxUnavailable 0; web: 25% of 2 = 0).
    expect(Math.min(...recorder.of('shop-api').map((s) => s.available))).toBe(3);
    expect(Math.min(...recorder.of('shop-web').map((s) => s.available))).toBe(2);
    expect(recorder.of('shop-api').length).toBeGreaterThan(3);

    // Site configuration survived; new values arrived with their defaults.
    expect(envOf(await workload(client, ns, 'api'))).toMatchObject({
      LOG_LEVEL: 'debug',
      CACHE_TTL_SECONDS: '60',
      REPORTS_ENABLED: 'true',
    });
    expect(envOf(await workload(client, ns, 'web')).THEME).toBe('classic');
    const config = await client.get<Obj & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'shop-db-config',
    });
    expect(config!.data['postgresql.conf']).toBe('max_connections = 300\n');
    expect(imageOf(await workload(client, ns, 'reports'))).toBe('registry.example.com/shop/reports:2.0.0');
    expect((await pvc())!.metadata!.uid).toBe(pvcUid);
  });

  it('rolls back to revision 1: old images back, reports kept and listed, same PVC', async () => {
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppRollback',
      metadata: { name: 'back-to-1', namespace: ns },
      spec: { install: 'shop', toRevision: 1 },
    } as KubeObject);
    const rollback = await waitPhase(client, 'AppRollback', ns, 'back-to-1', 'Succeeded', {
      timeoutMs: 300_000,
      stallMs: 90_000,
    });
    expect(rollback.status.revision).toBe(4);
    expect(rollback.status.retainedComponents).toEqual(['reports']);
    const install = await waitReady(client, ns, 4);
    expect(install.status.version).toBe('1.0.0');
    expect(install.spec.version).toBe('1.0.0');
    expect(install.status.retainedComponents).toEqual(['reports']);
    expect(install.status.components.map((c: any) => `${c.name}:${c.state}`)).toEqual([
      'db:Ready',
      'api:Ready',
      'web:Ready',
      'reports:Retained',
    ]);
    expect(condition(install, 'Ready')!.reason).toBe('RollbackSucceeded');
    for (const [component, image] of [
      ['db', 'registry.example.com/shop/db:1.0.0'],
      ['api', 'registry.example.com/shop/api:1.0.0'],
      ['web', 'registry.example.com/shop/web:1.0.0'],
      ['reports', 'registry.example.com/shop/reports:2.0.0'],
    ]) {
      expect(imageOf(await workload(client, ns, component!))).toBe(image);
    }
    // The site's current overrides still apply after the rollback.
    expect(envOf(await workload(client, ns, 'api')).LOG_LEVEL).toBe('debug');
    expect((await pvc())!.metadata!.uid).toBe(pvcUid);
    expect(
      (await revisions(client, ns)).map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}`),
    ).toEqual([
      '1:Install:Superseded',
      '2:ConfigChange:Superseded',
      '3:Upgrade:Superseded',
      '4:Rollback:Succeeded',
    ]);
    expect(install.status.history.map((h: any) => h.revision)).toEqual([4, 3, 2, 1]);
  });
});
