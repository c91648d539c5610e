import type { KeyObject } from 'node:crypto';
import * as yaml from 'js-yaml';
import type { AppTemplate, BundleManifest } from '../api/index.js';
import { ROOT_MEDIA_TYPES, templateName } from '../api/index.js';
import { formatProblem } from '../model/problems.js';
import { validateTemplate } from '../model/validate.js';
import { BundleError } from './errors.js';
import type { Descriptor, ImageIndex, ManifestBlob } from './media-types.js';
import { parseManifest } from './media-types.js';
import { checkLayoutMarker, parseIndex } from './oci-layout.js';
import type { Chart } from './operator-chart.js';
import { chartMetadata } from './operator-chart.js';
import {
  CHART_DIR,
  INDEX_ENTRY,
  LAYOUT_ENTRY,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  SUMS_ENTRY,
  keyFingerprint,
  parseSignatureFile,
  parseSums,
  signingKey,
  templateEntry,
} from './package-format.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';
import { parseReference } from './reference.js';
import { imageUses } from '../model/images.js';
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

/** Most YAML/JSON nodes a template may expand to (aliases count each time they are used). */
const TEMPLATE_MAX_NODES = 200_000;
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

/**
 * Every image a template uses is listed, each listed once, and (unless allowed) each listed image
 * is used by a template: an unused image would be pushed to the site for nothing. No two images
 * may land on the same repository and tag.
 */
function checkImageUse(manifest: BundleManifest, templates: AppTemplate[], allowUnused: boolean): void {
  const listed = new Set<string>();
  const destinations = new Map<string, string>();
  for (const image of manifest.images) {
    if (listed.has(image.ref))
      throw new BundleError(`images lists ${image.ref} twice`, { entry: MANIFEST_ENTRY });
    listed.add(image.ref);
    const tag = parseReference(image.ref).tag;
    if (!tag) continue;
    const destination = `${image.repository}:${tag}`;
    const other = destinations.get(destination);
    if (other && other !== image.digest)
      throw new BundleError(`two images would both be tagged ${destination} on import`, {
        entry: MANIFEST_ENTRY,
      });
    destinations.set(destination, image.digest);
  }
  const used = new Set<string>();
  for (const template of templates) {
    for (const { where, image } of imageUses(template.spec)) {
      if (!listed.has(image)) {
        throw new BundleError(`${where} uses image ${image}, which ${MANIFEST_ENTRY} does not list`, {
          entry: templateEntry(manifest.app, template.spec.version),
        });
      }
      used.add(image);
    }
  }
  if (manifest.operator || allowUnused) return;
  const unused = manifest.images.filter((i) => !used.has(i.ref));
  if (unused.length)
    throw new BundleError(
      `images lists ${unused.map((i) => i.ref).join(', ')}, which no template uses: refused (it would be pushed to the site for nothing); pass --allow-unused-images to import it anyway`,
      { entry: MANIFEST_ENTRY },
    );
}

/** Counts the nodes of a parsed document, stopping at `max` (YAML aliases can make a small file vast). */
function withinNodeCount(value: unknown, max: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (++count > max) return false;
    if (Array.isArray(node)) stack.push(...(node as unknown[]));
    else if (node && typeof node === 'object') stack.push(...Object.values(node));
  }
  return true;
}

/**
 * The chart of an operator package: every chart/ entry under manifest.operator.chart, whose
 * Chart.yaml must agree with the manifest. An app package holds no chart/ entry, an operator
 * package no templates/ entry, and no two chart files may differ only in case (they would
 * collide on a case-insensitive disk).
 */
