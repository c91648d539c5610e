import { sha256Digest } from './digest.js';
import { BundleError } from './errors.js';
import type { Descriptor, ManifestBlob } from './media-types.js';
import { MediaType, formatPlatform, parseManifest, platformMatches } from './media-types.js';
import type { ImageReference } from './reference.js';
import { parseReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

/** An image as it will be carried: its top manifest (or index), every manifest under it, its blobs. */
export interface ResolvedImage {
  ref: string;
  source: ImageReference;
  root: ManifestBlob;
  /** Child manifests first, root last: the order a registry accepts them in. */
  manifests: ManifestBlob[];
  /** Configs and layers, each once. */
  blobs: Descriptor[];
  platforms: string[];
}

/**
 * Fetches an image's manifests. A multi-platform index is narrowed to `platforms` when given: one
 * platform left carries that platform's manifest itself; several get a new index of just them.
 * Without `platforms` every platform is kept and the original index digest is preserved.
 */
export async function resolveImage(
  ref: string,
  client: Pick<RegistryClient, 'getManifest'>,
  platforms: string[] = [],
): Promise<ResolvedImage> {
  const source = parseReference(ref);
  const top = await client.getManifest(source.repository, source.digest ?? source.tag!);
  const parsed = parseManifest(top, ref);
  const manifests: ManifestBlob[] = [];
  const blobs = new Map<string, Descriptor>();
  const found: string[] = [];

  const addImageManifest = (blob: ManifestBlob) => {
    const image = parseManifest(blob, ref);
    if (image.kind !== 'manifest')
      throw new BundleError(`nested index ${blob.digest} is not supported`, { entry: ref });
    for (const d of [image.manifest.config, ...image.manifest.layers]) {
      if (d.urls)
        throw new BundleError(`layer ${d.digest} is a foreign layer (urls); it cannot be carried`, {
          entry: ref,
        });
      blobs.set(d.digest, { mediaType: d.mediaType, digest: d.digest, size: d.size });
    }
    manifests.push(blob);
  };

  if (parsed.kind === 'manifest') {
    addImageManifest(top);
    return { ref, source, root: top, manifests, blobs: [...blobs.values()], platforms: [] };
  }

  const children = parsed.index.manifests.filter((d) => {
    // attestation manifests (buildkit) carry platform unknown/unknown; keep them only when keeping all
    if (!platforms.length) return true;
    return platforms.some((p) => platformMatches(p, d.platform));
  });
  for (const d of parsed.index.manifests) if (d.platform) found.push(formatPlatform(d.platform));
  if (!children.length) {
    throw new BundleError(
      `has no manifest for platform ${platforms.join(', ')} (it has: ${found.join(', ') || 'none'})`,
      {
        entry: ref,
      },
    );
  }
  for (const child of children) {
    const blob = await client.getManifest(source.repository, child.digest);
    addImageManifest({ ...blob, mediaType: child.mediaType || blob.mediaType });
  }
  const kept = children.filter((d) => d.platform).map((d) => formatPlatform(d.platform!));
  if (!platforms.length) {
    manifests.push(top);
    return { ref, source, root: top, manifests, blobs: [...blobs.values()], platforms: kept };
  }
  if (children.length === 1) {
    return { ref, source, root: manifests[0]!, manifests, blobs: [...blobs.values()], platforms: kept };
  }
  const narrowed = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: children }, null, 2),
  );
  const root: ManifestBlob = {
    digest: sha256Digest(narrowed),
    mediaType: MediaType.ociIndex,
    bytes: narrowed,
  };
  manifests.push(root);
  return { ref, source, root, manifests, blobs: [...blobs.values()], platforms: kept };
}

/** Total bytes of an image's blobs, each counted once. */
export const imageSize = (image: { blobs: Descriptor[] }) => image.blobs.reduce((n, b) => n + b.size, 0);
