import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DigestVerifier, sha256Digest, sha256Hex } from './digest.js';
import { BundleError } from './errors.js';
import { readTar, safeEntryName } from './tar-reader.js';
import { TarFileWriter, TarWriter } from './tar-writer.js';
import { rawTar } from '../testing/bundle/hostile-tar.js';

async function names(tar: Buffer, chunk = 700): Promise<{ name: string; data: string }[]> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) pieces.push(tar.subarray(i, i + chunk));
  const out: { name: string; data: string }[] = [];
  for await (const entry of readTar(pieces)) {
    const chunks: Buffer[] = [];
    for await (const c of entry.body) chunks.push(c);
    out.push({ name: entry.name, data: Buffer.concat(chunks).toString() });
  }
  return out;
}

async function written(build: (tar: TarWriter) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const tar = new TarWriter(out);
  await build(tar);
  await tar.finish();
  return Buffer.concat(chunks);
}

describe('tar reader and writer', () => {
  it('round-trips files, including long names (ustar prefix) and bodies across chunk boundaries', async () => {
    const long = `templates/${'a'.repeat(60)}/${'1.0.0-'.padEnd(80, 'x')}.yaml`;
    const tar = await written(async (t) => {
      await t.addBuffer('a.txt', 'hello');
      await t.addBuffer(long, 'x'.repeat(1500));
      await t.addStream('b.bin', 3, [Buffer.from('ab'), Buffer.from('c')]);
    });
    expect(await names(tar, 333)).toEqual([
      { name: 'a.txt', data: 'hello' },
      { name: long, data: 'x'.repeat(1500) },
      { name: 'b.bin', data: 'abc' },
    ]);
  });

  it('skips a body the consumer did not read', async () => {
    const tar = await written(async (t) => {
      await t.addBuffer('skip', 'y'.repeat(2000));
      await t.addBuffer('next', 'z');
    });
    const seen: string[] = [];
    for await (const entry of readTar([tar])) seen.push(entry.name);
    expect(seen).toEqual(['skip', 'next']);
  });

  it('writes the same bytes by position (blobs fetched at once) as a stream, and reads a file by position', async () => {
    const blobs = ['a'.repeat(700), 'b'.repeat(1024), 'c'].map((text, i) => {
      const data = Buffer.from(text);
      return { name: `blob${i}`, size: data.length, digest: sha256Digest(data), data };
    });
    const asStream = await written(async (t) => {
      await t.addBuffer('first', 'hello');
      await t.addBlobs(blobs.map((b) => ({ ...b, open: async () => Readable.from([b.data]) })));
      await t.addBuffer('last', 'bye');
    });
    const dir = mkdtempSync(join(tmpdir(), 'ferry-tar-'));
    try {
      const handle = await open(join(dir, 't.tar'), 'w+');
      const t = new TarFileWriter(handle);
      await t.addBuffer('first', 'hello');
      // the first blob's source is a verifier: its digest is taken, not computed again
      const opened = [
        async () => Readable.from([blobs[0]!.data]).pipe(new DigestVerifier(blobs[0]!.digest, 700, 'v')),
        async () => Readable.from([blobs[1]!.data.subarray(0, 24), blobs[1]!.data.subarray(24)]),
        async () => Readable.from([blobs[2]!.data]),
      ];
      await t.addBlobs(
        blobs.map((b, i) => ({ ...b, open: opened[i]! })),
        3,
      );
      await t.addBuffer('last', 'bye');
      await t.finish();
      expect(readFileSync(join(dir, 't.tar')).equals(asStream)).toBe(true);
      expect(t.files.map((f) => f.sha256)).toEqual(
        ['hello', ...blobs.map((b) => b.data), 'bye'].map(sha256Hex),
      );
      const seen: { name: string; offset: number }[] = [];
      for await (const entry of readTar({ handle, size: asStream.length }))
        seen.push({ name: entry.name, offset: entry.offset });
      expect(seen.map((e) => asStream.subarray(e.offset, e.offset + 1).toString())).toEqual([
        'h',
        'a',
        'b',
        'c',
        'b',
      ]);
      const short = new TarFileWriter(handle);
      await expect(
        short.addBlobs([{ ...blobs[1]!, open: async () => Readable.from([Buffer.from('abc')]) }], 1),
      ).rejects.toThrow(/blob1: source ended after 3 of 1024 bytes/);
      await handle.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a stream that yields fewer or more bytes than declared when writing', async () => {
    await expect(
      written((t) => t.addStream('short', 10, [Buffer.from('abc')]).then(() => {})),
    ).rejects.toThrow(/short: source ended after 3 of 10 bytes/);
  });

  it.each([
    ['absolute path', [{ name: '/abs', data: 'x' }], /"\/abs": absolute path refused/],
    ['parent segment', [{ name: 'a/../../b', data: 'x' }], /".." in path refused/],
    ['symlink', [{ name: 'link', type: '2', linkName: '/etc' }], /"link": symbolic link refused/],
    ['hard link', [{ name: 'hard', type: '1', linkName: 'a' }], /"hard": hard link refused/],
    ['char device', [{ name: 'dev', type: '3' }], /device or FIFO entry refused/],
    ['fifo', [{ name: 'fifo', type: '6' }], /device or FIFO entry refused/],
    ['GNU long name', [{ name: '././@LongLink', type: 'L', data: 'x' }], /unsupported tar entry type "L"/],
    [
      'duplicate',
      [
        { name: 'same', data: '1' },
        { name: './same', data: '2' },
      ],
      /same: duplicate entry name refused/,
    ],
  ])('refuses %s', async (_what, entries, expected) => {
    await expect(names(rawTar(entries))).rejects.toThrow(expected);
  });

  it('refuses truncation: inside a body and a missing end-of-archive marker', async () => {
    await expect(
      names(rawTar([{ name: 'cut', data: 'abc', declaredSize: 600 }], { endMarker: false })),
    ).rejects.toThrow(/cut: archive truncated: entry ends after 3 of 600 bytes/);
    await expect(names(rawTar([{ name: 'ok', data: 'abc' }], { endMarker: false }))).rejects.toThrow(
      /after ok: archive truncated: it ends without the end-of-archive marker/,
    );
  });

  it('refuses a corrupt header checksum and oversize entries', async () => {
    const tar = rawTar([{ name: 'x', data: 'abc' }]);
    tar[10] = 0x41;
    await expect(names(tar)).rejects.toThrow(/checksum mismatch/);
    const big = rawTar([{ name: 'big', data: 'x'.repeat(100) }]);
    const reading = async () => {
      for await (const e of readTar([big], { maxEntrySize: () => 99 })) void e;
    };
    await expect(reading()).rejects.toThrow(/big: entry of 100 bytes exceeds the limit of 99 bytes/);
  });

  it('normalises safe names and refuses unsafe ones with a BundleError', () => {
    expect(safeEntryName('./images/index.json')).toBe('images/index.json');
    expect(safeEntryName('templates/')).toBe('templates');
    expect(() => safeEntryName('a//b')).toThrow(BundleError);
    expect(() => safeEntryName('a\\b')).toThrow(/backslash/);
  });
});
