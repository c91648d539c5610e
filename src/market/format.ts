/**
 * The market store format (docs/market.md): where a market keeps its index, each app's versions, their
 * images, signatures and the app's publisher binding, and how those OCI artifacts are built and read.
 * Pure: no I/O; store.ts moves the bytes.
 */
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DNS_LABEL_PATTERN, SEMVER_PATTERN } from '../api/index.js';
import { sha256Digest } from '../bundle/digest.js';
import { BundleError } from '../bundle/errors.js';
import type { Descriptor, ManifestBlob } from '../bundle/media-types.js';
import { MediaType } from '../bundle/media-types.js';
import { keyFingerprint } from '../bundle/package-format.js';
import { isRepositoryName } from '../bundle/reference.js';
import { canonicalJson } from '../model/canonical.js';

export const MarketMedia = {
  /** artifactType of a template version: its manifest's first layer is the AppTemplate. */
  template: 'application/vnd.ferry.app-template.v1',
  templateLayer: 'application/vnd.ferry.app-template.v1+yaml',
  /** Second layer of a template version: which image of the market each template image is. */
  images: 'application/vnd.ferry.image-map.v1+json',
  signature: 'application/vnd.ferry.signature.v1+json',
  publisher: 'application/vnd.ferry.publisher.v1+json',
  index: 'application/vnd.ferry.market-index.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** The OCI empty descriptor's blob, the config of every Ferry artifact. */
export const EMPTY_CONFIG = Buffer.from('{}');

/** Tags with a meaning of their own. Versions (SemVer) start with a digit, so never collide. */
export const INDEX_REPOSITORY = 'ferry.index';
export const INDEX_TAG = 'latest';
export const PUBLISHER_TAG = 'ferry.publisher';
/** Companion tag of a template version's signature (the referrers tag scheme cosign also uses). */
export const signatureTag = (manifestDigest: string) => `${manifestDigest.replace(':', '-')}.sig`;

const SEMVER = new RegExp(SEMVER_PATTERN);
const APP = new RegExp(DNS_LABEL_PATTERN);

/** A market: `registry/prefix`, e.g. `market.example.com/acme`. */
export interface MarketLocation {
  registry: string;
  prefix: string;
}

export function checkAppName(app: string): void {
  if (!APP.test(app) || app.length > 63)
    throw new BundleError(
      `app ${JSON.stringify(app)}: expected a DNS label (lower case letters, digits, '-')`,
    );
}

export function checkVersion(app: string, version: string): void {
  if (!SEMVER.test(version))
    throw new BundleError(`${app}@${version}: expected a SemVer 2.0 version without +build metadata`);
}

/** `prefix/app`: where an app's versions (tags), signatures and publisher binding live. */
export function appRepository(market: MarketLocation, app: string): string {
  checkAppName(app);
  return joinRepository(market.prefix, app);
}

/** `prefix/app/<image repository>`: an app's images sit under its repository, so one scope covers both. */
export function imageRepository(market: MarketLocation, app: string, repository: string): string {
  return joinRepository(appRepository(market, app), repository);
}

export const indexRepository = (market: MarketLocation) => joinRepository(market.prefix, INDEX_REPOSITORY);

function joinRepository(prefix: string, path: string): string {
  const joined = prefix ? `${prefix}/${path}` : path;
  if (!isRepositoryName(joined) || !isRepositoryName(path) || joined.split('/').some((s) => s === '..'))
    throw new BundleError(`${JSON.stringify(path)} is not a repository path under ${prefix || '/'}: refused`);
  return joined;
}

/** `REGISTRY/PREFIX` → location; the prefix may be empty (the registry root). */
export function parseMarketUrl(url: string): MarketLocation {
  const trimmed = url.replace(/^oci:\/\//, '').replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const registry = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (!registry || (prefix && !isRepositoryName(prefix)))
    throw new BundleError(
      `market ${JSON.stringify(url)}: expected REGISTRY[/PREFIX], e.g. market.example.com/acme`,
    );
  return { registry, prefix };
}

export const marketUrl = (m: MarketLocation) => (m.prefix ? `${m.registry}/${m.prefix}` : m.registry);

// ---- artifacts ----

export interface ArtifactLayer {
  mediaType: string;
  bytes: Buffer;
  annotations?: Record<string, string>;
}

export interface Artifact {
  manifest: ManifestBlob;
  /** The blobs the manifest names (config first), to push before it. */
  blobs: { digest: string; bytes: Buffer }[];
}

/** An OCI 1.1 artifact manifest (image manifest with artifactType and the empty config). */
export function buildArtifact(
  artifactType: string,
  layers: ArtifactLayer[],
  annotations: Record<string, string>,
): Artifact {
  const describe = (mediaType: string, bytes: Buffer, extra?: Record<string, string>): Descriptor => ({
    mediaType,
    digest: sha256Digest(bytes),
    size: bytes.length,
    ...(extra ? { annotations: extra } : {}),
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: describe(MarketMedia.empty, EMPTY_CONFIG),
    layers: layers.map((l) => describe(l.mediaType, l.bytes, l.annotations)),
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    manifest: { digest: sha256Digest(bytes), mediaType: MediaType.ociManifest, bytes },
    blobs: [
      { digest: sha256Digest(EMPTY_CONFIG), bytes: EMPTY_CONFIG },
      ...layers.map((l) => ({ digest: sha256Digest(l.bytes), bytes: l.bytes })),
    ],
  };
}

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  size: z
    .number()
    .int()
    .nonnegative()
    .max(4 * 1024 * 1024),
});
const artifactManifestSchema = z.object({
  schemaVersion: z.literal(2),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).min(1),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ArtifactManifest = z.infer<typeof artifactManifestSchema>;

/** Reads an artifact manifest and checks it is the kind expected; `where` names it in errors. */
export function parseArtifact(manifest: ManifestBlob, artifactType: string, where: string): ArtifactManifest {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString('utf8'));
  } catch (error) {
    throw new BundleError(`${where}: manifest is not JSON`, { cause: error });
  }
  const parsed = artifactManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new BundleError(`${where}: not a Ferry artifact manifest (${parsed.error.issues[0]?.message})`);
  const type = parsed.data.artifactType ?? parsed.data.config.mediaType;
  if (type !== artifactType)
    throw new BundleError(`${where}: artifact type ${type}, expected ${artifactType}`);
  return parsed.data;
}

