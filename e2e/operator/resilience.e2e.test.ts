/**
 * All progress lives in resource status: an operator SIGKILLed at random moments of an upgrade and of
 * a rollback resumes and finishes with exactly one revision per change. Two AppUpgrades created at
 * once run one after the other.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  asVersion,
  createShopSecret,
  imageOf,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, sleep, waitFor } from '../support/world.js';

const APP = 'shop-resilience';

describe('operator resilience', () => {
  let client: KubeClient;

  beforeAll(async () => {
    client = kube();
    const v1 = shopTemplate('1.0.0', APP);
    await userApply(client, v1);
    await userApply(client, shopTemplate('2.0.0', APP));
    await userApply(
      client,
      asVersion(
        shopTemplate('2.0.0', APP),
        '3.0.0',
        (spec) => (spec.components[2].image = 'registry.example.com/shop/web:3.0.0'),
      ),
    );
  });
  afterAll(() => client.close());

  /** Keeps killing and restarting the operator until `done` holds; returns how many kills hit an unfinished change. */
  async function killUntil(done: () => Promise<boolean>, minKills: number): Promise<number> {
    let kills = 0;
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      if (await done()) break;
      const operator = await OperatorProcess.start();
      await sleep(Math.floor(Math.random() * 600));
      await operator.kill();
      if (!(await done())) kills++;
    }
    const finisher = await OperatorProcess.start();
    try {
      await waitFor('change finished after the kills', async () => done(), { timeoutMs: 120_000 });
    } finally {
      expect(await finisher.stop()).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(minKills);
    return kills;
  }

  it('finishes an upgrade and a rollback with exactly one revision each across 10+ SIGKILLs', async () => {
    const ns = await createNamespace(client, 'kill');
    await createShopSecret(client, ns);
    // Many replicas make the rollouts long enough to be interrupted at many points.
    const overrides = [
      { component: 'api', replicas: 30 },
      { component: 'web', replicas: 20 },
    ];
    await userApply(client, shopInstall(ns, APP, '1.0.0', { overrides }));
    const starter = await OperatorProcess.start();
    await waitReady(client, ns, 1);
    expect(await starter.stop()).toBe(0);

    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-2', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0' },
    } as KubeObject);
    const upgradeKills = await killUntil(async () => {
      const u = await client.get<Obj>(ferryRef('AppUpgrade', ns, 'to-2'));
      return u?.status?.phase === 'Succeeded';
    }, 5);

    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppRollback',
      metadata: { name: 'back', namespace: ns },
      spec: { install: 'shop' },
    } as KubeObject);
    const rollbackKills = await killUntil(async () => {
      const r = await client.get<Obj>(ferryRef('AppRollback', ns, 'back'));
      return r?.status?.phase === 'Succeeded';
    }, 5);
    process.stderr.write(
      `operator SIGKILLed ${upgradeKills} times during the upgrade, ${rollbackKills} during the rollback\n`,
    );
    expect(upgradeKills + rollbackKills).toBeGreaterThanOrEqual(10);

    const list = await revisions(client, ns);
    expect(list.map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}`)).toEqual([
      '1:Install:Superseded',
      '2:Upgrade:Superseded',
      '3:Rollback:Succeeded',
    ]);
    const install = await waitReady(client, ns, 3);
    expect(install.status.version).toBe('1.0.0');
    const api = await workload(client, ns, 'api');
    expect(imageOf(api)).toBe('registry.example.com/shop/api:1.0.0');
    expect(api!.status).toMatchObject({ replicas: 30, updatedReplicas: 30, availableReplicas: 30 });
  });

  it('runs two AppUpgrades created at once one after the other', async () => {
    const ns = await createNamespace(client, 'serial');
    await createShopSecret(client, ns);
    const operator = await OperatorProcess.start();
    try {
      await userApply(
        client,
        shopInstall(ns, APP, '1.0.0', { overrides: [{ component: 'api', replicas: 8 }] }),
      );
      await waitReady(client, ns, 1);
      const phasesOfSecond = new Set<string>();
      const messagesOfSecond = new Set<string>();
      await Promise.all(
        [
          ['a-to-2', '2.0.0'],
          ['b-to-3', '3.0.0'],
        ].map(([name, toVersion]) =>
          userApply(client, {
            apiVersion: 'ferry.dev/v1alpha1',
            kind: 'AppUpgrade',
            metadata: { name, namespace: ns },
            spec: { install: 'shop', toVersion },
          } as KubeObject),
        ),
      );
      await waitFor(
        'both upgrades Succeeded',
        async () => {
          const [a, b] = await Promise.all(
            ['a-to-2', 'b-to-3'].map((n) => client.get<Obj>(ferryRef('AppUpgrade', ns, n))),
          );
          if (b?.status?.phase) phasesOfSecond.add(b.status.phase);
          if (b?.status?.message) messagesOfSecond.add(b.status.message);
          return a?.status?.phase === 'Succeeded' && b?.status?.phase === 'Succeeded';
        },
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      expect(
        [...messagesOfSecond].some((m) =>
          m.startsWith('waiting: revision 2 (AppUpgrade a-to-2) is in progress'),
        ),
      ).toBe(true);
      const list = await revisions(client, ns);
      expect(list.map((r) => `${r.spec.revision}:${r.spec.version}:${r.spec.causeRef.name}`)).toEqual([
        '1:1.0.0:shop',
        '2:2.0.0:a-to-2',
        '3:3.0.0:b-to-3',
      ]);
      expect(Date.parse(list[2]!.status.startedAt)).toBeGreaterThanOrEqual(
        Date.parse(list[1]!.status.finishedAt),
      );
      const install = await waitReady(client, ns, 3);
      expect(install.spec.version).toBe('3.0.0');
      expect(imageOf(await workload(client, ns, 'web'))).toBe('registry.example.com/shop/web:3.0.0');
    } finally {
      expect(await operator.stop()).toBe(0);
    }
  });
});
