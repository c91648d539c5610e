import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { BundleError } from './errors.js';

/** One regular file of a tar stream. Its body must be consumed or abandoned before the next entry. */
export interface TarEntry {
  name: string;
  size: number;
  /** Where the body starts in the (decompressed) tar stream: for a plain tar file, its file offset. */
  offset: number;
  body: AsyncGenerator<Buffer, void, undefined>;
}

export interface TarReadLimits {
  /** Largest entry allowed, by normalised name. */
  maxEntrySize?: (name: string) => number;
  maxEntries?: number;
  /** Called with every name (and declared size) before its body is read; throws to refuse it. */
  accept?: (name: string, type: 'file' | 'directory', size: number) => void;
}

const BLOCK = 512;

/** Where readTar takes its bytes from: exact counts, what is there, and skipping (offset counts them all). */
interface ByteSource {
  /** Bytes consumed (read or skipped) so far. */
  readonly offset: number;
  /** Exactly n bytes, or fewer when the stream ends first. */
  read(n: number): Promise<Buffer>;
  /** Up to n bytes, as soon as some are there; empty at the end of the stream. */
  readSome(n: number): Promise<Buffer>;
  /** Moves past up to n bytes; returns how many there were. */
  skip(n: number): Promise<number>;
  close(): Promise<void>;
}

/** Pulls exact byte counts out of an async stream of Buffers. */
class ByteReader implements ByteSource {
  private readonly iterator: AsyncIterator<Buffer>;
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  offset = 0;

  constructor(source: AsyncIterable<Buffer> | Iterable<Buffer>) {
    this.iterator =
      Symbol.asyncIterator in source
        ? source[Symbol.asyncIterator]()
        : (async function* () {
            yield* source;
          })();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value;
    return true;
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n && (await this.fill()));
    return this.take(n);
  }

  async readSome(n: number): Promise<Buffer> {
    if (!this.buffer.length) await this.fill();
    return this.take(n);
  }

  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n) {
      const chunk = await this.readSome(Math.min(n - skipped, 1024 * 1024));
      if (!chunk.length) break;
      skipped += chunk.length;
    }
    return skipped;
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/**
 * Reads a plain tar file by position: headers and the bodies asked for are read, the bodies
 * nobody reads are skipped without touching the disk. The reads are synchronous: the scan is
 * sequential (each header says where the next one is), so nothing runs meanwhile that an
 * asynchronous read would let through, and a header read from the page cache takes microseconds
 * where a trip through the thread pool and back took a scheduling delay or two on a busy machine
 * (a re-import of a present package reads ~100 headers and nothing else from the file).
 */
class FileReader implements ByteSource {
  private buffer: Buffer = Buffer.alloc(0);
  /** File position of the next byte not in `buffer`. */
  private position = 0;
  offset = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  private async fill(want: number): Promise<boolean> {
    const length = Math.min(Math.max(want, 64 * 1024), this.size - this.position);
    if (length <= 0) return false;
    const chunk = Buffer.allocUnsafe(length);
    const bytesRead = readSync(this.file.fd, chunk, 0, length, this.position);
    if (!bytesRead) return false;
    this.position += bytesRead;
    const got = chunk.subarray(0, bytesRead);
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, got]) : got;
    return true;
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n && (await this.fill(n - this.buffer.length)));
    return this.take(n);
  }

  async readSome(n: number): Promise<Buffer> {
    if (!this.buffer.length) await this.fill(Math.min(n, 1024 * 1024));
    return this.take(n);
  }

  async skip(n: number): Promise<number> {
    const buffered = Math.min(n, this.buffer.length);
    this.take(buffered);
    const rest = Math.min(n - buffered, this.size - this.position);
    this.position += rest;
    this.offset += rest;
    return buffered + rest;
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  async close(): Promise<void> {}
}

/** A plain tar file to read by position (readTar then skips the bodies its caller leaves unread). */
export interface TarFile {
  handle: FileHandle;
  size: number;
}

function parseNumber(field: Buffer, what: string, entry: string): number {
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian, first byte's top bit is the marker
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw new BundleError(`${what} too large`, { entry });
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new BundleError(`corrupt tar header: ${what} "${text}"`, { entry });
  return parseInt(text, 8);
}

const cString = (field: Buffer) => {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

function checksumOk(header: Buffer): boolean {
  const stored = parseNumber(header.subarray(148, 156), 'checksum', '(header)');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === stored;
}

function parsePax(data: Buffer, entry: string): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = space > offset ? Number(data.subarray(offset, space).toString('latin1')) : NaN;
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length) {
      throw new BundleError('corrupt pax extended header', { entry });
    }
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new BundleError('corrupt pax extended header record', { entry });
    records[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return records;
}

/**
 * Checks a tar entry name and returns it normalised (no leading `./`, no trailing `/`). Absolute
 * paths, `..`, empty or `.` segments, backslashes and control characters are refused.
 */
