/**
 * The seed's sharing story (issue 13), end to end through the ferry CLI and the operator:
 * a vendor market behind a real token server; the publisher pushes erp 1.0.0 and 2.0.0, the market
 * admin lists it; a connected cluster syncs the market (pull-only credentials), installs 1.0.0 and
 * upgrades to 2.0.0 offered by the market; 2.0.0 is exported from the market and imported offline
 * into a site market; two site clusters sync that one import and install from it. The token server
 * refuses what each credential may not do, and the app never gets a version from another publisher,
 * even one written past the CLI by someone with push rights.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { main } from '../src/cli/main.js';
import { RegistryClient } from '../src/bundle/registry-client.js';
import { loadPrivateKey } from '../src/bundle/package-format.js';
import type { KubeClient, KubeObject } from '../src/kube/client.js';
import { ferryRef } from '../src/kube/client.js';
import { parseMarketUrl, signVersion } from '../src/market/format.js';
import { versionArtifact } from '../src/market/push.js';
import { MarketStore } from '../src/market/store.js';
import { verifyPackage } from '../src/bundle/package-reader.js';
import { buildImage, pushImage, randomLayer } from '../src/testing/bundle/images.js';
import type { LocalRegistry, TokenPolicy } from '../src/testing/bundle/registry.js';
import { startRegistry } from '../src/testing/bundle/registry.js';
import type { ExtraCluster } from './support/extra-cluster.js';
import { startExtraCluster } from './support/extra-cluster.js';
import type { Obj } from './support/shop.js';
import {
  condition,
  createShopSecret,
  shopInstall,
  shopTemplate,
  userApply,
  waitPhase,
  waitReady,
} from './support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor } from './support/world.js';

const APP = `erp${Date.now().toString(36)}`;
const passwords = {
  reader: `r-${randomBytes(6).toString('hex')}`,
  publisher: `p-${randomBytes(6).toString('hex')}`,
  admin: `a-${randomBytes(6).toString('hex')}`,
};
type User = keyof typeof passwords;
const policy: TokenPolicy = {
  users: {
    reader: { password: passwords.reader, access: [{ name: 'market/**', actions: ['pull'] }] },
    publisher: {
      password: passwords.publisher,
      access: [
        { name: 'market/**', actions: ['pull'] },
        { name: `market/${APP}`, actions: ['push'] },
        { name: `market/${APP}/**`, actions: ['push'] },
      ],
    },
    admin: { password: passwords.admin, access: [{ name: '**', actions: ['*'] }] },
  },
};

let vendorImages: LocalRegistry;
let vendorMarket: LocalRegistry;
let siteRegistry: LocalRegistry;
let work: string;
let client: KubeClient;
const sites: ExtraCluster[] = [];
const printed: string[] = [];
const vendorUrl = () => `${vendorMarket.address}/market`;
const siteUrl = () => `${siteRegistry.address}/apps`;

/** The ferry CLI in-process, as a person would run it; fails with its output unless it exits 0. */
async function ferry(args: string[], { as, fail }: { as?: User; fail?: boolean } = {}): Promise<string> {
  const out: string[] = [];
  const creds = as ? ['--username', as, '--password', passwords[as]] : [];
  const saved = process.env.KUBECONFIG;
  delete process.env.KUBECONFIG;
  try {
    const code = await main([...args, ...creds], { out: (t) => out.push(t), err: (t) => out.push(t) });
    printed.push(...out);
    if ((code !== 0) !== Boolean(fail))
      throw new Error(`ferry ${args.join(' ')} exited ${code}:\n${out.join('\n')}`);
    return out.join('\n');
  } finally {
    if (saved !== undefined) process.env.KUBECONFIG = saved;
  }
}

/** erp 1.0.0 / 2.0.0: the shop example under another name, its images pushed to the vendor's registry. */
async function erpTemplateFile(version: '1.0.0' | '2.0.0'): Promise<string> {
  const template = shopTemplate(version, APP);
  const images = new RegistryClient(vendorImages.address, { plainHttp: true });
  try {
    // Components' and hooks' images (2.0.0's migration runs api's image: pushed once).
    const pushed = new Set<string>();
    for (const c of [...template.spec.components, ...(template.spec.hooks ?? [])] as { image: string }[]) {
      const [path, tag] = c.image.replace('registry.example.com/', '').split(':') as [string, string];
      if (!pushed.has(c.image))
        await pushImage(images, `vendor/${path}`, tag, buildImage([await randomLayer(2048)]));
      pushed.add(c.image);
      c.image = `${vendorImages.address}/vendor/${path}:${tag}`;
    }
  } finally {
    images.close();
  }
  const file = join(work, `${APP}-${version}.yaml`);
  writeFileSync(file, yaml.dump(template));
  return file;
}

