import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppTemplate } from '../api/index.js';
import { exportPackage } from '../bundle/export.js';
import { RegistryClient } from '../bundle/registry-client.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';
import { PUBLISHER_TAG, checkSignature, emptyIndex, parseMarketUrl, signatureTag } from './format.js';
import { pushPackage } from './push.js';
import { MarketStore } from './store.js';

let registry: LocalRegistry;
let client: RegistryClient;
let dir: string;
const acme = generateKeyPairSync('ed25519').privateKey;
const rival = generateKeyPairSync('ed25519').privateKey;

function template(
  app: string,
  version: string,
  image: string,
  extra: Record<string, unknown> = {},
): AppTemplate {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `${app}.${version}` },
    spec: {
      app,
      version,
      displayName: 'Demo shop',
      description: 'for tests',
      components: [{ name: 'web', image, ports: [{ name: 'http', port: 8080 }], ...extra }],
    },
  } as unknown as AppTemplate;
}

async function vendorImage(tag: string): Promise<string> {
  const image = buildImage([await randomLayer(2048)]);
  await pushImage(client, 'vendor/web', tag, image);
  return `${registry.address}/vendor/web:${tag}`;
}

async function packageOf(name: string, templates: AppTemplate[]): Promise<string> {
  const output = join(dir, `${name}.tar`);
  await exportPackage({ templates, output, clientFor: () => client });
  return output;
}

const store = (prefix = 'market') => new MarketStore(client, parseMarketUrl(`${registry.address}/${prefix}`));

beforeAll(() => {
  registry = startRegistry();
  client = new RegistryClient(registry.address, { plainHttp: true });
  dir = mkdtempSync(join(tmpdir(), 'ferry-market-'));
});
afterAll(() => {
  client?.close();
  registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('market push and read', () => {
  let v1Image = '';
  let v1Package = '';

  it('pushes a signed version: images under the app, publisher bound, signature beside it, readable back', async () => {
    v1Image = await vendorImage('1.0.0');
    v1Package = await packageOf('shop-1', [template('shop', '1.0.0', v1Image)]);
    const result = await pushPackage({ store: store(), packageFile: v1Package, signKey: acme });
    expect(result.versions).toEqual([
      expect.objectContaining({ app: 'shop', version: '1.0.0', action: 'pushed', boundPublisher: true }),
    ]);
    expect(result.images.blobsPushed).toBe(2); // the layer and the config

    const market = store();
    const read = await market.readVersion('shop', '1.0.0');
    expect(read!.template.spec.components[0]!.image).toBe(v1Image); // the vendor's name, as published
    const [mapped] = read!.images;
    expect(mapped).toMatchObject({ ref: v1Image, repository: 'vendor/web' });
    // the image is in the market, under the app's repository, by digest
    expect(await client.headManifest('market/shop/vendor/web', mapped!.digest)).toBe(mapped!.digest);
    expect(read!.annotations['org.opencontainers.image.title']).toBe('Demo shop');
    const check = checkSignature(read!.signature!, 'shop', '1.0.0', read!.digest);
    expect(check).toMatchObject({ publisher: result.versions[0]!.publisher });
    expect((await market.readPublisher('shop'))!.publisher).toBe(result.versions[0]!.publisher);
    // only versions are versions: the signature and publisher tags are not listed as such
    const tags = await client.listTags('market/shop');
    expect(tags).toEqual(expect.arrayContaining(['1.0.0', PUBLISHER_TAG, signatureTag(read!.digest)]));
    expect(await market.versions('shop')).toEqual(['1.0.0']);
    expect(await market.readVersion('shop', '9.9.9')).toBeUndefined();
  });

  it('pushing the same version again changes nothing and moves no bytes', async () => {
    const before = await client.headManifest('market/shop', '1.0.0');
    const again = await pushPackage({ store: store(), packageFile: v1Package, signKey: acme });
    expect(again.versions[0]).toMatchObject({ action: 'unchanged', digest: before });
    expect(again.images.blobsPushed).toBe(0);
    expect(again.images.bytesPushed).toBe(0);
  });

  it('refuses the same version with other content, naming both digests, and writes nothing', async () => {
    const before = await client.headManifest('market/shop', '1.0.0');
    const other = await packageOf('shop-1-other', [template('shop', '1.0.0', v1Image, { replicas: 3 })]);
    const blobsBefore = await client.listTags('market/shop/vendor/web');
    await expect(pushPackage({ store: store(), packageFile: other, signKey: acme })).rejects.toThrow(
      new RegExp(
        `shop:1.0.0 exists with other content \\(market ${before}, this push sha256:[a-f0-9]{64}\\)`,
      ),
    );
    expect(await client.headManifest('market/shop', '1.0.0')).toBe(before);
    expect(await client.listTags('market/shop/vendor/web')).toEqual(blobsBefore);
  });

  it("refuses another publisher's version and an unsigned one for a bound app", async () => {
    const v2 = await packageOf('shop-2', [template('shop', '2.0.0', await vendorImage('2.0.0'))]);
    await expect(pushPackage({ store: store(), packageFile: v2, signKey: rival })).rejects.toThrow(
      /market\/shop is bound to publisher sha256:[0-9a-f]{16} since .*; this key is sha256:[0-9a-f]{16}/,
    );
    await expect(pushPackage({ store: store(), packageFile: v2 })).rejects.toThrow(
      /must be signed with that key \(--sign-key\)/,
    );
    expect(await store().versions('shop')).toEqual(['1.0.0']);
    await pushPackage({ store: store(), packageFile: v2, signKey: acme });
    expect(await store().versions('shop')).toEqual(['1.0.0', '2.0.0']);
  });

  it('a market that requires signatures refuses an unsigned push of a new app', async () => {
    const strict = store('strict');
    await strict.writeIndex(emptyIndex(true));
    const pkg = await packageOf('blog-1', [template('blog', '1.0.0', v1Image)]);
    await expect(pushPackage({ store: strict, packageFile: pkg })).rejects.toThrow(
      /strict requires signed versions: pass --sign-key/,
    );
    expect(await strict.versions('blog')).toEqual([]);
    // an unsigned push is fine where signatures are not required, and binds no publisher
    const open = await pushPackage({ store: store('open'), packageFile: pkg });
    expect(open.versions[0]).toMatchObject({ action: 'pushed', boundPublisher: false, publisher: undefined });
    expect(await store('open').readPublisher('blog')).toBeUndefined();
    expect((await store('open').readVersion('blog', '1.0.0'))!.signature).toBeUndefined();
  });

  it('the index says which apps are listed', async () => {
    const market = store('shelf');
    expect(await market.readIndex()).toBeUndefined();
    const index = emptyIndex();
    index.apps.shop = { listed: true, changedAt: '2026-11-30T00:00:00Z' };
    index.apps.hidden = { listed: false, changedAt: '2026-11-30T00:00:00Z' };
    await market.writeIndex(index);
    expect(await market.readIndex()).toEqual(index);
  });
});
