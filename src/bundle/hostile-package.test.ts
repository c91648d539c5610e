import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { importPackage, siteRepository } from './import.js';
import { sha256Digest } from './digest.js';
import type { ManifestBlob } from './media-types.js';
import { verifyPackage } from './package-reader.js';
import { keyFingerprint } from './package-format.js';
import { parseRegistryTarget } from './reference.js';
import { RegistryClient } from './registry-client.js';
import type { TestImage } from '../testing/bundle/images.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { TestPackageOptions } from '../testing/bundle/package.js';
import { rewritePackage, writeTestPackage } from '../testing/bundle/package.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';

const onlyFirstComponent = (doc: unknown) => {
  const template = doc as { spec: { components: unknown[] } };
  template.spec.components = template.spec.components.slice(0, 1);
  return template;
};

/** A copy of `image` whose manifest JSON was edited (a new digest, as an attacker would make). */
function withManifest(image: TestImage, edit: (json: Record<string, unknown>) => void): TestImage {
  const json = JSON.parse(image.manifest.bytes.toString('utf8')) as Record<string, unknown>;
  edit(json);
  const bytes = Buffer.from(JSON.stringify(json));
  const manifest: ManifestBlob = { ...image.manifest, bytes, digest: sha256Digest(bytes) };
  return { ...image, manifest };
}

const catalog = async (registry: LocalRegistry): Promise<string[]> => {
  const res = await fetch(`http://${registry.address}/v2/_catalog?n=1000`);
  return ((await res.json()) as { repositories: string[] }).repositories;
};

