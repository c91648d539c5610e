/**
 * A market on an OCI registry, read and written through Ferry's registry client: the index, each
 * app's versions (template artifacts), their signatures and the app's publisher binding. Images are
 * moved by the bundle code (market push imports a package under the app's repository).
 */
import * as yaml from 'js-yaml';
import type { AppTemplate } from '../api/index.js';
import { BundleError, RegistryError } from '../bundle/errors.js';
import type { ManifestBlob } from '../bundle/media-types.js';
import type { RegistryClient } from '../bundle/registry-client.js';
import { formatProblem } from '../model/problems.js';
import { validateTemplate } from '../model/validate.js';
import type {
  Artifact,
  ArtifactManifest,
  ImageMap,
  MarketIndex,
  MarketLocation,
  MarketSignature,
  PublisherBinding,
} from './format.js';
import {
  INDEX_TAG,
  MarketMedia,
  PUBLISHER_TAG,
  appRepository,
  checkVersion,
  imageMapSchema,
  indexArtifact,
  indexRepository,
  marketIndexSchema,
  marketUrl,
  parseArtifact,
  publisherArtifact,
  publisherSchema,
  signatureArtifact,
  signatureSchema,
  signatureTag,
} from './format.js';
import { compareVersions, isVersionTag } from './versions.js';
import { imageUses } from '../model/images.js';

/** One version as the market holds it. */
export interface MarketVersion {
  app: string;
  version: string;
  /** Digest of the template artifact's manifest: the version's identity in the market. */
  digest: string;
  template: AppTemplate;
  images: ImageMap;
  annotations: Record<string, string>;
  signature?: MarketSignature;
}

const isNotFound = (error: unknown) => error instanceof RegistryError && error.status === 404;

export class MarketStore {
  constructor(
    readonly client: RegistryClient,
    readonly location: MarketLocation,
  ) {}

  get url(): string {
    return marketUrl(this.location);
  }

