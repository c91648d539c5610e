import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppTemplate } from '../api/index.js';
import { exportPackage } from '../bundle/export.js';
import { RegistryClient } from '../bundle/registry-client.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { marketPermissionsPolicy, startRegistry } from '../testing/bundle/registry.js';
import { main } from './main.js';

/**
 * Issue 13's permissions, for real: a market registry behind the e2e token server with three
 * credentials — read-only, push for one app's prefix, admin — driven through the ferry CLI.
 */
const { policy, passwords } = marketPermissionsPolicy();

let market: LocalRegistry;
let vendor: LocalRegistry;
let dir: string;
const packages: Record<string, string> = {};
const printed: string[] = [];

async function ferryAs(user: keyof typeof passwords, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const args = [...argv, '--plain-http', '--username', user, '--password', passwords[user]];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  printed.push(...out, ...err);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function packageOf(app: string, version: string): Promise<string> {
  const client = new RegistryClient(vendor.address, { plainHttp: true });
  try {
    await pushImage(client, `vendor/${app}`, version, buildImage([await randomLayer(1024)]));
    const template = {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppTemplate',
      metadata: { name: `${app}.${version}` },
      spec: {
        app,
        version,
        components: [{ name: 'web', image: `${vendor.address}/vendor/${app}:${version}` }],
      },
    } as unknown as AppTemplate;
    const output = join(dir, `${app}-${version}.tar`);
    await exportPackage({ templates: [template], output, clientFor: () => client });
    return output;
  } finally {
    client.close();
  }
}

const url = () => `${market.address}/market`;

beforeAll(async () => {
  market = startRegistry({ token: policy });
  vendor = startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'ferry-market-perm-'));
  for (const [app, version] of [
    ['shop', '1.0.0'],
    ['shop', '2.0.0'],
    ['shop', '3.0.0'],
    ['other', '1.0.0'],
  ] as const)
    packages[`${app}@${version}`] = await packageOf(app, version);
}, 120_000);
afterAll(() => {
  market?.stop();
  vendor?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('market permissions behind a token server', () => {
  it('admin sets the market up, pushes and lists', async () => {
    expect((await ferryAs('admin', 'market', 'init', '--market', url())).code).toBe(0);
    const push = await ferryAs(
      'admin',
      'market',
      'push',
      '--market',
      url(),
      '--package',
      packages['shop@1.0.0']!,
      '--list',
      '--quiet',
    );
    expect(push.err).toBe('');
    expect(push.out).toMatch(/shop:1.0.0 pushed/);
    expect(push.out).toMatch(/shop listed in/);
  });

  it('a publisher pushes its own app, but not another app and not the shelf', async () => {
    const own = await ferryAs(
      'shop-publisher',
      'market',
      'push',
      '--market',
      url(),
      '--package',
      packages['shop@2.0.0']!,
      '--quiet',
    );
    expect(own.out).toMatch(/shop:2.0.0 pushed/);

    const other = await ferryAs(
      'shop-publisher',
      'market',
      'push',
      '--market',
      url(),
      '--package',
      packages['other@1.0.0']!,
      '--quiet',
    );
    expect(other.code).toBe(1);
    expect(other.err).toMatch(
      /the credentials for 127\.0\.0\.1:\d+ lack "repository:market\/other\/vendor\/other:push"/,
    );

    const shelf = await ferryAs('shop-publisher', 'market', 'list-app', 'shop', '--market', url());
    expect(shelf.code).toBe(1);
    expect(shelf.err).toMatch(/lack "repository:market\/ferry.index:push"/);
  });

  it('a reader sees the market and exports from it, but cannot push', async () => {
    const ls = await ferryAs('reader', 'market', 'ls', '--market', url());
    expect(ls.out).toMatch(/^shop\s+2\.0\.0\s+2\s/m);
    const pkg = join(dir, 'from-market.tar');
    expect(
      (await ferryAs('reader', 'export', 'shop@2.0.0', '--from-market', url(), '-o', pkg, '--quiet')).code,
    ).toBe(0);

    const push = await ferryAs(
      'reader',
      'market',
      'push',
      '--market',
      url(),
      '--package',
      packages['shop@3.0.0']!,
      '--quiet',
    );
    expect(push.code).toBe(1);
    expect(push.err).toMatch(
      /lack "repository:market\/shop\/vendor\/shop:push" \(the token server granted "pull"/,
    );
    expect(
      (await ferryAs('admin', 'market', 'show', 'shop', '--market', url(), '-o', 'json')).out,
    ).not.toMatch(/3\.0\.0/);
  });

  it('no password appears in anything ferry printed', () => {
    const all = printed.join('\n');
    for (const password of Object.values(passwords)) expect(all).not.toContain(password);
  });
});