// ---- the index: which apps are on the shelf ----

export const marketIndexSchema = z.object({
  apiVersion: z.literal('ferry.dev/market-index/v1'),
  /** Pushes of unsigned versions are refused; sync refuses them whatever the AppMarket trusts. */
  requireSignatures: z.boolean().default(false),
  apps: z
    .record(
      z.string().regex(APP),
      z.object({
        listed: z.boolean(),
        /** When it was last listed or unlisted (RFC 3339). */
        changedAt: z.string(),
      }),
    )
    .default({}),
});
export type MarketIndex = z.infer<typeof marketIndexSchema>;

export const emptyIndex = (requireSignatures = false): MarketIndex => ({
  apiVersion: 'ferry.dev/market-index/v1',
  requireSignatures,
  apps: {},
});

export const listedApps = (index: MarketIndex) =>
  Object.entries(index.apps)
    .filter(([, a]) => a.listed)
    .map(([name]) => name)
    .sort();

export function indexArtifact(index: MarketIndex): Artifact {
  return buildArtifact(
    MarketMedia.index,
    [{ mediaType: MarketMedia.index, bytes: Buffer.from(canonicalJson(index)) }],
    {
      'org.opencontainers.image.title': 'ferry market index',
    },
  );
}

// ---- template versions ----

/** Where a template image is in the market: its repository under the app's, and its digest. */
export const imageMapSchema = z.array(
  z.object({
    /** The reference the template names (the vendor's). */
    ref: z.string(),
    /** Repository path under `prefix/app`. */
    repository: z.string().refine(isRepositoryName, 'a repository path'),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  }),
);
export type ImageMap = z.infer<typeof imageMapSchema>;

