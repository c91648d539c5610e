import { createReadStream, createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import type { Readable, TransformCallback, Writable } from 'node:stream';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { BundleError } from './errors.js';
import { ZstdFrameSplitter } from './zstd-frames.js';

export type Compression = 'none' | 'gzip' | 'zstd';

export function compressionForName(file: string): Compression {
  if (/\.(tar\.gz|tgz)$/.test(file)) return 'gzip';
  if (/\.(tar\.zst|tzst)$/.test(file)) return 'zstd';
  return 'none';
}

async function sniff(file: string): Promise<Compression> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new BundleError(`cannot open ${file}: ${(error as Error).message}`, { cause: error });
  });
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
    if (magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
    // a zstd skippable frame (pzstd starts with one)
    if ((magic[0]! & 0xf0) === 0x50 && magic[1] === 0x2a && magic[2] === 0x4d && magic[3] === 0x18)
      return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/**
 * How far a compressed package may expand before it is trusted: `limit()` is asked as bytes come
 * out of the decompressor (it may grow once ferry-bundle.json has been read); past it the stream
 * fails with `refusal(bytes)`.
 */
export interface ExpansionGuard {
  limit(): number;
  refusal(bytes: number): BundleError;
}

/** Counts decompressed bytes and fails the stream once they pass the guard's limit. */
class ExpansionCounter extends Transform {
  private bytes = 0;
  constructor(private readonly guard: ExpansionGuard) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.guard.limit()) callback(this.guard.refusal(this.bytes));
    else callback(null, chunk);
  }
}

export interface PackageStream {
  stream: Readable;
  compression: Compression;
  /** Size of the file as stored. */
  fileBytes: number;
}

/**
 * The decompressed bytes of a package file, whatever its compression (told by its magic bytes;
 * gzip members and zstd frames, skippable ones included, are read one after another). FILE must be
 * a regular file: import reads a plain tar by position and a compressed one twice, which a pipe
 * cannot do.
 */
export async function openPackageStream(
  file: string,
  guard?: (stored: { compression: Compression; fileBytes: number }) => ExpansionGuard,
): Promise<PackageStream> {
  const fileBytes = await regularFileSize(file);
  const compression = await sniff(file);
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  if (compression === 'none') return { stream: raw, compression, fileBytes };
  const decompress = compression === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [raw];
  if (compression === 'zstd') stages.push(new ZstdFrameSplitter());
  stages.push(decompress);
  if (guard) stages.push(new ExpansionCounter(guard({ compression, fileBytes })));
  stages.push(out);
  const piped = pipeline(stages);
  piped.catch((error: unknown) =>
    out.destroy(
      error instanceof BundleError
        ? error
        : new BundleError(`${file}: cannot decompress (${compression}): ${(error as Error).message}`, {
            cause: error,
          }),
    ),
  );
  return { stream: out, compression, fileBytes };
}

/** How a package file is stored: its compression (told by its first bytes) and size. */
export async function packageFile(file: string): Promise<{ compression: Compression; fileBytes: number }> {
  const fileBytes = await regularFileSize(file);
  return { compression: await sniff(file), fileBytes };
}

/** The size of FILE, refusing what is not a regular file with one line. */
export async function regularFileSize(file: string): Promise<number> {
  const info = await stat(file).catch((error: unknown) => {
    throw new BundleError(`cannot open ${file}: ${describeFsError(error)}`, { cause: error });
  });
  if (info.isDirectory()) throw new BundleError(`${file} is a directory, not a package file`);
  if (!info.isFile())
    throw new BundleError(
      `${file} is not a regular file (a pipe or device?): a package is read by position or twice, so save it to a file first`,
    );
  return info.size;
}

/** A file-system error as a short phrase ("no such file or directory"), without the stack. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const phrase: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    EEXIST: 'already exists',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    ELOOP: 'is a symbolic link (refused)',
  };
  return (e.code && phrase[e.code]) ?? e.message;
}

/** A writable that compresses (per the file name, unless told) into `file`; `done` settles when it is on disk. */
export function createPackageWriter(
  file: string | FileHandle,
  compression: Compression = typeof file === 'string' ? compressionForName(file) : 'none',
): { stream: Writable; done: Promise<void> } {
  const sink = typeof file === 'string' ? createWriteStream(file) : file.createWriteStream();
  if (compression === 'none') {
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    return { stream, done: pipeline(stream, sink) };
  }
  // Layers are compressed already: a fast level gains nearly as much as a slow one.
  const stream =
    compression === 'gzip'
      ? zlib.createGzip({ level: 1 })
      : zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } });
  return { stream, done: pipeline(stream, sink) };
}
