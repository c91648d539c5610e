import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppTemplate } from '../../api/index.js';
import { templateName } from '../../api/index.js';
import { exportCompose } from '../../bundle/compose.js';
import { BundleError } from '../../bundle/errors.js';
import type { BaseContent } from '../../bundle/export.js';
import { exportPackage, portableTemplate, resolveImages, templateImages } from '../../bundle/export.js';
import { verifyPackage } from '../../bundle/package-reader.js';
import { loadPrivateKey } from '../../bundle/package-format.js';
import { LayoutImageSource, parseLayoutRef } from '../../bundle/layout-source.js';
import { chartDefaultImage, loadChart } from '../../bundle/operator-chart.js';
import { formatBytes } from '../../bundle/progress.js';
import { parseReference } from '../../bundle/reference.js';
import { ferryRef } from '../../kube/ref.js';
import type { KubeClient } from '../../kube/client.js';
import { formatProblem } from '../../model/problems.js';
import { validateTemplate } from '../../model/validate.js';
import { findTemplate, loadValid } from '../load.js';
import { openMarketSource } from './market-source.js';
import { trustedKeys } from './trust.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import type { RegistryFlags } from './bundle-options.js';
import {
  bundleCommand,
  optionalKube,
  progressFor,
  registryClients,
  registryHelp,
  registryOptions,
} from './bundle-options.js';

export const exportHelp = `Usage: ferry export APP@VERSION [APP@VERSION ...] -o FILE [options]
       ferry export --operator [--chart DIR] [--image REF|oci:DIR[:NAME]] [-o FILE] [options]

Writes an offline package: one tar file (FILE.tar, .tar.gz or .tar.zst) with the templates and
every image they use (an OCI layout, each layer once), SHA256SUMS and an optional signature.
Templates come from files (-f) or from the cluster (--kubeconfig or $KUBECONFIG); images are
pulled from their registries.

Options:
  -f FILE                template manifests to read (repeatable); otherwise the cluster
  --from-market M        read the versions from a market (NAME or REGISTRY/PREFIX) and pull
                         their images from it; with --key, each must be signed by a trusted key
  --kubeconfig PATH      read AppTemplates <app>.<version> from this cluster
  --since VERSION|FILE   differential package: leave out the blobs the base version (or the
                         base package file) already carries; the site must have imported it
  --platform OS/ARCH     keep only this platform of multi-platform images (repeatable);
                         default: all platforms
  --sign-key PEM         sign SHA256SUMS with this ed25519 private key (ferry keys generate)
  --format ferry|compose compose: a Docker Compose directory (or .tar) instead, see below
  --quiet                no progress
${registryHelp}

--operator writes an operator package instead: the Helm chart of the Ferry operator (--chart,
default charts/ferry; as files under chart/<name>/, .helmignore honoured) and the operator image,
with SHA256SUMS and the optional signature; -o defaults to ferry-operator-<appVersion>.tar. The
image is by default the one \`npm run image\` built (the OCI layout .ferry/image, image
ferry:<appVersion>); --image oci:DIR[:NAME] takes another layout, --image REF pulls one from a
registry. A layout image is carried under the name the chart's values.yaml gives the image, so
the chart finds it after import. Import it with
\`ferry import FILE --registry HOST[/PREFIX] --chart-out DIR\`.

--format compose writes docker-compose.yaml, images/*.tar (docker load format), .env with the
parameters, config/ files, SHA256SUMS and a README, to a directory or (-o x.tar[.gz|.zst]) a tar.`;

export function parseTarget(arg: string): { app: string; version: string } {
  const at = arg.indexOf('@');
  if (at <= 0 || at === arg.length - 1) throw new UsageError(`"${arg}": expected APP@VERSION`);
  return { app: arg.slice(0, at), version: arg.slice(at + 1) };
}

export async function clusterTemplate(kube: KubeClient, app: string, version: string): Promise<AppTemplate> {
  const name = templateName(app, version);
  const object = await kube.get(ferryRef('AppTemplate', undefined, name));
  if (!object) throw new BundleError(`AppTemplate ${name} not found in the cluster`);
  const result = validateTemplate(portableTemplate(object as unknown as AppTemplate));
  if (!result.ok)
    throw new BundleError(
      `AppTemplate ${name} in the cluster is invalid: ${result.problems.map(formatProblem).join('; ')}`,
    );
  return result.value;
}

