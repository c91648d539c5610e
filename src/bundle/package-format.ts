import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BundleError } from './errors.js';

export const MANIFEST_ENTRY = 'ferry-bundle.json';
export const SUMS_ENTRY = 'SHA256SUMS';
export const SIGNATURE_ENTRY = 'SHA256SUMS.sig';
export const IMAGES_DIR = 'images';
export const LAYOUT_ENTRY = 'images/oci-layout';
export const INDEX_ENTRY = 'images/index.json';
export const BLOB_PREFIX = 'images/blobs/sha256/';

export const templateEntry = (app: string, version: string) => `templates/${app}/${version}.yaml`;

/** Operator packages carry the Helm chart as plain files under chart/<chart name>/. */
export const CHART_DIR = 'chart';
export const chartDir = (name: string) => `${CHART_DIR}/${name}`;
/** One path segment of a chart file: no spaces, no shell or glob characters. */
export const CHART_SEGMENT = /^[A-Za-z0-9_.+-]+$/;
/** Bounds of a chart (all of it is held in memory): Helm's own per-file limit, and a total. */
export const CHART_MAX_FILE = 5 * 1024 * 1024;
export const CHART_MAX_TOTAL = 32 * 1024 * 1024;
export const CHART_MAX_FILES = 5000;

const ALLOWED_DIRS = new Set(['templates', 'images', 'images/blobs', 'images/blobs/sha256']);
const MiB = 1024 * 1024;

export type EntryRole =
  'manifest' | 'sums' | 'signature' | 'template' | 'chart' | 'layout' | 'index' | 'blob' | 'dir';

/** What an entry name is in a package; anything else is refused. */
export function entryRole(name: string): EntryRole {
  if (name === MANIFEST_ENTRY) return 'manifest';
  if (name === SUMS_ENTRY) return 'sums';
  if (name === SIGNATURE_ENTRY) return 'signature';
  if (name === LAYOUT_ENTRY) return 'layout';
  if (name === INDEX_ENTRY) return 'index';
  if (/^images\/blobs\/sha256\/[a-f0-9]{64}$/.test(name)) return 'blob';
  if (/^templates\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[0-9A-Za-z.-]+\.yaml$/.test(name)) return 'template';
  if (ALLOWED_DIRS.has(name) || /^templates\/[a-z0-9-]+$/.test(name)) return 'dir';
  if (name === CHART_DIR || /^chart\/[a-z0-9-]+$/.test(name)) return 'dir';
  // chart/<name>/<path>; directories below the chart's own are files' prefixes, told apart by type
  if (
    /^chart\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/./.test(name) &&
    name.split('/').every((s) => CHART_SEGMENT.test(s))
  )
    return 'chart';
  throw new BundleError(
    'unexpected entry: a Ferry package holds only ferry-bundle.json, templates/ or chart/, images/ and SHA256SUMS[.sig]',
    {
      entry: name,
    },
  );
}

/** Most entries a package may hold (blobs, metadata and directories together). */
export const MAX_ENTRIES = 200_000;
/** All entries other than blobs together: they are held in memory until the package is checked. */
export const METADATA_BUDGET = 64 * MiB;

/**
 * Largest size each kind of entry may have. Blobs are bounded by what ferry-bundle.json declares
 * (and then by their digest); everything else is held in memory, so it is bounded here.
 */
export function maxEntrySize(name: string): number {
  switch (entryRole(name)) {
    case 'manifest':
      return 8 * MiB;
    case 'sums':
      return 16 * MiB;
    case 'signature':
      return 1024;
    case 'template':
      return 8 * MiB;
    case 'chart':
      return CHART_MAX_FILE;
    case 'layout':
      return 1024;
    case 'index':
      return 16 * MiB;
    case 'dir':
      return 0;
    default:
      return Number.MAX_SAFE_INTEGER;
  }
}

/**
 * Refuses an entry whose tar type does not fit its role before its body is read: a regular file
 * where a directory belongs (or a directory named like a file). Chart paths may be either.
 */
export function checkEntryType(name: string, type: 'file' | 'directory'): void {
  const role = entryRole(name);
  if (role === 'chart') return;
  if (role === 'dir' && type === 'file')
    throw new BundleError('a regular file where the package has a directory: refused', { entry: name });
  if (role !== 'dir' && type === 'directory')
    throw new BundleError('a directory where the package has a file: refused', { entry: name });
}

/** SHA256SUMS in `sha256sum` format, so `sha256sum -c SHA256SUMS` works on an unpacked package. */
export function formatSums(files: { name: string; sha256: string }[]): string {
  return files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
}

export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (!line) return;
    const match = /^([a-f0-9]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new BundleError(`line ${i + 1} is not "<sha256>  <name>"`, { entry: SUMS_ENTRY });
    if (sums.has(match[2]!))
      throw new BundleError(`line ${i + 1} lists ${match[2]} twice`, { entry: SUMS_ENTRY });
    sums.set(match[2]!, match[1]!);
  });
  return sums;
}

function readKey(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new BundleError(`cannot read ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export function loadPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readKey(file, 'signing key'));
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${file} is not a PEM private key (make one with \`ferry keys generate\`)`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new BundleError(`${file} is a ${key.asymmetricKeyType} key; Ferry signs with ed25519`);
  return key;
}

export function loadPublicKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readKey(file, 'public key'));
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${file} is not a PEM public key (the .pub file of \`ferry keys generate\`)`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new BundleError(`${file} is a ${key.asymmetricKeyType} key; Ferry signs with ed25519`);
  return key;
}

/** The detached signature file: base64 of the ed25519 signature over SHA256SUMS. */
export const signSums = (sums: Buffer, key: KeyObject) => `${sign(null, sums, key).toString('base64')}\n`;

/**
 * The 64 signature bytes of SHA256SUMS.sig, read strictly: exactly one line of canonical base64
 * (Buffer.from would skip stray characters and accept other spellings of the same bytes).
 */
export function parseSignatureFile(signatureFile: Buffer): Buffer {
  const text = signatureFile.toString('latin1').replace(/\r?\n$/, '');
  if (!/^[A-Za-z0-9+/]{85}[AQgw]==$/.test(text))
    throw new BundleError('not one line of base64 holding a 64-byte ed25519 signature: refused', {
      entry: SIGNATURE_ENTRY,
    });
  return Buffer.from(text, 'base64');
}

/** The first of `keys` whose signature over SHA256SUMS verifies, or undefined. */
export function signingKey(sums: Buffer, signatureFile: Buffer, keys: KeyObject[]): KeyObject | undefined {
  const signature = parseSignatureFile(signatureFile);
  return keys.find((key) => verify(null, sums, key, signature));
}

export function signatureValid(sums: Buffer, signatureFile: Buffer, key: KeyObject): boolean {
  return signingKey(sums, signatureFile, [key]) !== undefined;
}

/** A short, stable name for a public key: sha256 of its DER (SPKI) encoding, first 16 hex digits. */
export const keyFingerprint = (key: KeyObject) =>
  `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16)}`;
