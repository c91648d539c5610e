import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NONROOT_ID, nonrootEntries } from './base.js';
import type { PackedImage } from './image.js';
import { assembleImage } from './image.js';
import { buildLayer } from './layer.js';
import { diskReader } from './fs-source.js';
import type { ImageConfig } from './spec.js';

/**
 * The shop example's images, built from one Go program (examples/sample-app) without Docker:
 * the same static binary in every image, each image's role, version and port in its config.
 */

export interface SampleImage {
  repository: string;
  tag: string;
  role: 'web' | 'api' | 'db' | 'reports';
  port: number;
  /** The dependency whose address (<NAME>_HOST/_PORT, injected by Ferry) the server calls. */
  upstream?: string;
  /** Where the db role keeps its records: the volume's mountPath in examples/shop. */
  dataDir?: string;
}

const DB_DATA = '/var/lib/postgresql/data';

/** Every image examples/shop (1.0.0 and 2.0.0) names, under registry.example.com/. */
export const SAMPLE_IMAGES: SampleImage[] = [
  { repository: 'shop/db', tag: '1.0.0', role: 'db', port: 5432, dataDir: DB_DATA },
  { repository: 'shop/db', tag: '1.0.1', role: 'db', port: 5432, dataDir: DB_DATA },
  { repository: 'shop/api', tag: '1.0.0', role: 'api', port: 8080, upstream: 'db' },
  { repository: 'shop/api', tag: '2.0.0', role: 'api', port: 8080, upstream: 'db' },
  { repository: 'shop/web', tag: '1.0.0', role: 'web', port: 8080, upstream: 'api' },
  { repository: 'shop/web', tag: '2.0.0', role: 'web', port: 8080, upstream: 'api' },
  { repository: 'shop/reports', tag: '2.0.0', role: 'reports', port: 9090, upstream: 'api' },
];

export const SERVER_PATH = '/app/server';

/** The image config of one sample image: non-root, its version as VERSION, read-only-root friendly. */
export function sampleImageConfig(sample: SampleImage, buildKey: string): ImageConfig {
  return {
    entrypoint: [SERVER_PATH],
    env: [
      'PATH=/app',
      `ROLE=${sample.role}`,
      `VERSION=${sample.tag}`,
      `PORT=${sample.port}`,
      ...(sample.upstream ? [`UPSTREAM_NAME=${sample.upstream}`] : []),
      ...(sample.dataDir ? [`DATA_DIR=${sample.dataDir}`] : []),
    ],
    user: `${NONROOT_ID}:${NONROOT_ID}`,
    workdir: '/app',
    exposedPorts: [`${sample.port}/tcp`],
    labels: {
      'org.opencontainers.image.title': `${sample.repository} (Ferry sample app, role ${sample.role})`,
      'org.opencontainers.image.version': sample.tag,
      'org.opencontainers.image.source': 'examples/sample-app',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'dev.ferry.sample-app.build': buildKey,
    },
  };
}

/** How the server is compiled: static, no paths or VCS stamps, no build id. Part of the cache key. */
export const GO_BUILD_ENV = {
  CGO_ENABLED: '0',
  GOOS: 'linux',
  GOARCH: 'amd64',
  GOAMD64: 'v1',
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-mod=mod',
} as const;

export function goBuildArgs(linkedVersion: string, output: string): string[] {
  return [
    'build',
    '-trimpath',
    '-buildvcs=false',
    '-ldflags',
    `-s -w -buildid= -X main.version=${linkedVersion}`,
    '-o',
    output,
    '.',
  ];
}

/** The build inputs' key: Go version, build settings and every non-test source file. */
export function sourceKey(goVersion: string, files: { name: string; bytes: Buffer }[]): string {
  const hash = createHash('sha256');
  hash.update(`go ${goVersion}\n${JSON.stringify(GO_BUILD_ENV)}\n${goBuildArgs('KEY', 'OUT').join(' ')}\n`);
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(`${file.name}\0${file.bytes.length}\0`);
    hash.update(file.bytes);
  }
  return hash.digest('hex').slice(0, 24);
}

export const ferryCache = () => process.env.FERRY_CACHE || join(homedir(), '.cache', 'ferry');

export interface BuiltServer {
  path: string;
  key: string;
  cached: boolean;
  seconds: number;
}

/**
 * Compiles examples/sample-app once per set of inputs into $FERRY_CACHE/sample-app/<key>/server
 * (written under a temporary name and renamed, so a cut-off build is never taken for a cached one).
 */
export function buildSampleServer(sourceDir: string, cacheDir = ferryCache()): BuiltServer {
  const started = Date.now();
  const env = { ...process.env, ...GO_BUILD_ENV };
  const goVersion = execFileSync('go', ['env', 'GOVERSION'], { env, encoding: 'utf8' }).trim();
  const files = readdirSync(sourceDir)
    .filter(
      (name) =>
        (name.endsWith('.go') && !name.endsWith('_test.go')) || name === 'go.mod' || name === 'go.sum',
    )
    .map((name) => ({ name, bytes: readFileSync(join(sourceDir, name)) }));
  const key = sourceKey(goVersion, files);
  const dir = join(cacheDir, 'sample-app', key);
  const path = join(dir, 'server');
  if (existsSync(path) && statSync(path).isFile())
    return { path, key, cached: true, seconds: (Date.now() - started) / 1000 };
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `server.tmp-${process.pid}`);
  try {
    execFileSync('go', goBuildArgs(`sample-${key.slice(0, 12)}`, temp), {
      cwd: sourceDir,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  return { path, key, cached: false, seconds: (Date.now() - started) / 1000 };
}

/**
 * Packs every sample image around the built server: a base layer (passwd, group, /tmp) and an app
 * layer (the binary), both the same in every image, so a registry stores them once and a newer
 * version of an image is one new config and manifest.
 */
export async function packSampleImages(
  server: BuiltServer,
  options: { mtime?: number; samples?: SampleImage[] } = {},
): Promise<{ sample: SampleImage; image: PackedImage }[]> {
  const mtime = options.mtime ?? 0;
  const base = await buildLayer(nonrootEntries(), { mtime });
  const app = await buildLayer(
    [
      {
        type: 'file',
        path: SERVER_PATH,
        mode: 0o755,
        content: { source: server.path, size: statSync(server.path).size },
      },
    ],
    { mtime, read: diskReader },
  );
  return (options.samples ?? SAMPLE_IMAGES).map((sample) => ({
    sample,
    image: assembleImage([base, app], sampleImageConfig(sample, server.key), {
      history: [
        'ferry: /etc/passwd, /etc/group, /tmp (nonroot 65532)',
        `ferry: ${SERVER_PATH} (examples/sample-app)`,
      ],
    }),
  }));
}