const DEFAULT_CHART = 'charts/ferry';
/** Where `npm run image` writes the operator image (src/tools/build-image.ts). */
export const DEFAULT_IMAGE_LAYOUT = '.ferry/image';

interface OperatorFlags extends RegistryFlags {
  output?: string;
  file?: string[];
  kubeconfig?: string;
  since?: string;
  format?: string;
  'sign-key'?: string;
  quiet?: boolean;
  chart?: string;
  image?: string;
}

/** `ferry export --operator`: the Helm chart and the operator image, no templates. */
async function exportOperator(
  values: OperatorFlags,
  positionals: string[],
  platforms: string[],
  output: Output,
): Promise<void> {
  if (positionals.length)
    throw new UsageError(`--operator exports the chart and its image: drop ${positionals.join(' ')}`);
  for (const flag of ['file', 'kubeconfig', 'since'] as const)
    if (values[flag])
      throw new UsageError(`${flag === 'file' ? '-f' : `--${flag}`} makes no sense with --operator`);
  if (values.format !== 'ferry') throw new UsageError('--operator writes a Ferry package (--format ferry)');
  if (!values.chart && !existsSync(DEFAULT_CHART))
    throw new UsageError(`no chart at ${DEFAULT_CHART} here: pass --chart DIR (the operator's Helm chart)`);
  const chart = loadChart(values.chart ?? DEFAULT_CHART);
  let image = values.image;
  let source: LayoutImageSource | undefined;
  const layout = image
    ? parseLayoutRef(image)
    : { dir: DEFAULT_IMAGE_LAYOUT, name: `ferry:${chart.appVersion}` };
  if (layout) {
    if (!image && !existsSync(join(layout.dir, 'index.json')))
      throw new UsageError(
        `no operator image at ${DEFAULT_IMAGE_LAYOUT}: build it with \`npm run image\`, or pass --image REF ` +
          `(e.g. ${chartDefaultImage(chart)} from its registry) or --image oci:DIR[:NAME]`,
      );
    source = await LayoutImageSource.open(layout.dir, layout.name);
    // named as the chart names its image (by tag: the layout's content is what gets pinned)
    image = chartDefaultImage(chart).replace(/@sha256:[a-f0-9]{64}$/, '');
  }
  image ??= chartDefaultImage(chart);
  const file = values.output ?? `ferry-operator-${chart.appVersion}.tar`;
  const { clientFor, closeAll } = registryClients(values);
  try {
    const result = await exportPackage({
      operator: { chart, image, source },
      output: file,
      clientFor,
      platforms,
      signKey: values['sign-key'] ? loadPrivateKey(values['sign-key']) : undefined,
      progress: progressFor(values.quiet),
      createdBy: 'ferry',
    });
    const m = result.manifest;
    output.out(
      `wrote ${file} (${formatBytes(result.fileBytes)}): operator package, Helm chart ${chart.name} ${chart.version} ` +
        `(${chart.files.length} files, appVersion ${chart.appVersion}), image ${image} ${m.images[0]!.digest}` +
        `${source ? ` (from the OCI layout ${layout!.dir})` : ''}, ` +
        `${result.carriedBlobs} blobs (${formatBytes(result.carriedBytes)})` +
        (values['sign-key'] ? ', signed' : ''),
    );
  } finally {
    closeAll();
  }
}

