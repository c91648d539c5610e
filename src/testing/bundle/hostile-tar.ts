import { tarHeader } from '../../bundle/tar-writer.js';

/** A raw tar entry for tests: any name, type and declared size, whatever the data. */
export interface RawEntry {
  name: string;
  data?: Buffer | string;
  type?: string;
  /** Declared size when it should differ from the data (truncation). */
  declaredSize?: number;
  linkName?: string;
}

/** Builds tar bytes exactly as told, including what a well-behaved writer would refuse to write. */
export function rawTar(entries: RawEntry[], options: { endMarker?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const header = tarHeader('placeholder', e.declaredSize ?? data.length, e.type ?? '0');
    header.fill(0, 0, 100);
    header.write(e.name.slice(0, 100), 0, 'utf8');
    if (e.linkName) header.write(e.linkName, 157, 100, 'utf8');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, data);
    const padding = (512 - (data.length % 512)) % 512;
    if (padding && e.declaredSize === undefined) blocks.push(Buffer.alloc(padding));
  }
  if (options.endMarker !== false) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
