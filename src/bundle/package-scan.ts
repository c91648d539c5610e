import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream, pipeline } from 'node:stream';
import type { BundleManifest } from '../api/index.js';
import { BUNDLE_FORMAT_VERSION, bundleManifestSchema } from '../api/index.js';
import { openPackageStream, packageFile } from './compression.js';
import { DigestVerifier, sha256Hex } from './digest.js';
import { BundleError } from './errors.js';
import { mapLimited } from './limiter.js';
import { PackageBudget } from './package-budget.js';
import {
  BLOB_PREFIX,
  CHART_MAX_FILES,
  CHART_MAX_TOTAL,
  MANIFEST_ENTRY,
  MAX_ENTRIES,
  entryRole,
  maxEntrySize,
} from './package-format.js';
import type { Progress } from './progress.js';
import type { TarEntry } from './tar-reader.js';
import { readTar } from './tar-reader.js';
import type { BodyWriter } from './registry-transport.js';

/** OCI manifests are at most 4 MiB (distribution's limit); JSON blobs up to that are kept. */
const MANIFEST_CANDIDATE_LIMIT = 4 * 1024 * 1024;
const RETAINED_BUDGET = 64 * 1024 * 1024;
/** Read size when hashing blobs in place (larger reads: fewer calls, same memory bound). */
const HASH_READ = 1024 * 1024;

/**
 * Read buffers passed from one blob to the next. Each blob takes two and gives them back once no
 * read or write of them is in flight (never after a failure, when one may be): a package of many
 * blobs allocates as many buffers as blobs are read at once, not two per blob — which left 2 MiB
 * of garbage per blob for the collector, seen by V8 only as external memory, and an RSS that
 * grew with the number of blobs.
 */
const spareBuffers: Buffer[] = [];
const takeBuffers = (): [Buffer, Buffer] => [
  spareBuffers.pop() ?? Buffer.allocUnsafe(HASH_READ),
  spareBuffers.pop() ?? Buffer.allocUnsafe(HASH_READ),
];
const giveBack = (buffers: Buffer[]) => {
  if (spareBuffers.length < 16) spareBuffers.push(...buffers);
};

/** Where a blob's bytes are in a plain tar package file. */
export interface BlobLocation {
  offset: number;
  size: number;
}

/** What one read of a package found: every entry checked by name, type and budget; no cross-checks yet. */
export interface PackageScan {
  file: string;
  manifest?: BundleManifest;
  /** sha256 of each entry but SHA256SUMS[.sig]; for a blob not hashed yet, the digest its name claims. */
  hashes: Map<string, string>;
  /** The bodies of the files other than blobs. */
  metadata: Map<string, Buffer>;
  /** JSON blobs up to 4 MiB (image manifest candidates), hashed. */
  candidates: Map<string, Buffer>;
  /** Every blob by digest, with its size. */
  blobs: Map<string, number>;
  /** Plain tar packages: where every blob is in the file. */
  locations?: Map<string, BlobLocation>;
  /** Blobs whose bytes were skipped: not hashed yet (plain tar packages read with `deferBlobs`). */
  unhashed: Set<string>;
  entries: number;
  bytes: number;
}

/** Parses ferry-bundle.json, refusing format versions this build does not read. */
export function parseBundleManifest(bytes: Buffer): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BundleError('not valid JSON', { cause: error, entry: MANIFEST_ENTRY });
  }
  const raw = json as { kind?: unknown; formatVersion?: unknown };
  if (raw?.kind !== 'FerryBundle')
    throw new BundleError(`kind is ${JSON.stringify(raw?.kind)}, expected "FerryBundle"`, {
      entry: MANIFEST_ENTRY,
    });
  if (raw.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new BundleError(
      `unknown formatVersion ${JSON.stringify(raw.formatVersion)}: this ferry reads version ${BUNDLE_FORMAT_VERSION}; use the ferry release that made the package`,
      { entry: MANIFEST_ENTRY },
    );
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BundleError(`${issue.path.join('.') || '(root)'}: ${issue.message}`, { entry: MANIFEST_ENTRY });
  }
  return parsed.data;
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The entries of a package, each checked against `budget` before its body is read. A plain tar
 * file is read by position (bodies left unread are skipped, not read); a compressed one streams.
 */
