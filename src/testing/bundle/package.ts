import type { KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import * as yaml from 'js-yaml';
import { BUNDLE_FORMAT_VERSION } from '../../api/index.js';
import { OCI_LAYOUT_CONTENT, REF_NAME, blobPath, buildIndex } from '../../bundle/oci-layout.js';
import { formatSums, signSums, templateEntry } from '../../bundle/package-format.js';
import { readTar } from '../../bundle/tar-reader.js';
import { TarWriter } from '../../bundle/tar-writer.js';
import type { TestImage } from './images.js';

export interface TestPackageOptions {
  images: { ref: string; repository: string; image: TestImage }[];
  /** Edits ferry-bundle.json before it is written. */
  editManifest?: (manifest: Record<string, unknown>) => void;
  /** Extra files written before SHA256SUMS (listed in it unless `unlisted`). */
  extra?: { name: string; data: string; unlisted?: boolean }[];
  signKey?: KeyObject;
  /** Signs with this key but these sums (a signature over something else). */
  signOther?: boolean;
  /** Blobs left out of the package (as a differential package leaves out its base's). */
  skipBlobs?: string[];
}

/** Writes a package by hand, without a registry, so tests can also make it subtly wrong. */
export async function writeTestPackage(file: string, options: TestPackageOptions): Promise<void> {
  const template = {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: 'demo.1.0.0' },
    spec: {
      app: 'demo',
      version: '1.0.0',
      components: options.images.map((i, n) => ({ name: `c${n}`, image: i.ref })),
    },
  };
  const manifest: Record<string, unknown> = {
    kind: 'FerryBundle',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'test',
    app: 'demo',
    versions: ['1.0.0'],
    images: options.images.map(({ ref, repository, image }) => ({
      ref,
      repository,
      digest: image.manifest.digest,
      mediaType: image.manifest.mediaType,
      size: image.config.length + image.layers.reduce((n, l) => n + l.descriptor.size, 0),
    })),
  };
  options.editManifest?.(manifest);
  const out = createWriteStream(file);
  const tar = new TarWriter(out);
  await tar.addBuffer('ferry-bundle.json', JSON.stringify(manifest));
  await tar.addBuffer(templateEntry('demo', '1.0.0'), yaml.dump(template));
  await tar.addBuffer('images/oci-layout', OCI_LAYOUT_CONTENT);
  await tar.addBuffer(
    'images/index.json',
    buildIndex(
      options.images.map(({ ref, image }) => ({
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        annotations: { [REF_NAME]: ref },
      })),
    ),
  );
  const seen = new Set<string>();
  for (const { image } of options.images) {
    const blobs: [string, Buffer][] = [
      [image.manifest.digest, image.manifest.bytes],
      [image.configDigest, image.config],
      ...image.layers.map((l): [string, Buffer] => [l.descriptor.digest, l.bytes]),
    ];
    for (const [digest, bytes] of blobs) {
      if (seen.has(digest) || options.skipBlobs?.includes(digest)) continue;
      seen.add(digest);
      await tar.addBuffer(`images/${blobPath(digest)}`, bytes);
    }
  }
  const listed = [...tar.files];
  for (const e of options.extra ?? []) {
    const written = await tar.addBuffer(e.name, e.data);
    if (!e.unlisted) listed.push(written);
  }
  const sums = Buffer.from(formatSums(listed));
  await tar.addBuffer('SHA256SUMS', sums);
  if (options.signKey) {
    await tar.addBuffer(
      'SHA256SUMS.sig',
      signSums(options.signOther ? Buffer.from('other') : sums, options.signKey),
    );
  }
  await tar.finish();
  if (!out.writableFinished) await once(out, 'finish');
}

export interface PackageEntry {
  name: string;
  data: Buffer;
}

/**
 * Reads a small (uncompressed) package into memory, lets `edit` change its entries, and writes it
 * again with SHA256SUMS recomputed (unless `keepSums`), so a test reaches the check behind the sums.
 */
export async function rewritePackage(
  from: string,
  to: string,
  edit: (entries: PackageEntry[]) => PackageEntry[],
  options: { keepSums?: boolean } = {},
): Promise<void> {
  const entries: PackageEntry[] = [];
  for await (const entry of readTar(createReadStream(from))) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body) chunks.push(chunk);
    entries.push({ name: entry.name, data: Buffer.concat(chunks) });
  }
  const edited = edit(entries.filter((e) => options.keepSums || !e.name.startsWith('SHA256SUMS')));
  const out = createWriteStream(to);
  const tar = new TarWriter(out);
  for (const e of edited) await tar.addBuffer(e.name, e.data);
  if (!options.keepSums) await tar.addBuffer('SHA256SUMS', formatSums(tar.files));
  await tar.finish();
  if (!out.writableFinished) await once(out, 'finish');
}
