/**
 * Offline package benchmark (not a test): `npm run bench:bundle`.
 *
 * Two real registries (docker-registry) on loopback. Images of random layers (FERRY_BENCH_GB, default
 * 2 GiB, and a quarter of it for the memory comparison) are pushed to the source registry; then, side
 * by side in each of FERRY_BENCH_REPEAT rounds (default 3; medians reported), each a child process
 * timed for wall time, CPU and peak RSS:
 *   ferry export, ferry verify, `sha256sum -c` of the same blobs, ferry import into a fresh site
 *   registry, a re-import of the same package, skopeo copy of the same images between the same
 *   registries, and a raw byte-copy floor (cp of the blob files of the measured images);
 * then a differential 2.0.0 package vs the bytes of its new blobs. FERRY_BENCH_PROFILE=DIR adds one
 * untimed round under `--cpu-prof` and prints each step's top functions by self time.
 * Prints markdown tables; FERRY_BENCH_RESULTS=path also writes them there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '../../src/bundle/progress.js';
import { RegistryClient } from '../../src/bundle/registry-client.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';
import type { Timed } from './harness.js';
import {
  GiB,
  MiB,
  cliEntry,
  median,
  pushImage,
  randomLayerFile,
  templateFile,
  timed,
  topFunctions,
} from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const totalGiB = Number(process.env.FERRY_BENCH_GB ?? 2);
const rounds = Number(process.env.FERRY_BENCH_REPEAT ?? 3);
const profileDir = process.env.FERRY_BENCH_PROFILE;
const LAYER = 128 * MiB;
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
// the Node binary scripts/node picks, resolved once: the steps time ferry, not the wrapper's own
// version check (it starts a second Node, about 40 ms, before every command)
const node = execFileSync(join(root, 'scripts/node'), ['-p', 'process.execPath'], {
  encoding: 'utf8',
}).trim();
let entry: string[] = [];
const ferry = (nodeFlags: string[], ...args: string[]) =>
  timed(work, node, [...nodeFlags, ...entry, ...args, ...(args[0] === 'verify' ? [] : ['--quiet'])]);
const registries: LocalRegistry[] = [];
const registry = () => {
  const r = startRegistry();
  registries.push(r);
  return r;
};
const stopRegistry = (r: LocalRegistry) => {
  r.stop();
  registries.splice(registries.indexOf(r), 1);
};

interface App {
  bytes: number;
  refs: string[];
  template: string;
  /** The blob files (configs and layers) of its images in the source registry. */
  blobFiles: { file: string; hex: string }[];
}

async function makeApp(client: RegistryClient, source: LocalRegistry, app: string, gib: number) {
  const layerCount = Math.max(1, Math.round((gib * GiB) / LAYER));
  const perImage = 4;
  const refs: string[] = [];
  let bytes = 0;
  console.error(`[bench] ${app}: generating ${layerCount} layers of ${formatBytes(LAYER)}`);
  for (let i = 0; i * perImage < layerCount; i++) {
    const layers = [];
    for (let j = 0; j < perImage && i * perImage + j < layerCount; j++)
      layers.push(await randomLayerFile(work, LAYER));
    await pushImage(client, `bench/${app}${i}`, '1.0.0', layers);
    for (const l of layers) rmSync(l.file);
    bytes += layers.reduce((n, l) => n + l.size, 0);
    refs.push(`${source.address}/bench/${app}${i}:1.0.0`);
  }
  const blobs = join(source.dir, 'data/docker/registry/v2/blobs');
  const blobFiles: App['blobFiles'] = [];
  for (const ref of refs) {
    const repository = ref.slice(source.address.length + 1).replace(/:1\.0\.0$/, '');
    const manifest = JSON.parse((await client.getManifest(repository, '1.0.0')).bytes.toString()) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const hex of [manifest.config, ...manifest.layers].map((x) => x.digest.slice('sha256:'.length)))
      blobFiles.push({ file: join(blobs, 'sha256', hex.slice(0, 2), hex, 'data'), hex });
  }
  return { bytes, refs, template: templateFile(work, app, '1.0.0', refs), blobFiles } satisfies App;
}

type Step = 'export' | 'verify' | 'sha256sum' | 'import' | 'reimport' | 'skopeo' | 'floor';

