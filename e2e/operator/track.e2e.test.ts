/**
 * upgradePolicy.track: the "new version available" flow without GitOps. A newer template in range
 * makes the operator propose an AppUpgrade (waiting for approval unless autoApprove), exactly one per
 * version (deterministic name, across an operator restart), never a pre-release or a version out of
 * range, and a higher version replaces a proposal not yet approved.
 */
import type { KubeClient } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  asVersion,
  createShopSecret,
  getInstall,
  installRef,
  shopInstall,
  shopTemplate,
  userApply,
  waitPhase,
  waitReady,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, sleep, waitFor } from '../support/world.js';

const APP = `track-${Date.now().toString(36)}`;
const VERSIONS = ['1.0.0', '1.0.1', '1.0.2', '1.0.3-rc.1', '1.1.0'];

describe('upgradePolicy.track', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  const base = () => shopTemplate('1.0.0', APP);
  const publish = (version: string) =>
    userApply(
      client,
      asVersion(base(), version, (s) => (s.description = `shop ${version}`)),
    );

  const upgrades = async () =>
    (await client.list<Obj>(ferryRef('AppUpgrade', ns))).items
      .map((u) => `${u.metadata!.name} ${u.spec.toVersion} ${u.spec.approval} ${u.status?.phase ?? '-'}`)
      .sort();
  const proposals = (expected: string[]) =>
    waitFor(`AppUpgrades ${expected.join(', ')}`, async () => {
      const names = (await upgrades()).map((u) => u.split(' ')[0]);
      return JSON.stringify(names) === JSON.stringify(expected) ? upgrades() : notYet(await upgrades());
    });

  beforeAll(async () => {
    client = kube();
    await publish('1.0.0');
    operator = await OperatorProcess.start([], { resyncSeconds: 3 });
    ns = await createNamespace(client, 'track');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '1.0.0', { upgradePolicy: { track: 'patch' } }));
    await waitReady(client, ns, 1);
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    for (const v of VERSIONS) await client.delete(ferryRef('AppTemplate', undefined, `${APP}.${v}`));
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
  });

  it('proposes nothing for a pre-release or a version outside the range', async () => {
    await publish('1.0.3-rc.1');
    await publish('1.1.0');
    await waitFor('1.1.0 in availableUpgrades', async () => {
      const install = await getInstall(client, ns);
      return install.status?.availableUpgrades?.includes('1.1.0') ? install : notYet(install.status);
    });
    await sleep(4_000); // a resync passes
    expect(await upgrades()).toEqual([]);
  });

  it('proposes a patch release as a Manual AppUpgrade, with an Event; the install stays', async () => {
    await publish('1.0.1');
    await proposals([`shop-track-1.0.1`]);
    await waitPhase(client, 'AppUpgrade', ns, 'shop-track-1.0.1', 'WaitingForApproval');
    expect(await upgrades()).toEqual(['shop-track-1.0.1 1.0.1 Manual WaitingForApproval']);
    const events = await client.list<Obj>({ apiVersion: 'v1', kind: 'Event', namespace: ns });
    expect(events.items.filter((e) => e.reason === 'UpgradeProposed').map((e) => e.message)).toEqual([
      `${APP} 1.0.1 is available (upgradePolicy.track: patch): created AppUpgrade shop-track-1.0.1, waiting for approval`,
    ]);
    expect((await getInstall(client, ns)).status.version).toBe('1.0.0');
  });

  it('proposes it once: an operator restart and resyncs add nothing', async () => {
    expect(await operator.stop()).toBe(0);
    operator = await OperatorProcess.start([], { resyncSeconds: 3 });
    await sleep(8_000);
    expect(await upgrades()).toEqual(['shop-track-1.0.1 1.0.1 Manual WaitingForApproval']);
  });

  it('replaces the unapproved proposal when a higher patch appears; approving it upgrades', async () => {
    await publish('1.0.2');
    await proposals(['shop-track-1.0.2']);
    await client.mergePatch(ferryRef('AppUpgrade', ns, 'shop-track-1.0.2'), { spec: { approved: true } });
    await waitPhase(client, 'AppUpgrade', ns, 'shop-track-1.0.2', 'Succeeded');
    const install = await waitReady(client, ns, 2);
    expect(install.status.version).toBe('1.0.2');
    expect(install.spec.version).toBe('1.0.2');
    await sleep(4_000); // nothing newer in range: no further proposal
    expect(await upgrades()).toEqual(['shop-track-1.0.2 1.0.2 Manual Succeeded']);
  });

  it('with track: minor and autoApprove, proposes 1.1.0 approved and it runs by itself', async () => {
    await client.mergePatch(installRef(ns), {
      spec: { upgradePolicy: { track: 'minor', autoApprove: true } },
    });
    await waitPhase(client, 'AppUpgrade', ns, 'shop-track-1.1.0', 'Succeeded');
    const install = await waitReady(client, ns, 3);
    expect(install.status.version).toBe('1.1.0');
    expect(await upgrades()).toEqual([
      'shop-track-1.0.2 1.0.2 Manual Succeeded',
      'shop-track-1.1.0 1.1.0 Automatic Succeeded',
    ]);
  });
});
