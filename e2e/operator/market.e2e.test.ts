/**
 * AppMarket from the cluster's side (issue 13): a market on a TLS registry with basic auth, filled by
 * pushPackage, is synced into AppTemplates whose images are the market's copies; an install from a
 * synced template upgrades to a version pushed later (offered by the market, says its status);
 * a pre-existing template with other content is a conflict naming both digests and is left alone;
 * unsigned and other-publisher versions are refused; a resync with nothing due writes nothing; wrong
 * credentials and a stopped registry keep every template and say why; deleting the AppMarket leaves
 * its templates. The credentials never appear in status, events or the operator's logs.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppTemplate } from '../../src/api/index.js';
import { exportPackage } from '../../src/bundle/export.js';
import { RegistryClient } from '../../src/bundle/registry-client.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { emptyIndex, parseMarketUrl, publisherBinding } from '../../src/market/format.js';
import { pushPackage } from '../../src/market/push.js';
import { MarketStore } from '../../src/market/store.js';
import { buildImage, pushImage, randomLayer } from '../../src/testing/bundle/images.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';
import type { Obj } from '../support/shop.js';
import {
  condition,
  getInstall,
  imageOf,
  userApply,
  waitPhase,
  waitReady,
  workload,
} from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, sleep, waitFor } from '../support/world.js';

const suffix = `${Date.now().toString(36)}${(process.pid % 1296).toString(36)}`;
const APP = `mk${suffix}`;
const UNSIGNED = `mku${suffix}`;
const MARKET = `acme-${suffix}`;
const PASSWORD = `pw-${suffix}-s3cret`;
const WRONG = `wrong-${suffix}-pw`;

const acme = generateKeyPairSync('ed25519').privateKey;
const rival = generateKeyPairSync('ed25519').privateKey;
const pem = (k: KeyObject) => createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();

let client: KubeClient;
let operator: OperatorProcess;
let vendor: LocalRegistry;
let market: LocalRegistry;
let marketStopped = false;
let vendorClient: RegistryClient;
let marketClient: RegistryClient;
let store: MarketStore;
let work: string;
let opNs: string;
let ns: string;

function template(app: string, version: string, image: string, replicas = 1): AppTemplate {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `${app}.${version}` },
    spec: {
      app,
      version,
      components: [{ name: 'web', image, replicas, ports: [{ name: 'http', port: 8080 }] }],
    },
  } as unknown as AppTemplate;
}

/** Exports `app@version` from the vendor registry and pushes it into the market (signed unless `key` is null). */
async function push(app: string, version: string, key: KeyObject | null = acme): Promise<void> {
  await pushImage(vendorClient, `vendor/${app}`, version, buildImage([await randomLayer(1024)]));
  const output = join(work, `${app}-${version}.tar`);
  const image = `${vendor.address}/vendor/${app}:${version}`;
  await exportPackage({ templates: [template(app, version, image)], output, clientFor: () => vendorClient });
  await pushPackage({ store, packageFile: output, ...(key ? { signKey: key } : {}) });
}

async function list(...apps: string[]): Promise<void> {
  const index = (await store.readIndex()) ?? emptyIndex();
  for (const app of apps) index.apps[app] = { listed: true, changedAt: new Date().toISOString() };
  await store.writeIndex(index);
}

const getMarket = (name = MARKET) => client.get<Obj>(ferryRef('AppMarket', undefined, name));
const getTemplate = (name: string) => client.get<Obj>(ferryRef('AppTemplate', undefined, name));

/** Asks for a sync now (the interval is an hour) and waits until the market's status shows it. */
async function syncNow(name = MARKET): Promise<void> {
  const before = (await getMarket(name))?.status;
  await client.mergePatch(ferryRef('AppMarket', undefined, name), {
    metadata: { annotations: { 'ferry.dev/sync-requested-at': new Date().toISOString() } },
  });
  await waitFor(`AppMarket ${name} synced again`, async () => {
    const now = (await getMarket(name))?.status;
    const ready = (s: unknown) => condition({ status: s } as Obj, 'Ready');
    const changed =
      now?.lastSyncTime !== before?.lastSyncTime ||
      ready(now)?.reason !== ready(before)?.reason ||
      ready(now)?.message !== ready(before)?.message;
    return changed || notYet(now);
  });
}

