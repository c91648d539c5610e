import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { BundleError } from './errors.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header block (exported for tests that build hostile archives). */
export function tarHeader(name: string, size: number, type: string, mtime = 0): Buffer {
  const block = Buffer.alloc(BLOCK);
  let fieldName = name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new Error(`tar name too long: ${name}`);
    prefix = name.slice(0, cut);
    fieldName = name.slice(cut + 1);
  }
  block.write(fieldName, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  if (size > MAX_OCTAL_SIZE) {
    // GNU base-256 for entries of 8 GiB and more
    block[124] = 0x80;
    let rest = size;
    for (let i = 135; i > 124; i--) {
      block[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  } else block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(mtime, 12), 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  block.write(prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(octal(sum, 7) + ' ', 148, 'latin1');
  return block;
}

/** What the writer recorded of each file: the lines of SHA256SUMS. */
export interface WrittenFile {
  name: string;
  size: number;
  sha256: string;
}

/**
 * Writes a ustar stream with backpressure, hashing every file as it goes so the caller can write
 * SHA256SUMS last without reading anything twice.
 */
export class TarWriter {
  readonly files: WrittenFile[] = [];
  bytesWritten = 0;

  constructor(
    private readonly out: Writable,
    private readonly mtime = 0,
  ) {}

  private async write(data: Buffer): Promise<void> {
    this.bytesWritten += data.length;
    if (!this.out.write(data)) await once(this.out, 'drain');
  }

  async addBuffer(name: string, data: Buffer | string): Promise<WrittenFile> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await this.write(tarHeader(name, bytes.length, '0', this.mtime));
    await this.write(bytes);
    await this.pad(bytes.length);
    const file = { name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    this.files.push(file);
    return file;
  }

  /** Streams a file of a known size; fails if the source yields more or fewer bytes. */
  async addStream(
    name: string,
    size: number,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    onBytes?: (n: number) => void,
  ): Promise<WrittenFile> {
    await this.write(tarHeader(name, size, '0', this.mtime));
    const hash = createHash('sha256');
    let written = 0;
    for await (const chunk of source) {
      written += chunk.length;
      if (written > size)
        throw new BundleError(`source sent more than the declared ${size} bytes`, { entry: name });
      hash.update(chunk);
      await this.write(chunk);
      onBytes?.(chunk.length);
    }
    if (written !== size)
      throw new BundleError(`source ended after ${written} of ${size} bytes`, { entry: name });
    await this.pad(size);
    const file = { name, size, sha256: hash.digest('hex') };
    this.files.push(file);
    return file;
  }

  private async pad(size: number): Promise<void> {
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding) await this.write(Buffer.alloc(padding));
  }

  /** Writes the end-of-archive marker and ends the output stream. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(BLOCK * 2));
    this.out.end();
  }
}
