import { createHash } from 'node:crypto';
import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { BundleError } from './errors.js';

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const sha256Digest = (data: Buffer | string) => `sha256:${sha256Hex(data)}`;

export function assertDigest(digest: string, where: string): void {
  if (!DIGEST_PATTERN.test(digest)) {
    throw new BundleError(`unsupported digest "${digest}" (expected sha256:<64 hex digits>)`, {
      entry: where,
    });
  }
}

export const digestHex = (digest: string) => digest.slice('sha256:'.length);

/** Passes bytes through, hashing and counting them: `digest` and `bytes` describe what passed. */
export class DigestMeter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  get digest(): string {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}

/**
 * Passes bytes through while hashing them; at the end it fails the stream unless the bytes have
 * the expected digest (and size, when known). The consumer never sees an unverified end of stream.
 */
export class DigestVerifier extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    readonly expected: string | undefined,
    readonly expectedSize: number | undefined,
    readonly what: string,
    /** Told the size of every chunk as it passes (progress). */
    private readonly onBytes?: (n: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      callback(new BundleError(`more than the expected ${this.expectedSize} bytes`, { entry: this.what }));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.actual = `sha256:${this.hash.digest('hex')}`;
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      callback(
        new BundleError(`size ${this.bytes} bytes, expected ${this.expectedSize}: truncated or corrupt`, {
          entry: this.what,
        }),
      );
    } else if (this.expected !== undefined && this.actual !== this.expected) {
      callback(
        new BundleError(`digest mismatch: content is ${this.actual}, expected ${this.expected}`, {
          entry: this.what,
        }),
      );
    } else callback();
  }

  /** The digest of the bytes seen, once the stream has ended. */
  actual: string | undefined;
}
