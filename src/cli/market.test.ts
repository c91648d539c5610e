import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { verifyPackage } from '../bundle/package-reader.js';
import { RegistryClient } from '../bundle/registry-client.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';
import { main } from './main.js';

/**
 * The market CLI against a real registry: a vendor pushes from template files (images pulled from
 * the vendor's registry), lists, shows, unlists; a site exports a version from the market and
 * imports that package into its own market, whose entry then names the site's copy.
 */
let vendor: LocalRegistry;
let site: LocalRegistry;
let dir: string;
const net = ['--plain-http'];

async function ferry(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await ferry(...argv);
  if (r.code !== 0) throw new Error(`ferry ${argv.join(' ')} exited ${r.code}:\n${r.err}\n${r.out}`);
  return r.out;
}

function templateFile(version: string, image: string): string {
  const file = join(dir, `erp-${version}.yaml`);
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppTemplate',
      metadata: { name: `erp.${version}` },
      spec: {
        app: 'erp',
        version,
        displayName: 'ERP',
        releaseNotes: `erp ${version}`,
        components: [{ name: 'web', image, ports: [{ name: 'http', port: 8080 }] }],
      },
    }),
  );
  return file;
}

beforeAll(async () => {
  vendor = startRegistry();
  site = startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'ferry-market-cli-'));
  const client = new RegistryClient(vendor.address, { plainHttp: true });
  for (const tag of ['1.0.0', '2.0.0'])
    await pushImage(client, 'acme/erp-web', tag, buildImage([await randomLayer(4096)]));
  client.close();
  await ok('keys', 'generate', '-o', join(dir, 'acme'));
  await ok('keys', 'generate', '-o', join(dir, 'site'));
});
afterAll(() => {
  vendor?.stop();
  site?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ferry market', () => {
  const market = () => `${vendor.address}/market`;

  it('pushes versions from template files, lists the app, shows who signed what', async () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const out = await ok(
        'market',
        'push',
        `erp@${version}`,
        '--market',
        market(),
        '-f',
        templateFile(version, `${vendor.address}/acme/erp-web:${version}`),
        '--sign-key',
        join(dir, 'acme.key'),
        '--quiet',
        ...net,
      );
      expect(out).toMatch(
        new RegExp(`/market/erp:${version} pushed sha256:[a-f0-9]{64}, signed by sha256:[a-f0-9]{16}`),
      );
      if (version === '1.0.0') expect(out).toMatch(/erp is now bound to publisher/);
    }
    expect(await ok('market', 'ls', '--market', market(), ...net)).toMatch(/no index yet/);
    expect(await ok('market', 'list-app', 'erp', '--market', market(), ...net)).toMatch(
      /erp listed in .*\/market \(2 version\(s\)\)/,
    );
    const ls = await ok('market', 'ls', '--market', market(), ...net);
    expect(ls).toMatch(/^erp\s+2\.0\.0\s+2\s+sha256:[a-f0-9]{16}\s+ERP$/m);
    const show = JSON.parse(await ok('market', 'show', 'erp', '--market', market(), '-o', 'json', ...net));
    expect(show.listed).toBe(true);
    expect(show.versions.map((v: { version: string; signedBy: string }) => [v.version, v.signedBy])).toEqual([
      ['1.0.0', show.publisher.publisher],
      ['2.0.0', show.publisher.publisher],
    ]);

    expect(await ok('market', 'unlist-app', 'erp', '--market', market(), ...net)).toMatch(/unlisted/);
    expect(await ok('market', 'ls', '--market', market(), ...net)).toMatch(/no app listed/);
    expect(await ok('market', 'ls', '--all', '--market', market(), ...net)).toMatch(/^erp \(unlisted\)/m);
    await ok('market', 'list-app', 'erp', '--market', market(), ...net);
  });

  it('refuses a push signed by another key, and says why', async () => {
    const r = await ferry(
      'market',
      'push',
      'erp@3.0.0',
      '--market',
      market(),
      '-f',
      templateFile('3.0.0', `${vendor.address}/acme/erp-web:2.0.0`),
      '--sign-key',
      join(dir, 'site.key'),
      '--quiet',
      ...net,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /market\/erp is bound to publisher sha256:[a-f0-9]{16} .*this key is sha256:[a-f0-9]{16}/,
    );
  });

  it('exports a version from the market and imports it into a site market: one verified path', async () => {
    const pkg = join(dir, 'erp-2.0.0.tar.zst');
    await ok(
      'export',
      'erp@2.0.0',
      '--from-market',
      market(),
      '--key',
      join(dir, 'acme.pub'),
      '-o',
      pkg,
      '--quiet',
      ...net,
    );
    const verified = await verifyPackage(pkg);
    // the package names the images as the vendor did; their bytes came from the market
    expect(verified.manifest.images.map((i) => [i.ref, i.repository])).toEqual([
      [`${vendor.address}/acme/erp-web:2.0.0`, 'acme/erp-web'],
    ]);
    // an untrusted key refuses the export
    const refused = await ferry(
      'export',
      'erp@2.0.0',
      '--from-market',
      market(),
      '--key',
      join(dir, 'site.pub'),
      '-o',
      join(dir, 'x.tar'),
      ...net,
    );
    expect(refused.err).toMatch(/erp:2.0.0 is signed by sha256:[a-f0-9]{16}, which is not a trusted key/);

    const siteMarket = `${site.address}/apps`;
    const out = await ok(
      'import',
      pkg,
      '--market',
      siteMarket,
      '--sign-key',
      join(dir, 'site.key'),
      '--quiet',
      ...net,
    );
    expect(out).toMatch(/\/apps\/erp:2.0.0 pushed/);
    expect(out).toMatch(/erp listed in .*\/apps/);
    const show = JSON.parse(await ok('market', 'show', 'erp', '--market', siteMarket, '-o', 'json', ...net));
    expect(show).toMatchObject({ listed: true, versions: [{ version: '2.0.0' }] });
    // importing the same package again moves no bytes and changes no version
    const again = await ok(
      'import',
      pkg,
      '--market',
      siteMarket,
      '--sign-key',
      join(dir, 'site.key'),
      '--quiet',
      ...net,
    );
    expect(again).toMatch(/pushed 0 blobs .*already present/);
    expect(again).toMatch(/erp:2.0.0 unchanged/);
  });

  it('says what is wrong with misuse', async () => {
    expect((await ferry('market', 'push', 'erp@1.0.0', ...net)).err).toMatch(
      /--market NAME\|REGISTRY\/PREFIX is required/,
    );
    expect((await ferry('market', 'frobnicate', '--market', market(), ...net)).err).toMatch(
      /expected push, ls, show, list-app, unlist-app or init/,
    );
    expect((await ferry('market', 'show', 'nope', '--market', market(), ...net)).err).toMatch(
      /has no version of nope/,
    );
    expect((await ferry('market', 'ls', '--market', 'shop', ...net)).err).toMatch(
      /a name is an AppMarket of a cluster/,
    );
    expect((await ferry('import', 'x.tar', '--market', market(), '--registry', 'r/p')).err).toMatch(
      /a market names its own registry/,
    );
  });
});
