import { readFileSync } from 'node:fs';
import type { Maintainer } from '../../api/index.js';
import { UsageError } from '../output.js';

export function parseDepends(list: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of list) {
    const m = /^([^=]+)=(.+)$/.exec(item);
    if (!m) throw new UsageError(`--depends ${item}: expected COMPONENT=DEP[,DEP...]`);
    out[m[1]!] = [...(out[m[1]!] ?? []), ...m[2]!.split(',').filter(Boolean)];
  }
  return out;
}

export function parseMaintainer(text: string): Maintainer {
  const m = /^\s*([^<]*?)\s*(?:<([^>]*)>)?\s*$/.exec(text);
  if (!m?.[1]) throw new UsageError(`--maintainer ${text}: expected "Name" or "Name <email>"`);
  return { name: m[1], ...(m[2] ? { email: m[2] } : {}) };
}

const MAGIC: [string, (b: Buffer) => boolean][] = [
  [
    'image/png',
    (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  ],
  ['image/jpeg', (b) => b[0] === 0xff && b[1] === 0xd8],
  ['image/gif', (b) => b.subarray(0, 4).toString('latin1') === 'GIF8'],
  [
    'image/webp',
    (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  ],
  [
    'image/svg+xml',
    (b) => /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/.test(b.subarray(0, 4096).toString('utf8')),
  ],
];

/** An image file as a data: URI; the type comes from its content, not its name. */
export function iconDataUri(file: string): string {
  const bytes = readFileSync(file);
  const type = MAGIC.find(([, test]) => test(bytes))?.[0];
  if (!type) throw new UsageError(`--icon ${file}: not a PNG, JPEG, GIF, WebP or SVG image`);
  return `data:${type};base64,${bytes.toString('base64')}`;
}
