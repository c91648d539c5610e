import { parseArgs } from 'node:util';
import { loadPublicKey } from '../../bundle/package-format.js';
import { verifyPackage } from '../../bundle/package-reader.js';
import type { VerifiedPackage } from '../../bundle/package-reader.js';
import { formatBytes } from '../../bundle/progress.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { bundleCommand } from './bundle-options.js';

export const inspectHelp = `Usage: ferry inspect FILE [--key PEM] [-o text|json]

Shows what a package holds: an app package (app, versions) or an operator package (the
operator's Helm chart), images (digest, size, platforms), bytes carried, the differential base
(if any) and the signature state. Reads and checks the whole package.`;

export const verifyHelp = `Usage: ferry verify FILE [--key PEM]

Checks a package without importing it: entry names, every blob digest, SHA256SUMS, the
manifest and templates, and with --key the ed25519 signature. Exit 0 when all is well.`;

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
    lines.push(`kind:       app package`, `app:        ${m.app}`, `versions:   ${m.versions.join(', ')}`);
  lines.push(
    `created:    ${m.createdAt} by ${m.createdBy}`,
    `signature:  ${pkg.signature}`,
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
    );
  }
  return lines;
}

export const inspectCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { key: { type: 'string' }, output: { type: 'string', short: 'o', default: 'text' } },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one package FILE');
  const pkg = await verifyPackage(positionals[0]!, {
    publicKey: values.key ? loadPublicKey(values.key) : undefined,
  });
  if (values.output === 'json') {
    output.out(
      JSON.stringify(
        {
          ...pkg.manifest,
          package: pkg.chart ? 'operator' : 'app',
          ...(pkg.chart ? { chartFiles: pkg.chart.files.map((f) => f.path) } : {}),
          signature: pkg.signature,
          carriedBlobs: pkg.blobs.size,
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
    options: { key: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one package FILE');
  const pkg = await verifyPackage(positionals[0]!, {
    publicKey: values.key ? loadPublicKey(values.key) : undefined,
  });
  output.out(
    `${positionals[0]}: OK (${pkg.entries} entries, ${pkg.blobs.size} blobs, ${formatBytes(pkg.bytes)} checked; signature: ${pkg.signature})`,
  );
});
