import { writeFileSync } from 'node:fs';
import { assembleImage, buildLayer } from '../../src/image/index.js';
import type { PackedImage } from '../../src/image/index.js';

/**
 * The real node's images (the pod sandbox's pause and the podtool test workload), each one static
 * binary, packed by Ferry's image packer (src/image: reproducible, same binary → same digest) and
 * written as an OCI image archive that `ctr images import` and `skopeo copy oci-archive:` read.
 */
export interface BinaryImageSpec {
  /** Repository and tag, e.g. `ferry.local/e2e/pause:1`. */
  reference: string;
  /** The file's path inside the image, without a leading slash, e.g. `pause`. */
  path: string;
  binary: Buffer;
  /** Arguments after the binary itself (the entrypoint is `/<path> ...args`). */
  args?: string[];
}

const BLOCK = 512;
const REFERENCE = /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export async function packBinaryImage(spec: BinaryImageSpec): Promise<PackedImage> {
  if (!REFERENCE.test(spec.reference))
    throw new Error(`image reference must be <registry>/<repository>:<tag>, got "${spec.reference}"`);
  if (spec.binary.length === 0) throw new Error(`the binary for ${spec.reference} is empty`);
  // Uncompressed: the layer's bytes then depend on nothing but the binary (not on zlib's version).
  const layer = await buildLayer(
    [{ type: 'file', path: spec.path, mode: 0o755, content: { data: spec.binary } }],
    { compression: 'none' },
  );
  return assembleImage([layer], { entrypoint: [`/${spec.path}`, ...(spec.args ?? [])], env: ['PATH=/'] });
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar entry of the archive (regular file 0644, uid/gid 0, mtime 0), padded to whole blocks. */
function tarEntry(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  header.write(octal(content.length, 12), 124, 'latin1');
  header.write(octal(0, 12), 136, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + ' ', 148, 'latin1');
  return Buffer.concat([header, content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK)]);
}

/** The OCI image layout of `image` as one tar (an "oci-archive"), its index naming `reference`. */
export function ociArchive(image: PackedImage, reference: string): Buffer {
  const tag = reference.slice(reference.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: image.root.mediaType,
        digest: image.root.digest,
        size: image.root.bytes.length,
        annotations: { 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  const blobs: { digest: string; bytes: Buffer }[] = [
    ...image.layers.map((l) => ({ digest: l.descriptor.digest, bytes: l.bytes })),
    { digest: image.configDigest, bytes: image.config },
    image.manifest,
    ...(image.index ? [image.index] : []),
  ];
  return Buffer.concat([
    tarEntry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))),
    tarEntry('index.json', Buffer.from(JSON.stringify(index))),
    ...blobs.map((b) => tarEntry(`blobs/sha256/${b.digest.slice('sha256:'.length)}`, b.bytes)),
    Buffer.alloc(2 * BLOCK),
  ]);
}

export function writeOciArchive(file: string, image: PackedImage, reference: string): void {
  writeFileSync(file, ociArchive(image, reference));
}
