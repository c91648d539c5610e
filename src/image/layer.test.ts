import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import { GZIP_OS_UNKNOWN, buildLayer, normalizePath, prepareEntries } from './layer.js';
import type { LayerEntry } from './spec.js';

const file = (path: string, text: string, extra: Partial<LayerEntry> = {}): LayerEntry =>
  ({ type: 'file', path, content: { data: Buffer.from(text) }, ...extra }) as LayerEntry;

interface Listed {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  linkpath: string;
  body: string;
}

/** Lists a tar with node-tar's parser (an independent reader). */
async function list(tar: Buffer): Promise<Listed[]> {
  const out: Listed[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        out.push({
          path: entry.path,
          type: entry.type,
          mode: entry.mode ?? -1,
          uid: entry.uid ?? -1,
          gid: entry.gid ?? -1,
          uname: entry.uname ?? '',
          gname: entry.gname ?? '',
          mtime: entry.mtime ? entry.mtime.getTime() / 1000 : -1,
          size: entry.size ?? -1,
          linkpath: entry.linkpath ?? '',
          body: Buffer.concat(chunks).toString(),
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(tar);
  });
  return out;
}

const ENTRIES: LayerEntry[] = [
  file('/app/server', 'binary', { mode: 0o755 }),
  { type: 'symlink', path: 'usr/bin/server', target: '../../app/server' },
  file('./etc/passwd', 'root:x:0:0::/root:/sbin/nologin\n'),
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'dir', path: 'data', uid: 65532, gid: 65532, mode: 0o700 },
];

describe('normalizePath', () => {
  it('drops leading slashes and dots, refuses .. and the root', () => {
    expect(normalizePath('/usr//bin/./x/')).toBe('usr/bin/x');
    expect(() => normalizePath('a/../../etc/shadow')).toThrow(/\.\./);
    expect(() => normalizePath('/')).toThrow(/root/);
    expect(() => normalizePath('a\0b')).toThrow(/NUL/);
  });
});

describe('prepareEntries', () => {
  it('sorts by path bytes, adds parents, resolves hard links to the first by path order', () => {
    const prepared = prepareEntries([
      file('b/x', 'same', { linkKey: 'inode-1' }),
      file('a-b', 'same', { linkKey: 'inode-1' }),
      file('a/y', 'other'),
    ]);
    expect(prepared.map((e) => `${e.type} ${e.path}`)).toEqual([
      'dir a',
      'file a-b',
      'file a/y',
      'dir b',
      'hardlink b/x',
    ]);
    expect(prepared[4]).toMatchObject({ target: 'a-b' });
  });

  it('refuses duplicates, non-directory parents and bad modes', () => {
    expect(() => prepareEntries([file('a', '1'), file('/a', '2')])).toThrow(/listed twice/);
    expect(() => prepareEntries([file('a', '1'), file('a/b', '2')])).toThrow(/not a directory/);
    expect(() => prepareEntries([file('a', '1', { mode: 0o100644 })])).toThrow(/beyond 07777/);
    expect(() => prepareEntries([file('a', '1', { uid: -1 })])).toThrow(/bad owner/);
  });
});

describe('buildLayer', () => {
  it('gives the same bytes for the same entries in any order', async () => {
    const a = await buildLayer(ENTRIES);
    const b = await buildLayer([...ENTRIES].reverse());
    expect(b.descriptor.digest).toBe(a.descriptor.digest);
    expect(b.diffId).toBe(a.diffId);
    expect(a.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(a.descriptor.size).toBe(a.bytes.length);
  });

  it('changes digest with content, mode, owner or mtime', async () => {
    const base = (await buildLayer(ENTRIES)).descriptor.digest;
    const variants: LayerEntry[][] = [
      [...ENTRIES.slice(1), file('/app/server', 'binary2', { mode: 0o755 })],
      [...ENTRIES.slice(1), file('/app/server', 'binary', { mode: 0o750 })],
      [...ENTRIES.slice(1), file('/app/server', 'binary', { mode: 0o755, uid: 1 })],
    ];
    const digests = await Promise.all(variants.map(async (v) => (await buildLayer(v)).descriptor.digest));
    digests.push((await buildLayer(ENTRIES, { mtime: 1 })).descriptor.digest);
    expect(new Set([base, ...digests]).size).toBe(5);
  });

  it('writes a gzip header without timestamp and with OS 255, and a diffId of the tar', async () => {
    const layer = await buildLayer(ENTRIES);
    expect([...layer.bytes.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(layer.bytes.readUInt32LE(4)).toBe(0);
    expect(layer.bytes[9]).toBe(GZIP_OS_UNKNOWN);
    const tar = gunzipSync(layer.bytes);
    expect(layer.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(layer.tarSize).toBe(tar.length);
  });

  it('writes uncompressed layers when asked, with digest = diffId', async () => {
    const layer = await buildLayer(ENTRIES, { compression: 'none' });
    expect(layer.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(layer.descriptor.digest).toBe(layer.diffId);
  });

  it('writes sorted entries with fixed mtime, numeric owners, no names, modes, links', async () => {
    const entries = await list(gunzipSync((await buildLayer(ENTRIES, { mtime: 1700000000 })).bytes));
    expect(entries.map((e) => e.path)).toEqual([
      'app/',
      'app/server',
      'data/',
      'etc/',
      'etc/passwd',
      'tmp/',
      'usr/',
      'usr/bin/',
      'usr/bin/server',
    ]);
    for (const e of entries) {
      expect(e.mtime).toBe(1700000000);
      expect([e.uname, e.gname]).toEqual(['', '']);
    }
    const by = (path: string) => entries.find((e) => e.path === path)!;
    expect(by('app/server')).toMatchObject({ type: 'File', mode: 0o755, uid: 0, gid: 0, body: 'binary' });
    expect(by('data/')).toMatchObject({ type: 'Directory', mode: 0o700, uid: 65532, gid: 65532 });
    expect(by('tmp/')).toMatchObject({ mode: 0o1777 });
    expect(by('usr/')).toMatchObject({ type: 'Directory', mode: 0o755 });
    expect(by('usr/bin/server')).toMatchObject({ type: 'SymbolicLink', linkpath: '../../app/server' });
    expect(by('etc/passwd')).toMatchObject({ mode: 0o644 });
  });

  it('carries long names and link targets through PAX headers', async () => {
    const long = `node_modules/${'a'.repeat(120)}/${'b'.repeat(120)}/${'c'.repeat(60)}.js`;
    const target = `../${'t'.repeat(150)}`;
    const entries = await list(
      gunzipSync(
        (
          await buildLayer([
            file(long, 'x'),
            { type: 'symlink', path: 'l', target },
            file('h1', 'same', { linkKey: 'k' }),
            file('h2', 'same', { linkKey: 'k' }),
          ])
        ).bytes,
      ),
    );
    expect(entries.find((e) => e.type === 'File' && e.path === long)?.body).toBe('x');
    expect(entries.find((e) => e.path === 'l')?.linkpath).toBe(target);
    expect(entries.find((e) => e.path === 'h2')).toMatchObject({ type: 'Link', linkpath: 'h1', size: 0 });
  });

  it('fails when a file yields another size than declared', async () => {
    const read = () => [Buffer.from('longer than declared')];
    await expect(
      buildLayer([{ type: 'file', path: 'x', content: { source: '/nowhere', size: 3 } }], { read }),
    ).rejects.toThrow(/grew beyond 3 bytes/);
    await expect(
      buildLayer([{ type: 'file', path: 'x', content: { source: '/nowhere', size: 300 } }], { read }),
    ).rejects.toThrow(/read 20 of 300 bytes/);
  });
});