function readChart(manifest: BundleManifest, metadata: Map<string, Buffer>): Chart | undefined {
  const operator = manifest.operator;
  for (const name of metadata.keys()) {
    if (operator && name.startsWith('templates/'))
      throw new BundleError('an operator package carries no templates', { entry: name });
    if (!operator && name.startsWith(`${CHART_DIR}/`))
      throw new BundleError(`chart files in an app package (${MANIFEST_ENTRY} has no operator)`, {
        entry: name,
      });
  }
  if (!operator) return undefined;
  const prefix = `${operator.chart}/`;
  if (operator.chart !== `${CHART_DIR}/${operator.chartName}`)
    throw new BundleError(
      `operator.chart is ${operator.chart}, expected ${CHART_DIR}/${operator.chartName}`,
      {
        entry: MANIFEST_ENTRY,
      },
    );
  if (manifest.app !== operator.chartName || manifest.versions.join() !== operator.appVersion)
    throw new BundleError(
      `app ${manifest.app} ${manifest.versions.join(', ')} does not match the chart ${operator.chartName} ${operator.appVersion}`,
      { entry: MANIFEST_ENTRY },
    );
  const files: Chart['files'] = [];
  const folded = new Set<string>();
  for (const [name, bytes] of metadata) {
    if (!name.startsWith(`${CHART_DIR}/`)) continue;
    if (!name.startsWith(prefix))
      throw new BundleError(`chart file outside ${operator.chart}`, { entry: name });
    const lower = name.toLowerCase();
    if (folded.has(lower))
      throw new BundleError('two chart files differ only in case: refused', { entry: name });
    folded.add(lower);
    files.push({ path: name.slice(prefix.length), bytes });
  }
  checkChartLayout(files, prefix);
  const chartYaml = files.find((f) => f.path === 'Chart.yaml');
  if (!chartYaml)
    throw new BundleError('missing from the operator package', { entry: `${prefix}Chart.yaml` });
  const meta = chartMetadata(chartYaml.bytes, `${prefix}Chart.yaml`);
  if (
    meta.name !== operator.chartName ||
    meta.version !== operator.chartVersion ||
    meta.appVersion !== operator.appVersion
  )
    throw new BundleError(
      `holds ${meta.name} ${meta.version} (appVersion ${meta.appVersion}); ${MANIFEST_ENTRY} says ${operator.chartName} ${operator.chartVersion} (appVersion ${operator.appVersion})`,
      { entry: `${prefix}Chart.yaml` },
    );
  return { ...meta, files };
}

/**
 * What Helm's chart loader (or writing the chart out) would refuse, refused before anything is
 * pushed: a file where another file's directory is, subcharts (Ferry's chart has none), and a
 * values.yaml that is not a YAML mapping.
 */
function checkChartLayout(files: Chart['files'], prefix: string): void {
  const paths = new Set(files.map((f) => f.path));
  for (const file of files) {
    const segments = file.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (paths.has(parent))
        throw new BundleError(`${prefix}${parent} is a file, and also the directory of this one`, {
          entry: `${prefix}${file.path}`,
        });
    }
    if (segments[0] === 'charts')
      throw new BundleError('subcharts are not supported in an operator package', {
        entry: `${prefix}${file.path}`,
      });
  }
  const values = files.find((f) => f.path === 'values.yaml');
  if (!values) return;
  let doc: unknown;
  try {
    doc = yaml.load(values.bytes.toString('utf8'));
  } catch (error) {
    throw new BundleError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
      entry: `${prefix}values.yaml`,
    });
  }
  if (doc !== undefined && doc !== null && (typeof doc !== 'object' || Array.isArray(doc)))
    throw new BundleError('not a YAML mapping (Helm refuses such values)', { entry: `${prefix}values.yaml` });
}

function readTemplates(manifest: BundleManifest, metadata: Map<string, Buffer>): AppTemplate[] {
  const expected = new Set(manifest.versions.map((v) => templateEntry(manifest.app, v)));
  for (const name of metadata.keys()) {
    if (name.startsWith('templates/') && !expected.has(name)) {
      throw new BundleError(`template not listed in ${MANIFEST_ENTRY} versions`, { entry: name });
    }
  }
  return manifest.versions.map((version) => {
    const name = templateEntry(manifest.app, version);
    const data = metadata.get(name);
    if (!data) throw new BundleError(`missing: ${MANIFEST_ENTRY} lists version ${version}`, { entry: name });
    let doc: unknown;
    try {
      doc = yaml.load(data.toString('utf8'));
    } catch (error) {
      throw new BundleError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
        entry: name,
      });
    }
    if (!withinNodeCount(doc, TEMPLATE_MAX_NODES))
      throw new BundleError(`expands to more than ${TEMPLATE_MAX_NODES} values (YAML aliases?): refused`, {
        entry: name,
      });
    const result = validateTemplate(doc);
    if (!result.ok)
      throw new BundleError(`invalid AppTemplate: ${result.problems.map(formatProblem).join('; ')}`, {
        entry: name,
      });
    const template = result.value;
    if (template.spec.app !== manifest.app || template.spec.version !== version) {
      throw new BundleError(
        `holds ${templateName(template.spec.app, template.spec.version)}, expected ${templateName(manifest.app, version)}`,
        {
          entry: name,
        },
      );
    }
    return template;
  });
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
