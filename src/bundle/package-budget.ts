import type { BundleManifest } from '../api/index.js';
import type { Compression, ExpansionGuard } from './compression.js';
import { BundleError } from './errors.js';
import { formatBytes } from './progress.js';
import {
  MANIFEST_ENTRY,
  MAX_ENTRIES,
  METADATA_BUDGET,
  checkEntryType,
  entryRole,
  templateEntry,
} from './package-format.js';

/** How many times its stored size a compressed package may expand by default. */
export const DEFAULT_MAX_EXPANSION = 20;
/** Expansion every compressed package is allowed, however small it is stored. */
const EXPANSION_FLOOR = 64 * 1024 * 1024;
/** Tar headers and padding: an allowance per entry on top of what the entries declare. */
const PER_ENTRY_OVERHEAD = 2048;

/**
 * What a package may cost before it is trusted (its signature and sums are at its end). The
 * first entry must be ferry-bundle.json; from then on every entry's declared size is checked
 * before its body is read: blobs together within what the manifest declares they carry (plus
 * room for the image manifests), everything else within METADATA_BUDGET, templates only for the
 * versions it lists. A compressed package is also stopped once it expands past `maxExpansion`
 * times its stored size — a decompression bomb fails within that many bytes, whatever it declares.
 */
export class PackageBudget {
  private manifest: BundleManifest | undefined;
  private expectedTemplates = new Set<string>();
  private declaredBlobBytes = 0;
  private blobBytes = 0;
  private metadataBytes = 0;
  private entries = 0;

  constructor(private readonly maxExpansion = DEFAULT_MAX_EXPANSION) {
    if (!(maxExpansion >= 1)) throw new BundleError(`max expansion must be at least 1, got ${maxExpansion}`);
  }

  /** Called with every tar entry before its body is read; throws to refuse it. */
  accept(name: string, type: 'file' | 'directory', size: number): void {
    checkEntryType(name, type);
    if (++this.entries > MAX_ENTRIES)
      throw new BundleError(`more than ${MAX_ENTRIES} entries: refused`, { entry: name });
    if (type === 'directory') return;
    if (!this.manifest && name !== MANIFEST_ENTRY)
      throw new BundleError(
        `${MANIFEST_ENTRY} must be the package's first file (ferry export writes it first); refused before reading further`,
        { entry: name },
      );
    const role = entryRole(name);
    if (role === 'blob') {
      this.blobBytes += size;
      const allowed = this.declaredBlobBytes + METADATA_BUDGET;
      if (this.blobBytes > allowed)
        throw new BundleError(
          `the blobs add up to more than ferry-bundle.json declares (${formatBytes(this.declaredBlobBytes)} plus ${formatBytes(METADATA_BUDGET)} for image manifests): refused`,
          { entry: name },
        );
      return;
    }
    if (role === 'template' && this.manifest && !this.expectedTemplates.has(name))
      throw new BundleError(`template not listed in ${MANIFEST_ENTRY} versions`, { entry: name });
    this.metadataBytes += size;
    if (this.metadataBytes > METADATA_BUDGET)
      throw new BundleError(
        `the package's files other than blobs add up to more than ${formatBytes(METADATA_BUDGET)}: refused`,
        { entry: name },
      );
  }

  /** Sets the blob allowance from the (not yet trusted) manifest. */
  manifestRead(manifest: BundleManifest): void {
    this.manifest = manifest;
    this.expectedTemplates = new Set(manifest.versions.map((v) => templateEntry(manifest.app, v)));
    this.declaredBlobBytes = manifest.carriedBytes ?? manifest.images.reduce((n, i) => n + i.size, 0);
  }

  /** The expansion guard for a package stored with `compression` in `fileBytes`. */
  guard(stored: { compression: Compression; fileBytes: number }): ExpansionGuard {
    const ratioLimit = Math.max(stored.fileBytes * this.maxExpansion, EXPANSION_FLOOR);
    const declaredLimit = () =>
      this.manifest
        ? this.declaredBlobBytes + 2 * METADATA_BUDGET + this.entries * PER_ENTRY_OVERHEAD
        : Number.POSITIVE_INFINITY;
    return {
      limit: () => Math.min(ratioLimit, declaredLimit()),
      refusal: (bytes) =>
        bytes > declaredLimit()
          ? new BundleError(
              `the ${stored.compression} stream expands past ${formatBytes(bytes)}, more than ${MANIFEST_ENTRY} declares the package holds: refused`,
            )
          : new BundleError(
              `the ${stored.compression} stream expands to more than ${this.maxExpansion}× its ${formatBytes(stored.fileBytes)} on disk (a decompression bomb?): refused. If you trust where it came from, raise the limit with --max-expansion N`,
            ),
    };
  }
}
