import { readdir, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OCI_LAYOUT_FILE, OciLayoutWriter } from '../bundle/oci-layout.js';
import type { RegistryClient } from '../bundle/registry-client.js';
import type { PackedImage } from './image.js';

/** Refuses to replace a directory that holds something other than an OCI layout (e.g. a typo'd --layout ~). */
async function assertReplaceable(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.length && !names.includes(OCI_LAYOUT_FILE))
    throw new Error(`${dir} is not empty and not an OCI layout: not replacing it`);
}

/**
 * Writes images to an OCI image layout directory, replacing the layout that was there (any other
 * non-empty directory is refused): blobs once each,
 * index.json listing each image under its name (`org.opencontainers.image.ref.name`, what
 * `skopeo copy oci:DIR:NAME` and `ferry export --image oci:DIR:NAME` read).
 */
export async function writeLayout(
  dir: string,
  images: { image: PackedImage; name: string }[],
): Promise<void> {
  await assertReplaceable(dir);
  await rm(dir, { recursive: true, force: true });
  const layout = await new OciLayoutWriter(dir).init();
  for (const { image, name } of images) {
    for (const blob of [
      ...image.layers.map((l) => ({ digest: l.descriptor.digest, bytes: l.bytes })),
      { digest: image.configDigest, bytes: image.config },
    ])
      await layout.writeBlob(blob.digest, blob.bytes.length, Readable.from([blob.bytes]));
    await layout.writeManifest(image.manifest);
    if (image.index) await layout.writeManifest(image.index);
    layout.addImage(image.root, name);
  }
  await layout.finish();
}

/** Pushes an image's blobs (skipping those the registry has), its manifest(s), and tags the root. */
export async function pushPackedImage(
  client: RegistryClient,
  repository: string,
  tag: string,
  image: PackedImage,
): Promise<void> {
  for (const layer of image.layers)
    await client.pushBlob(repository, layer.descriptor.digest, layer.descriptor.size, layer.bytes);
  await client.pushBlob(repository, image.configDigest, image.config.length, image.config);
  await client.putManifest(repository, image.manifest.digest, image.manifest);
  if (image.index) await client.putManifest(repository, image.index.digest, image.index);
  await client.putManifest(repository, tag, image.root);
}
