import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { verifyPackage } from './package-reader.js';
import type { TestImage } from '../testing/bundle/images.js';
import { buildImage, randomLayer } from '../testing/bundle/images.js';
import type { TestPackageOptions } from '../testing/bundle/package.js';
import { writeTestPackage } from '../testing/bundle/package.js';

describe('verifyPackage', () => {
  let dir: string;
  let image: TestImage;
  let other: TestImage;
  const images = () => [
    { ref: 'registry.example.com/demo/a:1.0', repository: 'demo/a', image },
    { ref: 'registry.example.com/demo/b@' + other.manifest.digest, repository: 'demo/b', image: other },
  ];
  const keys = generateKeyPairSync('ed25519');
  const wrong = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    const shared = await randomLayer(5000);
    image = buildImage([shared, await randomLayer(3000)]);
    other = buildImage([shared, await randomLayer(2000)]);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-pkg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = async (options: Partial<TestPackageOptions> = {}) => {
    const file = join(dir, 'p.tar');
    await writeTestPackage(file, { images: images(), ...options });
    return file;
  };

  it('accepts a sound package, shared blobs once, and reports the image graph', async () => {
    const pkg = await verifyPackage(await make());
    expect(pkg.signature).toBe('unsigned');
    expect(pkg.templates.map((t) => t.metadata.name)).toEqual(['demo.1.0.0']);
    expect(pkg.images.map((i) => i.blobs.length)).toEqual([3, 3]);
    // 2 manifests + 2 configs + 3 distinct layers
    expect(pkg.blobs.size).toBe(7);
  });

  it('reads zstd-compressed packages (told by magic bytes, not the name)', async () => {
    const file = await make();
    const compressed = join(dir, 'p.bin');
    writeFileSync(compressed, zstdCompressSync(readFileSync(file)));
    expect((await verifyPackage(compressed)).blobs.size).toBe(7);
  });

  it('verifies a signature with the right key and refuses the wrong key, a missing or a forged signature', async () => {
    const signed = await make({ signKey: keys.privateKey });
    expect((await verifyPackage(signed, { publicKeys: [keys.publicKey] })).signature).toBe('verified');
    expect((await verifyPackage(signed)).signature).toBe('signed-not-checked');
    await expect(verifyPackage(signed, { publicKeys: [wrong.publicKey] })).rejects.toThrow(
      /SHA256SUMS.sig: signature does not verify/,
    );
    const unsigned = await make();
    await expect(verifyPackage(unsigned, { publicKeys: [keys.publicKey] })).rejects.toThrow(
      /the package is not signed, and a signature by a trusted key is required/,
    );
    const forged = await make({ signKey: keys.privateKey, signOther: true });
    await expect(verifyPackage(forged, { publicKeys: [keys.publicKey] })).rejects.toThrow(
      /signature does not verify/,
    );
  });

  it('refuses a flipped byte in a layer, naming the blob entry', async () => {
    const file = await make();
    const bytes = readFileSync(file);
    const layer = image.layers[1]!.bytes;
    const at = bytes.indexOf(layer.subarray(0, 64));
    bytes[at + 100] = bytes[at + 100]! ^ 0xff;
    writeFileSync(file, bytes);
    await expect(verifyPackage(file)).rejects.toThrow(
      new RegExp(`images/blobs/sha256/${image.layers[1]!.descriptor.digest.slice(7)}: digest mismatch`),
    );
  });

  it('refuses an unknown format version, saying which version this ferry reads', async () => {
    const file = await make({ editManifest: (m) => void (m.formatVersion = 2) });
    await expect(verifyPackage(file)).rejects.toThrow(
      /ferry-bundle.json: unknown formatVersion 2: this ferry reads version 1/,
    );
  });

  it('refuses entries missing from SHA256SUMS and blobs neither carried nor omitted', async () => {
    const strayBlob = `images/blobs/sha256/${createHash('sha256').update('x').digest('hex')}`;
    const unlisted = await make({ extra: [{ name: strayBlob, data: 'x', unlisted: true }] });
    await expect(verifyPackage(unlisted)).rejects.toThrow(`${strayBlob}: not listed in SHA256SUMS`);
    const stray = await make({ extra: [{ name: 'templates/demo/9.9.9.yaml', data: 'x' }] });
    await expect(verifyPackage(stray)).rejects.toThrow(
      /templates\/demo\/9.9.9.yaml: template not listed in ferry-bundle.json versions/,
    );
  });

  it('accepts a differential package only for blobs it declares omitted', async () => {
    const base = image.layers[0]!.descriptor.digest;
    const declared = await make({
      skipBlobs: [base],
      editManifest: (m) => Object.assign(m, { baseVersions: ['0.9.0'], omittedBlobs: [base] }),
    });
    const pkg = await verifyPackage(declared);
    expect(pkg.blobs.has(base)).toBe(false);
    expect(pkg.images[0]!.blobs.find((b) => b.digest === base)!.carried).toBe(false);
    const undeclared = await make({ skipBlobs: [base] });
    await expect(verifyPackage(undeclared)).rejects.toThrow(
      new RegExp(
        `image registry.example.com/demo/a:1.0: blob ${base} is neither in the package nor listed as omitted`,
      ),
    );
  });
});
