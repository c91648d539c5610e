/**
 * --max-rollouts: an operator that may run one rollout at a time, four installs created together in
 * two namespaces. At no moment is more than one revision in progress (checked on every AppRevision
 * watch event, in the API server's order); the installs that wait say so (Ready False,
 * WaitingForRolloutSlot) and in /metrics; each starts as a rollout ends, the namespaces in turn; all
 * end Ready.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  condition,
  createShopSecret,
  getInstall,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor } from '../support/world.js';

const APP = 'shop-slots';

interface RevisionEvent {
  key: string;
  inProgress: boolean;
}

describe('rollout slots (--max-rollouts 1)', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  const abort = new AbortController();

  beforeAll(async () => {
    client = kube();
    await userApply(client, shopTemplate('1.0.0', APP));
    operator = await OperatorProcess.start(['--max-rollouts', '1']);
  });
  afterAll(async () => {
    abort.abort();
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    client.close();
  });

  /** Every AppRevision event from now on, in the order the API server sent them (one watch, all namespaces). */
  async function recordRevisions(): Promise<{ events: RevisionEvent[]; failed: () => string | undefined }> {
    const list = await client.list(ferryRef('AppRevision'));
    const events: RevisionEvent[] = [];
    let error: string | undefined;
    void client
      .watch<Obj & KubeObject>(
        ferryRef('AppRevision'),
        list.metadata.resourceVersion,
        (e) => {
          if (e.type === 'BOOKMARK') return;
          const outcome = e.object.status?.outcome;
          events.push({
            key: `${e.object.metadata!.namespace}/${e.object.metadata!.name}`,
            inProgress: e.type !== 'DELETED' && (!outcome || outcome === 'Progressing'),
          });
        },
        { signal: abort.signal, timeoutSeconds: 600 },
      )
      .catch((e: unknown) => {
        if (!abort.signal.aborted) error = String(e);
      });
    return { events, failed: () => error };
  }

  it('runs one rollout at a time, tells the others why they wait, and serves the namespaces in turn', async () => {
    const teamA = await createNamespace(client, 'slots-a');
    const teamB = await createNamespace(client, 'slots-b');
    for (const ns of [teamA, teamB]) await createShopSecret(client, ns);
    const recorded = await recordRevisions();

    // team A's three installs first, then team B's one
    const installs = [
      [teamA, 'shop'],
      [teamA, 'shop-b'],
      [teamA, 'shop-c'],
      [teamB, 'shop'],
    ] as const;
    for (const [ns, name] of installs) {
      const install = shopInstall(ns, APP);
      install.metadata!.name = name;
      await userApply(client, install as KubeObject);
    }

    const waiting = await waitFor('an install waiting for a rollout slot', async () => {
      for (const [ns, name] of installs) {
        const install = await getInstall(client, ns, name);
        if (condition(install, 'Ready')?.reason === 'WaitingForRolloutSlot') return install;
      }
      return notYet('none says WaitingForRolloutSlot');
    });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(waiting, 'Ready')!.message).toContain('at most 1 rollouts at once (--max-rollouts)');
    expect(condition(waiting, 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'WaitingForRolloutSlot',
    });
    expect(await operator.metric('ferry_rollouts', 'state="waiting"')).toBeGreaterThanOrEqual(1);

    for (const [ns, name] of installs) await waitReady(client, ns, 1, 120_000, name);
    expect(recorded.failed()).toBeUndefined();

    // at every event, at most one revision in progress
    const inProgress = new Set<string>();
    let most = 0;
    const started: string[] = [];
    for (const e of recorded.events) {
      if (e.inProgress && !inProgress.has(e.key)) started.push(e.key);
      if (e.inProgress) inProgress.add(e.key);
      else inProgress.delete(e.key);
      most = Math.max(most, inProgress.size);
    }
    expect(most).toBe(1);
    expect(started).toHaveLength(4);
    // team B's install, created last, did not wait for all of team A's: the namespaces take turns
    expect(started.at(-1)).not.toBe(`${teamB}/shop-r1`);
    expect(await operator.metric('ferry_rollouts', 'state="waiting"')).toBe(0);
  });
});
