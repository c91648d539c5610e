import { Readable } from 'node:stream';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { Header, Pax } from 'tar';
import type { HeaderData } from 'tar';
import { DigestMeter, sha256Digest } from '../bundle/digest.js';
import type { Descriptor } from '../bundle/media-types.js';
import { MediaType } from '../bundle/media-types.js';
import type { FileContent, LayerEntry } from './spec.js';

/**
 * Reproducible layers: the same entries give the same bytes on any machine, whatever the files'
 * mtimes, owners or the order they were listed in. Entries are sorted by path, parents are added
 * when missing, every header carries one fixed mtime, numeric owners (root unless given) and no
 * user or group names, and the gzip stream has no timestamp and a fixed OS byte.
 */

const BLOCK = 512;
const DEFAULT_DIR_MODE = 0o755;
const DEFAULT_FILE_MODE = 0o644;

/** An entry ready to be written: normalized path, owner and mode resolved, hard links resolved. */
export type PreparedEntry =
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'file'; path: string; mode: number; uid: number; gid: number; content: FileContent }
  | { type: 'symlink'; path: string; target: string; uid: number; gid: number }
  | { type: 'hardlink'; path: string; target: string; uid: number; gid: number; mode: number };

/** `/usr/bin/x`, `./usr/bin/x`, `usr/bin/x/` → `usr/bin/x`; refuses '..', empty and NUL names. */
export function normalizePath(path: string): string {
  if (path.includes('\0')) throw new Error(`image path ${JSON.stringify(path)} contains NUL`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.length) throw new Error(`image path ${JSON.stringify(path)} names the root`);
  if (parts.includes('..')) throw new Error(`image path ${JSON.stringify(path)} contains ".."`);
  return parts.join('/');
}

/** Byte order of the UTF-8 names: the same on every machine and locale. */
const byPath = (a: { path: string }, b: { path: string }) =>
  Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));

export const contentSize = (content: FileContent) => ('data' in content ? content.data.length : content.size);

/**
 * Normalizes, checks and orders the entries of one layer: duplicates are refused, missing parent
 * directories are added (0755, root), and files sharing a `linkKey` become one file and hard links
 * to it (the first by path order carries the bytes, so the link always follows its target).
 */
export function prepareEntries(entries: LayerEntry[]): PreparedEntry[] {
  const byName = new Map<string, PreparedEntry>();
  const linkKeys = new Map<string, string | undefined>();
  for (const entry of entries) {
    const path = normalizePath(entry.path);
    if (byName.has(path)) throw new Error(`image path ${path} is listed twice`);
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    for (const id of [uid, gid])
      if (!Number.isSafeInteger(id) || id < 0) throw new Error(`image path ${path}: bad owner ${id}`);
    let prepared: PreparedEntry;
    if (entry.type === 'dir')
      prepared = { type: 'dir', path, uid, gid, mode: entry.mode ?? DEFAULT_DIR_MODE };
    else if (entry.type === 'symlink') {
      if (!entry.target) throw new Error(`image path ${path}: empty symlink target`);
      prepared = { type: 'symlink', path, uid, gid, target: entry.target };
    } else {
      const size = contentSize(entry.content);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error(`image path ${path}: bad size ${size}`);
      prepared = {
        type: 'file',
        path,
        uid,
        gid,
        mode: entry.mode ?? DEFAULT_FILE_MODE,
        content: entry.content,
      };
      linkKeys.set(path, entry.linkKey);
    }
    if (prepared.type !== 'symlink' && (prepared.mode & ~0o7777) !== 0)
      throw new Error(`image path ${path}: mode ${prepared.mode.toString(8)} has bits beyond 07777`);
    byName.set(path, prepared);
  }
  for (const path of [...byName.keys()]) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = byName.get(parent);
      if (!existing)
        byName.set(parent, { type: 'dir', path: parent, uid: 0, gid: 0, mode: DEFAULT_DIR_MODE });
      else if (existing.type !== 'dir')
        throw new Error(`image path ${path}: its parent ${parent} is not a directory`);
    }
  }
  const sorted = [...byName.values()].sort(byPath);
  const firstOfKey = new Map<string, string>();
  return sorted.map((entry) => {
    const key = entry.type === 'file' ? linkKeys.get(entry.path) : undefined;
    if (entry.type !== 'file' || key === undefined) return entry;
    const first = firstOfKey.get(key);
    if (first === undefined) {
      firstOfKey.set(key, entry.path);
      return entry;
    }
    return {
      type: 'hardlink',
      path: entry.path,
      target: first,
      uid: entry.uid,
      gid: entry.gid,
      mode: entry.mode,
    };
  });
}

