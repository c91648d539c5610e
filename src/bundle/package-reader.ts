import type { KeyObject } from 'node:crypto';
import type { AppTemplate, BundleManifest } from '../api/index.js';
import { ROOT_MEDIA_TYPES } from '../api/index.js';
import { BundleError } from './errors.js';
import type { Descriptor, ImageIndex, ManifestBlob } from './media-types.js';
import { parseManifest } from './media-types.js';
import { checkLayoutMarker, parseIndex } from './oci-layout.js';
import type { Chart } from './operator-chart.js';
import { readChart } from './package-chart.js';
import {
  INDEX_ENTRY,
  LAYOUT_ENTRY,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  SUMS_ENTRY,
  keyFingerprint,
  parseSignatureFile,
  parseSums,
  signingKey,
} from './package-format.js';
import { checkImageUse, readTemplates } from './package-templates.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';
import type { BlobLocation, PackageScan } from './package-scan.js';
import { hashBlobs, scanPackage } from './package-scan.js';

export { blobWriter, forEachBlob, parseBundleManifest } from './package-scan.js';

export type SignatureState = 'unsigned' | 'verified' | 'signed-not-checked';

/** An image of the package with everything under it, as checked. */
export interface PackageImage {
  ref: string;
  repository: string;
  root: ManifestBlob;
  /** Child manifests first, root last. */
  manifests: ManifestBlob[];
  /** Configs and layers, each once; `carried` false for the blobs a differential package omits. */
  blobs: (Descriptor & { carried: boolean })[];
}

export interface VerifiedPackage {
  file: string;
  manifest: BundleManifest;
  /** The templates of an app package (none in an operator package). */
  templates: AppTemplate[];
  /** The Helm chart of an operator package (manifest.operator set). */
  chart?: Chart;
  images: PackageImage[];
  /** Every blob in the package by digest, with its size. */
  blobs: Map<string, number>;
  signature: SignatureState;
  /** Fingerprint of the trusted key the signature verified with. */
  signedBy?: string;
  entries: number;
  bytes: number;
  /** Plain tar packages: where each blob is in the file (for blobReader). */
  locations?: Map<string, BlobLocation>;
  /** Blobs not hashed yet (readPackage of a plain tar): used only through blobReader. */
  unhashed: Set<string>;
}

export interface VerifyOptions {
  /** Trusted public keys: when any is given, a valid signature by one of them is required. */
  publicKeys?: KeyObject[];
  progress?: Progress;
  /** How many times its stored size a compressed package may expand (PackageBudget). */
  maxExpansion?: number;
  /** Accept images no template uses (refused by default: they would be pushed for nothing). */
  allowUnusedImages?: boolean;
}

/** A media type as a Content-Type header may carry it (RFC 6838 names, no parameters). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * Pass one of an import of a compressed package (and all of `ferry verify`): reads the whole
 * package and checks every entry name, every blob against its digest, every file against
 * SHA256SUMS (and the signature when a key is given), the manifest, the templates and the image
 * graph. Holds only metadata in memory. Throws a BundleError naming the first entry at fault.
 */
export async function verifyPackage(file: string, options: VerifyOptions = {}): Promise<VerifiedPackage> {
  const progress = options.progress ?? silentProgress;
  progress.phase('verify', 0);
  const scan = await scanPackage(file, { maxExpansion: options.maxExpansion, progress, deferBlobs: true });
  // a plain tar's large blobs were skipped by the scan: hashed now, by position
  await hashBlobs(scan, [...scan.unhashed], progress);
  progress.end();
  return checkPackage(scan, options);
}

/**
 * What an import of a plain tar package reads before it plans: every check of verifyPackage but
 * the hashing of blobs larger than a manifest can be, which are left in `unhashed` with their
 * locations. Nothing the import writes comes from an unhashed blob: it pushes only through
 * blobReader (which fails unless the bytes match the digest), and a blob the site already holds
 * under its digest needs no bytes from the package. For a compressed package (which cannot be
 * read by position) this is verifyPackage.
 */
export async function readPackage(file: string, options: VerifyOptions = {}): Promise<VerifiedPackage> {
  const progress = options.progress ?? silentProgress;
  progress.phase('verify', 0);
  const scan = await scanPackage(file, { maxExpansion: options.maxExpansion, progress, deferBlobs: true });
  if (!scan.locations) await hashBlobs(scan, [...scan.unhashed], progress);
  progress.end();
  return checkPackage(scan, options);
}

