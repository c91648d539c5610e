/**
 * `npm run images:samples -- --layout DIR | --push HOST[/PREFIX] [--plain-http]`: builds the shop
 * example's images (examples/sample-app, compiled once per input into $FERRY_CACHE/sample-app/) and
 * writes them to an OCI layout (names `shop/web:1.0.0`, ...) or pushes them to a registry. No
 * Docker: src/image packs them, reproducibly.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RegistryClient } from '../bundle/registry-client.js';
import type { PackedImage } from '../image/index.js';
import { pushPackedImage, writeLayout } from '../image/index.js';
import type { SampleImage } from '../image/samples.js';
import { buildSampleServer, packSampleImages } from '../image/samples.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function buildSamples(
  log: (line: string) => void = () => {},
  options: { mtime?: number } = {},
): Promise<{ sample: SampleImage; image: PackedImage }[]> {
  const server = buildSampleServer(join(repoRoot, 'examples', 'sample-app'));
  log(
    `sample-app server ${server.key}: ${server.cached ? 'cached' : 'built'} in ${server.seconds.toFixed(1)} s (${server.path})`,
  );
  return packSampleImages(server, options);
}

/** Pushes every sample image to `target` (`HOST[/PREFIX]`), e.g. the demo's vendor registry. */
export async function pushSamples(
  target: string,
  options: {
    plainHttp?: boolean;
    log?: (line: string) => void;
    /** Files' mtime in the layers (default 0): another value makes a set of images of its own. */
    mtime?: number;
  } = {},
): Promise<void> {
  const slash = target.indexOf('/');
  const host = slash < 0 ? target : target.slice(0, slash);
  const prefix = slash < 0 ? '' : `${target.slice(slash + 1).replace(/\/+$/, '')}/`;
  const client = new RegistryClient(host, { plainHttp: options.plainHttp });
  try {
    for (const { sample, image } of await buildSamples(options.log, { mtime: options.mtime })) {
      await pushPackedImage(client, `${prefix}${sample.repository}`, sample.tag, image);
      options.log?.(`${host}/${prefix}${sample.repository}:${sample.tag} ${image.root.digest}`);
    }
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      layout: { type: 'string' },
      push: { type: 'string' },
      'plain-http': { type: 'boolean' },
    },
  });
  if (!values.layout === !values.push) throw new Error('pass --layout DIR or --push HOST[/PREFIX]');
  if (values.push) {
    await pushSamples(values.push, { plainHttp: values['plain-http'], log: console.log });
    return;
  }
  const images = await buildSamples(console.log);
  await writeLayout(
    values.layout!,
    images.map(({ sample, image }) => ({ image, name: `${sample.repository}:${sample.tag}` })),
  );
  for (const { sample, image } of images)
    console.log(`${sample.repository}:${sample.tag} ${image.root.digest}`);
  console.log(`wrote ${values.layout}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`sample-images: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
