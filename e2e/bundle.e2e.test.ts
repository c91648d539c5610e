import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { RegistryClient } from '../src/bundle/registry-client.js';
import type { TestImage } from '../src/testing/bundle/images.js';
import { buildImage, buildIndexOf, pushImage, randomLayer } from '../src/testing/bundle/images.js';
import { rawTar } from '../src/testing/bundle/hostile-tar.js';
import type { LocalRegistry } from '../src/testing/bundle/registry.js';
import { startRegistry } from '../src/testing/bundle/registry.js';
import { main } from '../src/cli/main.js';
import { KubeClient, ferryRef } from '../src/kube/client.js';
import { sleep } from '../src/util/sleep.js';
import { SlowProxy } from './support/slow-proxy.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
/** Under CI every tool the suite checks with must be installed (e2e/install-deps.sh); locally it may be missing. */
const requireTools = process.env.CI === 'true';

/** The cluster of this e2e run (global setup: $KUBECONFIG, e.g. kind, or its own local cluster). */
const kubeconfig = process.env.FERRY_E2E_KUBECONFIG;
/**
 * The app's name in this run: AppTemplates are cluster-scoped and immutable, so on a cluster that
 * outlives the run (KUBECONFIG, e.g. e2e/kind.sh) a fixed name would clash with the last run's.
 */
const APP = `shop-b${Date.now().toString(36)}${(process.pid % 1296).toString(36)}`;

/**
 * Runs the ferry CLI in-process; returns exit code and output. Without --kubeconfig in `args`, it
 * runs with no cluster at all: `ferry import` would otherwise fall back to $KUBECONFIG and write
 * AppTemplates into whatever cluster that names.
 */
async function ferry(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = process.env.KUBECONFIG;
  if (!args.includes('--kubeconfig')) delete process.env.KUBECONFIG;
  try {
    const code = await main(args, {
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (err += `${t}\n`),
    });
    return { code, out, err };
  } finally {
    if (saved !== undefined) process.env.KUBECONFIG = saved;
  }
}

async function ferryOk(...args: string[]): Promise<string> {
  const r = await ferry(...args);
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}:\n${r.err}${r.out}`);
  return r.out;
}

/** The entries followed by a SHA256SUMS that lists each of them with its true digest. */
function withSums(entries: { name: string; data: string }[]): { name: string; data: string }[] {
  const sums = entries.map((e) => `${createHash('sha256').update(e.data).digest('hex')}  ${e.name}\n`);
  return [...entries, { name: 'SHA256SUMS', data: sums.join('') }];
}

const skopeo = (...args: string[]) =>
  JSON.parse(execFileSync('skopeo', args, { encoding: 'utf8' })) as Record<string, unknown>;

function catalog(registry: LocalRegistry): string[] {
  const out = execFileSync('curl', ['-s', `http://${registry.address}/v2/_catalog?n=1000`], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { repositories: string[] }).repositories;
}

/**
 * The requests a registry logged (its access log, e2e/registry.sh's logs/registry.log), once the
 * log has stopped growing: the registry writes a line after it answered.
 */
async function accessLog(
  registry: LocalRegistry,
): Promise<{ method: string; uri: string; status: number }[]> {
  const read = () =>
    [
      ...readFileSync(join(registry.dir, 'logs', 'registry.log'), 'utf8').matchAll(
        /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /g,
      ),
    ].map((m) => ({ method: m[1]!, uri: m[2]!, status: Number(m[3]) }));
  let last = read();
  for (;;) {
    await sleep(200);
    const now = read();
    if (now.length === last.length) return now;
    last = now;
  }
}

let source: LocalRegistry;
let site: LocalRegistry;
let work: string;
let client: RegistryClient;
type V1 = Record<'db' | 'api' | 'webAmd' | 'webArm', TestImage>;
type V2 = Record<'db' | 'api' | 'web' | 'reports', TestImage>;
let v1: V1;
let v2: V2;
let webIndexDigest: string;
const template1 = () => join(work, 'shop-1.0.0.yaml');
const template2 = () => join(work, 'shop-2.0.0.yaml');
const pkg1 = () => join(work, 'shop-1.0.0.tar.zst');
const pkg2 = () => join(work, 'shop-2.0.0.tar');