/** Everything past the reading: SHA256SUMS, signature, templates or chart, layout and images. */
function checkPackage(scan: PackageScan, options: VerifyOptions): VerifiedPackage {
  const { file, manifest, hashes, metadata, candidates, blobs } = scan;
  for (const required of [MANIFEST_ENTRY, SUMS_ENTRY, LAYOUT_ENTRY, INDEX_ENTRY]) {
    if (!metadata.has(required)) throw new BundleError('missing from the package', { entry: required });
  }
  const sumsBytes = metadata.get(SUMS_ENTRY)!;
  const sums = parseSums(sumsBytes.toString('utf8'));
  for (const [name, hash] of hashes) {
    const listed = sums.get(name);
    if (!listed)
      throw new BundleError(`not listed in ${SUMS_ENTRY}: an entry was added to the package`, {
        entry: name,
      });
    if (listed !== hash)
      throw new BundleError(`does not match its ${SUMS_ENTRY} line: the package was changed`, {
        entry: name,
      });
  }
  for (const name of sums.keys()) {
    if (!hashes.has(name))
      throw new BundleError(`listed in ${SUMS_ENTRY} but missing from the package`, { entry: name });
  }

  const { signature, signedBy } = checkSignature(
    sumsBytes,
    metadata.get(SIGNATURE_ENTRY),
    options.publicKeys,
  );

  if (!manifest) throw new BundleError('missing from the package', { entry: MANIFEST_ENTRY });
  const templates = manifest.operator ? [] : readTemplates(manifest, metadata);
  const chart = readChart(manifest, metadata);
  checkLayoutMarker(metadata.get(LAYOUT_ENTRY)!, LAYOUT_ENTRY);
  const index = parseIndex(metadata.get(INDEX_ENTRY)!, INDEX_ENTRY);
  const images = walkImages(manifest, index, candidates, blobs);

  checkImageUse(manifest, templates, options.allowUnusedImages ?? false);
  if (manifest.operator) {
    const refs = manifest.images.map((i) => i.ref);
    if (refs.length !== 1 || refs[0] !== manifest.operator.image)
      throw new BundleError(
        `an operator package carries exactly its operator image ${manifest.operator.image}; images lists ${refs.join(', ') || 'none'}`,
        { entry: MANIFEST_ENTRY },
      );
  }
  return {
    file,
    manifest,
    templates,
    chart,
    images,
    blobs,
    signature,
    signedBy,
    entries: scan.entries,
    bytes: scan.bytes,
    locations: scan.locations,
    unhashed: scan.unhashed,
  };
}

/**
 * The signature state. With trusted keys a valid signature by one of them is required; a
 * signature file is always parsed strictly, so a malformed one is refused even when no key is.
 */
function checkSignature(
  sums: Buffer,
  signatureFile: Buffer | undefined,
  keys: KeyObject[] = [],
): { signature: SignatureState; signedBy?: string } {
  if (signatureFile) parseSignatureFile(signatureFile);
  if (!keys.length) return { signature: signatureFile ? 'signed-not-checked' : 'unsigned' };
  if (!signatureFile)
    throw new BundleError(
      `the package is not signed, and a signature by a trusted key is required (${keys.length} key(s) given)`,
      { entry: SIGNATURE_ENTRY },
    );
  const key = signingKey(sums, signatureFile, keys);
  if (!key)
    throw new BundleError(
      `signature does not verify with ${keys.length === 1 ? 'the given key' : `any of the ${keys.length} trusted keys`}: the package was changed or signed with another key`,
      { entry: SIGNATURE_ENTRY },
    );
  return { signature: 'verified', signedBy: keyFingerprint(key) };
}

function walkImages(
  manifest: BundleManifest,
  index: ImageIndex,
  candidates: Map<string, Buffer>,
  blobs: Map<string, number>,
): PackageImage[] {
  const omitted = new Set(manifest.omittedBlobs);
  const inIndex = new Map(index.manifests.map((d) => [d.digest, d]));
  const manifestBlob = (d: Descriptor, where: string): ManifestBlob => {
    if (!(ROOT_MEDIA_TYPES as readonly string[]).includes(d.mediaType))
      throw new BundleError(
        `manifest ${d.digest} has media type ${JSON.stringify(d.mediaType)}; expected one of ${ROOT_MEDIA_TYPES.join(', ')}`,
        { entry: where },
      );
    const bytes = candidates.get(d.digest);
    if (!bytes)
      throw new BundleError(`manifest ${d.digest} is not in the package (or is not JSON)`, { entry: where });
    if (bytes.length !== d.size)
      throw new BundleError(`manifest ${d.digest} is ${bytes.length} bytes, descriptor says ${d.size}`, {
        entry: where,
      });
    return { digest: d.digest, mediaType: d.mediaType, bytes };
  };
  return manifest.images.map((image) => {
    const where = `image ${image.ref}`;
    const top = inIndex.get(image.digest);
    if (!top) throw new BundleError(`${image.digest} is not in ${INDEX_ENTRY}`, { entry: where });
    if (top.mediaType !== image.mediaType)
      throw new BundleError(
        `${INDEX_ENTRY} says ${JSON.stringify(top.mediaType)}, ${MANIFEST_ENTRY} says ${image.mediaType}`,
        { entry: where },
      );
    const root = manifestBlob(top, where);
    const manifests: ManifestBlob[] = [];
    const found = new Map<string, Descriptor & { carried: boolean }>();
    const addImage = (blob: ManifestBlob) => {
      const parsed = parseManifest(blob, where);
      if (parsed.kind !== 'manifest')
        throw new BundleError(`nested index ${blob.digest} is not supported`, { entry: where });
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
        if (typeof d.mediaType !== 'string' || !MEDIA_TYPE.test(d.mediaType))
          throw new BundleError(
            `manifest ${blob.digest}: blob ${d.digest} has media type ${JSON.stringify(d.mediaType)}, which is not a media type`,
            { entry: where },
          );
        const size = blobs.get(d.digest);
        if (size === undefined && !omitted.has(d.digest)) {
          throw new BundleError(`blob ${d.digest} is neither in the package nor listed as omitted`, {
            entry: where,
          });
        }
        if (size !== undefined && size !== d.size) {
          throw new BundleError(`blob ${d.digest} is ${size} bytes, its descriptor says ${d.size}`, {
            entry: where,
          });
        }
        found.set(d.digest, {
          mediaType: d.mediaType,
          digest: d.digest,
          size: d.size,
          carried: size !== undefined,
        });
      }
      manifests.push(blob);
    };
    const parsed = parseManifest(root, where);
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) addImage(manifestBlob(child, where));
      manifests.push(root);
    } else addImage(root);
    return { ref: image.ref, repository: image.repository, root, manifests, blobs: [...found.values()] };
  });
}