const versionsOf = async (app: string) =>
  ((await getMarket())?.status?.apps ?? []).find((a: { name: string }) => a.name === app)?.versions ?? [];

beforeAll(async () => {
  client = kube();
  vendor = startRegistry();
  market = startRegistry({ auth: `robot:${PASSWORD}`, tls: true });
  vendorClient = new RegistryClient(vendor.address, { plainHttp: true });
  marketClient = new RegistryClient(market.address, {
    caFile: market.caFile,
    credentials: { username: 'robot', password: PASSWORD },
  });
  store = new MarketStore(marketClient, parseMarketUrl(`${market.address}/stores/acme`));
  work = mkdtempSync(join(tmpdir(), 'ferry-e2e-market-'));
  opNs = await createNamespace(client, 'ferry-op');
  ns = await createNamespace(client, 'market-site');
  const secret = (name: string, type: string, data: Record<string, string>, labels = {}) =>
    client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: opNs, labels },
      type,
      stringData: data,
    } as KubeObject);
  const label = { 'ferry.dev/market-credentials': 'true' };
  await secret('market-creds', 'kubernetes.io/basic-auth', { username: 'robot', password: PASSWORD }, label);
  await secret('wrong-creds', 'kubernetes.io/basic-auth', { username: 'robot', password: WRONG }, label);
  await secret('market-ca', 'Opaque', { 'ca.crt': readFileSync(market.caFile, 'utf8') });
  operator = await OperatorProcess.start(['--resync', '1', '--namespace', opNs]);
});