export const ANNOTATION = {
  app: 'dev.ferry.app',
  version: 'dev.ferry.version',
  publisher: 'dev.ferry.publisher',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  description: 'org.opencontainers.image.description',
} as const;

export function templateArtifact(
  app: string,
  version: string,
  templateYaml: string,
  images: ImageMap,
  annotations: Record<string, string>,
): Artifact {
  return buildArtifact(
    MarketMedia.template,
    [
      { mediaType: MarketMedia.templateLayer, bytes: Buffer.from(templateYaml) },
      { mediaType: MarketMedia.images, bytes: Buffer.from(canonicalJson(images)) },
    ],
    { [ANNOTATION.app]: app, [ANNOTATION.version]: version, ...annotations },
  );
}

// ---- signatures and the publisher binding ----

const signaturePayload = (app: string, version: string, digest: string) =>
  Buffer.from(canonicalJson({ type: 'ferry.dev/market-signature/v1', app, version, digest }));

export const signatureSchema = z.object({
  app: z.string(),
  version: z.string(),
  digest: z.string(),
  publisher: z.string(),
  publicKey: z.string(),
  signature: z.string(),
});
export type MarketSignature = z.infer<typeof signatureSchema>;

export function signVersion(app: string, version: string, digest: string, key: KeyObject): MarketSignature {
  const publicKey = createPublicKey(key);
  return {
    app,
    version,
    digest,
    publisher: keyFingerprint(publicKey),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signature: sign(null, signaturePayload(app, version, digest), key).toString('base64'),
  };
}

/**
 * The key that signed this version, when the signature is for exactly this app, version and
 * manifest digest and verifies; otherwise a reason.
 */
export function checkSignature(
  sig: MarketSignature,
  app: string,
  version: string,
  digest: string,
): { key: KeyObject; publisher: string } | { problem: string } {
  if (sig.app !== app || sig.version !== version || sig.digest !== digest)
    return { problem: `the signature is for ${sig.app}@${sig.version} (${sig.digest}), not this version` };
  let key: KeyObject;
  try {
    key = createPublicKey(sig.publicKey);
  } catch {
    return { problem: 'the signature carries no readable public key' };
  }
  if (keyFingerprint(key) !== sig.publisher)
    return {
      problem: `the signature names publisher ${sig.publisher} but carries key ${keyFingerprint(key)}`,
    };
  if (!verify(null, signaturePayload(app, version, digest), key, Buffer.from(sig.signature, 'base64')))
    return { problem: `the signature by ${sig.publisher} does not verify` };
  return { key, publisher: sig.publisher };
}

export const signatureArtifact = (sig: MarketSignature) =>
  buildArtifact(
    MarketMedia.signature,
    [{ mediaType: MarketMedia.signature, bytes: Buffer.from(canonicalJson(sig)) }],
    {
      [ANNOTATION.app]: sig.app,
      [ANNOTATION.version]: sig.version,
      [ANNOTATION.publisher]: sig.publisher,
    },
  );

export const publisherSchema = z.object({
  app: z.string(),
  publisher: z.string(),
  publicKey: z.string(),
  boundAt: z.string(),
});
export type PublisherBinding = z.infer<typeof publisherSchema>;

export function publisherBinding(app: string, key: KeyObject, now: Date): PublisherBinding {
  const publicKey = createPublicKey(key);
  return {
    app,
    publisher: keyFingerprint(publicKey),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    boundAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export const publisherArtifact = (binding: PublisherBinding) =>
  buildArtifact(
    MarketMedia.publisher,
    [{ mediaType: MarketMedia.publisher, bytes: Buffer.from(canonicalJson(binding)) }],
    { [ANNOTATION.app]: binding.app, [ANNOTATION.publisher]: binding.publisher },
  );

/** sha256 of a template's YAML: what "same content" means when a version is pushed again. */
export const contentDigest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
