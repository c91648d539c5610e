/* eslint-disable @typescript-eslint/no-explicit-any -- reading arbitrary status fields */
/**
 * Upgrade steps (hooks) on the local cluster, where the real Job controller runs the Jobs and KWOK
 * plays their pods (e2e/kwok/stages.yaml: a Job's pod succeeds, or fails with exit code 1 when its
 * image is example.invalid/ferry/hook-fails:1.0, or runs forever when it is never-ready). KWOK pods
 * have no log, so the revisions record "no log".
 */
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
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

const APP = 'shop-hooks';
const HOOK_FAILS = 'example.invalid/ferry/hook-fails:1.0';
const NEVER_ENDS = 'example.invalid/ferry/never-ready:1.0';

/** The ferry CLI of this build, as a site admin runs it; its stdout, failing on a non-zero exit. */
async function ferryCli(...args: string[]): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'scripts', 'node'), [
    join(repoRoot, 'dist', 'ferry', 'main.js'),
    ...args,
    '--kubeconfig',
    world.kubeconfig,
  ]);
  return stdout;
}

const request = (kind: 'AppUpgrade' | 'AppRollback', ns: string, name: string, spec: object) =>
  ({ apiVersion: 'ferry.dev/v1alpha1', kind, metadata: { name, namespace: ns }, spec }) as KubeObject;

