import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import * as yaml from 'js-yaml';
import type { AppTemplate, Component } from '../api/index.js';
import { upperSnake } from '../model/names.js';
import { compressionForName, createPackageWriter } from './compression.js';
import { writeOutputFile } from './output-file.js';
import { DigestMeter, digestHex } from './digest.js';
import { BundleError } from './errors.js';
import { resolveImage } from './image-source.js';
import type { ImageManifest } from './media-types.js';
import { parseManifest } from './media-types.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';
import { parseReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { TarWriter } from './tar-writer.js';

export interface ComposeOptions {
  template: AppTemplate;
  /** A directory, or a file ending in .tar, .tar.gz or .tar.zst. */
  output: string;
  clientFor: (registry: string) => RegistryClient;
  /** Compose runs one platform; default linux/amd64. */
  platform?: string;
  progress?: Progress;
}

const PARAM = /\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A template value as Compose reads it: literal `$` escaped, `${params.X}` read from .env. */
const composeValue = (value: string) =>
  value.replace(/\$/g, '$$$$').replace(/\$\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g, '$${$1}');

/** The name `docker load` gives an image: the template's reference without its digest. */
export function loadedImageName(ref: string): string {
  const parsed = parseReference(ref);
  const withoutDigest = ref.replace(/@sha256:[a-f0-9]{64}$/, '');
  if (withoutDigest !== ref && !/:[\w][\w.-]*$/.test(withoutDigest.slice(withoutDigest.lastIndexOf('/')))) {
    return `${withoutDigest}:ferry-${digestHex(parsed.digest!).slice(0, 12)}`;
  }
  return /:[\w][\w.-]*$/.test(withoutDigest.slice(withoutDigest.lastIndexOf('/')))
    ? withoutDigest
    : `${withoutDigest}:latest`;
}

const archiveName = (ref: string) => `${loadedImageName(ref).replace(/[^A-Za-z0-9._-]+/g, '_')}.tar`;

export function composeFile(template: AppTemplate): string {
  const spec = template.spec;
  const byName = new Map(spec.components.map((c) => [c.name, c]));
  const volumes: Record<string, object> = {};
  const service = (c: Component) => {
    const environment: Record<string, string> = {};
    for (const dep of c.dependsOn ?? []) {
      environment[`${upperSnake(dep)}_HOST`] = dep;
      const port = byName.get(dep)?.ports?.[0]?.port;
      if (port) environment[`${upperSnake(dep)}_PORT`] = String(port);
    }
    for (const e of c.env ?? []) environment[e.name] = composeValue(e.value);
    const mounts = [
      ...(c.volumes ?? []).map((v) => {
        volumes[`${c.name}-${v.name}`] = {};
        return `${c.name}-${v.name}:${v.mountPath}`;
      }),
      ...(c.configFiles ?? []).map((f) => `./config/${c.name}/${f.name}:${f.mountPath}:ro`),
    ];
    return {
      image: loadedImageName(c.image),
      ...(c.command ? { entrypoint: c.command } : {}),
      ...(c.args ? { command: c.args } : {}),
      ...(Object.keys(environment).length ? { environment } : {}),
      ...(c.ports?.length
        ? {
            ports: c.ports.map(
              (p) =>
                `${p.port}:${p.port}${p.protocol && p.protocol !== 'TCP' ? `/${p.protocol.toLowerCase()}` : ''}`,
            ),
          }
        : {}),
      ...(mounts.length ? { volumes: mounts } : {}),
      ...(c.dependsOn?.length ? { depends_on: c.dependsOn } : {}),
      restart: 'unless-stopped',
    };
  };
  const services = Object.fromEntries(spec.components.map((c) => [c.name, service(c)]));
  const doc = { version: '3.8', services, ...(Object.keys(volumes).length ? { volumes } : {}) };
  return `# ${spec.app} ${spec.version}, exported by ferry. Parameters are read from .env.\n${yaml.dump(doc, { lineWidth: 120, noRefs: true })}`;
}

export function envFile(template: AppTemplate): string {
  const lines = [
    `# Parameters of ${template.spec.app} ${template.spec.version}. Set every required one before \`docker-compose up\`.`,
  ];
  for (const p of template.spec.parameters ?? []) {
    if (p.description) lines.push(`# ${p.description}`);
    if (p.required && p.default === undefined) lines.push(`# required${p.secret ? ', secret' : ''}`);
    lines.push(`${p.name}=${p.default ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function readme(template: AppTemplate, archives: string[]): string {
  return `# ${template.spec.displayName ?? template.spec.app} ${template.spec.version} (Docker Compose)

1. Check the files: \`sha256sum -c SHA256SUMS\`
2. Load the images: ${archives.map((a) => `\`docker load -i images/${a}\``).join(', ')}
3. Set the parameters in \`.env\` (required ones are marked).
4. Start: \`docker-compose up -d\`

Config files are in \`config/<component>/\`; parameter references in them were replaced by their
defaults at export time (edit the files to change them). Replica counts of the template are not
applied: Compose runs one container per service.
`;
}

/** Decompresses a layer to a file while hashing the result; returns its diff ID and size. */
async function writeLayer(
  source: Readable,
  mediaType: string,
  file: string,
  onCompressedBytes: (n: number) => void,
): Promise<{ diffId: string; size: number }> {
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      onCompressedBytes(chunk.length);
      done(null, chunk);
    },
  });
  const tap = new DigestMeter();
  const stages: NodeJS.ReadWriteStream[] = [];
  if (mediaType.endsWith('gzip')) stages.push(zlib.createGunzip());
  else if (mediaType.endsWith('zstd')) stages.push(zlib.createZstdDecompress());
  else if (!mediaType.endsWith('.tar') && !mediaType.endsWith('tar'))
    throw new BundleError(`layer media type ${mediaType} is not supported for docker load`);
  await pipeline([source, counter, ...stages, tap, createWriteStream(file)]);
  return { diffId: tap.digest, size: tap.bytes };
}