beforeAll(async () => {
  source = startRegistry();
  site = startRegistry();
  work = mkdtempSync(join(tmpdir(), 'ferry-bundle-e2e-'));
  client = new RegistryClient(source.address, { plainHttp: true });

  // layers shared between images and versions: base everywhere, db1 in both db versions, common in both api versions
  const base = await randomLayer(300 * 1024);
  const db1 = await randomLayer(200 * 1024);
  const common = await randomLayer(150 * 1024);
  v1 = {
    db: buildImage([base, db1]),
    api: buildImage([base, common, await randomLayer(120 * 1024)]),
    webAmd: buildImage([base, await randomLayer(100 * 1024)]),
    webArm: buildImage([base, await randomLayer(100 * 1024)], { os: 'linux', architecture: 'arm64' }),
  };
  v2 = {
    db: buildImage([base, db1, await randomLayer(90 * 1024)]),
    api: buildImage([base, common, await randomLayer(2 * 1024 * 1024)]),
    web: buildImage([base, await randomLayer(110 * 1024)]),
    reports: buildImage([base, await randomLayer(80 * 1024)]),
  };
  await pushImage(client, 'shop/db', '1.0.0', v1.db);
  await pushImage(client, 'shop/api', '1.0.0', v1.api);
  await pushImage(client, 'shop/web', undefined, v1.webAmd);
  await pushImage(client, 'shop/web', undefined, v1.webArm);
  const webIndex = buildIndexOf([
    { image: v1.webAmd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: v1.webArm, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  await client.putManifest('shop/web', '1.0.0', webIndex);
  await pushImage(client, 'shop/db', '1.0.1', v2.db);
  await pushImage(client, 'shop/api', '2.0.0', v2.api);
  await pushImage(client, 'shop/web', '2.0.0', v2.web);
  await pushImage(client, 'shop/reports', '2.0.0', v2.reports);
  webIndexDigest = webIndex.digest;

  // the example templates, pointed at the source registry (api 1.0.0 pinned by digest as well)
  for (const [version, file] of [
    ['1.0.0', template1()],
    ['2.0.0', template2()],
  ] as const) {
    let text = readFileSync(join(root, 'examples/shop', `shop-${version}.yaml`), 'utf8')
      .replaceAll('registry.example.com/', `${source.address}/`)
      .replace(`name: shop.${version}`, `name: ${APP}.${version}`)
      .replace('app: shop\n', `app: ${APP}\n`);
    if (version === '1.0.0')
      text = text.replace(`shop/api:1.0.0`, `shop/api:1.0.0@${v1.api.manifest.digest}`);
    writeFileSync(file, text);
  }
  await ferryOk('keys', 'generate', '-o', join(work, 'vendor'));
  await ferryOk('keys', 'generate', '-o', join(work, 'other'));
}, 120_000);

afterAll(() => {
  client?.close();
  source?.stop();
  site?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const common = () => ['--plain-http', '--quiet'];

describe('ferry export', () => {
  it('exports shop 1.0.0 (zstd, signed, all platforms) and skopeo reads its OCI layout', async () => {
    const out = await ferryOk(
      'export',
      `${APP}@1.0.0`,
      '-f',
      template1(),
      '-o',
      pkg1(),
      '--sign-key',
      join(work, 'vendor.key'),
      ...common(),
    );
    expect(out).toMatch(new RegExp(`${APP} 1.0.0, 3 images`));
    const inspect = JSON.parse(await ferryOk('inspect', pkg1(), '-o', 'json')) as {
      images: { ref: string; digest: string; platforms?: string[] }[];
      signature: string;
    };
    expect(inspect.signature).toBe('signed-not-checked');
    const web = inspect.images.find((i) => i.ref.includes('shop/web'))!;
    expect(web.digest).toBe(webIndexDigest);
    expect(web.platforms).toEqual(['linux/amd64', 'linux/arm64']);

    const layout = join(work, 'layout1');
    mkdirSync(layout);
    execFileSync('tar', ['--zstd', '-xf', pkg1(), '-C', layout, 'images']);
    const api = skopeo(
      'inspect',
      `oci:${join(layout, 'images')}:${source.address}/shop/api:1.0.0@${v1.api.manifest.digest}`,
    );
    expect(api.Digest).toBe(v1.api.manifest.digest);
    expect((api.Layers as string[]).length).toBe(3);
    // sha256sum -c works on the unpacked package
    execFileSync('tar', ['--zstd', '-xf', pkg1(), '-C', layout]);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: layout });
  });

  it('exports 2.0.0 differentially: blobs 1.0.0 carries are left out, whether the base is a version or a package', async () => {
    await ferryOk(
      'export',
      `${APP}@2.0.0`,
      '-f',
      template1(),
      '-f',
      template2(),
      '--since',
      '1.0.0',
      '-o',
      pkg2(),
      '--platform',
      'linux/amd64',
      ...common(),
    );
    const byVersion = JSON.parse(await ferryOk('inspect', pkg2(), '-o', 'json')) as {
      omittedBlobs: string[];
      baseVersions: string[];
      carriedBytes: number;
    };
    const fromFile = join(work, 'shop-2.0.0-b.tar.gz');
    await ferryOk(
      'export',
      `${APP}@2.0.0`,
      '-f',
      template2(),
      '--since',
      pkg1(),
      '-o',
      fromFile,
      ...common(),
    );
    const byPackage = JSON.parse(await ferryOk('inspect', fromFile, '-o', 'json')) as {
      omittedBlobs: string[];
    };
    expect(byVersion.baseVersions).toEqual(['1.0.0']);
    expect(byPackage.omittedBlobs).toEqual(byVersion.omittedBlobs);
    const oldBlobs = new Set(
      Object.values(v1).flatMap((i) => [i.configDigest, ...i.layers.map((l) => l.descriptor.digest)]),
    );
    const newBlobs = new Map(
      Object.values(v2).flatMap((i) => [
        [i.configDigest, i.config.length] as const,
        ...i.layers.map((l) => [l.descriptor.digest, l.descriptor.size] as const),
      ]),
    );
    const expectedNew = [...newBlobs].filter(([d]) => !oldBlobs.has(d));
    expect(byVersion.carriedBytes).toBe(expectedNew.reduce((n, [, s]) => n + s, 0));
    expect(new Set(byVersion.omittedBlobs)).toEqual(
      new Set([...newBlobs.keys()].filter((d) => oldBlobs.has(d))),
    );
    expect(statSync(pkg2()).size).toBeLessThan(byVersion.carriedBytes + 64 * 1024);
  });
});

describe('ferry import', () => {
  it('refuses the differential package before its base is on the site, naming the base, and pushes nothing', async () => {
    const r = await ferry('import', pkg2(), '--registry', `${site.address}/acme`, ...common());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`base version 1\\.0\\.0.*import the ${APP} 1\\.0\\.0 package first`));
    expect(catalog(site)).toEqual([]);
  });

  it('imports 1.0.0 with its signature checked, keeping digests; skopeo sees the images', async () => {
    const dry = JSON.parse(
      await ferryOk(
        'import',
        pkg1(),
        '--registry',
        `${site.address}/acme`,
        '--dry-run',
        '-o',
        'json',
        ...common(),
      ),
    ) as { blobsToPush: number; bytesToPush: number; blobsPushed: number; blobsMounted: number };
    // 1.0.0: 6 layers and 4 configs, none on the site yet; a dry run changes nothing
    expect(dry).toMatchObject({ blobsToPush: 10, blobsPushed: 0, blobsMounted: 0 });
    expect(catalog(site)).toEqual([]);
    const summary = JSON.parse(
      await ferryOk(
        'import',
        pkg1(),
        '--registry',
        `${site.address}/acme`,
        '--key',
        join(work, 'vendor.pub'),
        '-o',
        'json',
        '--templates-out',
        join(work, 'site-templates'),
        ...common(),
      ),
    ) as {
      bytesPushed: number;
      blobsPushed: number;
      blobsMounted: number;
      signature: string;
      images: string[];
    };
    expect(summary.signature).toBe('verified');
    // each blob's bytes go up once; the base layer, needed by shop/db, shop/api and shop/web, is pushed
    // into one of them and mounted into the other two
    expect({ pushed: summary.blobsPushed, mounted: summary.blobsMounted }).toEqual({
      pushed: 10,
      mounted: 2,
    });
    expect(summary.bytesPushed).toBeGreaterThan(0);
    expect(summary.images).toContain(`${site.address}/acme/shop/api@${v1.api.manifest.digest}`);
    const api = skopeo(
      'inspect',
      '--tls-verify=false',
      `docker://${site.address}/acme/shop/api@${v1.api.manifest.digest}`,
    );
    expect(api.Digest).toBe(v1.api.manifest.digest);
    const web = skopeo(
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${site.address}/acme/shop/web:1.0.0`,
    );
    expect((web.manifests as unknown[]).length).toBe(2);
    const written = yaml.load(readFileSync(join(work, 'site-templates', `${APP}.1.0.0.yaml`), 'utf8')) as {
      spec: { components: { image: string }[] };
    };
    for (const c of written.spec.components)
      expect(c.image).toMatch(new RegExp(`^${site.address}/acme/shop/\\w+@sha256:[a-f0-9]{64}$`));
  });

  it('imports the differential 2.0.0, mounting nothing it need not, and re-imports move 0 blob bytes', async () => {
    const second = JSON.parse(
      await ferryOk('import', pkg2(), '--registry', `${site.address}/acme`, '-o', 'json', ...common()),
    ) as { bytesPushed: number; blobsPushed: number; blobsMounted: number; blobsPresent: number };
    // 2.0.0 carries 4 new layers and 4 configs, pushed once each. Of the 3 layers it shares with
    // 1.0.0 (base, db1, common), shop/db and shop/api already hold theirs; only the new repository
    // shop/reports lacks base, and gets it by a mount instead of bytes. Anything more is a needless mount.
    expect({ pushed: second.blobsPushed, mounted: second.blobsMounted }).toEqual({ pushed: 8, mounted: 1 });
    expect(second.bytesPushed).toBe(
      [v2.db, v2.api, v2.web, v2.reports].reduce(
        (n, i) => n + i.config.length + i.layers.at(-1)!.descriptor.size,
        0,
      ),
    );
    expect(
      skopeo('inspect', '--tls-verify=false', `docker://${site.address}/acme/shop/reports:2.0.0`).Digest,
    ).toBe(v2.reports.manifest.digest);
    const logged = await accessLog(site);
    for (const file of [pkg1(), pkg2()]) {
      const again = JSON.parse(
        await ferryOk('import', file, '--registry', `${site.address}/acme`, '-o', 'json', ...common()),
      ) as {
        bytesPushed: number;
        blobsPushed: number;
        blobsMounted: number;
        manifestsPushed: number;
      };
      expect(again).toMatchObject({ bytesPushed: 0, blobsPushed: 0, blobsMounted: 0, manifestsPushed: 0 });
    }
    // once more through the built CLI (package.json's bin, the bundle) as its own process
    const built = JSON.parse(
      execFileSync(
        process.execPath,
        [
          join(root, 'dist/ferry/main.js'),
          'import',
          pkg2(),
          '--registry',
          `${site.address}/acme`,
          '-o',
          'json',
          ...common(),
        ],
        { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ) as { bytesPushed: number; blobsPushed: number; manifestsPushed: number };
    expect(built).toMatchObject({ bytesPushed: 0, blobsPushed: 0, manifestsPushed: 0 });
    // what the registry itself saw during the three re-imports: presence checks (HEAD) and nothing
    // else: no upload started (POST), no byte sent (PATCH/PUT), no blob or manifest read (GET)
    const during = (await accessLog(site)).slice(logged.length);
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((r) => r.method !== 'HEAD' && r.uri !== '/v2/')).toEqual([]);
  });

  it('refuses a wrong signing key and a flipped byte, naming the entry, and pushes nothing', async () => {
    const wrongKey = await ferry(
      'import',
      pkg1(),
      '--registry',
      `${site.address}/wrongkey`,
      '--key',
      join(work, 'other.pub'),
      ...common(),
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toMatch(/SHA256SUMS.sig: signature does not verify/);
    expect((await ferry('verify', pkg1(), '--key', join(work, 'vendor.pub'))).code).toBe(0);

    const tampered = join(work, 'tampered.tar');
    const bytes = readFileSync(pkg2());
    const listing = execFileSync('tar', ['-tvf', pkg2()], { encoding: 'utf8' });
    expect(listing).toMatch(/images\/blobs\/sha256\//);
    // flip one byte in the middle of the largest blob
    const offset = Math.floor(bytes.length / 2);
    bytes[offset] = bytes[offset]! ^ 0xff;
    writeFileSync(tampered, bytes);
    const r = await ferry('import', tampered, '--registry', `${site.address}/tampered`, ...common());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/images\/blobs\/sha256\/[a-f0-9]{64}: digest mismatch/);
    expect(catalog(site).filter((r) => /^(tampered|wrongkey)\//.test(r))).toEqual([]);
  });

  it('refuses hostile archives, each with a clear error naming the entry, and pushes nothing', async () => {
    // valid enough to be read first, so the case behind it is what gets refused
    const minimalManifest = JSON.stringify({
      kind: 'FerryBundle',
      formatVersion: 1,
      createdAt: '2026-01-01T00:00:00Z',
      createdBy: 'test',
      app: 'hostile',
      versions: ['1.0.0'],
      images: [],
    });
    const cases: [string, Buffer, RegExp][] = [
      ['absolute', rawTar([{ name: '/etc/passwd', data: 'x' }]), /"\/etc\/passwd": absolute path refused/],
      [
        'dotdot',
        rawTar([{ name: 'images/../../evil', data: 'x' }]),
        /"images\/..\/..\/evil": ".." in path refused/,
      ],
      [
        'symlink',
        rawTar([{ name: 'images/oci-layout', type: '2', linkName: '/etc/passwd' }]),
        /images\/oci-layout": symbolic link refused/,
      ],
      [
        'hardlink',
        rawTar([{ name: 'templates/x', type: '1', linkName: 'ferry-bundle.json' }]),
        /"templates\/x": hard link refused/,
      ],
      ['device', rawTar([{ name: 'images/dev', type: '3' }]), /"images\/dev": device or FIFO entry refused/],
      [
        'duplicate',
        rawTar([
          { name: 'ferry-bundle.json', data: minimalManifest },
          { name: 'ferry-bundle.json', data: minimalManifest },
        ]),
        /ferry-bundle.json: duplicate entry name refused/,
      ],
      [
        'truncated',
        rawTar([{ name: 'ferry-bundle.json', data: '{"kind":', declaredSize: 4000 }], { endMarker: false }),
        /ferry-bundle.json: archive truncated: entry ends after 8 of 4000 bytes/,
      ],
      [
        'oversized',
        rawTar([
          { name: 'ferry-bundle.json', data: minimalManifest },
          { name: 'images/oci-layout', data: Buffer.alloc(5000, 0x20) },
        ]),
        /images\/oci-layout: entry of 5000 bytes exceeds the limit of 1024 bytes/,
      ],
      ['unknown entry', rawTar([{ name: 'run.sh', data: 'x' }]), /run.sh: unexpected entry/],
      [
        'no end marker',
        rawTar([{ name: 'ferry-bundle.json', data: minimalManifest }], { endMarker: false }),
        /archive truncated: it ends without the end-of-archive marker/,
      ],
      [
        // a well-formed package in every other respect (every entry listed in SHA256SUMS with its
        // true digest), so it is refused for its format version alone
        'unknown format',
        rawTar(
          withSums([
            { name: 'ferry-bundle.json', data: JSON.stringify({ kind: 'FerryBundle', formatVersion: 99 }) },
            { name: 'images/oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
            { name: 'images/index.json', data: '{"schemaVersion":2,"manifests":[]}' },
          ]),
        ),
        /ferry-bundle.json: unknown formatVersion 99: this ferry reads version 1/,
      ],
    ];
    for (const [what, tar, expected] of cases) {
      const file = join(work, `hostile-${what.replace(/ /g, '-')}.tar`);
      writeFileSync(file, tar);
      const r = await ferry('import', file, '--registry', `${site.address}/hostile`, ...common());
      expect([what, r.code]).toEqual([what, 1]);
      expect([what, r.err]).toEqual([what, expect.stringMatching(expected)]);
    }
    expect(catalog(site).filter((r) => r.startsWith('hostile/'))).toEqual([]);
  });

  it('finishes an import that was killed mid-way, while stalled in a push, when run again; no AppTemplate meanwhile', async () => {
    // The child pushes through a proxy that forwards 256 KiB/s and that the test stalls after the
    // second blob: the kill then lands while the import is provably mid-way, not after it finished.
    const proxy = await SlowProxy.start(site.address, 256 * 1024);
    const kube = KubeClient.fromDefault(kubeconfig);
    const site1 = new RegistryClient(site.address, { plainHttp: true });
    const template = ferryRef('AppTemplate', undefined, `${APP}.1.0.0`);
    try {
      expect(await kube.get(template)).toBeUndefined();
      const child = spawn(
        join(root, 'scripts/node'),
        [
          '--no-warnings',
          '--experimental-transform-types',
          '--import',
          join(root, 'e2e/bundle/ts-loader.mjs'),
          join(root, 'src/cli/main.ts'),
          'import',
          pkg1(),
          '--registry',
          `${proxy.address}/crash`,
          '--plain-http',
          '--kubeconfig',
          kubeconfig!,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      let pushed = 0;
      for await (const line of createInterface({ input: child.stderr! })) {
        if (line.includes('"event":"blob"') && line.includes('"pushed"') && ++pushed === 2) {
          proxy.stall();
          break;
        }
      }
      expect(pushed).toBe(2);
      // stalled: nothing moves for a while, and the import is still running
      const forwarded = proxy.forwarded;
      await sleep(1500);
      expect({
        alive: child.exitCode === null && child.signalCode === null,
        moved: proxy.forwarded - forwarded,
      }).toEqual({
        alive: true,
        moved: 0,
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      // manifests go up only after every blob and AppTemplates last: neither is there
      expect(await site1.headManifest('crash/shop/db', v1.db.manifest.digest)).toBeUndefined();
      expect(await kube.get(template)).toBeUndefined();
      const rerun = JSON.parse(
        await ferryOk(
          'import',
          pkg1(),
          '--registry',
          `${site.address}/crash`,
          '--kubeconfig',
          kubeconfig!,
          '-o',
          'json',
          ...common(),
        ),
      ) as { blobsPushed: number; blobsPresent: number; templates: { name: string; action: string }[] };
      // 1.0.0 carries 10 blobs (6 layers, 4 configs): the two pushed before the kill are not sent again
      expect(rerun.blobsPushed).toBeGreaterThan(0);
      expect(rerun.blobsPushed).toBeLessThanOrEqual(10 - 2);
      expect(rerun.templates).toEqual([{ name: `${APP}.1.0.0`, action: 'created' }]);
      expect(await site1.headManifest('crash/shop/db', v1.db.manifest.digest)).toBe(v1.db.manifest.digest);
      const created = await kube.get<{ spec: { components: { image: string }[] } } & Record<string, unknown>>(
        template,
      );
      expect(created!.spec.components.map((c) => c.image.split('@')[0])).toEqual([
        `${site.address}/crash/shop/db`,
        `${site.address}/crash/shop/api`,
        `${site.address}/crash/shop/web`,
      ]);
    } finally {
      // the cluster test below imports this version again under another prefix
      await kube.delete(template);
      site1.close();
      kube.close();
      await proxy.close();
    }
  });
});

describe('ferry export --format compose', () => {
  it('writes a compose project docker-compose accepts and image archives skopeo reads', async () => {
    const dir = join(work, 'compose');
    await ferryOk('export', `${APP}@2.0.0`, '-f', template2(), '--format', 'compose', '-o', dir, ...common());
    const files = readdirSync(dir);
    expect(files).toEqual(
      expect.arrayContaining(['docker-compose.yaml', '.env', 'SHA256SUMS', 'README.md', 'images', 'config']),
    );
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: dir });
    if (requireTools || has('docker-compose')) {
      const config = execFileSync('docker-compose', ['config'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, DB_PASSWORD: 'pw' },
      });
      expect(config).toMatch(/reports:/);
    } else
      console.warn('docker-compose is not installed (CI=true would fail): compose file not checked by it');
    const archives = readdirSync(join(dir, 'images'));
    expect(archives).toHaveLength(4);
    const api = skopeo(
      'inspect',
      `docker-archive:${join(
        dir,
        'images',
        archives.find((a) => a.includes('api'))!,
      )}`,
    );
    expect(api.Layers as string[]).toHaveLength(v2.api.layers.length);
    const tarOut = join(work, 'compose.tar.gz');
    await ferryOk(
      'export',
      `${APP}@2.0.0`,
      '-f',
      template2(),
      '--format',
      'compose',
      '-o',
      tarOut,
      ...common(),
    );
    expect(execFileSync('tar', ['-tzf', tarOut], { encoding: 'utf8' })).toMatch(/docker-compose.yaml/);
  });

  it('reads the exported project back (ferry template from-compose); exporting that gives the same Compose files', async () => {
    const dir = join(work, 'compose');
    const back = join(work, 'from-compose.yaml');
    const file = join(dir, 'docker-compose.yaml');
    await ferryOk(
      'template',
      'from-compose',
      file,
      '--app',
      APP,
      '--version',
      '2.0.1',
      '--volume-size',
      '10Gi',
      '-o',
      back,
    );
    expect(await ferryOk('validate', '-f', back)).toBe(`${back}: AppTemplate ok\n`);
    const again = join(work, 'compose-again');
    await ferryOk('export', `${APP}@2.0.1`, '-f', back, '--format', 'compose', '-o', again, ...common());
    const text = (d: string, name: string) =>
      readFileSync(join(d, name), 'utf8').replaceAll('2.0.1', '2.0.0');
    expect(text(again, 'docker-compose.yaml')).toBe(text(dir, 'docker-compose.yaml'));
    expect(text(again, '.env')).toBe(text(dir, '.env'));
    expect(readdirSync(join(again, 'images')).sort()).toEqual(readdirSync(join(dir, 'images')).sort());
  });
});

(kubeconfig ? describe : describe.skip)('ferry import into a cluster', () => {
  let kube: KubeClient;
  beforeAll(async () => {
    kube = KubeClient.fromDefault(kubeconfig);
    for (const file of readdirSync(join(root, 'crds'))) {
      const crd = yaml.load(readFileSync(join(root, 'crds', file), 'utf8')) as { metadata: { name: string } };
      await kube.apply(crd as never);
      for (let i = 0; ; i++) {
        const got = (await kube.get({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          name: crd.metadata.name,
        })) as {
          status?: { conditions?: { type: string; status: string }[] };
        };
        if (got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (i > 100) throw new Error(`CRD ${crd.metadata.name} not Established`);
        await sleep(100);
      }
    }
  });
  afterAll(async () => {
    for (const version of ['1.0.0', '2.0.0'])
      await kube?.delete(ferryRef('AppTemplate', undefined, `${APP}.${version}`));
    kube?.close();
  });

  it('creates the AppTemplates last, with digest-pinned site references; identical re-import is fine, a changed spec is refused', async () => {
    await ferryOk(
      'import',
      pkg1(),
      '--registry',
      `${site.address}/acme`,
      '--kubeconfig',
      kubeconfig!,
      ...common(),
    );
    await ferryOk(
      'import',
      pkg2(),
      '--registry',
      `${site.address}/acme`,
      '--kubeconfig',
      kubeconfig!,
      ...common(),
    );
    for (const name of [`${APP}.1.0.0`, `${APP}.2.0.0`]) {
      const t = (await kube.get({ apiVersion: 'ferry.dev/v1alpha1', kind: 'AppTemplate', name })) as {
        spec: { components: { name: string; image: string }[] };
      };
      for (const c of t.spec.components)
        expect(c.image).toMatch(new RegExp(`^${site.address}/acme/shop/[a-z]+@sha256:[a-f0-9]{64}$`));
      if (name === `${APP}.2.0.0`)
        expect(t.spec.components.find((c) => c.name === 'reports')!.image).toBe(
          `${site.address}/acme/shop/reports@${v2.reports.manifest.digest}`,
        );
    }
    const again = await ferryOk(
      'import',
      pkg1(),
      '--registry',
      `${site.address}/acme`,
      '--kubeconfig',
      kubeconfig!,
      ...common(),
    );
    expect(again).toContain(`AppTemplate ${APP}.1.0.0: unchanged`);
    // the same through the built CLI (the bundle, with @kubernetes/client-node in it) as its own process
    const built = execFileSync(
      process.execPath,
      [
        join(root, 'dist/ferry/main.js'),
        'import',
        pkg1(),
        '--registry',
        `${site.address}/acme`,
        '--kubeconfig',
        kubeconfig!,
        ...common(),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(built).toContain(`AppTemplate ${APP}.1.0.0: unchanged`);
    // the same package imported under another prefix would change the spec of APP.1.0.0
    const refused = await ferry(
      'import',
      pkg1(),
      '--registry',
      `${site.address}/elsewhere`,
      '--kubeconfig',
      kubeconfig!,
      ...common(),
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `AppTemplate ${APP}.1.0.0 already exists in the cluster with a different spec`,
    );
    expect(catalog(site).filter((r) => r.startsWith('elsewhere/'))).toEqual([]);
  });
});