export const exportCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      file: { type: 'string', short: 'f', multiple: true },
      kubeconfig: { type: 'string' },
      since: { type: 'string' },
      platform: { type: 'string', multiple: true },
      'sign-key': { type: 'string' },
      format: { type: 'string', default: 'ferry' },
      quiet: { type: 'boolean' },
      operator: { type: 'boolean' },
      chart: { type: 'string' },
      image: { type: 'string' },
      'from-market': { type: 'string' },
      key: { type: 'string', multiple: true },
      ...registryOptions,
    },
  });
  const platforms = values.platform ?? [];
  for (const p of platforms)
    if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(p))
      throw new UsageError(`--platform "${p}": expected os/arch[/variant]`);
  if (values.operator) {
    await exportOperator(values, positionals, platforms, output);
    return;
  }
  if (values.chart || values.image) throw new UsageError('--chart and --image go with --operator');
  if (!positionals.length) throw new UsageError('name at least one APP@VERSION');
  if (!values.output) throw new UsageError('-o FILE is required');
  if (values.format !== 'ferry' && values.format !== 'compose')
    throw new UsageError('--format must be ferry or compose');
  const targets = positionals.map(parseTarget);

  if (values['from-market'] && values.file?.length)
    throw new UsageError('-f and --from-market: choose one source');
  if (values['from-market'] && values.format === 'compose')
    throw new UsageError('--from-market writes a Ferry package (--format ferry)');
  const market = values['from-market']
    ? await openMarketSource(
        values['from-market'],
        values,
        values.key?.length ? trustedKeys(values.key).keys : [],
      )
    : undefined;
  const loaded = values.file?.length ? loadValid(values.file, output) : undefined;
  const kube = loaded || market ? undefined : await optionalKube(values.kubeconfig);
  if (!loaded && !kube && !market)
    throw new UsageError(
      'no template source: pass -f FILE, --from-market M or --kubeconfig PATH (or set KUBECONFIG)',
    );
  const template = async (app: string, version: string) => {
    if (market) return market.template(app, version);
    if (loaded) {
      const found = findTemplate(loaded, app, version);
      if (!found) throw new BundleError(`no AppTemplate ${app} ${version} in ${values.file!.join(', ')}`);
      return found;
    }
    return clusterTemplate(kube!, app, version);
  };
  const { clientFor, closeAll } = registryClients(values);
  try {
    const templates: AppTemplate[] = [];
    for (const { app, version } of targets) templates.push(await template(app, version));

    if (values.format === 'compose') {
      if (values.since) throw new UsageError('--since makes no sense with --format compose');
      if (templates.length !== 1) throw new UsageError('--format compose takes exactly one APP@VERSION');
      const result = await exportCompose({
        template: templates[0]!,
        output: values.output,
        clientFor,
        platform: platforms[0],
        progress: progressFor(values.quiet),
      });
      output.out(
        `wrote ${values.output}: ${result.services} services, ${result.images} image archives (${formatBytes(result.bytes)})`,
      );
      return;
    }

    let base: BaseContent | undefined;
    if (values.since) {
      if (existsSync(values.since)) {
        const pkg = await verifyPackage(values.since);
        base = {
          versions: pkg.manifest.versions,
          blobs: new Set([...pkg.blobs.keys(), ...pkg.manifest.omittedBlobs]),
          repositories: [
            ...new Set([...pkg.manifest.images.map((i) => i.repository), ...pkg.manifest.baseRepositories]),
          ],
        };
      } else {
        const app = targets[0]!.app;
        const baseTemplate = await template(app, values.since);
        const images = await resolveImages(
          templateImages([baseTemplate]),
          clientFor,
          platforms,
          market?.locate,
        );
        base = {
          versions: [values.since],
          blobs: new Set(images.flatMap((i) => i.blobs.map((b) => b.digest))),
          repositories: [...new Set(images.map((i) => parseReference(i.ref).repository))],
        };
      }
      const overlap = templates.find((t) => base!.versions.includes(t.spec.version));
      if (overlap)
        throw new UsageError(
          `--since ${values.since} includes version ${overlap.spec.version}, which is also exported`,
        );
    }
    const result = await exportPackage({
      templates,
      output: values.output,
      clientFor,
      locate: market?.locate,
      platforms,
      base,
      signKey: values['sign-key'] ? loadPrivateKey(values['sign-key']) : undefined,
      progress: progressFor(values.quiet),
      createdBy: 'ferry',
    });
    const m = result.manifest;
    output.out(
      `wrote ${values.output} (${formatBytes(result.fileBytes)}): ${m.app} ${m.versions.join(', ')}, ${m.images.length} images, ` +
        `${result.carriedBlobs} blobs carried (${formatBytes(result.carriedBytes)})` +
        (base
          ? `, ${m.omittedBlobs.length} blobs of ${base.versions.join(', ')} left out (${formatBytes(result.omittedBytes)})`
          : '') +
        (values['sign-key'] ? ', signed' : ''),
    );
  } finally {
    closeAll();
    kube?.close();
    market?.close();
  }
});
