import { parseArgs } from 'node:util';
import { verifyPackage } from '../../bundle/package-reader.js';
import type { VerifiedPackage } from '../../bundle/package-reader.js';
import { formatBytes } from '../../bundle/progress.js';
import { formatAppDetails } from '../format-details.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { parseReference } from '../../bundle/reference.js';
import { bundleCommand } from './bundle-options.js';
import {
  maxExpansion,
  packageReadHelp,
  packageReadOptions,
  signatureLine,
  trustedKeys,
  warnUnverified,
} from './trust.js';

export const inspectHelp = `Usage: ferry inspect FILE [--key PEM]... [-o text|json]

Shows what a package holds: an app package (app, versions) or an operator package (the
operator's Helm chart), images (digest, size, platforms, and the repository and tag each one
will be written to under the --registry prefix of an import), bytes carried, the differential
base (if any) and the signature state. Reads and checks the whole package, as ferry verify does.

${packageReadHelp}`;

export const verifyHelp = `Usage: ferry verify FILE [--key PEM]... [--allow-unused-images]

Checks a package without importing it, with the checks import makes before it commits
anything (import hashes only the blobs it pushes, as it reads them), in this order:
  1. FILE is a regular file; gzip or zstd (any number of members or frames) is told by its
     first bytes, and decompression stops past --max-expansion times the size on disk.
  2. The tar stream: header checksums; regular files and directories only (no links, devices,
     FIFOs); no absolute path, "..", empty segment, control character or backslash in a name;
     no duplicate name; no truncation; at most 200,000 entries.
  3. Names and types: only ferry-bundle.json, templates/<app>/<version>.yaml, chart/<name>/...,
     the images/ OCI layout and SHA256SUMS[.sig]; a file where a directory belongs (or the
     reverse) is refused; each kind of entry has a size limit.
  4. ferry-bundle.json comes first and matches its schema: format version, app, versions,
     repositories (distribution's grammar: no "..", empty segment, scheme or credentials),
     image references, media types and bounded counts.
  5. Before each entry is read: blobs may not add up to more than ferry-bundle.json declares
     (plus 64 MiB for image manifests), the other files to more than 64 MiB, and templates
     exist only for the versions it lists.
  6. Every blob's sha256 equals its name (in a plain tar, blobs over 4 MiB are skipped while
     the file is scanned and hashed in place once the scan passed).
  7. SHA256SUMS lists every other file, once, with its sha256.
  8. SHA256SUMS.sig is one line of base64 holding 64 bytes; with a trusted key (--key,
     FERRY_TRUSTED_KEYS, ~/.config/ferry/trusted-keys) it must verify with one of them.
  9. Templates: YAML of at most 200,000 values (aliases counted), valid AppTemplates, for the
     app and versions ferry-bundle.json names. Operator packages: the chart's files under
     chart/<name>/, Chart.yaml agreeing with ferry-bundle.json, values.yaml a mapping, no
     subcharts, no file where another file's directory is.
 10. The OCI layout: oci-layout, index.json naming every image with its media type; each
     manifest JSON of a manifest or index media type, its size as its descriptor says, every
     config and layer carried (or declared omitted, for a differential package) at its size,
     every media type fit for a Content-Type header.
 11. Images: each listed once; every image a template uses is listed, and every listed image
     is used by a template (else --allow-unused-images); no two images get the same tag.
Exit 0 when all is well; otherwise one line names the entry at fault.

${packageReadHelp}`;

/** Where an image lands, relative to the --registry HOST/PREFIX of an import. */
const destination = (image: { ref: string; repository: string }) => {
  const tag = parseReference(image.ref).tag;
  return `PREFIX/${image.repository}${tag ? `:${tag}` : ''}`;
};

function describe(pkg: VerifiedPackage): string[] {
  const m = pkg.manifest;
  const carried = [...pkg.blobs.values()].reduce((a, b) => a + b, 0);
  const lines = [`package:    ${pkg.file}`];
  if (m.operator && pkg.chart) {
    lines.push(
      `kind:       operator package (import with --chart-out DIR, then helm install)`,
      `chart:      ${m.operator.chartName} ${m.operator.chartVersion} (${pkg.chart.files.length} files under ${m.operator.chart}/)`,
      `operator:   ${m.operator.appVersion}, image ${m.operator.image}`,
    );
  } else
    lines.push(
      `kind:       app package`,
      `app:        ${m.app}`,
      `versions:   ${m.versions.join(', ')}`,
      ...formatAppDetails(pkg.templates.map((t) => t.spec)),
    );
  lines.push(
    `created:    ${m.createdAt} by ${m.createdBy}`,
    `${signatureLine(pkg).replace(': ', ':  ')}`,
    `carried:    ${pkg.blobs.size} blobs, ${formatBytes(carried)}`,
  );
  if (m.baseVersions.length) {
    lines.push(
      `differential: needs ${m.app} ${m.baseVersions.join(', ')} on the site; ${m.omittedBlobs.length} blobs left out`,
    );
  }
  lines.push('images:');
  for (const image of m.images) {
    lines.push(`  ${image.ref}`);
    lines.push(
      `    ${image.digest}  ${formatBytes(image.size)}${image.platforms?.length ? `  ${image.platforms.join(', ')}` : ''}`,
      `    writes to ${destination(image)}`,
    );
  }
  return lines;
}

export const inspectCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...packageReadOptions, output: { type: 'string', short: 'o', default: 'text' } },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one package FILE');
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError('-o must be text or json');
  const pkg = await verifyPackage(positionals[0]!, {
    publicKeys: trustedKeys(values.key).keys,
    maxExpansion: maxExpansion(values['max-expansion']),
    allowUnusedImages: true,
  });
  warnUnverified(pkg, output);
  const m = pkg.manifest;
  if (values.output === 'json') {
    output.out(
      JSON.stringify(
        {
          ...pkg.manifest,
          package: pkg.chart ? 'operator' : 'app',
          ...(pkg.chart ? { chartFiles: pkg.chart.files.map((f) => f.path) } : {}),
          signature: pkg.signature,
          ...(pkg.signedBy ? { signedBy: pkg.signedBy } : {}),
          destinations: m.images.map((i) => ({ ref: i.ref, destination: destination(i) })),
          carriedBlobs: pkg.blobs.size,
          templates: pkg.templates.map((t) => {
            const { components: _c, parameters: _p, ...details } = t.spec;
            return details;
          }),
        },
        null,
        2,
      ),
    );
  } else output.out(describe(pkg).join('\n'));
});

export const verifyCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...packageReadOptions, 'allow-unused-images': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one package FILE');
  const pkg = await verifyPackage(positionals[0]!, {
    publicKeys: trustedKeys(values.key).keys,
    maxExpansion: maxExpansion(values['max-expansion']),
    allowUnusedImages: values['allow-unused-images'],
  });
  warnUnverified(pkg, output);
  output.out(
    `${positionals[0]}: OK (${pkg.entries} entries, ${pkg.blobs.size} blobs, ${formatBytes(pkg.bytes)} checked; ${signatureLine(pkg)})`,
  );
});
