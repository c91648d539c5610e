/**
 * Offline package benchmark (not a test): `npm run bench:bundle`.
 *
 * Two real registries (docker-registry) on loopback. Images of random layers (FERRY_BENCH_GB, default
 * 2 GiB, and a quarter of it for the memory comparison) are pushed to the source registry; then:
 *   ferry export + ferry import (each a child process: wall time, peak RSS),
 *   skopeo copy of the same images between the same registries,
 *   a raw byte-copy floor (cp of the blob files of the measured images only),
 *   a differential 2.0.0 package vs the bytes of its new blobs.
 * Prints a markdown table; FERRY_BENCH_RESULTS=path also writes it there.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import { sha256Digest } from '../../src/bundle/digest.js';
import { MediaType } from '../../src/bundle/media-types.js';
import { formatBytes } from '../../src/bundle/progress.js';
import { RegistryClient } from '../../src/bundle/registry-client.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const totalGiB = Number(process.env.FERRY_BENCH_GB ?? 2);
const LAYER = 128 * MiB;

interface Timed {
  seconds: number;
  rssMiB: number;
}

/** Runs a command under /usr/bin/time: wall seconds and peak RSS. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const out = join(work, `time-${Date.now()}`);
  execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', out, command, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const [seconds, kb] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { seconds: seconds!, rssMiB: kb! / 1024 };
}

/** The built CLI when the build works (no TypeScript transform at start-up), else the sources. */
function cliEntry(): string[] {
  // a private build: the shared dist/ may be rebuilt by someone else meanwhile
  const outDir = join(root, 'node_modules/.cache/ferry-bench-dist');
  rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: root,
      stdio: 'ignore',
    });
  } catch {
    // type errors elsewhere in the tree still emit JavaScript; use it if it is there
  }
  if (existsSync(join(outDir, 'cli/main.js'))) return [join(outDir, 'cli/main.js')];
  console.error('[bench] build failed: running the TypeScript sources (slower start-up)');
  return [
    '--no-warnings',
    '--experimental-transform-types',
    '--import',
    join(root, 'e2e/bundle/ts-loader.mjs'),
    join(root, 'src/cli/main.ts'),
  ];
}
let entry: string[] = [];
const ferryArgs = (...args: string[]) => [...entry, ...args];
const node = join(root, 'scripts/node');
const ferry = (...args: string[]) => timed(node, ferryArgs(...args, '--quiet'));

