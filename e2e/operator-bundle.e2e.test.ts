import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { helmIgnoreRules, helmIgnored } from '../src/bundle/operator-chart.js';
import { RegistryClient } from '../src/bundle/registry-client.js';
import type { TestImage } from '../src/testing/bundle/images.js';
import { buildImage, pushImage, randomLayer } from '../src/testing/bundle/images.js';
import type { LocalRegistry } from '../src/testing/bundle/registry.js';
import { startRegistry } from '../src/testing/bundle/registry.js';
import { main } from '../src/cli/main.js';
import { repoRoot, world } from './support/world.js';

/**
 * The offline operator bundle: `ferry export --operator` packs charts/ferry and the operator image
 * (a generated image stands in for it: there is no Docker here to build the real one), and
 * `ferry import --chart-out` moves the image to a second ("site") registry and writes the chart
 * with a values-offline.yaml that `helm install` uses as is.
 */

const CHART = join(repoRoot, 'charts', 'ferry');
const TOOLS_HELM = join(repoRoot, 'e2e', 'tools-helm.sh');
/** helm is built from source on a fresh machine (e2e/tools-helm.sh): minutes, once. */
const HELM_BUILD_TIMEOUT_MS = 20 * 60_000;

async function ferry(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

async function ferryOk(...args: string[]): Promise<string> {
  const r = await ferry(...args);
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}:\n${r.err}${r.out}`);
  return r.out;
}

const skopeoDigest = (ref: string) =>
  (
    JSON.parse(
      execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }),
    ) as { Digest: string }
  ).Digest;

const skopeoFails = (ref: string) => {
  try {
    execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
};

function catalog(registry: LocalRegistry): string[] {
  const out = execFileSync('curl', ['-s', `http://${registry.address}/v2/_catalog?n=1000`], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { repositories: string[] | null }).repositories ?? [];
}

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel))
    .sort()
    .flatMap((name) => {
      const path = rel ? `${rel}/${name}` : name;
      return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
    });
}

/** The chart files `helm package` would take (and the package carries): .helmignore applied. */
function chartFiles(dir: string): string[] {
  const ignore = existsSync(join(dir, '.helmignore')) ? readFileSync(join(dir, '.helmignore'), 'utf8') : '';
  const rules = helmIgnoreRules(ignore);
  return listFiles(dir).filter(
    (p) =>
      !p
        .split('/')
        .some((_, i, all) => helmIgnored(rules, all.slice(0, i + 1).join('/'), i < all.length - 1)),
  );
}

/** Runs e2e/tools-helm.sh with its progress on our stderr; resolves to the bin dir. */
function buildHelm(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [TOOLS_HELM], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error(`tools-helm.sh exited ${code}`)),
    );
  });
}

