import type { Readable } from 'node:stream';
import { DIGEST_PATTERN } from './digest.js';
import { BundleError } from './errors.js';
import type { Descriptor, ManifestBlob } from './media-types.js';
import { OciLayoutReader, REF_NAME } from './oci-layout.js';
import type { RegistryClient } from './registry-client.js';

/** Where export reads an image from: a registry, or an OCI layout on disk. */
export type ImageFetcher = Pick<RegistryClient, 'getManifest' | 'getBlob'>;

/** `oci:DIR` or `oci:DIR:NAME` (skopeo's syntax): an image in an OCI layout directory. */
export function parseLayoutRef(ref: string): { dir: string; name?: string } | undefined {
  if (!ref.startsWith('oci:')) return undefined;
  const rest = ref.slice('oci:'.length);
  const colon = rest.indexOf(':');
  const dir = colon < 0 ? rest : rest.slice(0, colon);
  const name = colon < 0 ? undefined : rest.slice(colon + 1);
  if (!dir) throw new BundleError(`"${ref}": expected oci:DIR[:NAME]`);
  return { dir, ...(name ? { name } : {}) };
}

/**
 * One image of an OCI layout, served the way a registry would serve it: the named image's root
 * manifest for any tag, manifests and blobs by digest (verified as they are read).
 */
export class LayoutImageSource implements ImageFetcher {
  private constructor(
    private readonly reader: OciLayoutReader,
    readonly root: Descriptor,
    readonly name: string | undefined,
  ) {}

  /** Opens the image named `name` in the layout, or its only image when no name is given. */
  static async open(dir: string, name?: string): Promise<LayoutImageSource> {
    const reader = new OciLayoutReader(dir);
    let index;
    try {
      index = await reader.index();
    } catch (error) {
      throw new BundleError(`${dir} is not an OCI image layout: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const names = index.manifests.map((m) => m.annotations?.[REF_NAME]);
    const found = name
      ? index.manifests.filter((m) => m.annotations?.[REF_NAME] === name)
      : index.manifests.length === 1
        ? index.manifests
        : [];
    if (found.length !== 1)
      throw new BundleError(
        name
          ? `the OCI layout ${dir} has no image named ${name} (it has: ${names.map((n) => n ?? '<unnamed>').join(', ') || 'none'})`
          : `the OCI layout ${dir} holds ${index.manifests.length} images: name one (oci:${dir}:NAME)`,
      );
    return new LayoutImageSource(reader, found[0]!, name ?? names[0]);
  }

  async getManifest(_repository: string, reference: string): Promise<ManifestBlob> {
    if (!DIGEST_PATTERN.test(reference) || reference === this.root.digest)
      return this.reader.readManifest(this.root);
    const blob = await this.reader.readManifest({ mediaType: '', digest: reference, size: 0 });
    const mediaType = (JSON.parse(blob.bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof mediaType !== 'string')
      throw new BundleError(`manifest ${reference} in the layout names no mediaType`);
    return { ...blob, mediaType };
  }

  getBlob(_repository: string, digest: string, size?: number): Promise<Readable> {
    return Promise.resolve(this.reader.readBlob(digest, size));
  }
}
