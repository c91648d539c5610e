import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, assertDigest, digestHex, sha256Digest } from './digest.js';
import { BundleError } from './errors.js';
import type { Descriptor, ImageIndex, ManifestBlob } from './media-types.js';
import { MediaType } from './media-types.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const OCI_LAYOUT_CONTENT = JSON.stringify({ imageLayoutVersion: '1.0.0' });
/** The annotation skopeo and containerd read as the name of an image in a layout (`oci:DIR:NAME`). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

export const blobPath = (digest: string) => `blobs/sha256/${digestHex(digest)}`;

/** Checks the `oci-layout` marker file. */
export function checkLayoutMarker(bytes: Buffer, where: string): void {
  let version: unknown;
  try {
    version = (JSON.parse(bytes.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (error) {
    throw new BundleError('not JSON', { cause: error, entry: where });
  }
  if (version !== '1.0.0')
    throw new BundleError(`unsupported imageLayoutVersion ${JSON.stringify(version)}`, { entry: where });
}

export function buildIndex(manifests: Descriptor[]): Buffer {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  return Buffer.from(JSON.stringify(index, null, 2));
}

export function parseIndex(bytes: Buffer, where: string): ImageIndex {
  let index: ImageIndex;
  try {
    index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
  } catch (error) {
    throw new BundleError('not JSON', { cause: error, entry: where });
  }
  if (index?.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    throw new BundleError('not an OCI image index (schemaVersion 2 with manifests)', { entry: where });
  }
  for (const d of index.manifests) {
    assertDigest(String(d?.digest), where);
    if (!Number.isSafeInteger(d.size) || d.size < 0)
      throw new BundleError(`bad size for ${d.digest}`, { entry: where });
  }
  return index;
}

/**
 * Writes an OCI image layout directory. Blobs stream to a temporary file and are renamed into
 * place only once their digest checked out, so a crash never leaves a wrong blob under its name.
 */
export class OciLayoutWriter {
  private readonly entries: Descriptor[] = [];

  constructor(readonly dir: string) {}

  async init(): Promise<this> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
    return this;
  }

  hasBlob(digest: string): boolean {
    return existsSync(join(this.dir, blobPath(digest)));
  }

  /** Writes a blob from a stream, verifying digest and size; a blob already present is kept. */
  async writeBlob(digest: string, size: number, source: Readable | AsyncIterable<Buffer>): Promise<number> {
    assertDigest(digest, 'blob');
    const target = join(this.dir, blobPath(digest));
    if (existsSync(target)) {
      if ('destroy' in source) (source as Readable).destroy();
      return 0;
    }
    const temp = `${target}.part-${process.pid}`;
    const verifier = new DigestVerifier(digest, size, `blob ${digest}`);
    try {
      await pipeline(source, verifier, createWriteStream(temp));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return size;
  }

  async writeManifest(manifest: ManifestBlob): Promise<void> {
    const target = join(this.dir, blobPath(manifest.digest));
    if (sha256Digest(manifest.bytes) !== manifest.digest)
      throw new BundleError(`manifest ${manifest.digest}: digest mismatch`);
    if (!existsSync(target)) await writeFile(target, manifest.bytes);
  }

  /** Lists an image in index.json (by name when given, as `org.opencontainers.image.ref.name`). */
  addImage(manifest: ManifestBlob, name?: string): void {
    this.entries.push({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
      ...(name ? { annotations: { [REF_NAME]: name } } : {}),
    });
  }

  async finish(): Promise<void> {
    await writeFile(join(this.dir, OCI_INDEX_FILE), buildIndex(this.entries));
  }
}

/** Reads an OCI image layout directory; every blob read is verified against its digest. */
export class OciLayoutReader {
  constructor(readonly dir: string) {}

  async index(): Promise<ImageIndex> {
    checkLayoutMarker(
      await readFile(join(this.dir, OCI_LAYOUT_FILE)).catch(() => Buffer.from('')),
      OCI_LAYOUT_FILE,
    );
    return parseIndex(await readFile(join(this.dir, OCI_INDEX_FILE)), OCI_INDEX_FILE);
  }

  async blobSize(digest: string): Promise<number | undefined> {
    assertDigest(digest, 'blob');
    return (await stat(join(this.dir, blobPath(digest))).catch(() => undefined))?.size;
  }

  /** A verifying stream of the blob: it fails at the end unless digest and size match. */
  readBlob(digest: string, size?: number): Readable {
    assertDigest(digest, 'blob');
    const verifier = new DigestVerifier(digest, size, blobPath(digest));
    pipeline(createReadStream(join(this.dir, blobPath(digest))), verifier).catch((error: unknown) =>
      verifier.destroy(error as Error),
    );
    return verifier;
  }

  async readManifest(descriptor: Descriptor): Promise<ManifestBlob> {
    const bytes = await readFile(join(this.dir, blobPath(descriptor.digest)));
    if (sha256Digest(bytes) !== descriptor.digest)
      throw new BundleError('digest mismatch', { entry: blobPath(descriptor.digest) });
    return { digest: descriptor.digest, mediaType: descriptor.mediaType, bytes };
  }
}
