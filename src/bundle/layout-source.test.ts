import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleImage, buildLayer, writeLayout } from '../image/index.js';
import type { PackedImage } from '../image/index.js';
import { exportPackage } from './export.js';
import { LayoutImageSource, parseLayoutRef } from './layout-source.js';
import { loadChart } from './operator-chart.js';
import { verifyPackage } from './package-reader.js';

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function image(text: string, index = false): Promise<PackedImage> {
  const layer = await buildLayer([{ type: 'file', path: 'f', content: { data: Buffer.from(text) } }]);
  return assembleImage([layer], { cmd: ['/f'] }, { index });
}

describe('parseLayoutRef', () => {
  it('reads oci:DIR and oci:DIR:NAME, and leaves registry references alone', () => {
    expect(parseLayoutRef('oci:/tmp/x')).toEqual({ dir: '/tmp/x' });
    expect(parseLayoutRef('oci:.ferry/image:ferry:0.1.0')).toEqual({
      dir: '.ferry/image',
      name: 'ferry:0.1.0',
    });
    expect(parseLayoutRef('ghcr.io/ferry-dev/ferry:0.1.0')).toBeUndefined();
    expect(() => parseLayoutRef('oci::name')).toThrow(/oci:DIR/);
  });
});

describe('LayoutImageSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-layout-source-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the named image (any tag), manifests by digest and verified blobs', async () => {
    const a = await image('a', true);
    const b = await image('b');
    await writeLayout(join(dir, 'l'), [
      { image: a, name: 'ferry:0.1.0' },
      { image: b, name: 'other:1' },
    ]);
    const source = await LayoutImageSource.open(join(dir, 'l'), 'ferry:0.1.0');
    expect((await source.getManifest('any/repo', 'any-tag')).digest).toBe(a.index!.digest);
    const child = await source.getManifest('any/repo', a.manifest.digest);
    expect(child).toEqual({ ...a.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    const layer = a.layers[0]!;
    expect(
      (await readAll(await source.getBlob('r', layer.descriptor.digest, layer.descriptor.size))).equals(
        layer.bytes,
      ),
    ).toBe(true);
    // a blob whose bytes changed on disk fails when read
    writeFileSync(join(dir, 'l', 'blobs', 'sha256', layer.descriptor.digest.slice(7)), 'tampered');
    await expect(readAll(await source.getBlob('r', layer.descriptor.digest))).rejects.toThrow(
      /digest mismatch/,
    );

    await expect(LayoutImageSource.open(join(dir, 'l'))).rejects.toThrow(/holds 2 images: name one/);
    await expect(LayoutImageSource.open(join(dir, 'l'), 'nope')).rejects.toThrow(
      /has no image named nope \(it has: ferry:0.1.0, other:1\)/,
    );
    await expect(LayoutImageSource.open(join(dir, 'missing'))).rejects.toThrow(/not an OCI image layout/);
  });

  it('feeds an operator package: the layout image carried under the chart name, verified', async () => {
    const a = await image('operator');
    await writeLayout(join(dir, 'l'), [{ image: a, name: 'ferry:1.4.0' }]);
    const chart = join(dir, 'chart');
    mkdirSync(chart);
    writeFileSync(
      join(chart, 'Chart.yaml'),
      'apiVersion: v2\nname: ferry\nversion: 0.3.1\nappVersion: 1.4.0\n',
    );
    writeFileSync(join(chart, 'values.yaml'), 'image:\n  registry: ghcr.io\n  repository: ferry-dev/ferry\n');
    const pkg = join(dir, 'op.tar');
    const result = await exportPackage({
      operator: {
        chart: loadChart(chart),
        image: 'ghcr.io/ferry-dev/ferry:1.4.0',
        source: await LayoutImageSource.open(join(dir, 'l')),
      },
      output: pkg,
      clientFor: () => {
        throw new Error('no registry may be asked');
      },
    });
    expect(result.manifest.images).toEqual([
      expect.objectContaining({
        ref: 'ghcr.io/ferry-dev/ferry:1.4.0',
        repository: 'ferry-dev/ferry',
        digest: a.manifest.digest,
      }),
    ]);
    const verified = await verifyPackage(pkg);
    expect(verified.images.map((i) => i.blobs.length)).toEqual([2]);
  });
});
