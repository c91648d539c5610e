import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPackage } from './import.js';
import { verifyPackage } from './package-reader.js';
import { RegistryClient } from './registry-client.js';
import type { TestImage } from '../testing/bundle/images.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import { writeTestPackage } from '../testing/bundle/package.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';

const MiB = 1024 * 1024;

const catalog = async (registry: LocalRegistry): Promise<string[]> => {
  const res = await fetch(`http://${registry.address}/v2/_catalog?n=1000`);
  return ((await res.json()) as { repositories: string[] }).repositories;
};

/** A copy of the package with one byte flipped in the middle of `layer`'s bytes. */
function corrupt(file: string, layer: Buffer, out: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(layer.subarray(0, 256));
  expect(at).toBeGreaterThan(0);
  const middle = at + Math.floor(layer.length / 2);
  bytes[middle] = bytes[middle]! ^ 0xff;
  writeFileSync(out, bytes);
}

// A plain tar is read by position: the blobs to push stream from the file into uploads that are
// committed only once every one matched its digest; blobs the site has are not read at all.
describe('importing a plain tar package', () => {
  let site: LocalRegistry;
  let client: RegistryClient;
  let dir: string;
  let image: TestImage;

  beforeAll(async () => {
    site = startRegistry();
    client = new RegistryClient(site.address, { plainHttp: true });
    // larger than a manifest can be, so the scan skips them and the push reads them
    image = buildImage([await randomLayer(6 * MiB), await randomLayer(5 * MiB)]);
  }, 60_000);
  afterAll(() => {
    client?.close();
    site?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-plain-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = async () => {
    const file = join(dir, 'p.tar');
    await writeTestPackage(file, {
      images: [{ ref: 'vendor.example.com/app:1.0', repository: 'app', image }],
    });
    return file;
  };

  it('refuses a blob whose bytes changed, committing none of the blobs it had streamed', async () => {
    const file = await make();
    for (const [i, layer] of image.layers.entries()) {
      const bad = join(dir, `bad-${i}.tar`);
      corrupt(file, layer.bytes, bad);
      await expect(verifyPackage(bad)).rejects.toThrow(
        new RegExp(`images/blobs/sha256/${layer.descriptor.digest.slice(7)}: digest mismatch`),
      );
      await expect(importPackage({ file: bad, registry: client, prefix: `bad${i}` })).rejects.toThrow(
        new RegExp(`images/blobs/sha256/${layer.descriptor.digest.slice(7)}: digest mismatch`),
      );
      expect((await catalog(site)).filter((r) => r.startsWith(`bad${i}/`))).toEqual([]);
      for (const l of image.layers)
        expect(await client.headBlob(`bad${i}/app`, l.descriptor.digest)).toBeUndefined();
    }
  });

  it('pushes each missing blob once and a re-import reads and sends nothing', async () => {
    const file = await make();
    const first = await importPackage({ file, registry: client, prefix: 'good' });
    expect([first.blobsPushed, first.bytesPushed]).toEqual([
      3,
      image.config.length + image.layers.reduce((n, l) => n + l.bytes.length, 0),
    ]);
    expect(await client.headManifest('good/app', '1.0')).toBe(image.manifest.digest);
    const again = await importPackage({ file, registry: client, prefix: 'good' });
    expect([again.blobsPushed, again.bytesPushed, again.blobsPresent]).toEqual([0, 0, 3]);
  });

  it('does not read the blobs the site holds already: a corrupt copy of one of them is not used', async () => {
    await pushImage(client, 'held/app', 'other', image);
    const bad = join(dir, 'bad.tar');
    corrupt(await make(), image.layers[0]!.bytes, bad);
    const result = await importPackage({ file: bad, registry: client, prefix: 'held' });
    expect([result.blobsPushed, result.bytesPushed]).toEqual([0, 0]);
    expect(await client.headManifest('held/app', '1.0')).toBe(image.manifest.digest);
    // the site's copy is the one its digest names
    const layer = image.layers[0]!;
    const held = await client.getSmallBlob('held/app', layer.descriptor.digest, layer.bytes.length);
    expect(held.equals(layer.bytes)).toBe(true);
  });
});
