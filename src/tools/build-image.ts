/**
 * `npm run image [-- --layout DIR] [--push HOST/REPOSITORY[:TAG] [--plain-http]] [--no-layer-cache]`: the operator
 * image without Docker (src/image/operator-image.ts), written as an OCI layout (default .ferry/image,
 * image name `ferry:<version>`, what `ferry export --operator` takes by default) and/or pushed.
 * Caches (Debian base, production node_modules) live in $FERRY_CACHE (default ~/.cache/ferry).
 * SOURCE_DATE_EPOCH, when set, is every file's mtime and the `created` date.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseReference } from '../bundle/reference.js';
import { RegistryClient } from '../bundle/registry-client.js';
import { pushPackedImage, writeLayout } from '../image/index.js';
import { buildOperatorImage } from '../image/operator-image.js';
import { ferryCache } from '../image/samples.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_IMAGE_LAYOUT = join('.ferry', 'image');
export const operatorImageName = (version: string) => `ferry:${version}`;

/** The Node 24 binary scripts/node runs (installed into the cache when missing). */
export function node24Binary(): string {
  return execFileSync(join(repoRoot, 'scripts', 'node'), ['-p', 'process.execPath'], {
    encoding: 'utf8',
    env: { ...process.env, FERRY_FORCE_NODE24: '1' },
  }).trim();
}

/** HEAD's commit, with `-dirty` when the tree has changes (then it is not the whole truth). */
function revision(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return undefined;
  }
}

function sourceDateEpoch(): number | undefined {
  const text = process.env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`SOURCE_DATE_EPOCH=${text}: expected seconds since 1970`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      layout: { type: 'string' },
      push: { type: 'string' },
      'plain-http': { type: 'boolean' },
      revision: { type: 'string' },
      'no-layer-cache': { type: 'boolean' },
    },
  });
  const started = Date.now();
  const build = await buildOperatorImage({
    repoRoot,
    cacheDir: ferryCache(),
    nodeBinary: node24Binary(),
    sourceDateEpoch: sourceDateEpoch(),
    revision: values.revision ?? revision(),
    noLayerCache: values['no-layer-cache'],
    log: console.log,
  });
  const { image } = build;
  const layout = resolve(repoRoot, values.layout ?? DEFAULT_IMAGE_LAYOUT);
  const name = operatorImageName(build.version);
  await writeLayout(layout, [{ image, name }]);
  if (values.push) {
    const ref = parseReference(
      values.push.includes(':', values.push.lastIndexOf('/'))
        ? values.push
        : `${values.push}:${build.version}`,
    );
    const client = new RegistryClient(ref.registry, { plainHttp: values['plain-http'] });
    try {
      await pushPackedImage(client, ref.repository, ref.tag ?? build.version, image);
    } finally {
      client.close();
    }
    console.log(`pushed ${ref.registry}/${ref.repository}:${ref.tag ?? build.version}`);
  }
  const compressed = image.layers.reduce((n, l) => n + l.descriptor.size, 0) + image.config.length;
  const uncompressed = image.layers.reduce((n, l) => n + l.tarSize, 0);
  console.log(
    `image ${name} ${image.root.digest}: ${(compressed / 1e6).toFixed(1)} MB compressed, ${(uncompressed / 1e6).toFixed(1)} MB unpacked, ` +
      `built in ${((Date.now() - started) / 1000).toFixed(1)} s; OCI layout ${layout}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`build-image: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
