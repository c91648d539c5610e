import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageIndex, ImageManifest } from '../src/bundle/media-types.js';
import { blobPath } from '../src/bundle/oci-layout.js';
import { verifyPackage } from '../src/bundle/package-reader.js';
import { nonrootEntries } from '../src/image/base.js';
import { baseExcluded, debianBase } from '../src/image/debian-base.js';
import { directoryEntries, diskReader } from '../src/image/fs-source.js';
import { buildLayer } from '../src/image/layer.js';
import { ferryCache, packSampleImages, buildSampleServer } from '../src/image/samples.js';
import { writeLayout } from '../src/image/write.js';
import { main } from '../src/cli/main.js';
import { repoRoot } from './support/world.js';

/**
 * The operator image built without Docker (npm run image): two builds give one digest, the Debian
 * base made afresh gives the same base layer, `ferry export --operator` carries it by default, and
 * it runs under runc (from Debian) with a read-only root as uid 65532, no cluster involved. runc
 * and mmdebstrap need root: the suite is skipped when not root, except under CI where it must run.
 */

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true')
  throw new Error(
    'operator-image.e2e.test.ts must run under CI, and runc/mmdebstrap need root: run CI as root',
  );
if (!isRoot)
  console.warn(
    'operator-image.e2e.test.ts skipped: not root (runc and mmdebstrap need root; required under CI)',
  );

const DEFAULT_LAYOUT = join(repoRoot, '.ferry', 'image');

let work: string;

