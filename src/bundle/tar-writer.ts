import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier } from './digest.js';
import { BundleError } from './errors.js';
import { mapLimited } from './limiter.js';

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

/** A blob to add to a package: its entry name, size and digest, and how to get its bytes. */
export interface TarBlob {
  name: string;
  size: number;
  digest: string;
  open: () => Promise<Readable>;
}

/**
 * The sha256 (hex) a stream's bytes will have if it ends without an error: known when the stream
 * is a DigestVerifier of that digest and size (it fails unless the bytes match), so they need
 * not be hashed again.
 */
function verifiedHex(body: unknown, digest: string, size: number): string | undefined {
  return body instanceof DigestVerifier && body.expected === digest && body.expectedSize === size
    ? digest.slice('sha256:'.length)
    : undefined;
}

/** Hashes and counts what passes; fails past `size` bytes, and at the end unless exactly `size` came. */
class EntryMeter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(
    private readonly size: number,
    private readonly name: string,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    if (this.bytes > this.size)
      return callback(
        new BundleError(`source sent more than the declared ${this.size} bytes`, { entry: this.name }),
      );
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: (error?: Error | null) => void) {
    callback(
      this.bytes === this.size
        ? null
        : new BundleError(`source ended after ${this.bytes} of ${this.size} bytes`, { entry: this.name }),
    );
  }
}

/** Writes what it is given into a file from `position` on (what queued meanwhile goes in one write). */
class PositionalSink extends Writable {
  constructor(
    private readonly handle: FileHandle,
    private position: number,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
    this.put(chunk).then(() => callback(), callback);
  }
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void) {
    this.putAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }
  private async put(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += data.length;
  }
  /** One writev of what queued (no copy into one buffer); the rest one by one after a short write. */
  private async putAll(buffers: Buffer[]): Promise<void> {
    const total = buffers.reduce((n, b) => n + b.length, 0);
    let { bytesWritten } = await this.handle.writev(buffers, this.position);
    this.position += bytesWritten;
    if (bytesWritten === total) return;
    for (const buffer of buffers) {
      if (bytesWritten >= buffer.length) {
        bytesWritten -= buffer.length;
        continue;
      }
      await this.put(buffer.subarray(bytesWritten));
      bytesWritten = 0;
    }
  }
}

/**
 * Writes a plain tar file by position: entries are laid out in the order they are added, and the
 * bodies of blobs are written where they belong, several at once (each from its own source).
 * The file holds the same bytes a TarWriter would write.
 */
export class TarFileWriter {
  readonly files: WrittenFile[] = [];
  private position = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly mtime = 0,
  ) {}

  private async writeAt(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += data.length;
  }

  async addBuffer(name: string, data: Buffer | string): Promise<WrittenFile> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const padding = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    await this.writeAt(
      Buffer.concat([tarHeader(name, bytes.length, '0', this.mtime), bytes, Buffer.alloc(padding)]),
    );
    const file = { name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    this.files.push(file);
    return file;
  }

  /**
   * Adds blobs in order, fetching and writing up to `concurrency` of them at once, each into its
   * place. A source that is a DigestVerifier of the blob's digest is not hashed again.
   */
  async addBlobs(blobs: TarBlob[], concurrency: number, onBytes?: (n: number) => void): Promise<void> {
    const placed = [];
    for (const blob of blobs) {
      const padding = (BLOCK - (blob.size % BLOCK)) % BLOCK;
      await this.writeAt(tarHeader(blob.name, blob.size, '0', this.mtime));
      placed.push({ blob, offset: this.position, file: { name: blob.name, size: blob.size, sha256: '' } });
      this.files.push(placed.at(-1)!.file);
      this.position += blob.size;
      if (padding) await this.writeAt(Buffer.alloc(padding));
    }
    await mapLimited(placed, concurrency, async ({ blob, offset, file }) => {
      const body = await blob.open();
      const known = verifiedHex(body, blob.digest, blob.size);
      const meter = known ? undefined : new EntryMeter(blob.size, blob.name);
      const sink = new PositionalSink(this.handle, offset);
      const done = meter ? pipeline(body, meter, sink) : pipeline(body, sink);
      if (onBytes) body.on('data', (chunk: Buffer) => onBytes(chunk.length));
      await done;
      file.sha256 = known ?? meter!.hash.digest('hex');
    });
  }

  /** Writes the end-of-archive marker. */
  async finish(): Promise<void> {
    await this.writeAt(Buffer.alloc(BLOCK * 2));
  }
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

  /**
   * Adds blobs one after another, each piped into the output (the next one is requested while
   * the current one streams). A source that is a DigestVerifier of the blob's digest is not
   * hashed again.
   */
  async addBlobs(blobs: TarBlob[], onBytes?: (n: number) => void): Promise<void> {
    let next = blobs[0]?.open();
    next?.catch(() => {});
    for (const [i, blob] of blobs.entries()) {
      const body = await next!;
      next = blobs[i + 1]?.open();
      next?.catch(() => {});
      await this.write(tarHeader(blob.name, blob.size, '0', this.mtime));
      const known = verifiedHex(body, blob.digest, blob.size);
      const meter = known ? undefined : new EntryMeter(blob.size, blob.name);
      const from: Readable = meter ? body.pipe(meter) : body;
      if (meter) body.on('error', (error) => meter.destroy(error));
      if (onBytes) from.on('data', (chunk: Buffer) => onBytes(chunk.length));
      from.pipe(this.out, { end: false });
      await new Promise<void>((resolve, reject) => {
        from.once('end', resolve);
        from.once('error', reject);
        body.once('error', reject);
      }).catch((error: unknown) => {
        from.unpipe(this.out);
        throw error;
      });
      this.bytesWritten += blob.size;
      await this.pad(blob.size);
      this.files.push({ name: blob.name, size: blob.size, sha256: known ?? meter!.hash.digest('hex') });
    }
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
