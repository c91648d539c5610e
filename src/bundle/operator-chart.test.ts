import { generateKeyPairSync } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { exportPackage } from './export.js';
import { importPackage } from './import.js';
import type { Chart } from './operator-chart.js';
import {
  chartDefaultImage,
  helmIgnoreRules,
  helmIgnored,
  loadChart,
  offlineValues,
  planChartOutput,
  writeChartOutput,
} from './operator-chart.js';
import { verifyPackage } from './package-reader.js';
import { RegistryClient } from './registry-client.js';
import type { TestImage } from '../testing/bundle/images.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { PackageEntry } from '../testing/bundle/package.js';
import { rewritePackage, writeTestPackage } from '../testing/bundle/package.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function writeTree(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const CHART_YAML = 'apiVersion: v2\nname: ferry\nversion: 0.3.1\nappVersion: "1.4.0"\n';
const VALUES_YAML =
  'image:\n  registry: ghcr.io\n  repository: ferry-dev/ferry\n  tag: ""\n  digest: ""\nreplicaCount: 2\n';

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel))
    .sort()
    .flatMap((name) => {
      const path = rel ? `${rel}/${name}` : name;
      return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
    });
}

describe('loadChart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-chart-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads charts/ferry: every file byte for byte, metadata from Chart.yaml', () => {
    const source = join(repoRoot, 'charts', 'ferry');
    const chart = loadChart(source);
    const meta = yaml.load(readFileSync(join(source, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart).toMatchObject({ name: 'ferry', version: meta.version, appVersion: meta.appVersion });
    const rules = helmIgnoreRules(readFileSync(join(source, '.helmignore'), 'utf8'));
    expect(chart.files.map((f) => f.path)).toEqual(
      listFiles(source).filter((p) => !helmIgnored(rules, p, false)),
    );
    expect(chart.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['Chart.yaml', 'values.yaml', 'templates/deployment.yaml']),
    );
    for (const file of chart.files)
      expect(file.bytes.equals(readFileSync(join(source, file.path)))).toBe(true);
  });

  it('honours .helmignore like helm package (basename, path and directory rules, hidden templates)', () => {
    writeTree(dir, {
      'Chart.yaml': CHART_YAML,
      'values.yaml': VALUES_YAML,
      '.helmignore': '# comment\n*.bak\nsecret/\n/docs/*.md\n*~\n',
      'templates/a.yaml': 'a',
      'templates/.scratch.yaml': 'hidden',
      'templates/old.yaml.bak': 'x',
      'templates/b.yaml~': 'x',
      'secret/key': 'x',
      'docs/notes.md': 'x',
      'docs/keep.txt': 'kept',
      'sub/docs/deep.md': 'kept: the /docs rule is anchored',
    });
    expect(loadChart(dir).files.map((f) => f.path)).toEqual([
      '.helmignore',
      'Chart.yaml',
      'docs/keep.txt',
      'sub/docs/deep.md',
      'templates/a.yaml',
      'values.yaml',
    ]);
  });

  it('refuses links, odd names, a missing Chart.yaml and a version that is not SemVer', () => {
    writeTree(dir, { 'values.yaml': VALUES_YAML });
    expect(() => loadChart(dir)).toThrow(/not a Helm chart: it has no Chart.yaml/);
    writeTree(dir, { 'Chart.yaml': CHART_YAML.replace('"1.4.0"', 'v1.4') });
    expect(() => loadChart(dir)).toThrow(/appVersion "v1.4": expected the operator release as a SemVer/);
    writeTree(dir, { 'Chart.yaml': CHART_YAML.replace('apiVersion: v2', 'apiVersion: v1') });
    expect(() => loadChart(dir)).toThrow(/expected a Helm 3 chart/);
    writeTree(dir, { 'Chart.yaml': CHART_YAML });
    expect(loadChart(dir).appVersion).toBe('1.4.0');
    writeTree(dir, { 'templates/a b.yaml': 'x' });
    expect(() => loadChart(dir)).toThrow(/templates\/a b.yaml: only letters, digits/);
    rmSync(join(dir, 'templates'), { recursive: true });
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    expect(() => loadChart(dir)).toThrow(/passwd is a symbolic link/);
    expect(() => loadChart(join(dir, 'nope'))).toThrow(/cannot read the chart/);
  });

  it("names the image of the chart's values.yaml by default (tag defaults to appVersion)", () => {
    writeTree(dir, { 'Chart.yaml': CHART_YAML, 'values.yaml': VALUES_YAML });
    expect(chartDefaultImage(loadChart(dir))).toBe('ghcr.io/ferry-dev/ferry:1.4.0');
    writeTree(dir, {
      'values.yaml': `image:\n  registry: reg.example:5000/\n  repository: ops/ferry\n  tag: edge\n  digest: ${digest('a')}\n`,
    });
    expect(chartDefaultImage(loadChart(dir))).toBe(`reg.example:5000/ops/ferry:edge@${digest('a')}`);
    writeTree(dir, { 'values.yaml': 'replicaCount: 1\n' });
    expect(() => chartDefaultImage(loadChart(dir))).toThrow(/pass --image REF/);
  });
});