async function withEntries(
  file: string,
  budget: PackageBudget,
  each: (entry: TarEntry, plain: boolean) => Promise<void | 'stop'>,
): Promise<void> {
  const limits = {
    maxEntrySize,
    maxEntries: MAX_ENTRIES,
    accept: (name: string, type: 'file' | 'directory', size: number) => budget.accept(name, type, size),
  };
  const { compression, fileBytes } = await packageFile(file);
  if (compression !== 'none') {
    const { stream } = await openPackageStream(file, (stored) => budget.guard(stored));
    try {
      for await (const entry of readTar(stream, limits)) if ((await each(entry, false)) === 'stop') return;
    } finally {
      stream.destroy();
    }
    return;
  }
  const handle = await open(file, 'r');
  try {
    for await (const entry of readTar({ handle, size: fileBytes }, limits))
      if ((await each(entry, true)) === 'stop') return;
  } finally {
    await handle.close();
  }
}

const mismatch = (name: string, actual: string) =>
  new BundleError(
    `digest mismatch: content is sha256:${actual}; the package is corrupt or was tampered with`,
    { entry: name },
  );

/**
 * Reads a package once, checking every entry's name, type and size as it comes, parsing
 * ferry-bundle.json and hashing what it reads. With `deferBlobs`, the bodies of a plain tar
 * file's blobs larger than a manifest can be are skipped (their locations kept): the caller
 * hashes those it uses (hashBlobs, or the push that reads them). Holds only metadata in memory.
 */