/**
 * The header block(s) of one entry: ustar, preceded by a PAX extended header when a name or
 * number does not fit (long node_modules paths). Nothing in them depends on the machine.
 */
export function entryHeader(entry: PreparedEntry, mtime: Date): Buffer {
  const data: HeaderData = {
    path: entry.type === 'dir' ? `${entry.path}/` : entry.path,
    mode: entry.type === 'symlink' ? 0o777 : entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.type === 'file' ? contentSize(entry.content) : 0,
    mtime,
    uname: '',
    gname: '',
    type:
      entry.type === 'dir'
        ? 'Directory'
        : entry.type === 'symlink'
          ? 'SymbolicLink'
          : entry.type === 'hardlink'
            ? 'Link'
            : 'File',
    linkpath: entry.type === 'symlink' || entry.type === 'hardlink' ? entry.target : '',
  };
  const block = Buffer.alloc(BLOCK);
  const header = new Header(data);
  if (!header.encode(block)) return block;
  const pax = new Pax({ path: data.path, linkpath: data.linkpath || undefined, size: data.size, mtime });
  return Buffer.concat([pax.encode(), block]);
}

/** Reads a file's content in chunks; the default reader (fs-source.ts) reads from disk. */
export type ContentReader = (content: FileContent, path: string) => AsyncIterable<Buffer> | Iterable<Buffer>;

export const memoryReader: ContentReader = (content, path) => {
  if (!('data' in content)) throw new Error(`image path ${path}: no reader for files on disk`);
  return Readable.from([content.data]);
};

/** The uncompressed tar stream of prepared entries. A file yielding another size than declared fails. */
export async function* tarChunks(
  entries: PreparedEntry[],
  mtime: Date,
  read: ContentReader = memoryReader,
): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield entryHeader(entry, mtime);
    if (entry.type !== 'file') continue;
    const size = contentSize(entry.content);
    let seen = 0;
    for await (const chunk of read(entry.content, entry.path)) {
      seen += chunk.length;
      if (seen > size)
        throw new Error(`image path ${entry.path}: file grew beyond ${size} bytes while packing`);
      yield chunk;
    }
    if (seen !== size) throw new Error(`image path ${entry.path}: read ${seen} of ${size} bytes`);
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(2 * BLOCK);
}

export type LayerCompression = 'gzip' | 'none';

export interface LayerOptions {
  /** Every entry's mtime, in seconds since the epoch (SOURCE_DATE_EPOCH); default 0. */
  mtime?: number;
  compression?: LayerCompression;
  /** gzip level; default 9 (the bytes depend on it, so it is part of the inputs). */
  level?: number;
  read?: ContentReader;
}

export interface BuiltLayer {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  diffId: string;
  bytes: Buffer;
  /** Size of the uncompressed tar. */
  tarSize: number;
}

/** gzip header byte 9 (OS): 255 "unknown", as Go's compress/gzip writes it, whatever zlib was built for. */
export const GZIP_OS_UNKNOWN = 0xff;

/**
 * Packs entries into one layer blob. gzip is Node's zlib with no name and mtime 0 in the header;
 * the OS byte is set to 255 so the host's zlib build does not show. The deflate stream itself is
 * what this Node's zlib (process.versions.zlib) produces at `level`, so builds agree on one Node
 * version; the uncompressed tar (diffId) agrees everywhere.
 */
export async function buildLayer(entries: LayerEntry[], options: LayerOptions = {}): Promise<BuiltLayer> {
  const mtime = new Date((options.mtime ?? 0) * 1000);
  const prepared = prepareEntries(entries);
  const measure = new DigestMeter();
  const chunks: Buffer[] = [];
  const compression = options.compression ?? 'gzip';
  const stages: Transform[] =
    compression === 'gzip'
      ? [measure, createGzip({ level: options.level ?? constants.Z_BEST_COMPRESSION })]
      : [measure];
  await pipeline(
    Readable.from(tarChunks(prepared, mtime, options.read)),
    ...(stages as [Transform]),
    async (source) => {
      for await (const chunk of source as AsyncIterable<Buffer>) chunks.push(chunk);
    },
  );
  const bytes = Buffer.concat(chunks);
  if (compression === 'gzip') bytes[9] = GZIP_OS_UNKNOWN;
  return {
    descriptor: {
      mediaType: compression === 'gzip' ? MediaType.ociLayerGzip : MediaType.ociLayer,
      digest: sha256Digest(bytes),
      size: bytes.length,
    },
    diffId: measure.digest,
    bytes,
    tarSize: measure.bytes,
  };
}
