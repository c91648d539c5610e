import type { KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import * as yaml from 'js-yaml';
import type { AppTemplate, BundleImage, BundleManifest } from '../api/index.js';
import { BUNDLE_FORMAT_VERSION, ROOT_MEDIA_TYPES } from '../api/index.js';
import { compressionForName, createPackageWriter } from './compression.js';
import { BundleError } from './errors.js';
import type { ResolvedImage } from './image-source.js';
import type { ImageFetcher } from './layout-source.js';
import type { Chart } from './operator-chart.js';
import { imageSize, resolveImage } from './image-source.js';
import type { Descriptor } from './media-types.js';
import { writeOutputFile } from './output-file.js';
import { OCI_LAYOUT_CONTENT, REF_NAME, blobPath, buildIndex } from './oci-layout.js';
import {
  IMAGES_DIR,
  INDEX_ENTRY,
  LAYOUT_ENTRY,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  SUMS_ENTRY,
  chartDir,
  formatSums,
  signSums,
  templateEntry,
} from './package-format.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';
import { parseReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { specImages } from '../model/images.js';
import { TarFileWriter, TarWriter } from './tar-writer.js';

/** Blobs fetched at once into a plain tar (each from its own connection, written in its place). */
const EXPORT_CONCURRENCY = 3;

/** What a differential package leaves out: blobs the site has from the base versions. */
export interface BaseContent {
  versions: string[];
  blobs: Set<string>;
  repositories: string[];
}

/** What an operator package carries instead of templates: the Helm chart and the operator image. */
export interface OperatorContent {
  chart: Chart;
  /** The image's name in the package (what import pushes it as). */
  image: string;
  /** Where its content comes from when not from the registry `image` names (an OCI layout). */
  source?: ImageFetcher;
}

export interface ExportOptions {
  /** An app package: these templates and their images; or else `operator`. */
  templates?: AppTemplate[];
  operator?: OperatorContent;
  output: string;
  clientFor: (registry: string) => RegistryClient;
  /** Where to pull a template image from when not from the registry it names (e.g. a market). */
  locate?: (ref: string) => string;
  platforms?: string[];
  base?: BaseContent;
  signKey?: KeyObject;
  progress?: Progress;
  createdBy?: string;
  now?: Date;
}

export interface ExportResult {
  manifest: BundleManifest;
  fileBytes: number;
  carriedBlobs: number;
  carriedBytes: number;
  omittedBytes: number;
}

/** Every image the templates reference, each once, in the order they first appear. */
export function templateImages(templates: AppTemplate[]): string[] {
  return [...new Set(templates.flatMap((t) => specImages(t.spec)))];
}

/** The template as it goes into a package: no server-side metadata, no status. */
export function portableTemplate(template: AppTemplate): AppTemplate {
  const { name, labels, annotations } = template.metadata as {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  return {
    apiVersion: template.apiVersion,
    kind: template.kind,
    metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: template.spec,
  } as AppTemplate;
}

export async function resolveImages(
  refs: string[],
  clientFor: (registry: string) => RegistryClient,
  platforms: string[],
  locate: (ref: string) => string = (ref) => ref,
): Promise<ResolvedImage[]> {
  const images: ResolvedImage[] = [];
  for (const ref of refs) {
    const from = locate(ref);
    // carried under the name the template gives it, pulled from where it is
    images.push({ ...(await resolveImage(from, clientFor(parseReference(from).registry), platforms)), ref });
  }
  return images;
}

/**
 * Writes an offline package as one tar stream: ferry-bundle.json and the templates (or, for an
 * operator package, the chart files) first, then the OCI layout (manifests before the blobs they
 * name), SHA256SUMS (and its signature) last. The file appears under its name only once complete.
 */
export async function exportPackage(options: ExportOptions): Promise<ExportResult> {
  const progress = options.progress ?? silentProgress;
  const templates = [...(options.templates ?? [])];
  const operator = options.operator;
  if (operator && templates.length)
    throw new BundleError('an operator package carries the chart and no templates');
  const app = operator ? operator.chart.name : templates[0]?.spec.app;
  if (!app) throw new BundleError('nothing to export: no templates');
  const other = templates.find((t) => t.spec.app !== app);
  if (other) throw new BundleError(`one package carries one app: got "${app}" and "${other.spec.app}"`);
  if (operator && options.base)
    throw new BundleError('an operator package is never differential: it carries its image whole');

  const images = operator?.source
    ? [await resolveImage(operator.image, operator.source, options.platforms ?? [])]
    : await resolveImages(
        operator ? [operator.image] : templateImages(templates),
        options.clientFor,
        options.platforms ?? [],
        options.locate,
      );
  const baseBlobs = options.base?.blobs ?? new Set<string>();

  // each blob once, fetched from the first image that has it
  const carried = new Map<string, { descriptor: Descriptor; image: ResolvedImage }>();
  const omitted = new Map<string, number>();
  for (const image of images) {
    for (const blob of image.blobs) {
      if (baseBlobs.has(blob.digest)) omitted.set(blob.digest, blob.size);
      else if (!carried.has(blob.digest)) carried.set(blob.digest, { descriptor: blob, image });
    }
  }
  const carriedBytes = [...carried.values()].reduce((n, b) => n + b.descriptor.size, 0);

  const manifest: BundleManifest = {
    kind: 'FerryBundle',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    createdBy: options.createdBy ?? 'ferry',
    app,
    versions: operator ? [operator.chart.appVersion] : templates.map((t) => t.spec.version),
    images: images.map((image): BundleImage => ({
      ref: image.ref,
      repository: parseReference(image.ref).repository,
      digest: image.root.digest,
      mediaType: rootMediaType(image),
      size: imageSize(image),
      ...(image.platforms.length ? { platforms: image.platforms } : {}),
    })),
    baseVersions: options.base?.versions ?? [],
    omittedBlobs: [...omitted.keys()].sort(),
    baseRepositories: options.base?.repositories ?? [],
    carriedBytes,
    ...(operator
      ? {
          operator: {
            chart: chartDir(operator.chart.name),
            chartName: operator.chart.name,
            chartVersion: operator.chart.version,
            appVersion: operator.chart.appVersion,
            image: operator.image,
          },
        }
      : {}),
  };

  await writeOutputFile(options.output, async (handle) => {
    const compression = compressionForName(options.output);
    const mtime = Math.floor(new Date(manifest.createdAt).getTime() / 1000);
    // a plain tar is written by position, several blobs at once; a compressed one as a stream
    const plain = compression === 'none' ? new TarFileWriter(handle, mtime) : undefined;
    const writer = plain ? undefined : createPackageWriter(handle, compression);
    const tar = plain ?? new TarWriter(writer!.stream, mtime);
    try {
      await tar.addBuffer(MANIFEST_ENTRY, `${JSON.stringify(manifest, null, 2)}\n`);
      for (const template of templates) {
        await tar.addBuffer(
          templateEntry(app, template.spec.version),
          yaml.dump(portableTemplate(template), { lineWidth: 120, noRefs: true }),
        );
      }
      for (const file of operator?.chart.files ?? [])
        await tar.addBuffer(`${chartDir(operator!.chart.name)}/${file.path}`, file.bytes);
      await tar.addBuffer(LAYOUT_ENTRY, OCI_LAYOUT_CONTENT);
      await tar.addBuffer(
        INDEX_ENTRY,
        buildIndex(
          images.map((image) => ({
            mediaType: image.root.mediaType,
            digest: image.root.digest,
            size: image.root.bytes.length,
            annotations: { [REF_NAME]: image.ref },
          })),
        ),
      );
      const written = new Set<string>();
      for (const image of images) {
        for (const m of image.manifests) {
          if (written.has(m.digest)) continue;
          written.add(m.digest);
          await tar.addBuffer(`${IMAGES_DIR}/${blobPath(m.digest)}`, m.bytes);
        }
      }

      progress.phase('export', carriedBytes);
      const blobs = [...carried.values()]
        .filter(({ descriptor }) => !written.has(descriptor.digest))
        .map(({ descriptor, image }) => ({
          name: `${IMAGES_DIR}/${blobPath(descriptor.digest)}`,
          size: descriptor.size,
          digest: descriptor.digest,
          open: async () => {
            const body = await (operator?.source ?? options.clientFor(image.source.registry)).getBlob(
              image.source.repository,
              descriptor.digest,
              descriptor.size,
            );
            body.once('end', () =>
              progress.event('blob', {
                digest: descriptor.digest,
                size: descriptor.size,
                action: 'exported',
              }),
            );
            return body;
          },
        }));
      const advance = (n: number) => progress.advance(n);
      if (plain) await plain.addBlobs(blobs, EXPORT_CONCURRENCY, advance);
      else await (tar as TarWriter).addBlobs(blobs, advance);
      progress.end();

      const sums = Buffer.from(formatSums(tar.files));
      await tar.addBuffer(SUMS_ENTRY, sums);
      if (options.signKey) await tar.addBuffer(SIGNATURE_ENTRY, signSums(sums, options.signKey));
      await tar.finish();
      await writer?.done;
    } catch (error) {
      writer?.stream.destroy();
      await writer?.done.catch(() => {});
      throw error;
    }
  });
  return {
    manifest,
    fileBytes: (await stat(options.output)).size,
    carriedBlobs: carried.size,
    carriedBytes,
    omittedBytes: [...omitted.values()].reduce((a, b) => a + b, 0),
  };
}

function rootMediaType(image: ResolvedImage): BundleImage['mediaType'] {
  const type = image.root.mediaType;
  if (!(ROOT_MEDIA_TYPES as readonly string[]).includes(type))
    throw new BundleError(
      `image ${image.ref}: media type ${JSON.stringify(type)} is not an image manifest or index`,
    );
  return type as BundleImage['mediaType'];
}
