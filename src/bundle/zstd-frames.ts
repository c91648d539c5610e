import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { BundleError } from './errors.js';

const ZSTD_MAGIC = 0xfd2fb528;
const isSkippableMagic = (magic: number) => magic >>> 4 === 0x184d2a5;

type State =
  | { kind: 'magic' }
  | { kind: 'descriptor' }
  | { kind: 'blockHeader'; checksum: boolean }
  | { kind: 'skippableSize' };

/**
 * Passes a zstd stream through unchanged, but cut so that no chunk holds the end of one frame and
 * the start of the next. Node's zstd decompressor drops the rest of a chunk after a frame ends, so
 * multi-frame files (zstd of concatenated files, pzstd, skippable frames) would otherwise be read
 * only up to their first frame's end. Only frame and block headers are parsed; nothing is buffered
 * beyond a header's few bytes.
 */
export class ZstdFrameSplitter extends Transform {
  private state: State = { kind: 'magic' };
  /** Header bytes gathered so far, and how many the state needs. */
  private header: number[] = [];
  /** Bytes to pass through before the next header. */
  private skip = 0;
  private afterSkip: State | 'frameEnd' = { kind: 'magic' };
  private offset = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let start = 0;
      let i = 0;
      while (i < chunk.length) {
        if (this.skip > 0) {
          const n = Math.min(this.skip, chunk.length - i);
          i += n;
          this.skip -= n;
          if (this.skip === 0 && this.finishSkip()) {
            this.push(chunk.subarray(start, i));
            start = i;
          }
          continue;
        }
        this.header.push(chunk[i]!);
        i++;
        if (this.header.length === this.needed() && this.parse()) {
          this.push(chunk.subarray(start, i));
          start = i;
        }
      }
      this.offset += chunk.length;
      if (i > start) this.push(chunk.subarray(start, i));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state.kind !== 'magic' || this.header.length || this.skip)
      callback(new BundleError('zstd stream truncated: it ends inside a frame'));
    else callback();
  }

  private needed(): number {
    switch (this.state.kind) {
      case 'magic':
        return 4;
      case 'descriptor':
        return 1;
      case 'blockHeader':
        return 3;
      case 'skippableSize':
        return 4;
    }
  }

  /** Acts on a complete header; true when a frame ended with it. */
  private parse(): boolean {
    const bytes = Buffer.from(this.header);
    this.header = [];
    switch (this.state.kind) {
      case 'magic': {
        const magic = bytes.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) this.state = { kind: 'descriptor' };
        else if (isSkippableMagic(magic)) this.state = { kind: 'skippableSize' };
        else
          throw new BundleError(`not a zstd frame at byte ${this.offset}: the file is corrupt or not zstd`);
        return false;
      }
      case 'descriptor': {
        const descriptor = bytes[0]!;
        const singleSegment = (descriptor >> 5) & 1;
        const contentSizeFlag = descriptor >> 6;
        const dictionaryFlag = descriptor & 3;
        const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!;
        const dictionaryBytes = [0, 1, 2, 4][dictionaryFlag]!;
        this.skip = (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
        this.afterSkip = { kind: 'blockHeader', checksum: ((descriptor >> 2) & 1) === 1 };
        return this.skip === 0 && this.finishSkip();
      }
      case 'blockHeader': {
        const header = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16);
        const last = header & 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw new BundleError('zstd stream corrupt: reserved block type');
        this.skip = type === 1 ? 1 : size;
        const checksum = this.state.checksum;
        this.afterSkip = last ? 'frameEnd' : { kind: 'blockHeader', checksum };
        if (last && checksum) this.skip += 4;
        return this.skip === 0 && this.finishSkip();
      }
      case 'skippableSize':
        this.skip = bytes.readUInt32LE(0);
        this.afterSkip = 'frameEnd';
        return this.skip === 0 && this.finishSkip();
    }
  }

  /** Moves past skipped bytes; true when they closed a frame. */
  private finishSkip(): boolean {
    if (this.afterSkip === 'frameEnd') {
      this.state = { kind: 'magic' };
      this.afterSkip = { kind: 'magic' };
      return true;
    }
    this.state = this.afterSkip;
    return false;
  }
}