const pem = (file: string) => readFileSync(file, 'utf8');

/** A copy of a template file as another app and/or version (same images). */
function copyTemplate(file: string, app: string, version: string): string {
  const template = yaml.load(readFileSync(file, 'utf8')) as Obj;
  template.spec.app = app;
  template.spec.version = version;
  template.metadata!.name = `${app}.${version}`;
  const copy = join(work, `${app}-${version}.yaml`);
  writeFileSync(copy, yaml.dump(template));
  return copy;
}

async function createMarket(kube: KubeClient, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppMarket',
    metadata: { name },
    spec,
  } as KubeObject);
}

function marketReady(kube: KubeClient, name: string, versions: string[]) {
  return waitFor(
    `AppMarket ${name} synced ${versions.join(', ')}`,
    async () => {
      const market = await kube.get<Obj>(ferryRef('AppMarket', undefined, name));
      const app = (market?.status?.apps ?? []).find((a: { name: string }) => a.name === APP);
      const synced = (app?.versions ?? [])
        .filter((v: { template?: string }) => v.template)
        .map((v: { version: string }) => v.version);
      return condition(market, 'Ready')?.status === 'True' && versions.every((v) => synced.includes(v))
        ? market
        : notYet(market?.status);
    },
    { timeoutMs: 120_000 },
  );
}

beforeAll(async () => {
  vendorImages = startRegistry();
  vendorMarket = startRegistry({ token: policy });
  siteRegistry = startRegistry();
  work = mkdtempSync(join(tmpdir(), 'ferry-market-story-'));
  client = kube();
  for (const key of ['acme', 'rival', 'site']) await ferry(['keys', 'generate', '-o', join(work, key)]);
}, 120_000);

