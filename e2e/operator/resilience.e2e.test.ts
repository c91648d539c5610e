/**
 * All progress lives in resource status: an operator SIGKILLed at random moments of an upgrade and of
 * a rollback resumes and finishes with exactly one revision per change. AppUpgrades created in the same
 * second run one after the other in creation order, whatever their names.
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
  waitPhase,
  waitReady,
  workload,
} from '../support/shop.js';
import {
  Budget,
  OperatorProcess,
  createNamespace,
  fatal,
  kube,
  notYet,
  sleep,
  waitFor,
} from '../support/world.js';

const APP = 'shop-resilience';
const NEVER_READY = 'example.invalid/ferry/never-ready:1.0';
const KILL_TEST_MS = 600_000;
const ORDER_TEST_MS = 300_000;

describe('operator resilience', () => {
  let client: KubeClient;

  beforeAll(async () => {
    client = kube();
    const v1 = shopTemplate('1.0.0', APP);
    await userApply(client, v1);
    await userApply(
      client,
      asVersion(v1, '1.1.0', (spec) => (spec.components[1].image = NEVER_READY)),
    );
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
  afterAll(async () => {
    // A test Jest aborted at its timeout leaves its operators running; none may outlive the suite.
    const left = await OperatorProcess.killAll();
    client.close();
    expect(left).toBe(0);
  });

  const phaseOf = async (kind: 'AppUpgrade' | 'AppRollback', ns: string, name: string) => {
    const status = (await client.get<Obj>(ferryRef(kind, ns, name)))?.status;
    if (status?.phase === 'Failed' || status?.phase === 'RolledBack')
      fatal(`${kind} ${name} ended ${status.phase}: ${status.message}`);
    return status?.phase === 'Succeeded';
  };

  /**
   * Keeps killing and restarting the operator until `done` holds or `killForMs` is over, then lets one
   * operator finish the change (within what is left of the budget, failing early without progress).
   * Returns how many kills hit an unfinished change.
   */
  async function killUntil(
    what: { kind: 'AppUpgrade' | 'AppRollback'; ns: string; name: string },
    budget: Budget,
    { killForMs, reserveMs }: { killForMs: number; reserveMs: number },
  ): Promise<number> {
    const done = () => phaseOf(what.kind, what.ns, what.name);
    let kills = 0;
    const stopKillingAt = Date.now() + Math.min(killForMs, budget.left(reserveMs));
    while (Date.now() < stopKillingAt && !(await done())) {
      const operator = await OperatorProcess.start([], { timeoutMs: Math.min(60_000, budget.left()) });
      await sleep(Math.floor(Math.random() * 600));
      await operator.kill();
      if (!(await done())) kills++;
    }
    const finisher = await OperatorProcess.start([], { timeoutMs: Math.min(60_000, budget.left()) });
    try {
      await waitPhase(client, what.kind, what.ns, what.name, 'Succeeded', {
        timeoutMs: budget.left(reserveMs),
        stallMs: 90_000,
      });
    } finally {
      expect(await finisher.stop()).toBe(0);
    }
    return kills;
  }

  it(
    'finishes an upgrade and a rollback with exactly one revision each across 10+ SIGKILLs',
    async () => {
      const budget = new Budget(KILL_TEST_MS);
      const ns = await createNamespace(client, 'kill');
      await createShopSecret(client, ns);
      // Many replicas make the rollouts long enough to be interrupted at many points.
      const overrides = [
        { component: 'api', replicas: 30 },
        { component: 'web', replicas: 20 },
      ];
      await userApply(client, shopInstall(ns, APP, '1.0.0', { overrides }));
      const starter = await OperatorProcess.start();
      try {
        await waitReady(client, ns, 1, budget.left(KILL_TEST_MS / 2), 'shop', { stallMs: 90_000 });
      } finally {
        expect(await starter.stop()).toBe(0);
      }

      await userApply(client, {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppUpgrade',
        metadata: { name: 'to-2', namespace: ns },
        spec: { install: 'shop', toVersion: '2.0.0' },
      } as KubeObject);
      const upgradeKills = await killUntil({ kind: 'AppUpgrade', ns, name: 'to-2' }, budget, {
        killForMs: 150_000,
        reserveMs: budget.left() / 2,
      });

      await userApply(client, {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppRollback',
        metadata: { name: 'back', namespace: ns },
        spec: { install: 'shop' },
      } as KubeObject);
      const rollbackKills = await killUntil({ kind: 'AppRollback', ns, name: 'back' }, budget, {
        killForMs: 150_000,
        reserveMs: 20_000,
      });
      process.stderr.write(
        `operator SIGKILLed ${upgradeKills} times during the upgrade, ${rollbackKills} during the rollback\n`,
      );
      expect(upgradeKills).toBeGreaterThanOrEqual(5);
      expect(rollbackKills).toBeGreaterThanOrEqual(5);

      const list = await revisions(client, ns);
      expect(list.map((r) => `${r.spec.revision}:${r.spec.cause}:${r.status.outcome}`)).toEqual([
        '1:Install:Superseded',
        '2:Upgrade:Superseded',
        '3:Rollback:Succeeded',
      ]);
      const api = await workload(client, ns, 'api');
      expect(imageOf(api)).toBe('registry.example.com/shop/api:1.0.0');
      expect(api!.status).toMatchObject({ replicas: 30, updatedReplicas: 30, availableReplicas: 30 });

      // 2.0.0's migration hook ran exactly once across the kills: one Job, one pod that succeeded.
      expect(list[1]!.status.hooks).toEqual([
        expect.objectContaining({ name: 'migrate', job: 'shop-r2-migrate', state: 'Succeeded', exitCode: 0 }),
      ]);
      const jobs = await client.list<Obj>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns });
      expect(jobs.items.map((j) => j.metadata!.name)).toEqual(['shop-r2-migrate']);
      expect(jobs.items[0]!.status).toMatchObject({ succeeded: 1 });
      const pods = await client.list<Obj>(
        { apiVersion: 'v1', kind: 'Pod', namespace: ns },
        { labelSelector: 'batch.kubernetes.io/job-name=shop-r2-migrate' },
      );
      expect(pods.items.map((p) => p.status.phase)).toEqual(['Succeeded']);
    },
    Budget.jestTimeout(KILL_TEST_MS),
  );

  it(
    'runs AppUpgrades created in the same second in creation order, not name order',
    async () => {
      const budget = new Budget(ORDER_TEST_MS);
      const ns = await createNamespace(client, 'serial');
      await createShopSecret(client, ns);
      let operator = await OperatorProcess.start();
      try {
        await userApply(
          client,
          shopInstall(ns, APP, '1.0.0', {
            overrides: [{ component: 'api', replicas: 8 }],
            upgradePolicy: { progressDeadlineSeconds: 20 },
          }),
        );
        await waitReady(client, ns, 1, budget.left(), 'shop', { stallMs: 60_000 });

        // An upgrade whose pods never become ready keeps the install busy until its deadline, so the
        // next two are both waiting when the operator chooses which one goes first.
        const upgrade = (name: string, toVersion: string) =>
          userApply(client, {
            apiVersion: 'ferry.dev/v1alpha1',
            kind: 'AppUpgrade',
            metadata: { name, namespace: ns },
            spec: { install: 'shop', toVersion },
          } as KubeObject);
        await upgrade('blocker', '1.1.0');
        await waitPhase(client, 'AppUpgrade', ns, 'blocker', 'Progressing', { timeoutMs: budget.left() });

        // zz-first, then aa-second, within one second of creationTimestamp: names sort against
        // creation order and the timestamps cannot tell them apart.
        const created = await createInOneSecond(
          ns,
          () => upgrade('zz-first', '2.0.0'),
          () => upgrade('aa-second', '3.0.0'),
        );
        expect(created[0]).toBe(created[1]);
        expect(await phaseOf('AppUpgrade', ns, 'blocker').catch(() => true)).toBe(false);
        const stamped = await waitFor(
          'both upgrades queued',
          async () => {
            const [first, second] = await Promise.all(
              ['zz-first', 'aa-second'].map((n) => client.get<Obj>(ferryRef('AppUpgrade', ns, n))),
            );
            const stamps = [first?.status?.queuedAt, second?.status?.queuedAt];
            return stamps.every(Boolean) ? (stamps as string[]) : notYet(stamps);
          },
          { timeoutMs: budget.left() },
        );
        expect(stamped[0]! < stamped[1]!).toBe(true);
        // An operator killed after seeing both and before starting either: its successor keeps the order.
        await operator.kill();
        operator = await OperatorProcess.start();

        await waitPhase(client, 'AppUpgrade', ns, 'blocker', 'Failed', {
          timeoutMs: budget.left(),
          stallMs: 60_000,
        });
        const messagesOfSecond = new Set<string>();
        await waitFor(
          'zz-first, then aa-second Succeeded',
          async () => {
            const [first, second] = await Promise.all(
              ['zz-first', 'aa-second'].map((n) => client.get<Obj>(ferryRef('AppUpgrade', ns, n))),
            );
            for (const u of [first, second]) {
              if (['Failed', 'RolledBack'].includes(u?.status?.phase))
                fatal(`${u!.metadata!.name} ended ${u!.status.phase}: ${u!.status.message}`);
            }
            if (second?.status?.message) messagesOfSecond.add(second.status.message);
            const phases = [first?.status?.phase, second?.status?.phase];
            return (
              (phases[0] === 'Succeeded' && phases[1] === 'Succeeded') ||
              notYet({ phases, messages: [first?.status?.message, second?.status?.message] })
            );
          },
          { timeoutMs: budget.left(10_000), intervalMs: 100, stallMs: 90_000 },
        );
        expect(
          [...messagesOfSecond].some((m) =>
            m.startsWith('waiting: revision 3 (AppUpgrade zz-first) is in progress'),
          ),
        ).toBe(true);
        const list = await revisions(client, ns);
        expect(
          list.map((r) => `${r.spec.revision}:${r.spec.version}:${r.spec.causeRef.name}:${r.status.outcome}`),
        ).toEqual([
          '1:1.0.0:shop:Superseded',
          '2:1.1.0:blocker:Failed',
          '3:2.0.0:zz-first:Superseded',
          '4:3.0.0:aa-second:Succeeded',
        ]);
        expect(Date.parse(list[3]!.status.startedAt)).toBeGreaterThanOrEqual(
          Date.parse(list[2]!.status.finishedAt),
        );
        const install = await waitReady(client, ns, 4, budget.left());
        expect(install.spec.version).toBe('3.0.0');
        expect(imageOf(await workload(client, ns, 'web'))).toBe('registry.example.com/shop/web:3.0.0');
      } finally {
        expect(await operator.stop()).toBe(0);
      }
    },
    Budget.jestTimeout(ORDER_TEST_MS),
  );

  /**
   * Creates two objects one after the other at the start of a second, so their creationTimestamps
   * match (retried while a slow API server lets them straddle a second); returns the timestamps.
   */
  async function createInOneSecond(
    ns: string,
    first: () => Promise<unknown>,
    second: () => Promise<unknown>,
  ): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      await sleep(1000 - (Date.now() % 1000) + 20);
      await first();
      await second();
      const stamps = await Promise.all(
        ['zz-first', 'aa-second'].map(
          async (n) => (await client.get<Obj>(ferryRef('AppUpgrade', ns, n)))!.metadata!.creationTimestamp!,
        ),
      );
      if (stamps[0] === stamps[1] || attempt === 5) return stamps;
      for (const n of ['zz-first', 'aa-second']) await client.delete(ferryRef('AppUpgrade', ns, n));
      await waitFor('retried upgrades deleted', async () => {
        const left = await client.list(ferryRef('AppUpgrade', ns));
        return left.items.length === 1;
      });
    }
  }
});
