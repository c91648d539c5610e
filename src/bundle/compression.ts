import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { BundleError } from './errors.js';

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
    return 'none';
  } finally {
    await handle.close();
  }
}

/** The decompressed bytes of a package file, whatever its compression (told by its magic bytes). */
export async function openPackageStream(file: string): Promise<Readable> {
  const compression = await sniff(file);
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  if (compression === 'none') return raw;
  const decompress = compression === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  pipeline(raw, decompress, out).catch((error: unknown) =>
    out.destroy(
      new BundleError(`${file}: cannot decompress (${compression}): ${(error as Error).message}`, {
        cause: error,
      }),
    ),
  );
  return out;
}

/** A writable that compresses (per the file name, unless told) into `file`; `done` settles when it is on disk. */
export function createPackageWriter(
  file: string,
  compression: Compression = compressionForName(file),
): { stream: Writable; done: Promise<void> } {
  const sink = createWriteStream(file);
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