/** One round: every step once, side by side, into a fresh site registry. */
function round(source: LocalRegistry, app: App, pkg: string, sums: string, nodeFlags: (s: Step) => string[]) {
  const site = registry();
  const t: Partial<Record<Step, Timed>> = {};
  const pushed: number[] = [];
  try {
    rmSync(pkg, { force: true });
    console.error('[bench]   ferry export');
    t.export = ferry(
      nodeFlags('export'),
      'export',
      'large@1.0.0',
      '-f',
      app.template,
      '-o',
      pkg,
      '--plain-http',
    );
    console.error('[bench]   ferry verify');
    t.verify = ferry(nodeFlags('verify'), 'verify', pkg);
    console.error('[bench]   sha256sum -c');
    t.sha256sum = timed(work, 'sha256sum', ['-c', '--quiet', sums]);
    const importTo = (flags: string[]) =>
      ferry(flags, 'import', pkg, '--registry', `${site.address}/ferry`, '--plain-http', '-o', 'json');
    console.error('[bench]   ferry import');
    t.import = importTo(nodeFlags('import'));
    console.error('[bench]   ferry re-import');
    t.reimport = importTo(nodeFlags('reimport'));
    for (const r of [t.import, t.reimport])
      pushed.push((JSON.parse(r.stdout) as { bytesPushed: number }).bytesPushed);
    // a profile round measures ferry only
    if (nodeFlags('skopeo').length) return { t: t as Record<Step, Timed>, pushed };
    console.error('[bench]   skopeo copy');
    const skopeo = app.refs.map((ref) =>
      timed(work, 'skopeo', [
        'copy',
        '--quiet',
        '--preserve-digests',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${ref}`,
        `docker://${site.address}/skopeo/${ref.slice(source.address.length + 1)}`,
      ]),
    );
    t.skopeo = {
      seconds: skopeo.reduce((n, s) => n + s.seconds, 0),
      cpu: skopeo.reduce((n, s) => n + s.cpu, 0),
      rssMiB: Math.max(...skopeo.map((s) => s.rssMiB)),
      stdout: '',
    };
    console.error('[bench]   raw copy floor');
    const floorDir = join(work, 'floor');
    mkdirSync(floorDir);
    t.floor = timed(work, 'cp', ['--parents', ...app.blobFiles.map((b) => b.file), floorDir]);
    rmSync(floorDir, { recursive: true, force: true });
  } finally {
    stopRegistry(site);
  }
  return { t: t as Record<Step, Timed>, pushed };
}

