/**
 * Two claims checked on one operator run that handles a Secret parameter through an install, a
 * failing upgrade and its Stalled status:
 * - the Argo CD health check of docs/gitops.md, run by a Lua interpreter on the real status objects
 *   the operator wrote, says Progressing / Healthy / Degraded when it should;
 * - the operator's logs (debug level) never contain the Secret's value, plain or base64.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '../src/kube/client.js';
import { LABEL_INSTALL } from '../src/model/names.js';
import { argoHealth } from './support/argocd-health.js';
import type { Obj } from './support/shop.js';
import {
  asVersion,
  condition,
  getInstall,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
} from './support/shop.js';
import { OperatorProcess, createNamespace, kube, waitFor } from './support/world.js';

const APP = `shop-health-${Date.now().toString(36)}`;
const NEVER_READY = 'example.invalid/ferry/never-ready:1.0';
const SECRET_VALUE = `ferry-e2e-secret-${randomBytes(12).toString('hex')}`;

describe('an install seen by Argo CD, with a Secret parameter', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  const seen: Record<string, { status: string; message?: string; object: Obj }> = {};

  beforeAll(async () => {
    client = kube();
    operator = await OperatorProcess.start();
    const v1 = shopTemplate('1.0.0', APP);
    await userApply(client, v1);
    await userApply(
      client,
      asVersion(v1, '1.1.0', (spec) => (spec.components[1].image = NEVER_READY)),
    );
    ns = await createNamespace(client, 'health');
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shop-secrets', namespace: ns },
      data: { 'db-password': Buffer.from(SECRET_VALUE).toString('base64') },
    });
  });
  afterAll(async () => {
    await client.delete({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppInstall',
      namespace: ns,
      name: 'shop',
    });
    await waitFor('AppInstall gone', async () => !(await client.get(installRefOf(ns))), {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    expect(await operator.stop()).toBe(0);
    for (const v of ['1.0.0', '1.1.0'])
      await client.delete({ apiVersion: 'ferry.dev/v1alpha1', kind: 'AppTemplate', name: `${APP}.${v}` });
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
  });

  it('is Progressing before the operator reports on it, Healthy once Ready', async () => {
    const created = (await userApply(
      client,
      shopInstall(ns, APP, '1.0.0', { upgradePolicy: { autoRollback: false, progressDeadlineSeconds: 10 } }),
    )) as Obj;
    expect(argoHealth(created)).toEqual({ status: 'Progressing', message: 'waiting for the Ferry operator' });
    const ready = await waitReady(client, ns, 1);
    seen.healthy = { ...argoHealth(ready), object: ready };
    expect(seen.healthy).toMatchObject({ status: 'Healthy', message: condition(ready, 'Ready')!.message });
  });

  it('is Progressing while a new version rolls out, Degraded once it is Stalled', async () => {
    // a GitOps commit: spec.version changes to a version whose api never becomes ready
    await userApply(
      client,
      shopInstall(ns, APP, '1.1.0', { upgradePolicy: { autoRollback: false, progressDeadlineSeconds: 10 } }),
    );
    const rolling = await waitFor('rollout of 1.1.0 under way', async () => {
      const i = await getInstall(client, ns);
      return (
        i.metadata!.generation === i.status?.observedGeneration &&
        i.spec.version === '1.1.0' &&
        condition(i, 'Ready')?.status === 'False' &&
        condition(i, 'Stalled')?.status !== 'True' &&
        i
      );
    });
    expect(argoHealth(rolling)).toEqual({
      status: 'Progressing',
      message: condition(rolling, 'Ready')!.message,
    });
    const stalled = await waitFor('Stalled', async () => {
      const i = await getInstall(client, ns);
      return condition(i, 'Stalled')?.status === 'True' && i;
    });
    expect(argoHealth(stalled)).toEqual({
      status: 'Degraded',
      message: condition(stalled, 'Stalled')!.message,
    });
    expect(condition(stalled, 'Stalled')!.message).toMatch(/api/);
    // a spec the operator has not observed yet is never reported Healthy or Degraded from old status
    const unobserved = structuredClone(stalled);
    unobserved.metadata!.generation = stalled.status.observedGeneration + 1;
    expect(argoHealth(unobserved).status).toBe('Progressing');
  });

  it('never writes the Secret parameter value to its logs, although it handled it', async () => {
    // the operator read the value: it is in the Secret it rendered for the components
    const secrets = await client.list<KubeObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'Secret', namespace: ns },
      { labelSelector: LABEL_INSTALL },
    );
    const rendered = secrets.items.flatMap((s) =>
      Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
    );
    expect(rendered).toContain(SECRET_VALUE);
    // and it logged at debug level throughout (api writes, reconciles, the failed rollout)
    expect(operator.logs.filter((l) => l.includes('"msg":"api write"')).length).toBeGreaterThan(10);
    const leaks = operator.logs.filter(
      (l) => l.includes(SECRET_VALUE) || l.includes(Buffer.from(SECRET_VALUE).toString('base64')),
    );
    expect(leaks).toEqual([]);
  });
});

const installRefOf = (ns: string) => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppInstall',
  namespace: ns,
  name: 'shop',
});
