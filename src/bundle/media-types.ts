import { BundleError } from './errors.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerList,
  MediaType.dockerManifest,
].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export const isIndexType = (mediaType: string) =>
  mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList;
export const isManifestType = (mediaType: string) =>
  mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;

/** A manifest or index as fetched: its bytes are what the digest covers, so they are kept as is. */
export interface ManifestBlob {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Parses manifest bytes into an index or an image manifest; refuses anything else. */
export function parseManifest(
  blob: ManifestBlob,
  where: string,
): { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(blob.bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new BundleError(`manifest ${blob.digest} is not JSON`, { cause: error, entry: where });
  }
  if (json.mediaType !== undefined && json.mediaType !== blob.mediaType)
    throw new BundleError(
      `manifest ${blob.digest} says mediaType ${JSON.stringify(json.mediaType)}, its descriptor ${JSON.stringify(blob.mediaType)}`,
      { entry: where },
    );
  const mediaType = (json.mediaType as string | undefined) ?? blob.mediaType;
  const checkDescriptors = (list: unknown, field: string): Descriptor[] => {
    if (!Array.isArray(list))
      throw new BundleError(`manifest ${blob.digest}: ${field} missing`, { entry: where });
    for (const d of list as Descriptor[]) {
      if (
        typeof d?.digest !== 'string' ||
        !/^sha256:[a-f0-9]{64}$/.test(d.digest) ||
        !Number.isSafeInteger(d.size)
      ) {
        throw new BundleError(`manifest ${blob.digest}: bad descriptor in ${field}`, { entry: where });
      }
    }
    return list as Descriptor[];
  };
  if (isIndexType(mediaType) || (Array.isArray(json.manifests) && !json.config)) {
    checkDescriptors(json.manifests, 'manifests');
    return { kind: 'index', index: json as unknown as ImageIndex };
  }
  if (isManifestType(mediaType) || json.config) {
    checkDescriptors([json.config], 'config');
    checkDescriptors(json.layers, 'layers');
    return { kind: 'manifest', manifest: json as unknown as ImageManifest };
  }
  throw new BundleError(`manifest ${blob.digest}: unsupported media type "${mediaType}"`, { entry: where });
}

export const formatPlatform = (p: Platform) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

/** `os/arch[/variant]` matches a platform (variant only compared when given). */
export function platformMatches(wanted: string, platform: Platform | undefined): boolean {
  if (!platform) return false;
  const [os, architecture, variant] = wanted.split('/');
  return (
    platform.os === os && platform.architecture === architecture && (!variant || platform.variant === variant)
  );
}
