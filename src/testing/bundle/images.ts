import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../../bundle/digest.js';
import type { Descriptor, ManifestBlob, Platform } from '../../bundle/media-types.js';
import { MediaType } from '../../bundle/media-types.js';
import type { RegistryClient } from '../../bundle/registry-client.js';
import { TarWriter } from '../../bundle/tar-writer.js';

/** Test and benchmark helper: OCI images made of random bytes, built and pushed with Ferry's own client. */
export interface TestLayer {
  descriptor: Descriptor;
  diffId: string;
  bytes: Buffer;
}

export interface TestImage {
  manifest: ManifestBlob;
  config: Buffer;
  configDigest: string;
  layers: TestLayer[];
}

/** The tar of one file holding `content`, as a layer's uncompressed bytes. */
export async function tarOfFile(name: string, content: Buffer): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const tar = new TarWriter(out);
  await tar.addBuffer(name, content);
  await tar.finish();
  return Buffer.concat(chunks);
}

/** A gzip layer holding one file of `size` random bytes. */
export async function randomLayer(
  size: number,
  name = `data/${randomBytes(6).toString('hex')}.bin`,
): Promise<TestLayer> {
  const tar = await tarOfFile(name, randomBytes(size));
  const bytes = gzipSync(tar, { level: 1 });
  return {
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256Digest(bytes), size: bytes.length },
    diffId: sha256Digest(tar),
    bytes,
  };
}

export function buildImage(
  layers: TestLayer[],
  platform: Platform = { os: 'linux', architecture: 'amd64' },
  label = randomBytes(4).toString('hex'),
): TestImage {
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/true'], Labels: { 'test.ferry.dev/id': label } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: 'ferry test' })),
    }),
  );
  const configDigest = sha256Digest(config);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => l.descriptor),
    }),
  );
  return {
    manifest: { digest: sha256Digest(bytes), mediaType: MediaType.ociManifest, bytes },
    config,
    configDigest,
    layers,
  };
}

export function buildIndexOf(images: { image: TestImage; platform: Platform }[]): ManifestBlob {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: images.map(({ image, platform }) => ({
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        platform,
      })),
    }),
  );
  return { digest: sha256Digest(bytes), mediaType: MediaType.ociIndex, bytes };
}

/** Pushes an image's blobs and manifest, tagged. */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  tag: string | undefined,
  image: TestImage,
): Promise<void> {
  for (const layer of image.layers)
    await client.pushBlob(repository, layer.descriptor.digest, layer.descriptor.size, layer.bytes);
  await client.pushBlob(repository, image.configDigest, image.config.length, image.config);
  await client.putManifest(repository, image.manifest.digest, image.manifest);
  if (tag) await client.putManifest(repository, tag, image.manifest);
}