/** Writes a layer of random bytes to a file and returns its descriptor (memory stays at one 8 MiB chunk). */
async function randomLayerFile(size: number): Promise<{ file: string; digest: string; size: number }> {
  const file = join(work, `layer-${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  for (let left = size; left > 0;) {
    const chunk = randomBytes(Math.min(left, 8 * MiB));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
    left -= chunk.length;
  }
  out.end();
  await once(out, 'finish');
  return { file, digest: `sha256:${hash.digest('hex')}`, size };
}

async function pushImage(
  client: RegistryClient,
  repository: string,
  tag: string,
  layers: { file: string; digest: string; size: number }[],
): Promise<void> {
  // layers without a file are in the registry already
  for (const l of layers.filter((x) => x.file))
    await client.pushBlob(repository, l.digest, l.size, createReadStream(l.file, { highWaterMark: MiB }));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  await client.pushBlob(repository, sha256Digest(config), config.length, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.digest, size: l.size })),
    }),
  );
  await client.putManifest(repository, tag, {
    digest: sha256Digest(manifest),
    mediaType: MediaType.ociManifest,
    bytes: manifest,
  });
}

function templateFile(app: string, version: string, refs: string[]): string {
  const file = join(work, `${app}-${version}.yaml`);
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppTemplate',
      metadata: { name: `${app}.${version}` },
      spec: { app, version, components: refs.map((image, i) => ({ name: `c${i}`, image })) },
    }),
  );
  return file;
}

const work = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
let source: LocalRegistry | undefined;
let site: LocalRegistry | undefined;

async function main(): Promise<void> {
  entry = cliEntry();
  source = startRegistry();
  site = startRegistry();
  const client = new RegistryClient(source.address, { plainHttp: true });
  const rows: string[][] = [];
  const results: Record<
    string,
    { bytes: number; exportT: Timed; importT: Timed; pkg: number; refs: string[] }
  > = {};

  for (const [app, gib] of [
    ['small', totalGiB / 4],
    ['large', totalGiB],
  ] as const) {
    const layerCount = Math.max(1, Math.round((gib * GiB) / LAYER));
    const perImage = 4;
    const refs: string[] = [];
    let bytes = 0;
    console.error(`[bench] ${app}: generating ${layerCount} layers of ${formatBytes(LAYER)}`);
    for (let i = 0; i * perImage < layerCount; i++) {
      const layers = [];
      for (let j = 0; j < perImage && i * perImage + j < layerCount; j++)
        layers.push(await randomLayerFile(LAYER));
      await pushImage(client, `bench/${app}${i}`, '1.0.0', layers);
      for (const l of layers) rmSync(l.file);
      bytes += layers.reduce((n, l) => n + l.size, 0);
      refs.push(`${source.address}/bench/${app}${i}:1.0.0`);
    }
    const template = templateFile(app, '1.0.0', refs);
    const pkg = join(work, `${app}.tar`);
    console.error(`[bench] ${app}: ferry export`);
    const exportT = ferry('export', `${app}@1.0.0`, '-f', template, '-o', pkg, '--plain-http');
    console.error(`[bench] ${app}: ferry import`);
    const importT = ferry('import', pkg, '--registry', `${site.address}/ferry`, '--plain-http');
    results[app] = { bytes, exportT, importT, pkg: statSync(pkg).size, refs };
    if (app === 'small') rmSync(pkg);
  }

  const large = results.large!;
  console.error('[bench] skopeo copy');
  let skopeoSeconds = 0;
  let skopeoRss = 0;
  for (const ref of large.refs) {
    const path = ref.slice(source.address.length + 1);
    const t = timed('skopeo', [
      'copy',
      '--quiet',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${ref}`,
      `docker://${site.address}/skopeo/${path}`,
    ]);
    skopeoSeconds += t.seconds;
    skopeoRss = Math.max(skopeoRss, t.rssMiB);
  }
  console.error('[bench] raw copy floor');
  // only the blob files of the measured (large) images: the source registry holds the small app too
  const blobs = join(source.dir, 'data/docker/registry/v2/blobs');
  const floorFiles: string[] = [];
  for (const ref of large.refs) {
    const repository = ref.slice(source.address.length + 1).replace(/:1\.0\.0$/, '');
    const manifest = JSON.parse((await client.getManifest(repository, '1.0.0')).bytes.toString()) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const d of [manifest.config, ...manifest.layers].map((x) => x.digest.slice('sha256:'.length)))
      floorFiles.push(join(blobs, 'sha256', d.slice(0, 2), d, 'data'));
  }
  const floorBytes = floorFiles.reduce((n, f) => n + statSync(f).size, 0);
  const floorDir = join(work, 'floor');
  mkdirSync(floorDir);
  const floor = timed('cp', ['--parents', ...floorFiles, floorDir]);
  rmSync(floorDir, { recursive: true, force: true });

  console.error('[bench] re-import (nothing to move)');
  const reimport = ferry(
    'import',
    join(work, 'large.tar'),
    '--registry',
    `${site.address}/ferry`,
    '--plain-http',
  );

  console.error('[bench] differential 2.0.0');
  const newLayer = await randomLayerFile(64 * MiB);
  const first = `bench/large0`;
  const base = (await client.getManifest(first, '1.0.0')).bytes;
  const baseLayers = (JSON.parse(base.toString()) as { layers: { digest: string; size: number }[] }).layers;
  await pushImage(client, first, '2.0.0', [
    ...baseLayers.slice(1).map((l) => ({ file: '', ...l })),
    newLayer,
  ]);
  const v2refs = [`${source.address}/${first}:2.0.0`, ...large.refs.slice(1)];
  const t1 = templateFile('large', '1.0.0', large.refs);
  const t2 = templateFile('large', '2.0.0', v2refs);
  const diffPkg = join(work, 'large-2.0.0.tar');
  execFileSync(
    node,
    ferryArgs(
      'export',
      'large@2.0.0',
      '-f',
      t1,
      '-f',
      t2,
      '--since',
      '1.0.0',
      '-o',
      diffPkg,
      '--plain-http',
      '--quiet',
    ),
  );
  const diffSize = statSync(diffPkg).size;
  const newBytes = newLayer.size; // + a new config and manifest, a few hundred bytes
  client.close();

  const mbps = (bytes: number, s: number) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;
  const ferryTotal = large.exportT.seconds + large.importT.seconds;
  rows.push(
    [
      'ferry export (registry → package file)',
      formatBytes(large.bytes),
      `${large.exportT.seconds.toFixed(1)} s`,
      mbps(large.bytes, large.exportT.seconds),
      `${large.exportT.rssMiB.toFixed(0)} MiB`,
    ],
    [
      'ferry import (verify pass + push pass)',
      formatBytes(large.bytes),
      `${large.importT.seconds.toFixed(1)} s`,
      mbps(large.bytes, large.importT.seconds),
      `${large.importT.rssMiB.toFixed(0)} MiB`,
    ],
    [
      'ferry export + import',
      formatBytes(large.bytes),
      `${ferryTotal.toFixed(1)} s`,
      mbps(large.bytes, ferryTotal),
      '-',
    ],
    [
      'skopeo copy (registry → registry, direct)',
      formatBytes(large.bytes),
      `${skopeoSeconds.toFixed(1)} s`,
      mbps(large.bytes, skopeoSeconds),
      `${skopeoRss.toFixed(0)} MiB`,
    ],
    [
      "raw floor: cp of the measured images' blob files",
      formatBytes(floorBytes),
      `${floor.seconds.toFixed(1)} s`,
      mbps(floorBytes, floor.seconds),
      `${floor.rssMiB.toFixed(0)} MiB`,
    ],
    [
      'ferry re-import of the same package',
      formatBytes(large.bytes),
      `${reimport.seconds.toFixed(1)} s`,
      mbps(large.bytes, reimport.seconds),
      `${reimport.rssMiB.toFixed(0)} MiB`,
    ],
  );
  const small = results.small!;
  const table = [
    `Machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores; registries: docker-registry (distribution) on loopback, filesystem storage; package: plain tar.`,
    '',
    '| step | bytes | time | throughput | peak RSS |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Ratios: ferry export+import / skopeo copy = ${(ferryTotal / skopeoSeconds).toFixed(2)}; ferry export / raw copy = ${(large.exportT.seconds / floor.seconds).toFixed(2)}; ferry import / raw copy = ${(large.importT.seconds / floor.seconds).toFixed(2)}.`,
    '(ferry moves the bytes twice on purpose — into a file that crosses the air gap, then out of it — and reads the file twice on import: one full verification pass before anything is pushed.)',
    '',
    '| memory: layers | export peak RSS | import peak RSS |',
    '| --- | --- | --- |',
    `| ${formatBytes(small.bytes)} | ${small.exportT.rssMiB.toFixed(0)} MiB | ${small.importT.rssMiB.toFixed(0)} MiB |`,
    `| ${formatBytes(large.bytes)} | ${large.exportT.rssMiB.toFixed(0)} MiB | ${large.importT.rssMiB.toFixed(0)} MiB |`,
    '',
    '| differential 2.0.0 (one new 64 MiB layer) | bytes |',
    '| --- | --- |',
    `| new blob bytes | ${formatBytes(newBytes)} (${newBytes}) |`,
    `| differential package file | ${formatBytes(diffSize)} (${diffSize}) |`,
    `| full 1.0.0 package file | ${formatBytes(large.pkg)} |`,
  ].join('\n');
  console.log(table);
  if (process.env.FERRY_BENCH_RESULTS) writeFileSync(process.env.FERRY_BENCH_RESULTS, `${table}\n`);
}

try {
  await main();
} finally {
  source?.stop();
  site?.stop();
  rmSync(work, { recursive: true, force: true });
}