describe('hooks', () => {
  let client: KubeClient;
  let operator: OperatorProcess;

  beforeAll(async () => {
    client = kube();
    operator = await OperatorProcess.start();
    // 1.0.0 declares a Rollback hook: it runs when a rollback restores 1.0.0, never on install.
    await userApply(
      client,
      shopTemplate('1.0.0', APP, (spec) => {
        spec.hooks = [
          {
            name: 'restore',
            component: 'api',
            phase: 'Pre',
            causes: ['Rollback'],
            image: 'registry.example.com/shop/api:1.0.0',
            args: ['restore'],
          },
        ];
      }),
    );
    const v2 = shopTemplate('2.0.0', APP); // its migrate hook runs before api
    await userApply(client, v2);
    await userApply(
      client,
      asVersion(v2, '2.1.0', (spec) => {
        spec.hooks[0].image = HOOK_FAILS;
        spec.components[1].image = 'registry.example.com/shop/api:2.1.0';
      }),
    );
    await userApply(
      client,
      asVersion(v2, '2.2.0', (spec) => {
        spec.hooks[0].image = NEVER_ENDS;
        spec.hooks[0].activeDeadlineSeconds = 5;
      }),
    );
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    client.close();
  });

  const job = (ns: string, name: string) =>
    client.get<Obj>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name });
  const hookJobs = async (ns: string) =>
    (await client.list<Obj>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns })).items
      .map((j) => j.metadata!.name)
      .sort();

  it('runs the migration once between db and api, records it, fails and rolls back on a failing one, and runs the restored version’s Rollback hook', async () => {
    const ns = await createNamespace(client, 'hooks');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '1.0.0', { upgradePolicy: { autoRollback: true } }));
    await waitReady(client, ns, 1);
    expect(await hookJobs(ns)).toEqual([]); // restore is a Rollback hook

    // The plan shows the hook before api's level.
    await userApply(client, request('AppUpgrade', ns, 'to-2', { install: 'shop', toVersion: '2.0.0' }));
    const upgrade = await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', { stallMs: 60_000 });
    expect(upgrade.status.plan.hooks).toEqual([
      {
        name: 'migrate',
        component: 'api',
        phase: 'Pre',
        level: 1,
        image: 'registry.example.com/shop/api:2.0.0',
      },
    ]);
    let list = await revisions(client, ns);
    expect(list[1]!.status.hooks).toEqual([
      expect.objectContaining({
        name: 'migrate',
        job: 'shop-r2-migrate',
        state: 'Succeeded',
        exitCode: 0,
        log: 'no log',
      }),
    ]);
    const migrate = (await job(ns, 'shop-r2-migrate'))!;
    expect(migrate.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'AppRevision', name: 'shop-r2', uid: list[1]!.metadata!.uid }),
    ]);
    expect(migrate.status).toMatchObject({ succeeded: 1 });
    expect(migrate.status.failed ?? 0).toBe(0);
    // In order: db's new pods before the Job, the Job done before api's new ReplicaSet.
    const hook = list[1]!.status.hooks[0];
    const rowOf = (name: string) => list[1]!.status.components.find((c: any) => c.name === name);
    expect(Date.parse(rowOf('db').finishedAt)).toBeLessThanOrEqual(Date.parse(hook.startedAt));
    expect(Date.parse(hook.finishedAt)).toBeLessThanOrEqual(Date.parse(rowOf('api').startedAt));
    // Its pod got api's environment: the injected address and the password from api's Secret.
    const env = migrate.spec.template.spec.containers[0].env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'DB_HOST', value: `shop-db.${ns}.svc` },
        { name: 'MIGRATION_TARGET', value: '2.0.0' },
        {
          name: 'DB_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'shop-api-secret', key: 'env.DB_PASSWORD' } },
        },
      ]),
    );

    // 2.1.0's migration fails (exit code 1): api is never touched, the change fails and is rolled back.
    await userApply(client, request('AppUpgrade', ns, 'to-2-1', { install: 'shop', toVersion: '2.1.0' }));
    const failed = await waitPhase(client, 'AppUpgrade', ns, 'to-2-1', 'RolledBack', {
      timeoutMs: 150_000,
      stallMs: 60_000,
    });
    expect(failed.status.message).toMatch(
      /^hook migrate \(before api\) failed: Job shop-r3-migrate failed \(BackoffLimitExceeded: .*\), exit code 1.*rolled back to revision 2 as revision 4/,
    );
    list = await revisions(client, ns);
    expect(
      list.map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}:${r.status.reason ?? ''}`),
    ).toEqual([
      '1:Install:Superseded:',
      '2:Upgrade:Superseded:',
      '3:Upgrade:Failed:HookFailed',
      '4:Rollback:Succeeded:',
    ]);
    expect(list[2]!.status.hooks[0]).toMatchObject({ state: 'Failed', exitCode: 1, log: 'no log' });
    // What a site admin reads: the list names each revision's hook Jobs, one revision shows them in full.
    const history = await ferryCli('history', 'shop', '-n', ns);
    expect(history).toMatch(/\n3 +2\.1\.0 +Upgrade +Failed .*hooks: migrate Failed \(exit 1\)/);
    expect(history).toMatch(/\n2 +2\.0\.0 +Upgrade +Superseded .*hooks: migrate Succeeded \(exit 0\)/);
    const third = await ferryCli('history', 'shop', '-n', ns, '--revision', '3');
    expect(third).toContain('Outcome:   Failed (HookFailed)');
    expect(third).toContain('migrate: Failed, before level 2 (api), Job shop-r3-migrate, exit code 1');
    expect(third).toContain('    | no log');
    expect(list[3]!.status).not.toHaveProperty('hooks'); // 2.0.0 declares no Rollback hook
    expect(imageOf(await workload(client, ns, 'api'))).toBe('registry.example.com/shop/api:2.0.0');

    // Rolling back to 1.0.0 runs 1.0.0's restore hook, before api goes back.
    await userApply(client, request('AppRollback', ns, 'to-1', { install: 'shop', toRevision: 1 }));
    await waitPhase(client, 'AppRollback', ns, 'to-1', 'Succeeded', { stallMs: 60_000 });
    list = await revisions(client, ns);
    expect(list[4]!.status.hooks).toEqual([
      expect.objectContaining({ name: 'restore', job: 'shop-r5-restore', state: 'Succeeded', exitCode: 0 }),
    ]);
    expect((await job(ns, 'shop-r5-restore'))!.spec.template.spec.containers[0].args).toEqual(['restore']);
    expect(await hookJobs(ns)).toEqual(['shop-r2-migrate', 'shop-r3-migrate', 'shop-r5-restore']);
    expect(imageOf(await workload(client, ns, 'api'))).toBe('registry.example.com/shop/api:1.0.0');
  });

  it('fails an install whose hook misses its activeDeadlineSeconds (nothing after it is applied); moving it to 2.0.0 runs that version’s migration', async () => {
    const ns = await createNamespace(client, 'hooks-deadline');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '2.2.0'));
    const install = await waitFor(
      'install failed by its hook',
      async () => {
        const i = await getInstall(client, ns);
        const ready = condition(i, 'Ready');
        return ready?.reason === 'InstallFailed' ? i : notYet({ ready, status: i?.status?.revision });
      },
      { timeoutMs: 90_000 },
    );
    expect(condition(install, 'Stalled')).toMatchObject({ status: 'True', reason: 'HookDeadlineExceeded' });
    const [r1] = await revisions(client, ns);
    expect(r1!.status).toMatchObject({ outcome: 'Failed', reason: 'HookDeadlineExceeded' });
    expect(r1!.status.message).toMatch(
      /^hook migrate \(before api\) failed: Job shop-r1-migrate failed \(DeadlineExceeded: /,
    );
    expect(r1!.status.components.map((c: any) => `${c.name}:${c.state}`)).toEqual([
      'db:Ready',
      'api:Pending',
      'web:Pending',
      'reports:Pending',
    ]);
    expect(await workload(client, ns, 'api')).toBeUndefined();

    // The same install moved to 2.0.0 (a spec change: an upgrade from the failed install) migrates.
    await userApply(client, shopInstall(ns, APP, '2.0.0'));
    await waitReady(client, ns, 2, 90_000);
    const list = await revisions(client, ns);
    expect(list[1]!.status.hooks[0]).toMatchObject({ job: 'shop-r2-migrate', state: 'Succeeded' });
  });
});