describe('a hostile package', () => {
  let site: LocalRegistry;
  let client: RegistryClient;
  let dir: string;
  let image: TestImage;
  let otherTenant: TestImage;
  const vendor = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    site = startRegistry();
    client = new RegistryClient(site.address, { plainHttp: true });
    image = buildImage([await randomLayer(4000)]);
    otherTenant = buildImage([await randomLayer(3000)]);
    await pushImage(client, 'other-tenant/app', '1.0', otherTenant);
  }, 60_000);
  afterAll(() => {
    client?.close();
    site?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-hostile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = async (options: Partial<TestPackageOptions>, name = 'p.tar') => {
    const file = join(dir, name);
    await writeTestPackage(file, {
      images: [{ ref: 'vendor.example.com/app:1.0', repository: 'app', image }],
      signKey: vendor.privateKey,
      ...options,
    });
    return file;
  };
  const importInto = (file: string, prefix: string, extra: Record<string, unknown> = {}) =>
    importPackage({ file, registry: client, prefix, publicKeys: [vendor.publicKey], ...extra });

  it('cannot write outside --registry HOST/PREFIX, even signed by the trusted vendor', async () => {
    const before = await client.headManifest('other-tenant/app', '1.0');
    const escapes = [
      '../other-tenant/app',
      'tenant-a/../../other-tenant/app',
      './other-tenant/app',
      'x//other-tenant/app',
      '%2e%2e/other-tenant/app',
      'https://evil.example.com/app',
      'user:secret@evil.example.com/app',
      '/other-tenant/app',
    ];
    for (const repository of escapes) {
      const file = await make({
        editManifest: (m) => ((m.images as { repository: string }[])[0]!.repository = repository),
      });
      await expect(importInto(file, 'tenant-a')).rejects.toThrow(
        /ferry-bundle.json: images.0.repository: repository must be a repository path/,
      );
    }
    const baseEscape = await make({
      editManifest: (m) => Object.assign(m, { baseRepositories: ['../other-tenant/app'] }),
    });
    await expect(importInto(baseEscape, 'tenant-a')).rejects.toThrow(
      /baseRepositories.0: base repository must be/,
    );
    expect(await client.headManifest('other-tenant/app', '1.0')).toBe(before);
    expect(before).toBe(otherTenant.manifest.digest);
    expect((await catalog(site)).filter((r) => r.startsWith('tenant-a'))).toEqual([]);
  });

  it('is checked again where it is joined to the prefix and where the client builds the URL', async () => {
    expect(siteRepository('tenant-a', 'vendor/app')).toBe('tenant-a/vendor/app');
    expect(() => siteRepository('tenant-a', '../other')).toThrow(/not a repository path under "tenant-a"/);
    expect(() => siteRepository('', 'a/./b')).toThrow(/not a repository path/);
    await expect(client.headManifest('tenant-a/../other-tenant/app', '1.0')).rejects.toThrow(
      /refused to request "\/v2\/tenant-a\/..\/other-tenant\/app\/manifests\/1.0"/,
    );
  });

  it('shows every destination repository and tag before anything is pushed', async () => {
    const file = await make({});
    let seen: string[] = [];
    let catalogThen: string[] = [];
    const result = await importInto(file, 'tenant-b', {
      onVerified: async (_pkg: unknown, targets: { repository: string; tag?: string }[]) => {
        seen = targets.map((t) => `${t.repository}:${t.tag}`);
        catalogThen = await catalog(site);
      },
    });
    expect(seen).toEqual([`${site.address}/tenant-b/app:1.0`]);
    expect(catalogThen.filter((r) => r.startsWith('tenant-b'))).toEqual([]);
    expect(result.destinations).toEqual([
      {
        ref: 'vendor.example.com/app:1.0',
        repository: `${site.address}/tenant-b/app`,
        tag: '1.0',
        digest: image.manifest.digest,
      },
    ]);
    expect(result.package.signedBy).toBe(keyFingerprint(vendor.publicKey));
    expect(await client.headManifest('tenant-b/app', '1.0')).toBe(image.manifest.digest);
  });

  it('refuses images no template uses unless allowed, and images listed twice', async () => {
    const unused = await make({
      images: [
        { ref: 'vendor.example.com/app:1.0', repository: 'app', image },
        { ref: 'vendor.example.com/extra:1.0', repository: 'other-tenant/app', image: otherTenant },
      ],
      // the template uses the first image only
      editManifest: () => {},
    });
    await rewritePackage(unused, join(dir, 'unused.tar'), (entries) =>
      entries.map((e) =>
        e.name === 'templates/demo/1.0.0.yaml'
          ? { ...e, data: Buffer.from(yaml.dump(onlyFirstComponent(yaml.load(e.data.toString())))) }
          : e,
      ),
    );
    await expect(verifyPackage(join(dir, 'unused.tar'))).rejects.toThrow(
      /ferry-bundle.json: images lists vendor.example.com\/extra:1.0, which no template uses: refused .*--allow-unused-images/,
    );
    expect((await verifyPackage(join(dir, 'unused.tar'), { allowUnusedImages: true })).images).toHaveLength(
      2,
    );
    const twice = await make({
      images: [
        { ref: 'vendor.example.com/app:1.0', repository: 'app', image },
        { ref: 'vendor.example.com/app:1.0', repository: 'app2', image },
      ],
    });
    await expect(verifyPackage(twice)).rejects.toThrow(/images lists vendor.example.com\/app:1.0 twice/);
  });

  it('is refused before a push when a media type could not go into a header or is not a manifest', async () => {
    const crlf = withManifest(image, (json) => {
      (json.layers as { mediaType: string }[])[0]!.mediaType = 'text/plain\r\nX-Injected: 1';
    });
    const file = await make({
      images: [{ ref: 'vendor.example.com/app:1.0', repository: 'crlf', image: crlf }],
    });
    await expect(importInto(file, 'tenant-c')).rejects.toThrow(
      /has media type "text\/plain\\r\\nX-Injected: 1", which is not a media type/,
    );
    const wrongRoot = await make(
      {
        images: [{ ref: 'vendor.example.com/app:1.0', repository: 'crlf', image }],
        editManifest: (m) => ((m.images as { mediaType: string }[])[0]!.mediaType = 'text/html'),
      },
      'root.tar',
    );
    await expect(importInto(wrongRoot, 'tenant-c')).rejects.toThrow(/images.0.mediaType/);
    const badRef = await make(
      { images: [{ ref: 'vendor.example.com/app:1.0 extra', repository: 'crlf', image }] },
      'ref.tar',
    );
    await expect(importInto(badRef, 'tenant-c')).rejects.toThrow(
      /images.0.ref: ref must be an image reference/,
    );
    expect((await catalog(site)).filter((r) => r.startsWith('tenant-c'))).toEqual([]);
  });

  it('needs a valid signature by one of the trusted keys: unsigned, wrong key, forged, zeroed and malformed are refused', async () => {
    const signed = await make({}, 'signed.tar');
    const both = await verifyPackage(signed, { publicKeys: [stranger.publicKey, vendor.publicKey] });
    expect([both.signature, both.signedBy]).toEqual(['verified', keyFingerprint(vendor.publicKey)]);
    await expect(verifyPackage(signed, { publicKeys: [stranger.publicKey] })).rejects.toThrow(
      /SHA256SUMS.sig: signature does not verify with the given key/,
    );
    const unsigned = await make({ signKey: undefined }, 'unsigned.tar');
    await expect(verifyPackage(unsigned, { publicKeys: [vendor.publicKey] })).rejects.toThrow(
      /not signed, and a signature by a trusted key is required/,
    );
    const forged = await make({ signOther: true }, 'forged.tar');
    await expect(verifyPackage(forged, { publicKeys: [vendor.publicKey] })).rejects.toThrow(
      /does not verify/,
    );
    const withSignature = async (name: string, signature: string) => {
      const out = join(dir, name);
      await rewritePackage(
        signed,
        out,
        (entries) =>
          entries.map((e) => (e.name === 'SHA256SUMS.sig' ? { ...e, data: Buffer.from(signature) } : e)),
        { keepSums: true },
      );
      return out;
    };
    const zeroed = await withSignature('zeroed.tar', `${Buffer.alloc(64).toString('base64')}\n`);
    await expect(verifyPackage(zeroed, { publicKeys: [vendor.publicKey] })).rejects.toThrow(
      /does not verify/,
    );
    const padded = await withSignature('junk.tar', `${'A'.repeat(86)}==!!junk\n`);
    for (const keys of [[vendor.publicKey], []])
      await expect(verifyPackage(padded, { publicKeys: keys })).rejects.toThrow(
        /SHA256SUMS.sig: not one line of base64 holding a 64-byte ed25519 signature/,
      );
  });
});

describe('--registry', () => {
  it('refuses credentials in the target without repeating them', () => {
    for (const target of [
      'user:s3cret@registry.site:5000/apps',
      'user:s3/cret@registry.site',
      'https://u:s3cret@r.site',
    ]) {
      let message = '';
      try {
        parseRegistryTarget(target);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/must not hold credentials .*--username and FERRY_REGISTRY_PASSWORD/);
      expect(message).not.toMatch(/s3/);
    }
    expect(parseRegistryTarget('registry.site:5000/apps/shop')).toEqual({
      registry: 'registry.site:5000',
      prefix: 'apps/shop',
    });
    expect(() => parseRegistryTarget('registry.site/apps/../x')).toThrow(/is not a repository path/);
  });
});
