import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, zstdCompressSync } from 'node:zlib';
import { writeOutputFile } from '../bundle/output-file.js';
import { buildImage, randomLayer } from '../testing/bundle/images.js';
import { writeTestPackage } from '../testing/bundle/package.js';
import { trustedKeys } from './commands/trust.js';
import { main } from './main.js';

async function ferry(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** One line, exit 1, no stack trace. */
const oneLine = (r: { code: number; err: string }) => {
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
};

describe('careless use', () => {
  let dir: string;
  let pkg: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-misuse-'));
    pkg = join(dir, 'p.tar');
    const image = buildImage([await randomLayer(2000)]);
    await writeTestPackage(pkg, {
      images: [{ ref: 'vendor.example.com/app:1.0', repository: 'app', image }],
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory, a pipe, a missing file or a truncated compressed file as FILE: one line each, no hang', async () => {
    oneLine(await ferry('verify', dir));
    expect((await ferry('verify', dir)).err).toMatch(/is a directory, not a package file/);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const piped = await ferry('verify', fifo);
    oneLine(piped);
    expect(piped.err).toMatch(/is not a regular file .*save it to a file first/);
    const missing = await ferry('inspect', join(dir, 'nope.tar'));
    oneLine(missing);
    expect(missing.err).toMatch(/cannot open .*nope.tar: no such file or directory/);
    const whole = zstdCompressSync(readFileSync(pkg));
    const truncated = join(dir, 'cut.tar.zst');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const cut = await ferry('verify', truncated);
    oneLine(cut);
    expect(cut.err).toMatch(/truncated/);
  });

  it('reads zstd of several frames and skippable frames (zstd of concatenated files, pzstd) whole', async () => {
    const bytes = readFileSync(pkg);
    const half = Math.floor(bytes.length / 2);
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]), Buffer.from('pzst')]);
    const level = { params: { [constants.ZSTD_c_compressionLevel]: 3 } };
    const framed = join(dir, 'frames.tar.zst');
    writeFileSync(
      framed,
      Buffer.concat([
        skippable,
        zstdCompressSync(bytes.subarray(0, half), level),
        skippable,
        zstdCompressSync(bytes.subarray(half), level),
      ]),
    );
    const r = await ferry('verify', framed);
    expect([r.code, r.out]).toEqual([0, expect.stringMatching(/frames.tar.zst: OK \(8 entries, 3 blobs/)]);
    expect(r.err).toMatch(/warning: signature NOT verified/);
  });

  it('--registry with credentials is refused without showing them', async () => {
    const r = await ferry('import', pkg, '--registry', 'admin:hunter2@registry.site/apps', '--dry-run');
    oneLine(r);
    expect(r.err).toMatch(/must not hold credentials/);
    expect(r.err).not.toMatch(/hunter2/);
  });

  it('escapes terminal control sequences in what it prints', async () => {
    const r = await ferry('verify', join(dir, 'evil\u001b[2J\u009b31m\u202e.tar'));
    expect(r.err).toContain('evil\\x1b[2J\\x9b31m\\u202e.tar');
    // eslint-disable-next-line no-control-regex
    expect(r.err).not.toMatch(/[\u001b\u009b\u202e]/);
  });

  it('keys generate: private key 0600, no symlink followed, --force replaces atomically', async () => {
    const prefix = join(dir, 'vendor');
    expect((await ferry('keys', 'generate', '-o', prefix)).code).toBe(0);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    const linked = join(dir, 'linked');
    symlinkSync(victim, `${linked}.key`);
    const refused = await ferry('keys', 'generate', '-o', linked);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/linked.key exists; pass --force/);
    expect((await ferry('keys', 'generate', '-o', linked, '--force')).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(lstatSync(`${linked}.key`).isSymbolicLink()).toBe(false);
    expect(statSync(`${linked}.key`).mode & 0o777).toBe(0o600);
    expect(() => readlinkSync(`${linked}.key`)).toThrow();
    const before = readFileSync(`${prefix}.key`, 'utf8');
    expect((await ferry('keys', 'generate', '-o', prefix, '--force')).code).toBe(0);
    expect(readFileSync(`${prefix}.key`, 'utf8')).not.toBe(before);
    const noDir = await ferry('keys', 'generate', '-o', join(dir, 'missing', 'k'));
    oneLine(noDir);
    expect(noDir.err).toMatch(/cannot write .*missing\/k.key: no such file or directory/);
  });

  it('an output file is whole or absent: exclusive temp, removed on failure and on SIGTERM', async () => {
    const out = join(dir, 'out.tar');
    await expect(
      writeOutputFile(out, async (handle) => {
        await handle.write('partial');
        throw new Error('pull failed');
      }),
    ).rejects.toThrow('pull failed');
    expect(() => statSync(out)).toThrow();
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' })).not.toMatch(/part-/);
    await expect(writeOutputFile(join(dir, 'no', 'out.tar'), async () => {})).rejects.toThrow(
      /cannot write .*no\/out.tar: no such file or directory/,
    );
    const sub = join(dir, 'signal');
    mkdirSync(sub);
    const child = join(sub, 'child.mjs');
    writeFileSync(
      child,
      `import { writeOutputFile } from ${JSON.stringify(join(process.cwd(), 'dist/bundle/output-file.js'))};\n` +
        `await writeOutputFile(${JSON.stringify(join(sub, 'pkg.tar'))}, async (h) => { await h.write('x'); await new Promise(() => setInterval(() => {}, 1000)); });\n`,
    );
    const script = `node ${child} & pid=$!; for i in $(seq 100); do ls -A ${sub} | grep -q part- && break; sleep 0.1; done; kill -TERM $pid; wait $pid; ls -A ${sub}`;
    const listing = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(listing.trim().split('\n')).toEqual(['child.mjs']);
  });
});

