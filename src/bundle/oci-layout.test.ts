import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { OciLayoutReader, OciLayoutWriter, blobPath } from './oci-layout.js';
import { buildImage, randomLayer } from '../testing/bundle/images.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const hasSkopeo = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v skopeo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('OCI image layout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-oci-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function writeImage() {
    const image = buildImage([await randomLayer(70_000), await randomLayer(1000)]);
    const layout = await new OciLayoutWriter(dir).init();
    for (const layer of image.layers) {
      // in small pieces, as from a network stream
      const pieces = [layer.bytes.subarray(0, 100), layer.bytes.subarray(100)];
      expect(
        await layout.writeBlob(layer.descriptor.digest, layer.descriptor.size, Readable.from(pieces)),
      ).toBe(layer.descriptor.size);
    }
    await layout.writeBlob(image.configDigest, image.config.length, Readable.from([image.config]));
    await layout.writeManifest(image.manifest);
    layout.addImage(image.manifest, 'example.com/app:1.0');
    await layout.finish();
    return { image, layout };
  }

  it('writes blobs streamed and verified, and reads them back', async () => {
    const { image, layout } = await writeImage();
    expect(
      await layout.writeBlob(image.configDigest, image.config.length, Readable.from([image.config])),
    ).toBe(0);
    const reader = new OciLayoutReader(dir);
    const index = await reader.index();
    expect(index.manifests).toEqual([
      expect.objectContaining({
        digest: image.manifest.digest,
        annotations: { 'org.opencontainers.image.ref.name': 'example.com/app:1.0' },
      }),
    ]);
    const manifest = await reader.readManifest(index.manifests[0]!);
    expect(manifest.bytes.equals(image.manifest.bytes)).toBe(true);
    const layer = image.layers[0]!;
    expect(
      (await readAll(reader.readBlob(layer.descriptor.digest, layer.descriptor.size))).equals(layer.bytes),
    ).toBe(true);
  });

  it('refuses to store a blob whose bytes do not match its digest, leaving nothing behind', async () => {
    const layout = await new OciLayoutWriter(dir).init();
    const layer = await randomLayer(100);
    const other = await randomLayer(100);
    await expect(
      layout.writeBlob(layer.descriptor.digest, other.bytes.length, Readable.from([other.bytes])),
    ).rejects.toThrow(/digest mismatch/);
    expect(layout.hasBlob(layer.descriptor.digest)).toBe(false);
  });

  it('fails a read of a blob changed on disk', async () => {
    const { image } = await writeImage();
    const layer = image.layers[1]!;
    const file = join(dir, blobPath(layer.descriptor.digest));
    const bytes = readFileSync(file);
    bytes[5] = bytes[5]! ^ 1;
    writeFileSync(file, bytes);
    await expect(
      readAll(new OciLayoutReader(dir).readBlob(layer.descriptor.digest, layer.descriptor.size)),
    ).rejects.toThrow(/digest mismatch/);
  });

  (hasSkopeo || process.env.CI === 'true' ? it : it.skip)('is readable by skopeo', async () => {
    const { image } = await writeImage();
    const out = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${dir}:example.com/app:1.0`], { encoding: 'utf8' }),
    ) as {
      Digest: string;
      Layers: string[];
    };
    expect(out.Digest).toBe(image.manifest.digest);
    expect(out.Layers).toEqual(image.layers.map((l) => l.descriptor.digest));
  });
});