/** Writes one image in `docker load` format (docker-archive: manifest.json, repositories, config, layer tars). */
async function writeDockerArchive(
  ref: string,
  client: RegistryClient,
  platform: string,
  file: string,
  work: string,
  progress: Progress,
): Promise<number> {
  const image = await resolveImage(ref, client, [platform]);
  const parsed = parseManifest(image.root, ref);
  if (parsed.kind !== 'manifest')
    throw new BundleError(`expected one platform manifest, got an index`, { entry: ref });
  const manifest: ImageManifest = parsed.manifest;
  const repository = image.source.repository;
  const config = await client.getSmallBlob(repository, manifest.config.digest, manifest.config.size);
  const diffIds =
    (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  const layers: { name: string; file: string; size: number }[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    const layerFile = join(work, `layer-${i}.tar`);
    const source = await client.getBlob(repository, layer.digest, layer.size);
    const written = await writeLayer(source, layer.mediaType, layerFile, (n) => progress.advance(n));
    if (diffIds[i] && diffIds[i] !== written.diffId) {
      throw new BundleError(`layer ${i} uncompresses to ${written.diffId}, the config says ${diffIds[i]}`, {
        entry: ref,
      });
    }
    layers.push({ name: `${digestHex(written.diffId)}/layer.tar`, file: layerFile, size: written.size });
  }
  const name = loadedImageName(ref);
  const configName = `${digestHex(manifest.config.digest)}.json`;
  const colon = name.lastIndexOf(':');
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  const tar = new TarWriter(out);
  await tar.addBuffer(configName, config);
  for (const layer of layers) await tar.addStream(layer.name, layer.size, createReadStream(layer.file));
  await tar.addBuffer(
    'manifest.json',
    JSON.stringify([{ Config: configName, RepoTags: [name], Layers: layers.map((l) => l.name) }]),
  );
  const top = layers.at(-1);
  await tar.addBuffer(
    'repositories',
    JSON.stringify({
      [name.slice(0, colon)]: { [name.slice(colon + 1)]: top ? digestHex(top.name.split('/')[0]!) : '' },
    }),
  );
  await tar.finish();
  await done;
  for (const layer of layers) await rm(layer.file, { force: true });
  return (await stat(file)).size;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Exports one template version as a Docker Compose project with its images in `docker load` format. */
export async function exportCompose(
  options: ComposeOptions,
): Promise<{ services: number; images: number; bytes: number }> {
  const { template } = options;
  const progress = options.progress ?? silentProgress;
  const platform = options.platform ?? 'linux/amd64';
  const asTar = /\.(tar|tar\.gz|tgz|tar\.zst|tzst)$/.test(options.output);
  if (!asTar && existsSync(options.output) && (await readdir(options.output)).length) {
    throw new BundleError(`${options.output} exists and is not empty; name a new directory`);
  }
  const dir = asTar ? await mkdtemp(join(tmpdir(), 'ferry-compose-')) : options.output;
  const work = await mkdtemp(join(tmpdir(), 'ferry-compose-layers-'));
  try {
    await mkdir(join(dir, 'images'), { recursive: true });
    const defaults = new Map(
      (template.spec.parameters ?? [])
        .filter((p) => p.default !== undefined)
        .map((p) => [p.name, p.default!]),
    );
    await writeFile(join(dir, 'docker-compose.yaml'), composeFile(template));
    await writeFile(join(dir, '.env'), envFile(template));
    for (const c of template.spec.components) {
      for (const f of c.configFiles ?? []) {
        const target = join(dir, 'config', c.name, f.name);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(
          target,
          f.content.replace(PARAM, (whole, name: string) => defaults.get(name) ?? whole),
        );
      }
    }
    const refs = [...new Set(template.spec.components.map((c) => c.image))];
    const archives: string[] = [];
    progress.phase('images', 0);
    let bytes = 0;
    for (const ref of refs) {
      const archive = archiveName(ref);
      bytes += await writeDockerArchive(
        ref,
        options.clientFor(parseReference(ref).registry),
        platform,
        join(dir, 'images', archive),
        work,
        progress,
      );
      archives.push(archive);
      progress.event('image', { ref, archive });
    }
    progress.end();
    await writeFile(join(dir, 'README.md'), readme(template, archives));
    const files = await listFiles(dir);
    const sums = [];
    for (const f of files) sums.push(`${await sha256File(join(dir, f))}  ${f}\n`);
    await writeFile(join(dir, 'SHA256SUMS'), sums.join(''));

    if (asTar) {
      await writeOutputFile(options.output, async (handle) => {
        const { stream, done } = createPackageWriter(handle, compressionForName(options.output));
        try {
          const tar = new TarWriter(stream);
          for (const f of [...files, 'SHA256SUMS']) {
            await tar.addStream(f, (await stat(join(dir, f))).size, createReadStream(join(dir, f)));
          }
          await tar.finish();
          await done;
        } catch (error) {
          stream.destroy();
          await done.catch(() => {});
          throw error;
        }
      });
    }
    return { services: template.spec.components.length, images: refs.length, bytes };
  } finally {
    await rm(work, { recursive: true, force: true });
    if (asTar) await rm(dir, { recursive: true, force: true });
  }
}