describe('trusted keys', () => {
  it('come from --key, else FERRY_TRUSTED_KEYS, else ~/.config/ferry/trusted-keys, and fail closed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-trust-'));
    const pem = (name: string) => {
      const file = join(dir, name);
      writeFileSync(file, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
      return file;
    };
    const a = pem('a.pub');
    mkdirSync(join(dir, 'keys'));
    const b = pem('keys/b.pub');
    pem('keys/c.pub');
    expect(trustedKeys([a], { FERRY_TRUSTED_KEYS: join(dir, 'keys') }).keys).toHaveLength(1);
    expect(trustedKeys(undefined, { FERRY_TRUSTED_KEYS: `${a}:${join(dir, 'keys')}` }).keys).toHaveLength(3);
    expect(() => trustedKeys(undefined, { FERRY_TRUSTED_KEYS: join(dir, 'gone') })).toThrow(/does not exist/);
    expect(() => trustedKeys(undefined, { FERRY_TRUSTED_KEYS: '' })).toThrow(/names no key/);
    const config = join(dir, 'config');
    expect(trustedKeys(undefined, { XDG_CONFIG_HOME: config }).keys).toHaveLength(0);
    mkdirSync(join(config, 'ferry', 'trusted-keys'), { recursive: true });
    expect(() => trustedKeys(undefined, { XDG_CONFIG_HOME: config })).toThrow(/holds no \*.pub key/);
    writeFileSync(join(config, 'ferry', 'trusted-keys', 'b.pub'), readFileSync(b));
    expect(trustedKeys(undefined, { XDG_CONFIG_HOME: config }).keys).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('commands whose modules load only when used', () => {
  it('ferry import --market loads the market modules then and still answers a usage error clearly', async () => {
    const saved = process.env.KUBECONFIG;
    delete process.env.KUBECONFIG;
    try {
      const r = await ferry('import', 'shop.tar', '--market', 'shelf');
      expect(r.code).toBe(2);
      expect(r.err).toContain(
        'ferry import: --market shelf: a name is an AppMarket of a cluster (--kubeconfig or KUBECONFIG)',
      );
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      if (saved !== undefined) process.env.KUBECONFIG = saved;
    }
  });
});