  /** The index, or undefined when the market has none yet (nothing listed). */
  async readIndex(): Promise<MarketIndex | undefined> {
    const repository = indexRepository(this.location);
    const json = await this.readSingleLayer(repository, INDEX_TAG, MarketMedia.index);
    if (json === undefined) return undefined;
    const parsed = marketIndexSchema.safeParse(json);
    if (!parsed.success)
      throw new BundleError(`${this.url}: the market index is not valid: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  writeIndex(index: MarketIndex): Promise<string> {
    return this.writeArtifact(indexRepository(this.location), INDEX_TAG, indexArtifact(index));
  }

  /** The app's versions in the market, oldest first (other tags, e.g. signatures, left out). */
  async versions(app: string): Promise<string[]> {
    const tags = await this.client.listTags(appRepository(this.location, app));
    return tags.filter(isVersionTag).sort(compareVersions);
  }

  /** Digest of a version's manifest, or undefined when the market lacks it. */
  versionDigest(app: string, version: string): Promise<string | undefined> {
    checkVersion(app, version);
    return this.client.headManifest(appRepository(this.location, app), version);
  }

  /** Reads a version: the template (validated), where its images are, its signature if any. */
  async readVersion(app: string, version: string): Promise<MarketVersion | undefined> {
    checkVersion(app, version);
    const repository = appRepository(this.location, app);
    const where = `${this.url}/${app}:${version}`;
    const manifest = await this.getManifest(repository, version);
    if (!manifest) return undefined;
    const artifact = parseArtifact(manifest, MarketMedia.template, where);
    const [templateLayer, imagesLayer] = artifact.layers;
    if (
      templateLayer?.mediaType !== MarketMedia.templateLayer ||
      imagesLayer?.mediaType !== MarketMedia.images
    )
      throw new BundleError(`${where}: expected a template layer and an image map layer`);
    const text = (
      await this.client.getSmallBlob(repository, templateLayer.digest, templateLayer.size)
    ).toString('utf8');
    const template = parseTemplate(text, where);
    if (template.spec.app !== app || template.spec.version !== version)
      throw new BundleError(
        `${where}: holds ${template.spec.app}@${template.spec.version}; a version is stored under its own app and tag`,
      );
    const images = imageMapSchema.safeParse(
      JSON.parse(
        (await this.client.getSmallBlob(repository, imagesLayer.digest, imagesLayer.size)).toString('utf8'),
      ),
    );
    if (!images.success)
      throw new BundleError(`${where}: the image map is not valid: ${images.error.issues[0]?.message}`);
    const missing = imageUses(template.spec).filter((u) => !images.data.some((i) => i.ref === u.image));
    if (missing.length)
      throw new BundleError(
        `${where}: the image map lacks ${missing.map((u) => `${u.where} (${u.image})`).join(', ')}`,
      );
    return {
      app,
      version,
      digest: manifest.digest,
      template,
      images: images.data,
      annotations: artifact.annotations ?? {},
      signature: await this.readSignature(app, manifest.digest),
    };
  }

  async readSignature(app: string, digest: string): Promise<MarketSignature | undefined> {
    const json = await this.readSingleLayer(
      appRepository(this.location, app),
      signatureTag(digest),
      MarketMedia.signature,
    );
    if (json === undefined) return undefined;
    const parsed = signatureSchema.safeParse(json);
    if (!parsed.success) throw new BundleError(`${this.url}/${app}: signature of ${digest} is not valid`);
    return parsed.data;
  }

  async readPublisher(app: string): Promise<PublisherBinding | undefined> {
    const json = await this.readSingleLayer(
      appRepository(this.location, app),
      PUBLISHER_TAG,
      MarketMedia.publisher,
    );
    if (json === undefined) return undefined;
    const parsed = publisherSchema.safeParse(json);
    if (!parsed.success || parsed.data.app !== app)
      throw new BundleError(`${this.url}/${app}:${PUBLISHER_TAG}: not a publisher binding of ${app}`);
    return parsed.data;
  }

  writeSignature(sig: MarketSignature): Promise<string> {
    return this.writeArtifact(
      appRepository(this.location, sig.app),
      signatureTag(sig.digest),
      signatureArtifact(sig),
    );
  }

  writePublisher(binding: PublisherBinding): Promise<string> {
    return this.writeArtifact(
      appRepository(this.location, binding.app),
      PUBLISHER_TAG,
      publisherArtifact(binding),
    );
  }

  /** Blobs first, then the manifest under `tag`; returns the manifest digest. */
  async writeArtifact(repository: string, tag: string, artifact: Artifact): Promise<string> {
    for (const blob of artifact.blobs)
      await this.client.pushBlob(repository, blob.digest, blob.bytes.length, blob.bytes);
    await this.client.putManifest(repository, tag, artifact.manifest);
    return artifact.manifest.digest;
  }

  private async getManifest(repository: string, reference: string): Promise<ManifestBlob | undefined> {
    try {
      return await this.client.getManifest(repository, reference);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The JSON of a one-layer Ferry artifact at `repository:tag`, or undefined when there is none. */
  private async readSingleLayer(repository: string, tag: string, artifactType: string): Promise<unknown> {
    const manifest = await this.getManifest(repository, tag);
    if (!manifest) return undefined;
    const where = `${this.client.registry}/${repository}:${tag}`;
    const artifact: ArtifactManifest = parseArtifact(manifest, artifactType, where);
    const layer = artifact.layers[0]!;
    const bytes = await this.client.getSmallBlob(repository, layer.digest, layer.size);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new BundleError(`${where}: not JSON`, { cause: error });
    }
  }
}

function parseTemplate(text: string, where: string): AppTemplate {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (error) {
    throw new BundleError(`${where}: the template is not YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = validateTemplate(doc);
  if (!result.ok)
    throw new BundleError(
      `${where}: the template is not valid: ${result.problems.map(formatProblem).join('; ')}`,
    );
  return result.value;
}
