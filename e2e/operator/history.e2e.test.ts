/**
 * Features the operator had without a cluster test: a partial upgrade of selected components
 * (`ferry upgrade --component`, i.e. AppUpgrade spec.components), a rollback from the revision
 * snapshot alone after the restored version's AppTemplate was deleted, and historyLimit pruning on
 * a cluster that never takes the current revision or one in progress.
 */
import { main } from '../../src/cli/main.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  asVersion,
  createShopSecret,
  getInstall,
  imageOf,
  installRef,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitPhase,
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor, world } from '../support/world.js';

const APP = `hist-${Date.now().toString(36)}`;
const NEVER_READY = 'example.invalid/ferry/never-ready:1.0';

describe('partial upgrade, rollback without the template, historyLimit', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  const v1 = shopTemplate('1.0.0', APP);
  const v2 = shopTemplate('2.0.0', APP);
  const imageIn = (t: Obj, c: string) => t.spec.components.find((x: { name: string }) => x.name === c).image;
  const images = async () =>
    Object.fromEntries(
      await Promise.all(
        ['db', 'api', 'web', 'reports'].map(async (c) => [c, imageOf(await workload(client, ns, c))]),
      ),
    );
  const kept = async () => (await revisions(client, ns)).map((r) => r.spec.revision);

  beforeAll(async () => {
    client = kube();
    await userApply(client, v1);
    await userApply(client, v2);
    await userApply(
      client,
      asVersion(
        v2,
        '3.0.0',
        (spec) => (spec.components.find((c: { name: string }) => c.name === 'api').image = NEVER_READY),
      ),
    );
    operator = await OperatorProcess.start();
    ns = await createNamespace(client, 'hist');
    await createShopSecret(client, ns);
    await userApply(
      client,
      shopInstall(ns, APP, '1.0.0', { historyLimit: 3, upgradePolicy: { progressDeadlineSeconds: 10 } }),
    );
    await waitReady(client, ns, 1);
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    for (const v of ['1.0.0', '2.0.0', '3.0.0'])
      await client.delete(ferryRef('AppTemplate', undefined, `${APP}.${v}`));
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
  });

  it('upgrades only the named component (ferry upgrade --component api); the others keep 1.0.0', async () => {
    let out = '';
    const code = await main(
      [
        'upgrade',
        'shop',
        '-n',
        ns,
        '--to',
        '2.0.0',
        '--approve',
        '--component',
        'api',
        '--kubeconfig',
        world.kubeconfig,
      ],
      { out: (t) => void (out += `${t}\n`), err: (t) => void (out += `${t}\n`) },
    );
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('Succeeded') });
    const install = await waitReady(client, ns, 2);
    expect(install.status.version).toBe('2.0.0');
    expect(await images()).toEqual({
      db: imageIn(v1, 'db'),
      api: imageIn(v2, 'api'),
      web: imageIn(v1, 'web'),
      reports: undefined,
    });
    const r2 = (await revisions(client, ns)).at(-1)!;
    expect(r2.spec.images).toEqual(
      expect.arrayContaining([
        { component: 'api', image: imageIn(v2, 'api') },
        { component: 'db', image: imageIn(v1, 'db') },
      ]),
    );
  });

  it('rolls back to revision 1 after AppTemplate 1.0.0 was deleted: from the revision snapshot alone', async () => {
    await client.delete(ferryRef('AppTemplate', undefined, `${APP}.1.0.0`));
    await waitFor(
      'AppTemplate 1.0.0 gone',
      async () => !(await client.get(ferryRef('AppTemplate', undefined, `${APP}.1.0.0`))),
    );
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppRollback',
      metadata: { name: 'back-to-1', namespace: ns },
      spec: { install: 'shop', toRevision: 1 },
    } as KubeObject);
    await waitPhase(client, 'AppRollback', ns, 'back-to-1', 'Succeeded');
    const install = await waitReady(client, ns, 3);
    expect(install.status.version).toBe('1.0.0');
    expect(install.spec.version).toBe('1.0.0');
    expect(await images()).toEqual({
      db: imageIn(v1, 'db'),
      api: imageIn(v1, 'api'),
      web: imageIn(v1, 'web'),
      reports: undefined,
    });
    expect(await kept()).toEqual([1, 2, 3]);
  });

  it('prunes to historyLimit, never the current revision nor one in progress', async () => {
    await client.mergePatch(installRef(ns), { spec: { historyLimit: 1 } });
    await waitFor('revisions pruned to [3]', async () => {
      const k = await kept();
      return k.join() === '3' ? k : notYet(k);
    });

    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-3', namespace: ns },
      spec: { install: 'shop', toVersion: '3.0.0' },
    } as KubeObject);
    await waitPhase(client, 'AppUpgrade', ns, 'to-3', 'Progressing');
    expect(await kept()).toEqual([3, 4]); // the one in progress is there, the current one too

    await waitPhase(client, 'AppUpgrade', ns, 'to-3', 'Failed', { timeoutMs: 90_000 });
    await waitFor('install reports the failure', async () => {
      const i = await getInstall(client, ns);
      return i.status?.history?.[0]?.outcome === 'Failed' ? i : notYet(i.status?.history?.[0]);
    });
    // historyLimit 1 keeps the newest (the failed 4) — and the current revision 3, which runs
    const install = await getInstall(client, ns);
    expect(install.status.revision).toBe(3);
    expect(await kept()).toEqual([3, 4]);
  });
});