const appVersion = () =>
  (yaml.load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

let site: LocalRegistry;
let client: RegistryClient;
let work: string;
let image: TestImage;
let sourceRef: string;
let sourceRepository: string;
let pkg: string;
let version: string;
const PREFIX = 'offline';

beforeAll(async () => {
  if (!world.registry) throw new Error('FERRY_E2E_REGISTRY is not set: run the e2e project through jest');
  work = mkdtempSync(join(tmpdir(), 'ferry-operator-bundle-e2e-'));
  site = startRegistry();
  client = new RegistryClient(world.registry, { plainHttp: true });
  version = appVersion();
  // "the ferry operator image": a generated image under a repository of its own in the e2e registry
  sourceRepository = `vendor-${randomBytes(3).toString('hex')}/ferry-dev/ferry`;
  image = buildImage([await randomLayer(400 * 1024), await randomLayer(150 * 1024)]);
  await pushImage(client, sourceRepository, version, image);
  sourceRef = `${world.registry}/${sourceRepository}:${version}`;
  pkg = join(work, `ferry-operator-${version}.tar`);
  await ferryOk('keys', 'generate', '-o', join(work, 'vendor'));
  await ferryOk('keys', 'generate', '-o', join(work, 'other'));
}, 120_000);

afterAll(() => {
  client?.close();
  site?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const common = () => ['--plain-http', '--quiet'];

describe('ferry export --operator', () => {
  it('packs charts/ferry and the operator image, signed', async () => {
    const out = await ferryOk(
      'export',
      '--operator',
      '--chart',
      CHART,
      '--image',
      sourceRef,
      '-o',
      pkg,
      '--sign-key',
      join(work, 'vendor.key'),
      ...common(),
    );
    expect(out).toMatch(new RegExp(`wrote .*operator package, Helm chart ferry .*appVersion ${version}`));
    expect(out).toContain(image.manifest.digest);
    expect(out).toMatch(/, signed/);
  });

  it('ferry inspect shows an operator package with its chart and image', async () => {
    const text = await ferryOk('inspect', pkg, '--key', join(work, 'vendor.pub'));
    expect(text).toMatch(/kind: +operator package/);
    expect(text).toMatch(/chart: +ferry \S+ \(\d+ files under chart\/ferry\/\)/);
    expect(text).toContain(`operator:   ${version}, image ${sourceRef}`);
    expect(text).toMatch(/signature: +verified/);
    const json = JSON.parse(await ferryOk('inspect', pkg, '-o', 'json')) as Record<string, unknown>;
    expect(json).toMatchObject({
      package: 'operator',
      app: 'ferry',
      versions: [version],
      operator: { chart: 'chart/ferry', chartName: 'ferry', appVersion: version, image: sourceRef },
      images: [{ ref: sourceRef, repository: sourceRepository, digest: image.manifest.digest }],
    });
    expect(json.chartFiles).toEqual(chartFiles(CHART));
  });

  it('refuses an app target, --since and a chart without appVersion', async () => {
    expect(
      (await ferry('export', '--operator', 'shop@1.0.0', '--image', sourceRef, '-o', join(work, 'x.tar')))
        .code,
    ).toBe(2);
    expect(
      (
        await ferry(
          'export',
          '--operator',
          '--since',
          '1.0.0',
          '--image',
          sourceRef,
          '-o',
          join(work, 'x.tar'),
        )
      ).code,
    ).toBe(2);
    const noApp = mkdtempSync(join(work, 'chart-'));
    writeFileSync(join(noApp, 'Chart.yaml'), 'apiVersion: v2\nname: ferry\nversion: 0.1.0\n');
    const r = await ferry(
      'export',
      '--operator',
      '--chart',
      noApp,
      '--image',
      sourceRef,
      '-o',
      join(work, 'x.tar'),
      ...common(),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/appVersion undefined: expected the operator release/);
    expect(existsSync(join(work, 'x.tar'))).toBe(false);
  });
});

describe('ferry import of an operator package', () => {
  const siteRepository = () => `${PREFIX}/${sourceRepository}`;
  const out = () => join(work, 'site-chart');

  it('refuses a tampered package, a wrong key and a missing --chart-out with nothing pushed or written', async () => {
    // change one byte of the chart's values.yaml (its body follows its 512-byte tar header), keeping SHA256SUMS
    const bytes = readFileSync(pkg);
    const header = bytes.indexOf('chart/ferry/values.yaml\0');
    expect(header).toBeGreaterThan(0);
    expect(header % 512).toBe(0);
    bytes[header + 512] = bytes[header + 512]! ^ 0x20;
    const tampered = join(work, 'tampered.tar');
    writeFileSync(tampered, bytes);
    const target = ['--registry', `${site.address}/${PREFIX}`, '--chart-out', out(), ...common()];

    const bad = await ferry('import', tampered, ...target);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/chart\/ferry\/values.yaml: does not match its SHA256SUMS line/);
    const wrongKey = await ferry('import', pkg, '--key', join(work, 'other.pub'), ...target);
    expect(wrongKey.err).toMatch(/signature does not verify/);
    const noOut = await ferry('import', pkg, '--registry', `${site.address}/${PREFIX}`, ...common());
    expect(noOut.err).toMatch(/is an operator package .*: pass --chart-out DIR/);

    expect(catalog(site)).toEqual([]);
    expect(skopeoFails(`${site.address}/${siteRepository()}:${version}`)).toBe(true);
    expect(existsSync(out())).toBe(false);
  });

  it('pushes the image (same digest), writes charts/ferry byte for byte and values-offline.yaml', async () => {
    const text = await ferryOk(
      'import',
      pkg,
      '--registry',
      `${site.address}/${PREFIX}`,
      '--key',
      join(work, 'vendor.pub'),
      '--chart-out',
      out(),
      ...common(),
    );
    const siteImage = `${site.address}/${siteRepository()}@${image.manifest.digest}`;
    expect(text).toContain(`operator image at the site: ${siteImage}`);
    expect(text).toContain(
      `install it: helm install ferry ${join(out(), 'ferry')} -n ferry-system --create-namespace -f ${join(out(), 'values-offline.yaml')}`,
    );

    // skopeo: the site has the image, by tag and by digest, with the digest of the source
    const sourceDigest = skopeoDigest(sourceRef);
    expect(sourceDigest).toBe(image.manifest.digest);
    expect(skopeoDigest(`${site.address}/${siteRepository()}:${version}`)).toBe(sourceDigest);
    expect(skopeoDigest(siteImage)).toBe(sourceDigest);
    expect(catalog(site)).toEqual([siteRepository()]);

    // the chart as written is the chart as it is in the repository
    const written = join(out(), 'ferry');
    expect(listFiles(written)).toEqual(chartFiles(CHART));
    for (const file of listFiles(written))
      expect(readFileSync(join(written, file)).equals(readFileSync(join(CHART, file)))).toBe(true);
    expect(listFiles(out())).toEqual([...listFiles(written).map((f) => `ferry/${f}`), 'values-offline.yaml']);

    expect(yaml.load(readFileSync(join(out(), 'values-offline.yaml'), 'utf8'))).toEqual({
      image: { registry: site.address, repository: siteRepository(), tag: version, digest: sourceDigest },
    });
  });

  it('a re-import moves nothing and leaves the chart as it is', async () => {
    const summary = JSON.parse(
      await ferryOk(
        'import',
        pkg,
        '--registry',
        `${site.address}/${PREFIX}`,
        '--chart-out',
        out(),
        '-o',
        'json',
        ...common(),
      ),
    ) as Record<string, unknown>;
    expect(summary).toMatchObject({
      app: 'ferry',
      blobsPushed: 0,
      manifestsPushed: 0,
      chart: { action: 'unchanged' },
      images: [`${site.address}/${siteRepository()}@${image.manifest.digest}`],
    });
  });

  const helmIt = existsSync(TOOLS_HELM) ? it : it.skip;
  helmIt(
    'helm template with values-offline.yaml runs the site image, pinned by digest',
    async () => {
      const helm = join(await buildHelm(), 'helm');
      const home = mkdtempSync(join(work, 'helm-'));
      const rendered = execFileSync(
        helm,
        [
          'template',
          'ferry',
          join(out(), 'ferry'),
          '--namespace',
          'ferry-system',
          '-f',
          join(out(), 'values-offline.yaml'),
        ],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          env: {
            ...process.env,
            HELM_CACHE_HOME: join(home, 'cache'),
            HELM_CONFIG_HOME: join(home, 'config'),
            HELM_DATA_HOME: join(home, 'data'),
          },
        },
      );
      const objects = (yaml.loadAll(rendered) as Record<string, unknown>[]).filter(Boolean);
      const deployment = objects.find((o) => o.kind === 'Deployment') as {
        spec: { template: { spec: { containers: { name: string; image: string }[] } } };
      };
      expect(deployment).toBeDefined();
      const images = deployment.spec.template.spec.containers.map((c) => c.image);
      expect(images).toEqual([`${site.address}/${siteRepository()}:${version}@${image.manifest.digest}`]);
    },
    HELM_BUILD_TIMEOUT_MS,
  );
});
