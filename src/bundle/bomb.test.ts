import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { constants, gzipSync, zstdCompressSync } from 'node:zlib';
import { BUNDLE_FORMAT_VERSION } from '../api/index.js';
import { tarHeader } from './tar-writer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const harness = join(root, 'src/testing/bundle/verify-child.ts');
const shippedCli = join(root, 'dist/cli/main.js');

/** Builds dist/ when a source file is newer: memory is measured on the CLI as shipped. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(shippedCli) && statSync(shippedCli).mtimeMs >= newest(join(root, 'src'))) return;
  execFileSync(join(root, 'scripts/node'), [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
  ]);
}

/** `ferry verify FILE` in a child process: its result, peak RSS and time. */
async function verifyInChild(...args: string[]) {
  const { stdout } = await promisify(execFile)(
    join(root, 'scripts/node'),
    ['--no-warnings', harness, ...args],
    {
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    code: number;
    output: string;
    maxRssBytes: number;
    ms: number;
  };
}

const manifest = (declared: number) =>
  JSON.stringify({
    kind: 'FerryBundle',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'bomb',
    app: 'bomb',
    versions: ['1.0.0'],
    images: [],
    carriedBytes: declared,
  });

/** A tar prefix: ferry-bundle.json, then the header of an entry of `size` bytes whose body follows. */
function prefix(manifestJson: string, entry: string, size: number): Buffer {
  const body = Buffer.from(manifestJson);
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  return Buffer.concat([
    tarHeader('ferry-bundle.json', body.length, '0'),
    body,
    pad(body.length),
    tarHeader(entry, size, '0'),
  ]);
}

/** Compressed `head` followed by `total` zero bytes, as many small frames or members: tiny on disk. */
function bomb(kind: 'zstd' | 'gzip', head: Buffer, total: number): Buffer {
  const piece = kind === 'zstd' ? 64 * MiB : 4 * MiB;
  const compress = (b: Buffer) =>
    kind === 'zstd'
      ? zstdCompressSync(b, { params: { [constants.ZSTD_c_compressionLevel]: 19 } })
      : gzipSync(b, { level: 9 });
  const zeros = compress(Buffer.alloc(piece));
  return Buffer.concat([compress(head), ...Array.from({ length: Math.ceil(total / piece) }, () => zeros)]);
}

const blobName = `images/blobs/sha256/${'0'.repeat(64)}`;

describe('decompression bombs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bomb-'));
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, 'zstd' | 'gzip', Buffer, number, RegExp][] = [
    [
      'a blob larger than ferry-bundle.json declares (zstd)',
      'zstd',
      prefix(manifest(1000), blobName, 4 * GiB),
      4 * GiB,
      /the blobs add up to more than ferry-bundle.json declares/,
    ],
    [
      'a manifest that declares terabytes (zstd): stopped by the expansion ratio',
      'zstd',
      prefix(manifest(2 ** 40), blobName, 4 * GiB),
      4 * GiB,
      /the zstd stream expands to more than 20× its .* on disk \(a decompression bomb\?\): refused.*--max-expansion/,
    ],
    [
      'a manifest that declares terabytes (gzip): stopped by the expansion ratio',
      'gzip',
      prefix(manifest(2 ** 40), blobName, 2 * GiB),
      2 * GiB,
      /the gzip stream expands to more than 20×/,
    ],
    [
      'a blob before ferry-bundle.json (zstd)',
      'zstd',
      tarHeader(blobName, 4 * GiB, '0'),
      4 * GiB,
      /ferry-bundle.json must be the package's first file/,
    ],
  ];

  it.each(cases)('%s is refused quickly with little memory', async (_what, kind, head, total, expected) => {
    const file = join(dir, `bomb.${kind}`);
    const bytes = bomb(kind, head, total);
    writeFileSync(file, bytes);
    expect(bytes.length).toBeLessThan(total / 500);
    const result = await verifyInChild(file);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(expected);
    expect(result.output.split('\n')).toHaveLength(1);
    expect(result.maxRssBytes).toBeLessThan(256 * MiB);
    expect(result.ms).toBeLessThan(20_000);
  });
});
