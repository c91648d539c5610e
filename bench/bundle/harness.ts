/** Helpers of the offline package benchmark (bench.ts): timing, the CLI build, test images. */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { sha256Digest } from '../../src/bundle/digest.js';
import { bundleCli } from '../../src/tools/bundle-cli.js';
import { MediaType } from '../../src/bundle/media-types.js';
import type { RegistryClient } from '../../src/bundle/registry-client.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface Timed {
  seconds: number;
  rssMiB: number;
  /** User + system CPU seconds. */
  cpu: number;
  /** What the command printed on stdout. */
  stdout: string;
}

let counter = 0;

/** Runs a command under /usr/bin/time in `work`: wall seconds, peak RSS and its stdout. */
export function timed(work: string, command: string, args: string[], env = process.env): Timed {
  const out = join(work, `time-${process.pid}-${counter++}`);
  const stdout = execFileSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', out, command, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const [seconds, kb, user, sys] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  rmSync(out);
  return { seconds: seconds!, rssMiB: kb! / 1024, cpu: user! + sys!, stdout };
}

/**
 * The built CLI as `npm run build` makes it (tsc, then the bundle that package.json's bin names)
 * when the build works, else the sources (TypeScript transform at start-up: slower).
 */
export async function cliEntry(root: string): Promise<string[]> {
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
  if (existsSync(join(outDir, 'cli/main.js'))) {
    try {
      return [await bundleCli(outDir)];
    } catch (error) {
      console.error(`[bench] bundling failed (${(error as Error).message}): running the tsc output`);
      return [join(outDir, 'cli/main.js')];
    }
  }
  console.error('[bench] build failed: running the TypeScript sources (slower start-up)');
  return [
    '--no-warnings',
    '--experimental-transform-types',
    '--import',
    join(root, 'e2e/bundle/ts-loader.mjs'),
    join(root, 'src/cli/main.ts'),
  ];
}

export interface LayerFile {
  file: string;
  digest: string;
  size: number;
}

/** Writes a layer of random bytes to a file (memory stays at one 8 MiB chunk). */
export async function randomLayerFile(work: string, size: number): Promise<LayerFile> {
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

/** Pushes an image of these layers (those without a file are in the registry already) and a config. */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  tag: string,
  layers: LayerFile[],
): Promise<void> {
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

export function templateFile(work: string, app: string, version: string, refs: string[]): string {
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/**
 * The functions a V8 CPU profile (`node --cpu-prof`) spent most samples in, by self time:
 * markdown rows `| function | where | self % |`.
 */
export function topFunctions(profileFile: string, count = 12): string[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*\/(node_modules\/[^/]+|dist|src)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${frame.functionName || '(anonymous)'}\t${file ? `${file}:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, n]) => {
      const [name, where] = key.split('\t');
      return `| ${name} | ${where || '-'} | ${((100 * n) / total).toFixed(1)} % |`;
    });
}