export function safeEntryName(raw: string): string {
  const shown = JSON.stringify(raw);
  if (raw.startsWith('/')) throw new BundleError('absolute path refused', { entry: shown });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw))
    throw new BundleError('control character or backslash in name refused', { entry: shown });
  const name = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!name) throw new BundleError('empty entry name refused', { entry: shown });
  for (const segment of name.split('/')) {
    if (segment === '..')
      throw new BundleError('".." in path refused (it could leave the package)', { entry: shown });
    if (segment === '' || segment === '.')
      throw new BundleError('empty or "." path segment refused', { entry: shown });
  }
  return name;
}

/**
 * Reads a tar stream entry by entry without buffering bodies. Refuses everything a package has
 * no use for and an attacker might: links, devices, FIFOs, duplicate names, unsafe paths, bad
 * checksums, oversize entries, and truncation (including a missing end-of-archive marker).
 * Directories are checked and skipped.
 */
export async function* readTar(
  source: AsyncIterable<Buffer> | Iterable<Buffer> | TarFile,
  limits: TarReadLimits = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const reader: ByteSource =
    'handle' in source ? new FileReader(source.handle, source.size) : new ByteReader(source);
  const seen = new Set<string>();
  let previous = '(start of archive)';
  let pax: Record<string, string> = {};
  try {
    for (;;) {
      const header = await reader.read(BLOCK);
      if (header.length < BLOCK) {
        throw new BundleError('archive truncated: it ends without the end-of-archive marker', {
          entry: `after ${previous}`,
        });
      }
      if (header.every((b) => b === 0)) return;
      if (!checksumOk(header))
        throw new BundleError('corrupt tar header (checksum mismatch)', { entry: `after ${previous}` });

      const magic = header.subarray(257, 263).toString('latin1');
      const prefix = magic.startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
      const rawName =
        pax.path ??
        (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
      const type = String.fromCharCode(header[156]!);
      const size =
        pax.size !== undefined ? Number(pax.size) : parseNumber(header.subarray(124, 136), 'size', rawName);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new BundleError('bad entry size', { entry: rawName });
      pax = {};

      if (type === 'x') {
        if (size > 64 * 1024)
          throw new BundleError('pax header larger than 64 KiB refused', { entry: rawName });
        const data = await reader.read(size);
        if (data.length < size)
          throw new BundleError('archive truncated inside a pax header', { entry: rawName });
        await reader.read((BLOCK - (size % BLOCK)) % BLOCK);
        pax = parsePax(data, rawName);
        continue;
      }
      if (type === '1' || type === '2') {
        throw new BundleError(
          `${type === '1' ? 'hard' : 'symbolic'} link refused (packages hold regular files only)`,
          {
            entry: JSON.stringify(rawName),
          },
        );
      }
      if (type === '3' || type === '4' || type === '6') {
        throw new BundleError('device or FIFO entry refused', { entry: JSON.stringify(rawName) });
      }
      if (!['0', '\0', '5'].includes(type)) {
        throw new BundleError(`unsupported tar entry type "${type}" refused`, {
          entry: JSON.stringify(rawName),
        });
      }
      const name = safeEntryName(rawName);
      if (seen.has(name)) throw new BundleError('duplicate entry name refused', { entry: name });
      seen.add(name);
      if (limits.maxEntries !== undefined && seen.size > limits.maxEntries) {
        throw new BundleError(`more than ${limits.maxEntries} entries refused`, { entry: name });
      }
      previous = name;
      limits.accept?.(name, type === '5' ? 'directory' : 'file', size);
      if (type === '5') {
        if (size !== 0) throw new BundleError('directory with content refused', { entry: name });
        continue;
      }
      const max = limits.maxEntrySize?.(name) ?? Number.MAX_SAFE_INTEGER;
      if (size > max)
        throw new BundleError(`entry of ${size} bytes exceeds the limit of ${max} bytes`, { entry: name });

      let remaining = size;
      const body = async function* (): AsyncGenerator<Buffer, void, undefined> {
        while (remaining > 0) {
          const chunk = await reader.readSome(Math.min(remaining, 1024 * 1024));
          if (!chunk.length) {
            throw new BundleError(
              `archive truncated: entry ends after ${size - remaining} of ${size} bytes`,
              {
                entry: name,
              },
            );
          }
          remaining -= chunk.length;
          yield chunk;
        }
      };
      yield { name, size, offset: reader.offset, body: body() };
      // what the caller left unread
      const skipped = await reader.skip(remaining);
      if (skipped < remaining) {
        throw new BundleError(
          `archive truncated: entry ends after ${size - remaining + skipped} of ${size} bytes`,
          { entry: name },
        );
      }
      remaining = 0;
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if ((await reader.read(padding)).length < padding) {
        throw new BundleError('archive truncated in the padding after the entry', { entry: name });
      }
    }
  } finally {
    await reader.close();
  }
}
