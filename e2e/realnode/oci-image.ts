import { writeFileSync } from 'node:fs';
import { sha256Digest } from '../../src/bundle/digest.js';

/**
 * The real node's images (the pod sandbox's pause and the podtool test workload), each one static
 * binary, packed as an OCI image archive that `ctr images import` and `skopeo copy oci-archive:`
 * read. Reproducible: the same binary, name and entrypoint give the same manifest digest, byte for
 * byte (uncompressed layer, fixed tar metadata, no timestamps in the config).
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

export interface Blob {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export interface PackedImage {
  reference: string;
  manifest: Blob;
  config: Blob;
  layer: Blob;
}

const BLOCK = 512;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar entry (regular file, uid/gid 0, mtime 0) with its content padded to whole blocks. */
export function tarEntry(name: string, content: Buffer, mode: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`);
  if (name.startsWith('/') || name.split('/').includes('..'))
    throw new Error(`tar entry name must be relative and stay inside the archive: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 'latin1');
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
  const padding = Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK);
  return Buffer.concat([header, content, padding]);
}

export const tarEnd = () => Buffer.alloc(2 * BLOCK);

const blob = (mediaType: string, bytes: Buffer): Blob => ({ mediaType, digest: sha256Digest(bytes), bytes });
const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.bytes.length });

export function packBinaryImage(spec: BinaryImageSpec): PackedImage {
  if (!/^[a-z0-9.:-]+(\/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(spec.reference))
    throw new Error(`image reference must be <registry>/<repository>:<tag>, got "${spec.reference}"`);
  if (spec.binary.length === 0) throw new Error(`the binary for ${spec.reference} is empty`);
  const layer = blob(OCI_LAYER_TAR, Buffer.concat([tarEntry(spec.path, spec.binary, 0o755), tarEnd()]));
  const config = blob(
    OCI_CONFIG,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: [`/${spec.path}`, ...(spec.args ?? [])], Env: ['PATH=/'] },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    OCI_MANIFEST,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(config),
        layers: [descriptor(layer)],
      }),
    ),
  );
  return { reference: spec.reference, manifest, config, layer };
}

/** The OCI image layout of `image` as one tar (an "oci-archive"), its index naming the reference. */
export function ociArchive(image: PackedImage): Buffer {
  const tag = image.reference.slice(image.reference.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        ...descriptor(image.manifest),
        annotations: {
          'io.containerd.image.name': image.reference,
          'org.opencontainers.image.ref.name': tag,
        },
      },
    ],
  };
  const entries = [
    tarEntry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })), 0o644),
    tarEntry('index.json', Buffer.from(JSON.stringify(index)), 0o644),
    ...[image.layer, image.config, image.manifest].map((b) =>
      tarEntry(`blobs/sha256/${b.digest.slice('sha256:'.length)}`, b.bytes, 0o644),
    ),
  ];
  return Buffer.concat([...entries, tarEnd()]);
}

export function writeOciArchive(file: string, image: PackedImage): void {
  writeFileSync(file, ociArchive(image));
}