export async function scanPackage(
  file: string,
  options: { maxExpansion?: number; progress: Progress; deferBlobs?: boolean },
): Promise<PackageScan> {
  const { progress } = options;
  const budget = new PackageBudget(options.maxExpansion);
  const scan: PackageScan = {
    file,
    hashes: new Map(),
    metadata: new Map(),
    candidates: new Map(),
    blobs: new Map(),
    unhashed: new Set(),
    entries: 0,
    bytes: 0,
  };
  let retained = 0;
  let chartBytes = 0;
  let chartFiles = 0;

  await withEntries(file, budget, async (entry, plain) => {
    scan.entries++;
    const role = entryRole(entry.name);
    if (role === 'blob') {
      const expected = entry.name.slice(BLOB_PREFIX.length);
      const digest = `sha256:${expected}`;
      if (plain) (scan.locations ??= new Map()).set(digest, { offset: entry.offset, size: entry.size });
      const keep = entry.size <= MANIFEST_CANDIDATE_LIMIT && retained + entry.size <= RETAINED_BUDGET;
      scan.bytes += entry.size;
      scan.blobs.set(digest, entry.size);
      if (plain && options.deferBlobs && !keep) {
        // read later, by position, only if used: the body is skipped
        scan.unhashed.add(digest);
        scan.hashes.set(entry.name, expected);
        return;
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let first = true;
      let looksLikeJson = false;
      for await (const chunk of entry.body) {
        if (first) looksLikeJson = chunk[0] === 0x7b;
        first = false;
        hash.update(chunk);
        if (keep && looksLikeJson) chunks.push(chunk);
        progress.advance(chunk.length);
      }
      const actual = hash.digest('hex');
      if (actual !== expected) throw mismatch(entry.name, actual);
      scan.hashes.set(entry.name, actual);
      if (chunks.length) {
        scan.candidates.set(digest, Buffer.concat(chunks));
        retained += entry.size;
      }
      return;
    }
    if (role === 'chart') {
      chartBytes += entry.size;
      if (++chartFiles > CHART_MAX_FILES || chartBytes > CHART_MAX_TOTAL)
        throw new BundleError(
          `the chart holds more than ${CHART_MAX_FILES} files or ${CHART_MAX_TOTAL} bytes: refused`,
          { entry: entry.name },
        );
    }
    const data = await collect(entry.body);
    scan.bytes += data.length;
    scan.metadata.set(entry.name, data);
    if (role !== 'sums' && role !== 'signature') scan.hashes.set(entry.name, sha256Hex(data));
    if (role === 'manifest') {
      scan.manifest = parseBundleManifest(data);
      budget.manifestRead(scan.manifest);
    }
  });
  return scan;
}

/**
 * Hashes blobs of a plain tar package in place, failing on the first whose bytes do not match
 * its name; they leave `scan.unhashed`. Two blobs at a time, each read into two buffers of its
 * own, reused (the next read runs while the last one is hashed) and passed on to the next blob:
 * memory stays at 4 MiB, and no garbage builds up for the collector.
 */
export async function hashBlobs(scan: PackageScan, digests: string[], progress: Progress): Promise<void> {
  if (!digests.length) return;
  const handle = await open(scan.file, 'r');
  try {
    await mapLimited(digests, 2, async (digest) => {
      const { offset, size } = scan.locations!.get(digest)!;
      const hash = createHash('sha256');
      const buffers = takeBuffers();
      const readAt = (position: number, buffer: Buffer) =>
        handle.read(buffer, 0, Math.min(HASH_READ, offset + size - position), position);
      let position = offset;
      let pending = size ? readAt(position, buffers[0]!) : undefined;
      for (let i = 0; pending; i++) {
        const { bytesRead } = await pending;
        if (!bytesRead)
          throw new BundleError('the package file got shorter while it was read', { entry: scan.file });
        position += bytesRead;
        pending = position < offset + size ? readAt(position, buffers[(i + 1) % 2]!) : undefined;
        hash.update(buffers[i % 2]!.subarray(0, bytesRead));
        progress.advance(bytesRead);
      }
      giveBack(buffers);
      const actual = hash.digest('hex');
      const name = `${BLOB_PREFIX}${digest.slice('sha256:'.length)}`;
      if (`sha256:${actual}` !== digest) throw mismatch(name, actual);
      scan.unhashed.delete(digest);
    });
  } finally {
    await handle.close();
  }
}

/**
 * The writer of a blob of a plain tar package into a request body: reads it from its place in
 * the file into two buffers of its own, reused (the next read runs while the last chunk is
 * written; a buffer is refilled only once its write was flushed), hashing as it goes, and fails
 * (before the body ends) unless the bytes match the digest.
 */
export function blobWriter(
  scan: Pick<PackageScan, 'file' | 'locations'>,
  digest: string,
  onBytes?: (n: number) => void,
): BodyWriter {
  const { offset, size } = scan.locations!.get(digest)!;
  const name = `${BLOB_PREFIX}${digest.slice('sha256:'.length)}`;
  return async (request) => {
    const handle = await open(scan.file, 'r');
    try {
      const hash = createHash('sha256');
      const buffers = takeBuffers();
      const write = (chunk: Buffer) =>
        new Promise<void>((resolve, reject) =>
          request.write(chunk, (error) => (error ? reject(error) : resolve())),
        );
      let flushed: Promise<void> = Promise.resolve();
      // the write in flight when this fails settles with the request torn down: not an error of its own
      const abandon = (error: unknown): never => {
        flushed.catch(() => {});
        throw error;
      };
      for (let done = 0, i = 0; done < size; i++) {
        const buffer = buffers[i % 2]!;
        const { bytesRead } = await handle
          .read(buffer, 0, Math.min(HASH_READ, size - done), offset + done)
          .catch(abandon);
        if (!bytesRead)
          abandon(new BundleError('the package file got shorter during the import', { entry: name }));
        done += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        if (done === size) {
          const actual = `sha256:${hash.digest('hex')}`;
          if (actual !== digest) abandon(mismatch(name, actual.slice('sha256:'.length)));
        }
        await flushed;
        flushed = write(chunk);
        onBytes?.(bytesRead);
      }
      await flushed;
      giveBack(buffers);
    } finally {
      await handle.close();
    }
  };
}

/**
 * Pass two of a compressed package's import: streams the package again and hands each wanted
 * blob to `onBlob` as a stream that fails unless its bytes still match the digest.
 */
export async function forEachBlob(
  pkg: { file: string; manifest: BundleManifest },
  wanted: Map<string, number>,
  onBlob: (digest: string, size: number, body: Readable) => Promise<void>,
  options: { maxExpansion?: number } = {},
): Promise<void> {
  let left = wanted.size;
  if (!left) return;
  const budget = new PackageBudget(options.maxExpansion);
  budget.manifestRead(pkg.manifest);
  await withEntries(pkg.file, budget, async (entry) => {
    if (entryRole(entry.name) !== 'blob') return;
    const digest = `sha256:${entry.name.slice(BLOB_PREFIX.length)}`;
    const size = wanted.get(digest);
    if (size === undefined) return;
    if (entry.size !== size)
      throw new BundleError(
        `is ${entry.size} bytes now, ${size} when it was verified: was the package changed during the import?`,
        { entry: entry.name },
      );
    const verifier = new DigestVerifier(digest, size, entry.name);
    pipeline(ReadableStream.from(entry.body, { objectMode: false }), verifier, () => {});
    await onBlob(digest, entry.size, verifier);
    return --left === 0 ? 'stop' : undefined;
  });
  if (left)
    throw new BundleError(
      `${left} blob(s) verified earlier are gone from the package: was it changed during the import?`,
    );
}