afterAll(async () => {
  await OperatorProcess.killAll();
  for (const site of sites) site.stop();
  client?.close();
  for (const r of [vendorImages, vendorMarket, siteRegistry]) r?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('sharing an app through markets, vendor to connected cluster to offline sites', () => {
  test('the publisher pushes erp 1.0.0 and 2.0.0; the admin lists it', async () => {
    await ferry(['market', 'init', '--market', vendorUrl(), '--require-signatures', '--plain-http'], {
      as: 'admin',
    });
    for (const version of ['1.0.0', '2.0.0'] as const) {
      const out = await ferry(
        [
          'market',
          'push',
          `${APP}@${version}`,
          '--market',
          vendorUrl(),
          '-f',
          await erpTemplateFile(version),
          '--sign-key',
          join(work, 'acme.key'),
          '--quiet',
          '--plain-http',
        ],
        { as: 'publisher' },
      );
      expect(out).toMatch(new RegExp(`/market/${APP}:${version} pushed sha256:[a-f0-9]{64}, signed by`));
    }
    await ferry(['market', 'list-app', APP, '--market', vendorUrl(), '--plain-http'], { as: 'admin' });
    expect(await ferry(['market', 'ls', '--market', vendorUrl(), '--plain-http'], { as: 'reader' })).toMatch(
      new RegExp(`^${APP}\\s+2\\.0\\.0\\s+2\\s+sha256:`, 'm'),
    );
  }, 180_000);

  test('each credential is held to what the token server grants it', async () => {
    const v3 = copyTemplate(join(work, `${APP}-2.0.0.yaml`), APP, '3.0.0');
    expect(
      await ferry(
        [
          'market',
          'push',
          `${APP}@3.0.0`,
          '--market',
          vendorUrl(),
          '-f',
          v3,
          '--sign-key',
          join(work, 'acme.key'),
          '--quiet',
          '--plain-http',
        ],
        { as: 'reader', fail: true },
      ),
    ).toMatch(
      new RegExp(
        // 3.0.0 reuses 2.0.0's images, so the first write refused is the signature under the app
        `lack "repository:market/${APP}:push" \\(the token server granted "pull"`,
      ),
    );
    expect(
      await ferry(['market', 'unlist-app', APP, '--market', vendorUrl(), '--plain-http'], {
        as: 'publisher',
        fail: true,
      }),
    ).toMatch(/lack "repository:market\/ferry.index:push"/);
    const crm = copyTemplate(join(work, `${APP}-2.0.0.yaml`), 'crm', '2.0.0');
    expect(
      await ferry(
        [
          'market',
          'push',
          'crm@2.0.0',
          '--market',
          vendorUrl(),
          '-f',
          crm,
          '--sign-key',
          join(work, 'acme.key'),
          '--quiet',
          '--plain-http',
        ],
        { as: 'publisher', fail: true },
      ),
    ).toMatch(/lack "repository:market\/crm\/vendor\/shop\/[a-z]+:push"/);
  }, 120_000);

  let ns = '';
  test('a connected cluster syncs the vendor market with pull-only credentials, installs 1.0.0 and upgrades to 2.0.0', async () => {
    const opNs = await createNamespace(client, 'ferry-op');
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'vendor-market',
        namespace: opNs,
        labels: { 'ferry.dev/market-credentials': 'true' },
      },
      type: 'kubernetes.io/basic-auth',
      stringData: { username: 'reader', password: passwords.reader },
    } as KubeObject);
    await OperatorProcess.start(['--resync', '5', '--namespace', opNs]);
    await createMarket(client, `vendor-${APP}`, {
      url: vendorUrl(),
      plainHttp: true,
      secretRef: { name: 'vendor-market' },
      trustedKeys: [pem(join(work, 'acme.pub'))],
      interval: '1h',
    });
    await marketReady(client, `vendor-${APP}`, ['1.0.0', '2.0.0']);
    const template = await client.get<Obj>(ferryRef('AppTemplate', undefined, `${APP}.1.0.0`));
    expect(template!.metadata!.labels).toMatchObject({
      'ferry.dev/origin': 'market',
      'ferry.dev/market': `vendor-${APP}`,
    });
    for (const c of template!.spec.components)
      expect(c.image).toMatch(new RegExp(`^${vendorUrl()}/${APP}/vendor/shop/[a-z]+@sha256:[a-f0-9]{64}$`));

    ns = await createNamespace(client, 'erp');
    await createShopSecret(client, ns);
    await userApply(client, shopInstall(ns, APP, '1.0.0') as KubeObject);
    const ready = await waitReady(client, ns, 1);
    expect(ready.status.availableUpgradeOrigins).toEqual([
      expect.objectContaining({ version: '2.0.0', origin: 'market', market: `vendor-${APP}` }),
    ]);
    await client.create({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'to-2', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0', approved: true },
    } as KubeObject);
    await waitPhase(client, 'AppUpgrade', ns, 'to-2', 'Succeeded', { timeoutMs: 120_000 });
    await waitReady(client, ns, 2);
  }, 300_000);

  test('a version by another publisher never reaches the cluster, even when written past the CLI', async () => {
    const v3 = join(work, `${APP}-3.0.0.yaml`);
    // the CLI refuses: the app is bound to acme's key
    expect(
      await ferry(
        [
          'market',
          'push',
          `${APP}@3.0.0`,
          '--market',
          vendorUrl(),
          '-f',
          v3,
          '--sign-key',
          join(work, 'rival.key'),
          '--quiet',
          '--plain-http',
        ],
        { as: 'admin', fail: true },
      ),
    ).toMatch(new RegExp(`market/${APP} is bound to publisher sha256:[a-f0-9]{16}`));
    // someone with push rights writes a rival-signed 3.0.0 by hand: package → images → signature → tag
    const pkg = join(work, 'v3.tar');
    await ferry(['export', `${APP}@3.0.0`, '-f', v3, '-o', pkg, '--quiet', '--plain-http']);
    await ferry(['import', pkg, '--registry', `${vendorUrl()}/${APP}`, '--quiet', '--plain-http'], {
      as: 'admin',
    });
    const verified = await verifyPackage(pkg);
    const registry = new RegistryClient(vendorMarket.address, {
      plainHttp: true,
      credentials: { username: 'admin', password: passwords.admin },
    });
    try {
      const store = new MarketStore(registry, parseMarketUrl(vendorUrl()));
      const artifact = versionArtifact(verified.templates[0]!, verified);
      await store.writeSignature(
        signVersion(APP, '3.0.0', artifact.manifest.digest, loadPrivateKey(join(work, 'rival.key'))),
      );
      await store.writeArtifact(`market/${APP}`, '3.0.0', artifact);
      expect(await store.versions(APP)).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    } finally {
      registry.close();
    }
    await client.mergePatch(ferryRef('AppMarket', undefined, `vendor-${APP}`), {
      metadata: { annotations: { 'ferry.dev/sync-requested-at': new Date().toISOString() } },
    });
    const refused = await waitFor('3.0.0 refused', async () => {
      const market = await client.get<Obj>(ferryRef('AppMarket', undefined, `vendor-${APP}`));
      const app = (market?.status?.apps ?? []).find((a: { name: string }) => a.name === APP);
      const v3 = (app?.versions ?? []).find((v: { version: string }) => v.version === '3.0.0');
      return v3?.problem ? { market, v3 } : notYet(app);
    });
    const acmeFingerprint = (
      await ferry(['market', 'show', APP, '--market', vendorUrl(), '-o', 'json', '--plain-http'], {
        as: 'reader',
      })
    ).match(/"publisher": "(sha256:[a-f0-9]{16})"/)![1];
    expect(refused.v3.problem).toContain(acmeFingerprint);
    expect(condition(refused.market, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'VersionsNotSynced',
    });
    expect(await client.get(ferryRef('AppTemplate', undefined, `${APP}.3.0.0`))).toBeUndefined();
  }, 180_000);

  test('2.0.0 goes offline: exported from the vendor market, imported once into the site market', async () => {
    const pkg = join(work, `${APP}-2.0.0.tar.zst`);
    await ferry(
      [
        'export',
        `${APP}@2.0.0`,
        '--from-market',
        vendorUrl(),
        '--key',
        join(work, 'acme.pub'),
        '--sign-key',
        join(work, 'acme.key'),
        '-o',
        pkg,
        '--quiet',
        '--plain-http',
      ],
      { as: 'reader' },
    );
    const out = await ferry([
      'import',
      pkg,
      '--key',
      join(work, 'acme.pub'),
      '--market',
      siteUrl(),
      '--sign-key',
      join(work, 'site.key'),
      '--quiet',
      '--plain-http',
    ]);
    expect(out).toMatch(new RegExp(`/apps/${APP}:2.0.0 pushed`));
    expect(out).toMatch(new RegExp(`${APP} listed in`));
  }, 120_000);

  test('two site clusters sync that one import and install erp 2.0.0 from it', async () => {
    for (const name of ['site-a', 'site-b']) sites.push(await startExtraCluster(name));
    for (const site of sites) {
      await OperatorProcess.start(['--resync', '5', '--namespace', 'default'], {
        kubeconfig: site.kubeconfig,
      });
      await createMarket(site.client, 'site', {
        url: siteUrl(),
        plainHttp: true,
        trustedKeys: [pem(join(work, 'site.pub'))],
        interval: '1h',
      });
    }
    for (const site of sites) {
      await marketReady(site.client, 'site', ['2.0.0']);
      const template = await site.client.get<Obj>(ferryRef('AppTemplate', undefined, `${APP}.2.0.0`));
      // Hook images (2.0.0's migration) travel through both markets and the offline package too.
      expect(template!.spec.hooks).toHaveLength(1);
      for (const c of [...template!.spec.components, ...template!.spec.hooks])
        expect(c.image).toMatch(new RegExp(`^${siteUrl()}/${APP}/vendor/shop/[a-z]+@sha256:[a-f0-9]{64}$`));
      const siteNs = await createNamespace(site.client, 'erp');
      await createShopSecret(site.client, siteNs);
      await userApply(site.client, shopInstall(siteNs, APP, '2.0.0') as KubeObject);
      const ready = await waitReady(site.client, siteNs, 1);
      expect(ready.status.version).toBe('2.0.0');
    }
  }, 300_000);

  test('no password appears in anything ferry printed', () => {
    const all = printed.join('\n');
    for (const password of Object.values(passwords)) expect(all).not.toContain(password);
  });
});
