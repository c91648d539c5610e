/**
 * The operator process: two replicas with leader election (only the holder of the Lease reconciles;
 * the other takes over when it is killed), health, readiness and metrics endpoints, Events on phase
 * changes, and a graceful SIGTERM that hands the Lease over.
 */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { createShopSecret, shopInstall, shopTemplate, userApply, waitReady } from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, waitFor } from '../support/world.js';

const APP = 'shop-runtime';
type Lease = KubeObject & { spec?: { holderIdentity?: string | null; leaseTransitions?: number } };

describe('operator runtime', () => {
  let client: KubeClient;
  let leaseNs: string;
  const operators: OperatorProcess[] = [];

  beforeAll(async () => {
    client = kube();
    leaseNs = await createNamespace(client, 'ferry-system');
    await userApply(client, shopTemplate('1.0.0', APP));
    await userApply(client, shopTemplate('2.0.0', APP));
  });
  afterAll(async () => {
    for (const o of operators) await o.kill();
    client.close();
  });

  const lease = () =>
    client.get<Lease>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: leaseNs,
      name: 'ferry-operator-leader',
    });
  const metric = async (o: OperatorProcess, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${o.probePort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(' ').pop()) : undefined;
  };
  const start = async () => {
    const o = await OperatorProcess.start(['--leader-elect', '--leader-election-namespace', leaseNs]);
    operators.push(o);
    return o;
  };

  it('elects one leader, serves probes and metrics, and fails over when the leader is killed', async () => {
    const a = await start();
    const b = await start();
    for (const o of [a, b]) {
      expect((await fetch(`http://127.0.0.1:${o.probePort}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${o.probePort}/readyz`)).status).toBe(200);
    }
    const holder = await waitFor(
      'a lease holder',
      async () => (await lease())?.spec?.holderIdentity ?? undefined,
    );
    const leader = holder.endsWith(`_${a.child.pid}`) ? a : b;
    const follower = leader === a ? b : a;
    await waitFor('leader gauge', async () => (await metric(leader, 'ferry_leader')) === 1);
    expect(await metric(follower, 'ferry_leader')).toBe(0);

    const ns = await createNamespace(client, 'runtime');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '1.0.0'));
    await waitReady(client, ns, 1);
    expect(await metric(leader, 'ferry_reconcile_total{kind="install",result="success"}')).toBeGreaterThan(0);
    expect(await metric(follower, 'ferry_reconcile_total{kind="install",result="success"}')).toBeUndefined();
    const events = await client.list<KubeObject & { reason?: string; involvedObject?: { kind?: string } }>({
      apiVersion: 'v1',
      kind: 'Event',
      namespace: ns,
    });
    const reasons = events.items.filter((e) => e.involvedObject?.kind === 'AppInstall').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Installing', 'Succeeded']));

    await leader.kill();
    await waitFor(
      'the follower takes the lease',
      async () => (await lease())?.spec?.holderIdentity?.endsWith(`_${follower.child.pid}`),
      {
        timeoutMs: 40_000,
      },
    );
    await userApply(client, shopInstall(ns, APP, '2.0.0'));
    await waitReady(client, ns, 2);

    expect(await follower.stop()).toBe(0);
    expect((await lease())?.spec?.holderIdentity ?? null).toBeNull();
  });
});
