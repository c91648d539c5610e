import { sha256Digest } from '../bundle/digest.js';
import type { Descriptor, ManifestBlob, Platform } from '../bundle/media-types.js';
import { MediaType } from '../bundle/media-types.js';
import type { BuiltLayer } from './layer.js';
import type { ImageConfig } from './spec.js';
import { ImageConfigSchema, PlatformSchema } from './spec.js';

/** An OCI image as packed: every blob in memory, digests known. */
export interface PackedImage {
  /** What a reference resolves to: the platform index when `index` was asked for, else the manifest. */
  root: ManifestBlob;
  manifest: ManifestBlob;
  /** The one-platform image index, when asked for. */
  index?: ManifestBlob;
  config: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  platform: Platform;
}

export interface AssembleOptions {
  platform?: Platform;
  /**
   * The config's `created` (and each history entry's), from SOURCE_DATE_EPOCH; left out when not
   * given, so nothing in the image depends on when it was built.
   */
  created?: number;
  /** One line per layer for the config's history (`created_by`); default "ferry image layer N". */
  history?: string[];
  /** Manifest annotations (e.g. org.opencontainers.image.*). */
  annotations?: Record<string, string>;
  /** Also wrap the manifest in a one-platform OCI image index and make that the root. */
  index?: boolean;
}

const sortedRecord = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * The image config JSON. Keys come in a fixed order and maps (labels, ports, annotations) are
 * sorted, so equal inputs give equal bytes.
 */
export function imageConfigJson(
  config: ImageConfig,
  diffIds: string[],
  options: Pick<AssembleOptions, 'platform' | 'created' | 'history'> = {},
): Buffer {
  const c = ImageConfigSchema.parse(config);
  const platform = PlatformSchema.parse(options.platform ?? { os: 'linux', architecture: 'amd64' });
  const created = options.created === undefined ? undefined : new Date(options.created * 1000).toISOString();
  if (options.history && options.history.length !== diffIds.length)
    throw new Error(`history has ${options.history.length} lines for ${diffIds.length} layers`);
  const ports = c.exposedPorts?.map((p) => (p.includes('/') ? p : `${p}/tcp`)).sort();
  return json({
    ...(created ? { created } : {}),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      ...(c.user ? { User: c.user } : {}),
      ...(ports?.length ? { ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])) } : {}),
      ...(c.env ? { Env: c.env } : {}),
      ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
      ...(c.cmd ? { Cmd: c.cmd } : {}),
      ...(c.workdir ? { WorkingDir: c.workdir } : {}),
      ...(c.labels ? { Labels: sortedRecord(c.labels) } : {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({
      ...(created ? { created } : {}),
      created_by: options.history?.[i] ?? `ferry image layer ${i + 1}`,
    })),
  });
}

export function manifestJson(
  config: Descriptor,
  layers: Descriptor[],
  annotations?: Record<string, string>,
): ManifestBlob {
  const bytes = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(annotations && Object.keys(annotations).length ? { annotations: sortedRecord(annotations) } : {}),
  });
  return { digest: sha256Digest(bytes), mediaType: MediaType.ociManifest, bytes };
}

export function platformIndexJson(manifest: ManifestBlob, platform: Platform): ManifestBlob {
  const bytes = json({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.length,
        platform: {
          architecture: platform.architecture,
          os: platform.os,
          ...(platform.variant ? { variant: platform.variant } : {}),
        },
      },
    ],
  });
  return { digest: sha256Digest(bytes), mediaType: MediaType.ociIndex, bytes };
}

/** Config, manifest and (optionally) index around built layers, bottom layer first. */
export function assembleImage(
  layers: BuiltLayer[],
  config: ImageConfig,
  options: AssembleOptions = {},
): PackedImage {
  if (!layers.length) throw new Error('an image needs at least one layer');
  const platform = PlatformSchema.parse(options.platform ?? { os: 'linux', architecture: 'amd64' });
  const configBytes = imageConfigJson(
    config,
    layers.map((l) => l.diffId),
    { ...options, platform },
  );
  const configDigest = sha256Digest(configBytes);
  const manifest = manifestJson(
    { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
    layers.map((l) => l.descriptor),
    options.annotations,
  );
  const index = options.index ? platformIndexJson(manifest, platform) : undefined;
  return { root: index ?? manifest, manifest, index, config: configBytes, configDigest, layers, platform };
}