afterAll(async () => {
  if (operator) {
    expect(await operator.stop()).toBe(0);
    expect(operator.errors()).toEqual([]);
  }
  await OperatorProcess.killAll();
  if (client) {
    for (const name of [MARKET, `${MARKET}-wrong`])
      await client.delete(ferryRef('AppMarket', undefined, name)).catch(() => undefined);
    if (ns && (await client.get(ferryRef('AppInstall', ns, 'shop')))) {
      await client.delete(ferryRef('AppInstall', ns, 'shop'));
    }
    for (const t of (await client.list<Obj>(ferryRef('AppTemplate'))).items)
      if ([APP, UNSIGNED].includes(t.spec?.app))
        await client.delete(ferryRef('AppTemplate', undefined, t.metadata!.name));
    client.close();
  }
  vendorClient?.close();
  marketClient?.close();
  vendor?.stop();
  if (!marketStopped) market?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const marketSpec = (extra: Record<string, unknown> = {}) => ({
  url: `${market.address}/stores/acme`,
  secretRef: { name: 'market-creds' },
  caSecretRef: { name: 'market-ca' },
  interval: '1h',
  trustedKeys: [pem(acme)],
  ...extra,
});

describe('AppMarket sync', () => {
  it('syncs a market into AppTemplates whose images are the market copies, labelled with the market', async () => {
    await push(APP, '1.0.0');
    await list(APP);
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppMarket',
      metadata: { name: MARKET },
      spec: marketSpec(),
    } as KubeObject);
    const synced = await waitFor('AppMarket Ready', async () => {
      const m = await getMarket();
      return condition(m, 'Ready')?.status === 'True' ? m : notYet(m?.status);
    });
    const t = (await getTemplate(`${APP}.1.0.0`))!;
    const digest = (await store.versionDigest(APP, '1.0.0'))!;
    expect(t.metadata!.labels).toMatchObject({ 'ferry.dev/origin': 'market', 'ferry.dev/market': MARKET });
    expect(t.metadata!.annotations).toMatchObject({ 'ferry.dev/market-digest': digest });
    expect(t.spec.components[0].image).toMatch(
      new RegExp(`^${market.address}/stores/acme/${APP}/vendor/${APP}@sha256:[a-f0-9]{64}$`),
    );
    expect(synced.status.apps).toEqual([
      {
        name: APP,
        listed: true,
        publisher: t.metadata!.annotations!['ferry.dev/publisher'],
        versions: [{ version: '1.0.0', digest, template: `${APP}.1.0.0` }],
      },
    ]);
    expect(condition(synced, 'Ready')!.reason).toBe('MarketSynced');
    expect(synced.status.lastSyncTime).toBeDefined();
  });

  it('installs from the synced template; a version pushed later is an upgrade offered by the market', async () => {
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppInstall',
      metadata: { name: 'shop', namespace: ns },
      spec: { app: APP, version: '1.0.0' },
    } as KubeObject);
    await waitReady(client, ns, 1);
    await push(APP, '2.0.0');
    await syncNow();
    const install = await waitFor('2.0.0 available, from the market', async () => {
      const i = await getInstall(client, ns);
      return i.status?.availableUpgradeOrigins?.length ? i : notYet(i.status?.availableUpgrades);
    });
    expect(install.status.availableUpgrades).toEqual(['2.0.0']);
    expect(install.status.availableUpgradeOrigins).toEqual([
      { version: '2.0.0', origin: 'market', market: MARKET },
    ]);

    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-2', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0' },
    } as KubeObject);
    await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded');
    await waitReady(client, ns, 2);
    const t2 = (await getTemplate(`${APP}.2.0.0`))!;
    expect(imageOf(await workload(client, ns, 'web'))).toBe(t2.spec.components[0].image);
  });

  it('reports a pre-existing template with other content as a conflict naming both digests, and leaves it', async () => {
    const mine = template(APP, '3.0.0', 'site.example/mine/web:3.0.0');
    await userApply(client, {
      ...mine,
      metadata: { ...mine.metadata, labels: { 'ferry.dev/origin': 'import' } },
    });
    const before = await waitFor('the AppTemplate validated', async () => {
      const t = await getTemplate(`${APP}.3.0.0`);
      return t?.status?.contentDigest ? t : undefined;
    });
    await push(APP, '3.0.0');
    await syncNow();
    const digest = (await store.versionDigest(APP, '3.0.0'))!;
    const [v3] = await versionsOf(APP);
    expect(v3).toEqual({
      version: '3.0.0',
      digest,
      problem: expect.stringContaining(
        `the market's version has manifest digest ${digest}, the cluster's template has content digest ${before.status.contentDigest}`,
      ),
    });
    const m = (await getMarket())!;
    expect(condition(m, 'Ready')).toMatchObject({ status: 'False', reason: 'VersionsNotSynced' });
    const after = (await getTemplate(`${APP}.3.0.0`))!;
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(after.spec.components[0].image).toBe('site.example/mine/web:3.0.0');
  });

  it('refuses unsigned versions and versions of another publisher, even after the binding changed', async () => {
    await push(UNSIGNED, '1.0.0', null);
    await list(UNSIGNED);
    // A rogue takes over the app's binding tag in the market and pushes 4.0.0 with its own key.
    await store.writePublisher(publisherBinding(APP, rival, new Date()));
    await push(APP, '4.0.0', rival);
    await syncNow();
    const apps = (await getMarket())!.status.apps as { name: string; error?: string; versions: Obj[] }[];
    const unsigned = apps.find((a) => a.name === UNSIGNED)!;
    expect(unsigned.versions[0]).toMatchObject({
      version: '1.0.0',
      problem: 'refused: unsigned, and spec.trustedKeys requires signatures',
    });
    const app = apps.find((a) => a.name === APP)!;
    expect(app.versions[0]).toMatchObject({
      version: '4.0.0',
      problem: expect.stringMatching(/refused: signed by sha256:\S+, but \S+'s publisher is sha256:\S+/),
    });
    expect(app.error).toContain('the market now binds');
    expect(await getTemplate(`${APP}.4.0.0`)).toBeUndefined();
    expect(await getTemplate(`${UNSIGNED}.1.0.0`)).toBeUndefined();
  });

  it('writes nothing on resyncs while no sync is due, and only its status on a sync that finds nothing new', async () => {
    await sleep(3000); // the last sync's status write and template status updates have settled
    let from = operator.logs.length;
    await sleep(4000); // four informer resyncs (--resync 1)
    expect(operator.logs.slice(from).filter((l) => l.includes('"api write"'))).toEqual([]);
    const templates = async () =>
      (await client.list<Obj>(ferryRef('AppTemplate'))).items
        .filter((t) => t.spec?.app === APP)
        .map((t) => `${t.metadata!.name}@${t.metadata!.resourceVersion}`)
        .sort();
    const before = await templates();
    from = operator.logs.length;
    await syncNow();
    await sleep(2000);
    const writes = operator.logs
      .slice(from)
      .filter((l) => l.includes('"api write"'))
      .map((l) => (JSON.parse(l) as { method: string; path: string }).path);
    expect(writes).toEqual([`/apis/ferry.dev/v1alpha1/appmarkets/${MARKET}/status`]);
    expect(await templates()).toEqual(before);
  });

  it('says so when the registry refuses the credentials, without showing them', async () => {
    await userApply(client, {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppMarket',
      metadata: { name: `${MARKET}-wrong` },
      spec: marketSpec({ secretRef: { name: 'wrong-creds' } }),
    } as KubeObject);
    const m = await waitFor('credentials rejected', async () => {
      const got = await getMarket(`${MARKET}-wrong`);
      return condition(got, 'Ready')?.reason === 'MarketCredentialsRejected' ? got : notYet(got?.status);
    });
    expect(condition(m, 'Ready')!.message).toContain(
      'the registry refused the credentials of Secret wrong-creds',
    );
    expect(condition(m, 'Stalled')).toMatchObject({ status: 'True', reason: 'MarketCredentialsRejected' });
  });

  it('keeps every template when the registry is gone, says why, and the install keeps running', async () => {
    const names = (await versionsOf(APP)).filter((v: Obj) => v.template).map((v: Obj) => v.template);
    market.stop();
    marketStopped = true;
    await syncNow();
    const m = await waitFor('MarketUnreachable', async () => {
      const got = await getMarket();
      return condition(got, 'Ready')?.reason === 'MarketUnreachable' ? got : notYet(got?.status?.conditions);
    });
    expect(condition(m, 'Reconciling')).toMatchObject({ status: 'True', reason: 'MarketUnreachable' });
    expect(condition(m, 'Ready')!.message).toContain('AppTemplates synced before stay');
    for (const name of names) expect(await getTemplate(name)).toBeDefined();
    expect(condition(await getInstall(client, ns), 'Ready')?.status).toBe('True');
  });

  it('leaves its templates when the AppMarket is deleted', async () => {
    await client.delete(ferryRef('AppMarket', undefined, MARKET));
    await waitFor('AppMarket gone', async () => !(await getMarket()));
    await sleep(2000);
    expect(await getTemplate(`${APP}.1.0.0`)).toBeDefined();
    expect(await getTemplate(`${APP}.2.0.0`)).toBeDefined();
  });

  it('never shows the credentials in status, events or logs', async () => {
    const events = await client.list<Obj & { involvedObject?: { name?: string } }>({
      apiVersion: 'v1',
      kind: 'Event',
      namespace: 'default',
    });
    const ours = events.items.filter((e) => String(e.involvedObject?.name).startsWith(MARKET));
    expect(ours.length).toBeGreaterThan(0);
    const everything = [
      JSON.stringify(ours),
      JSON.stringify(await getMarket(`${MARKET}-wrong`)),
      operator.logs.join('\n'),
    ].join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(Buffer.from(`robot:${PASSWORD}`).toString('base64'));
  });
});