describe('values-offline.yaml and the chart output directory', () => {
  let dir: string;
  const chart: Chart = {
    name: 'ferry',
    version: '0.3.1',
    appVersion: '1.4.0',
    files: [
      { path: 'Chart.yaml', bytes: Buffer.from(CHART_YAML) },
      { path: 'templates/deployment.yaml', bytes: Buffer.from('kind: Deployment\n') },
    ],
  };
  const values = offlineValues({
    registry: 'site.local:5000',
    repository: 'ops/ferry-dev/ferry',
    ref: 'ghcr.io/ferry-dev/ferry:1.4.0',
    digest: digest('b'),
    appVersion: '1.4.0',
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-chart-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('points image.registry/repository/tag/digest at the site', () => {
    expect(yaml.load(values)).toEqual({
      image: {
        registry: 'site.local:5000',
        repository: 'ops/ferry-dev/ferry',
        tag: '1.4.0',
        digest: digest('b'),
      },
    });
    const byDigest = offlineValues({
      registry: 'r',
      repository: 'x',
      ref: `ghcr.io/ferry-dev/ferry@${digest('c')}`,
      digest: digest('c'),
      appVersion: '2.0.0',
    });
    expect((yaml.load(byDigest) as { image: { tag: string } }).image.tag).toBe('2.0.0');
  });

  it('writes chart and values once, leaves identical ones alone, refuses to overwrite others', () => {
    const out = join(dir, 'out');
    expect(planChartOutput(out, chart, values)).toBe('write');
    expect(writeChartOutput(out, chart, values)).toBe('write');
    expect(listFiles(out)).toEqual([
      'ferry/Chart.yaml',
      'ferry/templates/deployment.yaml',
      'values-offline.yaml',
    ]);
    expect(readFileSync(join(out, 'ferry/Chart.yaml'), 'utf8')).toBe(CHART_YAML);
    expect(readFileSync(join(out, 'values-offline.yaml'), 'utf8')).toBe(values);
    expect(writeChartOutput(out, chart, values)).toBe('unchanged');

    // a lost values file is written again; other values are refused
    rmSync(join(out, 'values-offline.yaml'));
    expect(writeChartOutput(out, chart, values)).toBe('write');
    expect(() => planChartOutput(out, chart, values.replace('site.local', 'other.local'))).toThrow(
      /values-offline.yaml already exists and differs/,
    );
    // a chart of another version, an extra file, a file in place of the directory
    const newer = {
      ...chart,
      files: [{ path: 'Chart.yaml', bytes: Buffer.from(CHART_YAML.replace('0.3.1', '0.4.0')) }],
    };
    expect(() => planChartOutput(out, newer, values)).toThrow(/ferry already exists and differs/);
    writeFileSync(join(out, 'ferry', 'extra.txt'), 'x');
    expect(() => planChartOutput(out, chart, values)).toThrow(/ferry already exists and differs/);
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => planChartOutput(join(dir, 'file'), chart, values)).toThrow(/is not a directory/);
  });
});

describe('operator packages (export, verify, import against a real registry)', () => {
  let registry: LocalRegistry;
  let client: RegistryClient;
  let dir: string;
  let chartDir: string;
  let image: TestImage;
  let pkg: string;
  let ref: string;
  const keys = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    registry = startRegistry();
    client = new RegistryClient(registry.address, { plainHttp: true });
    dir = mkdtempSync(join(tmpdir(), 'ferry-operator-pkg-'));
    chartDir = writeTree(join(dir, 'chart-src'), {
      'Chart.yaml': CHART_YAML,
      'values.yaml': VALUES_YAML,
      'templates/deployment.yaml': 'image: {{ .Values.image.repository }}\n',
      'crds/a.yaml': 'kind: CustomResourceDefinition\n',
    });
    image = buildImage([await randomLayer(4000), await randomLayer(3000)]);
    await pushImage(client, 'vendor/ferry', '1.4.0', image);
    ref = `${registry.address}/vendor/ferry:1.4.0`;
    pkg = join(dir, 'ferry-operator-1.4.0.tar');
    const result = await exportPackage({
      operator: { chart: loadChart(chartDir), image: ref },
      output: pkg,
      clientFor: () => client,
      signKey: keys.privateKey,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(result.manifest).toMatchObject({
      app: 'ferry',
      versions: ['1.4.0'],
      operator: {
        chart: 'chart/ferry',
        chartName: 'ferry',
        chartVersion: '0.3.1',
        appVersion: '1.4.0',
        image: ref,
      },
      images: [{ ref, repository: 'vendor/ferry', digest: image.manifest.digest }],
    });
  });
  afterAll(() => {
    client?.close();
    registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const siteHas = async (repository: string) =>
    (await client.headManifest(repository, image.manifest.digest)) === image.manifest.digest;

  it('carries the chart files byte for byte, the image, and a verified signature; no templates', async () => {
    const verified = await verifyPackage(pkg, { publicKeys: [keys.publicKey] });
    expect(verified.signature).toBe('verified');
    expect(verified.templates).toEqual([]);
    expect(verified.chart).toMatchObject({ name: 'ferry', version: '0.3.1', appVersion: '1.4.0' });
    expect(verified.chart!.files.map((f) => f.path)).toEqual(listFiles(chartDir));
    for (const f of verified.chart!.files)
      expect(f.bytes.equals(readFileSync(join(chartDir, f.path)))).toBe(true);
    expect(verified.images.map((i) => i.blobs.length)).toEqual([3]);
  });

  it('imports: image pushed under the prefix, chart and values-offline.yaml written; a re-import moves nothing', async () => {
    const out = join(dir, 'out');
    const first = await importPackage({
      file: pkg,
      registry: client,
      prefix: 'site',
      publicKeys: [keys.publicKey],
      chartOut: out,
    });
    expect(first.blobsPushed).toBe(3);
    expect(first.manifestsPushed).toBe(1);
    expect(first.chart).toEqual({
      chart: join(out, 'ferry'),
      values: join(out, 'values-offline.yaml'),
      image: `${registry.address}/site/vendor/ferry@${image.manifest.digest}`,
      action: 'written',
    });
    expect(await siteHas('site/vendor/ferry')).toBe(true);
    expect(await client.headManifest('site/vendor/ferry', '1.4.0')).toBe(image.manifest.digest);
    expect(listFiles(join(out, 'ferry'))).toEqual(listFiles(chartDir));
    expect(yaml.load(readFileSync(join(out, 'values-offline.yaml'), 'utf8'))).toEqual({
      image: {
        registry: registry.address,
        repository: 'site/vendor/ferry',
        tag: '1.4.0',
        digest: image.manifest.digest,
      },
    });

    const again = await importPackage({ file: pkg, registry: client, prefix: 'site', chartOut: out });
    expect(again).toMatchObject({ blobsPushed: 0, manifestsPushed: 0, chart: { action: 'unchanged' } });
  });

  it('dry run: reports the chart as planned and writes nothing', async () => {
    const out = join(dir, 'dry');
    const result = await importPackage({
      file: pkg,
      registry: client,
      prefix: 'dry',
      chartOut: out,
      dryRun: true,
    });
    expect(result.chart?.action).toBe('planned');
    expect(result.blobsToPush).toBe(3);
    expect(() => statSync(out)).toThrow();
    expect(await siteHas('dry/vendor/ferry')).toBe(false);
  });

  it('refuses, before pushing anything: no --chart-out, a clashing --chart-out, --chart-out for an app package', async () => {
    await expect(importPackage({ file: pkg, registry: client, prefix: 'none' })).rejects.toThrow(
      /is an operator package \(Helm chart ferry 0.3.1\): pass --chart-out DIR/,
    );
    const clash = writeTree(join(dir, 'clash'), { 'values-offline.yaml': 'image: {}\n' });
    await expect(
      importPackage({ file: pkg, registry: client, prefix: 'none', chartOut: clash }),
    ).rejects.toThrow(/values-offline.yaml already exists and differs/);
    expect(await siteHas('none/vendor/ferry')).toBe(false);

    const app = join(dir, 'app.tar');
    await writeTestPackage(app, { images: [{ ref: 'r.example/demo/a:1', repository: 'demo/a', image }] });
    await expect(
      importPackage({ file: app, registry: client, prefix: 'none', chartOut: join(dir, 'x') }),
    ).rejects.toThrow(/is an app package \(demo\): it has no chart for --chart-out/);
  });

  describe('refuses a changed or malformed operator package', () => {
    const variant = async (
      name: string,
      edit: (entries: PackageEntry[]) => PackageEntry[],
      options: { keepSums?: boolean } = {},
    ) => {
      const file = join(dir, `${name}.tar`);
      await rewritePackage(pkg, file, edit, options);
      return file;
    };
    const editFile = (entries: PackageEntry[], name: string, change: (text: string) => string) =>
      entries.map((e) =>
        e.name === name ? { ...e, data: Buffer.from(change(e.data.toString('utf8'))) } : e,
      );
    const editManifest = (entries: PackageEntry[], change: (m: Record<string, unknown>) => void) =>
      editFile(entries, 'ferry-bundle.json', (text) => {
        const m = JSON.parse(text) as Record<string, unknown>;
        change(m);
        return JSON.stringify(m);
      });
    const insertAfterManifest = (entries: PackageEntry[], added: PackageEntry) => [
      entries[0]!,
      added,
      ...entries.slice(1),
    ];

    it('a chart file changed after signing (SHA256SUMS no longer matches)', async () => {
      const file = await variant(
        'tampered',
        (e) => editFile(e, 'chart/ferry/templates/deployment.yaml', (t) => t.replace('image', 'imagE')),
        { keepSums: true },
      );
      await expect(verifyPackage(file)).rejects.toThrow(
        /chart\/ferry\/templates\/deployment.yaml: does not match its SHA256SUMS line/,
      );
      await expect(
        importPackage({ file, registry: client, prefix: 'tampered', chartOut: join(dir, 'tampered-out') }),
      ).rejects.toThrow(/does not match its SHA256SUMS line/);
      expect(await siteHas('tampered/vendor/ferry')).toBe(false);
      expect(() => statSync(join(dir, 'tampered-out'))).toThrow();
    });

    it('a chart file outside the chart, a template, a case-only duplicate, an odd name, an oversize file', async () => {
      const add =
        (name: string, data = 'x') =>
        (e: PackageEntry[]) =>
          insertAfterManifest(e, { name, data: Buffer.from(data) });
      await expect(verifyPackage(await variant('outside', add('chart/other/x.yaml')))).rejects.toThrow(
        /chart\/other\/x.yaml: chart file outside chart\/ferry/,
      );
      await expect(
        verifyPackage(await variant('template', add('templates/ferry/1.4.0.yaml'))),
      ).rejects.toThrow(/templates\/ferry\/1.4.0.yaml: an operator package carries no templates/);
      await expect(verifyPackage(await variant('case', add('chart/ferry/chart.yaml')))).rejects.toThrow(
        /two chart files differ only in case/,
      );
      await expect(verifyPackage(await variant('space', add('chart/ferry/a b.yaml')))).rejects.toThrow(
        /unexpected entry/,
      );
      await expect(
        verifyPackage(await variant('big', add('chart/ferry/big.yaml', 'x'.repeat(5 * 1024 * 1024 + 1)))),
      ).rejects.toThrow(/exceeds the limit/);
    });

    it('a Chart.yaml that disagrees with ferry-bundle.json, a missing Chart.yaml, a second image', async () => {
      await expect(
        verifyPackage(
          await variant('version', (e) =>
            editFile(e, 'chart/ferry/Chart.yaml', (t) => t.replace('0.3.1', '0.3.2')),
          ),
        ),
      ).rejects.toThrow(
        /Chart.yaml: holds ferry 0.3.2 \(appVersion 1.4.0\); ferry-bundle.json says ferry 0.3.1/,
      );
      await expect(
        verifyPackage(await variant('nochart', (e) => e.filter((x) => x.name !== 'chart/ferry/Chart.yaml'))),
      ).rejects.toThrow(/chart\/ferry\/Chart.yaml: missing from the operator package/);
      await expect(
        verifyPackage(
          await variant('app', (e) =>
            editManifest(e, (m) => {
              m.versions = ['9.9.9'];
            }),
          ),
        ),
      ).rejects.toThrow(/does not match the chart ferry 1.4.0/);
      await expect(
        verifyPackage(
          await variant('images', (e) =>
            editManifest(e, (m) => {
              (m.operator as Record<string, unknown>).image = 'elsewhere/ferry:1.4.0';
            }),
          ),
        ),
      ).rejects.toThrow(/carries exactly its operator image elsewhere\/ferry:1.4.0/);
    });

    it('chart files in an app package', async () => {
      const file = join(dir, 'app-with-chart.tar');
      await writeTestPackage(file, {
        images: [{ ref: 'r.example/demo/a:1', repository: 'demo/a', image }],
        extra: [{ name: 'chart/demo/Chart.yaml', data: CHART_YAML }],
      });
      await expect(verifyPackage(file)).rejects.toThrow(
        /chart\/demo\/Chart.yaml: chart files in an app package/,
      );
    });
  });
});