async function main(): Promise<void> {
  entry = await cliEntry(root);
  const source = registry();
  const client = new RegistryClient(source.address, { plainHttp: true });
  const small = await makeApp(client, source, 'small', totalGiB / 4);
  const large = await makeApp(client, source, 'large', totalGiB);
  const pkg = join(work, 'large.tar');
  const sums = join(work, 'blobs.sha256');
  writeFileSync(sums, large.blobFiles.map((b) => `${b.hex}  ${b.file}\n`).join(''));
  const blobBytes = large.blobFiles.reduce((n, b) => n + statSync(b.file).size, 0);

  const results: ReturnType<typeof round>[] = [];
  for (let i = 0; i < rounds; i++) {
    console.error(`[bench] round ${i + 1} of ${rounds} (${formatBytes(large.bytes)})`);
    results.push(round(source, large, pkg, sums, () => []));
  }

  console.error('[bench] memory: the small app (export, verify, import)');
  const smallPkg = join(work, 'small.tar');
  const smallSite = registry();
  const smallT = {
    export: ferry([], 'export', 'small@1.0.0', '-f', small.template, '-o', smallPkg, '--plain-http'),
    verify: ferry([], 'verify', smallPkg),
    import: ferry([], 'import', smallPkg, '--registry', `${smallSite.address}/ferry`, '--plain-http'),
  };
  stopRegistry(smallSite);
  rmSync(smallPkg);

  const profiles: string[] = [];
  if (profileDir) {
    console.error(`[bench] profile round (--cpu-prof into ${profileDir})`);
    rmSync(profileDir, { recursive: true, force: true });
    round(source, large, pkg, sums, (s) => ['--cpu-prof', '--cpu-prof-dir', join(profileDir, s)]);
    for (const step of ['export', 'verify', 'import', 'reimport']) {
      const dir = join(profileDir, step);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
      profiles.push(
        '',
        `| ferry ${step}: top functions by self time | where | self |`,
        '| --- | --- | --- |',
        ...topFunctions(join(dir, file)),
      );
    }
  }

  console.error('[bench] differential 2.0.0');
  const newLayer = await randomLayerFile(work, 64 * MiB);
  const first = `bench/large0`;
  const base = (await client.getManifest(first, '1.0.0')).bytes;
  const baseLayers = (JSON.parse(base.toString()) as { layers: { digest: string; size: number }[] }).layers;
  await pushImage(client, first, '2.0.0', [
    ...baseLayers.slice(1).map((l) => ({ file: '', ...l })),
    newLayer,
  ]);
  const v2refs = [`${source.address}/${first}:2.0.0`, ...large.refs.slice(1)];
  const t1 = templateFile(work, 'large', '1.0.0', large.refs);
  const t2 = templateFile(work, 'large', '2.0.0', v2refs);
  const diffPkg = join(work, 'large-2.0.0.tar');
  ferry([], 'export', 'large@2.0.0', '-f', t1, '-f', t2, '--since', '1.0.0', '-o', diffPkg, '--plain-http');
  const diffSize = statSync(diffPkg).size;
  const fullSize = statSync(pkg).size;
  client.close();

  const med = (step: Step, f: (t: Timed) => number = (t) => t.seconds) =>
    median(results.map((r) => f(r.t[step])));
  const ratio = (f: (t: Record<Step, Timed>) => number) => median(results.map((r) => f(r.t)));
  const mbps = (bytes: number, s: number) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;
  const row = (label: string, step: Step, bytes: number) =>
    `| ${label} | ${formatBytes(bytes)} | ${med(step).toFixed(2)} s | ${mbps(bytes, med(step))} | ${med(step, (t) => t.cpu).toFixed(1)} s | ${med(step, (t) => t.rssMiB).toFixed(0)} MiB |`;
  // throughput ratios: same bytes, so the inverse ratio of the times
  const vsSkopeo = (s: Step) => ratio((t) => t.skopeo.seconds / t[s].seconds);
  const vsFloor = (s: Step) => ratio((t) => (t.floor.seconds / t[s].seconds) * (large.bytes / blobBytes));
  const transferVerdict = (s: Step) => {
    const needed = Math.min(
      1.2 * ratio((t) => 1 / t.skopeo.seconds),
      0.8 * ratio((t) => blobBytes / large.bytes / t.floor.seconds),
    );
    return ratio((t) => 1 / t[s].seconds) >= needed ? 'met' : 'NOT met';
  };
  const reimportShare = ratio((t) => t.reimport.seconds / t.import.seconds);
  const verifyVsSum = ratio((t) => t.sha256sum.seconds / t.verify.seconds);
  const pushedAgain = Math.max(...results.map((r) => r.pushed[1]!));
  const rssValues = [
    ...results.flatMap((r) => [r.t.export, r.t.verify, r.t.import, r.t.reimport]),
    ...Object.values(smallT),
  ].map((t) => t.rssMiB);
  const peak = Math.max(...rssValues);
  const table = [
    `Machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores, load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')} at the end; registries: docker-registry (distribution) on loopback, filesystem storage; package: plain tar; ${rounds} round(s), medians.`,
    '',
    '| step | bytes | time | throughput | CPU (user+sys) | peak RSS |',
    '| --- | --- | --- | --- | --- | --- |',
    row('ferry export (registry → package file)', 'export', large.bytes),
    row('ferry import (into a fresh site registry)', 'import', large.bytes),
    row('ferry re-import of the same package', 'reimport', large.bytes),
    row('ferry verify', 'verify', large.bytes),
    row('sha256sum -c of the same blob files', 'sha256sum', blobBytes),
    row('skopeo copy (registry → registry, direct)', 'skopeo', large.bytes),
    row("raw floor: cp of the measured images' blob files", 'floor', blobBytes),
    '',
    '| target (medians of the per-round ratios) | measured | verdict |',
    '| --- | --- | --- |',
    `| export ≥ 1.2× skopeo's throughput, or ≥ 0.8× the floor's where that is lower | ${vsSkopeo('export').toFixed(2)}× skopeo, ${vsFloor('export').toFixed(2)}× floor | ${transferVerdict('export')} |`,
    `| import ≥ 1.2× skopeo's throughput, or ≥ 0.8× the floor's where that is lower | ${vsSkopeo('import').toFixed(2)}× skopeo, ${vsFloor('import').toFixed(2)}× floor | ${transferVerdict('import')} |`,
    `| re-import ≤ 2 % of the first import's time, 0 blob bytes sent | ${(100 * reimportShare).toFixed(1)} %, ${pushedAgain} bytes | ${reimportShare <= 0.02 && pushedAgain === 0 ? 'met' : 'NOT met'} |`,
    `| verify ≥ 0.8× sha256sum -c's throughput | ${verifyVsSum.toFixed(2)}× | ${verifyVsSum >= 0.8 ? 'met' : 'NOT met'} |`,
    `| peak RSS ≤ 128 MiB (every ferry step, both sizes) | ${peak.toFixed(0)} MiB | ${peak <= 128 ? 'met' : 'NOT met'} |`,
    '',
    '| memory: layers | export peak RSS | verify peak RSS | import peak RSS |',
    '| --- | --- | --- | --- |',
    `| ${formatBytes(small.bytes)} | ${smallT.export.rssMiB.toFixed(0)} MiB | ${smallT.verify.rssMiB.toFixed(0)} MiB | ${smallT.import.rssMiB.toFixed(0)} MiB |`,
    `| ${formatBytes(large.bytes)} | ${med('export', (t) => t.rssMiB).toFixed(0)} MiB | ${med('verify', (t) => t.rssMiB).toFixed(0)} MiB | ${med('import', (t) => t.rssMiB).toFixed(0)} MiB |`,
    '',
    '| differential 2.0.0 (one new 64 MiB layer) | bytes |',
    '| --- | --- |',
    `| new blob bytes | ${formatBytes(newLayer.size)} (${newLayer.size}) |`,
    `| differential package file | ${formatBytes(diffSize)} (${diffSize}) |`,
    `| full 1.0.0 package file | ${formatBytes(fullSize)} |`,
    ...profiles,
  ].join('\n');
  console.log(table);
  if (process.env.FERRY_BENCH_RESULTS) writeFileSync(process.env.FERRY_BENCH_RESULTS, `${table}\n`);
}

try {
  await main();
} finally {
  for (const r of [...registries]) r.stop();
  rmSync(work, { recursive: true, force: true });
}