/** Runs the built tool (`npm run image` without the rebuild of dist/); returns the digest it reports. */
function buildImage(args: string[]): { digest: string; output: string } {
  const output = execFileSync(
    join(repoRoot, 'scripts', 'node'),
    [join(repoRoot, 'dist', 'tools', 'build-image.js'), ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const digest = /^image ferry:\S+ (sha256:[a-f0-9]{64}):/m.exec(output)?.[1];
  if (!digest) throw new Error(`no digest in the output of build-image:\n${output}`);
  return { digest, output };
}

/** The image manifest of a layout's only image. */
function manifestOf(layout: string): ImageManifest {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as ImageIndex;
  expect(index.manifests).toHaveLength(1);
  return JSON.parse(
    readFileSync(join(layout, blobPath(index.manifests[0]!.digest)), 'utf8'),
  ) as ImageManifest;
}

/** Unpacks a layout's image into an OCI runtime bundle and runs `args` in it with runc. */
function runcRun(layout: string, name: string, args: string[]): { code: number; out: string } {
  const manifest = manifestOf(layout);
  const config = JSON.parse(readFileSync(join(layout, blobPath(manifest.config.digest)), 'utf8')) as {
    config: { Env?: string[]; WorkingDir?: string; User?: string };
  };
  const bundle = join(work, `bundle-${name}`);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  for (const layer of manifest.layers)
    execFileSync('tar', ['--numeric-owner', '-xzpf', join(layout, blobPath(layer.digest)), '-C', rootfs]);
  execFileSync('runc', ['spec'], { cwd: bundle });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runc's spec, edited in a few places
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Record<string, any>;
  const [uid, gid] = (config.config.User ?? '0:0').split(':').map(Number);
  spec.process.terminal = false;
  spec.process.args = args;
  spec.process.env = config.config.Env ?? [];
  spec.process.cwd = config.config.WorkingDir ?? '/';
  spec.process.user = { uid, gid };
  spec.root.readonly = true;
  // what the chart gives the pod: an emptyDir at /tmp
  spec.mounts.push({
    destination: '/tmp',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', 'mode=1777'],
  });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const id = `ferry-image-e2e-${name}-${process.pid}`;
  const state = join(work, 'runc-state');
  try {
    const out = execFileSync('runc', ['--root', state, 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  } finally {
    try {
      execFileSync('runc', ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
    } catch {
      // already gone: runc run removes the container when it exits
    }
  }
}

(isRoot ? describe : describe.skip)('the operator image, built without Docker', () => {
  let digest: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ferry-image-e2e-'));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('gives the same digest from two builds, the second packing every layer afresh', () => {
    const first = buildImage([]);
    const second = buildImage(['--layout', join(work, 'second'), '--no-layer-cache']);
    expect(second.digest).toBe(first.digest);
    expect(second.output).not.toMatch(/^layer .* cached in/m);
    expect(second.output).toMatch(/^layer node: .* packed in/m);
    expect(manifestOf(join(work, 'second'))).toEqual(manifestOf(DEFAULT_LAYOUT));
    digest = first.digest;
  }, 600_000);

  it('gets the same base layer from a Debian base made afresh (mmdebstrap in an empty cache)', async () => {
    const fresh = debianBase(join(work, 'cache'));
    expect(fresh.cached).toBe(false);
    const cached = debianBase(ferryCache());
    expect(fresh.key).toBe(cached.key);
    const layer = async (rootfs: string) =>
      (
        await buildLayer(
          [...(await directoryEntries(rootfs, { exclude: baseExcluded })).entries, ...nonrootEntries()],
          { read: diskReader, mtime: Number(process.env.SOURCE_DATE_EPOCH ?? 0) },
        )
      ).descriptor.digest;
    const freshLayer = await layer(fresh.rootfs);
    expect(freshLayer).toBe(await layer(cached.rootfs));
    expect(manifestOf(DEFAULT_LAYOUT).layers[0]!.digest).toBe(freshLayer);
  }, 300_000);

  it('is what `ferry export --operator` carries by default, under the chart image name', async () => {
    const pkg = join(work, 'operator.tar');
    let out = '';
    const code = await main(['export', '--operator', '-o', pkg, '--quiet'], {
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (out += `${t}\n`),
    });
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(/from the OCI layout \.ferry\/image/);
    const verified = await verifyPackage(pkg);
    expect(verified.manifest.images).toEqual([
      expect.objectContaining({ ref: expect.stringMatching(/^ghcr\.io\/ferry-dev\/ferry:/), digest }),
    ]);
    expect(verified.images[0]!.blobs).toHaveLength(5); // config + 4 layers
  }, 300_000);

  it('runs under runc with a read-only root as uid 65532: the operator command loads', () => {
    const help = runcRun(DEFAULT_LAYOUT, 'help', ['node', 'dist/cli/main.js', 'operator', '--help']);
    expect(help).toMatchObject({ code: 0 });
    expect(help.out).toMatch(/^Usage: ferry operator/);

    const probe = runcRun(DEFAULT_LAYOUT, 'probe', [
      'node',
      '--input-type=module',
      '-e',
      `import fs from 'node:fs';
       let root = 'writable';
       try { fs.writeFileSync('/app/x', 'x'); } catch (e) { root = e.code; }
       fs.writeFileSync('/tmp/x', 'x');
       const k8s = await import('@kubernetes/client-node');
       const { userInfo } = await import('node:os');
       console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), user: userInfo().username, root, node: process.version,
         k8s: typeof k8s.KubeConfig }));`,
    ]);
    expect(probe).toMatchObject({ code: 0 });
    expect(JSON.parse(probe.out)).toEqual({
      uid: 65532,
      gid: 65532,
      user: 'nonroot',
      root: 'EROFS',
      node: expect.stringMatching(/^v24\./),
      k8s: 'function',
    });
  }, 120_000);

  it('runs a sample app image under runc too (static binary, no base)', async () => {
    const server = buildSampleServer(join(repoRoot, 'examples', 'sample-app'));
    const [web] = (await packSampleImages(server)).filter((i) => i.sample.repository === 'shop/web');
    await writeLayout(join(work, 'web'), [{ image: web!.image, name: 'shop/web:1.0.0' }]);
    const run = runcRun(join(work, 'web'), 'web', ['/app/server', '--version']);
    expect(run).toEqual({ code: 0, out: `sample-${server.key.slice(0, 12)}\n` });
  }, 300_000);
});
