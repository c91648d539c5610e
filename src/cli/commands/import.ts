import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import { importPackage } from '../../bundle/import.js';
import { ensurePullSecret } from '../../bundle/pull-secret.js';
import { resolveCredentials } from '../../bundle/registry-auth.js';
import { formatBytes } from '../../bundle/progress.js';
import { parseRegistryTarget } from '../../bundle/reference.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import {
  bundleCommand,
  optionalKube,
  progressFor,
  registryClients,
  registryHelp,
  registryOptions,
} from './bundle-options.js';
import {
  maxExpansion,
  packageReadHelp,
  packageReadOptions,
  signatureLine,
  trustedKeys,
  warnUnverified,
} from './trust.js';
import { specImages } from '../../model/images.js';

export const importHelp = `Usage: ferry import FILE --registry HOST[:PORT][/PREFIX] [options]
       ferry import OPERATOR-FILE --registry HOST[:PORT][/PREFIX] --chart-out DIR [options]

Imports an offline package at the site. First it makes the checks ferry verify makes (every
name, size and reference, SHA256SUMS, the signature when keys are trusted, the manifests and
templates); nothing is sent unless they pass. It then prints where every image will be written:
each repository lands under HOST/PREFIX, and a package that names one outside it is refused.
Then it pushes the blobs and manifests the registry lacks (a re-import moves nothing), rewrites
the templates' images to HOST/PREFIX/<repository>@sha256:... (the digests are kept) and creates
the AppTemplates last. Every blob it pushes is hashed as it is read: from a plain .tar the blobs
stream from their place in the file into uploads the registry keeps uncommitted until every one
of them matched its digest (a mismatch drops them all; no repository holds any), and blobs the
site holds already are not read at all; a compressed package is read whole and verified first,
then read again to push. An interrupted import leaves no AppTemplate behind; run it again to
finish it.

An operator package (ferry export --operator) holds the operator's Helm chart and image instead:
after the image is pushed, the chart is written to DIR/<chart> with DIR/values-offline.yaml
next to it, which points image.registry/repository/tag/digest at the site registry (digest
kept). Install it with
  helm install ferry DIR/ferry -n ferry-system --create-namespace -f DIR/values-offline.yaml
An existing DIR/ferry or values-offline.yaml is left alone when identical and refused otherwise.

With --market M (an AppMarket's name or REGISTRY/PREFIX) the package goes into a market on the
site registry instead: its versions and images are pushed there (as ferry market push does) and
the app is listed, so every cluster at the site whose AppMarket syncs that market gets the
templates — one import feeds many clusters. No AppTemplate is created directly.

Options:
  --registry HOST[:PORT][/PREFIX]   the site registry (required without --market)
  --market M             import into this market instead (see above)
  --sign-key PEM         --market: sign the versions as the site (ed25519; ferry keys generate)
  --unlisted             --market: push the versions but leave the app off the shelf
  --kubeconfig PATH      cluster to create the AppTemplates in (default: $KUBECONFIG; with
                         neither, no AppTemplate is created)
  --templates-out DIR    also write the rewritten templates there
  --chart-out DIR        operator packages: write the chart and values-offline.yaml there
  --pull-secret NAME     also create (or update) the pull Secret NAME (kubernetes.io/dockerconfigjson)
                         for the site registry, from the credentials this import used (never
                         printed), in every --pull-secret-namespace; name it in the AppInstall's
                         spec.imagePullSecrets. An identical Secret is left alone.
  --pull-secret-namespace NS   where to create it (repeat for several namespaces; required with
                         --pull-secret)
  --dry-run              verify and report what would be pushed and created; change nothing
  --allow-unused-images  import images no template uses (refused by default)
  -o text|json           summary format (default text)
  --quiet                no progress
${packageReadHelp}
${registryHelp}`;

export const importCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      registry: { type: 'string' },
      market: { type: 'string' },
      'sign-key': { type: 'string' },
      unlisted: { type: 'boolean' },
      ...packageReadOptions,
      'allow-unused-images': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      'templates-out': { type: 'string' },
      'chart-out': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'pull-secret': { type: 'string' },
      'pull-secret-namespace': { type: 'string', multiple: true },
      output: { type: 'string', short: 'o', default: 'text' },
      quiet: { type: 'boolean' },
      ...registryOptions,
    },
  });
  if (positionals.length !== 1) throw new UsageError('name exactly one package FILE');
  if (values.market) {
    if (values.registry) throw new UsageError('--registry and --market: a market names its own registry');
    for (const flag of ['templates-out', 'chart-out', 'dry-run', 'pull-secret'] as const)
      if (values[flag]) throw new UsageError(`--${flag} does not go with --market`);
    // the market's modules (export, semver, the market format) load only for --market
    const { importIntoMarket } = await import('./market.js');
    return importIntoMarket(positionals[0]!, values, output);
  }
  if (values['sign-key'] || values.unlisted)
    throw new UsageError('--sign-key and --unlisted go with --market');
  if (!values.registry) throw new UsageError('--registry HOST[:PORT][/PREFIX] is required');
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError('-o must be text or json');
  const target = parseRegistryTarget(values.registry);
  const pullSecret = pullSecretRequest(values, target.registry);
  const trust = trustedKeys(values.key);
  const expansion = maxExpansion(values['max-expansion']);
  const kube = await optionalKube(values.kubeconfig);
  if (pullSecret && !kube) throw new UsageError('--pull-secret needs a cluster: --kubeconfig or KUBECONFIG');
  const { clientFor, closeAll } = registryClients(values);
  try {
    const result = await importPackage({
      file: positionals[0]!,
      registry: clientFor(target.registry),
      prefix: target.prefix,
      kube,
      publicKeys: trust.keys,
      maxExpansion: expansion,
      allowUnusedImages: values['allow-unused-images'],
      onVerified: (pkg, targets) => {
        warnUnverified(pkg, output);
        if (values.output !== 'text') return;
        output.out(`${values['dry-run'] ? 'would write' : 'writing'} ${targets.length} image(s):`);
        for (const t of targets) output.out(`  ${t.repository}${t.tag ? `:${t.tag}` : ''}@${t.digest}`);
      },
      dryRun: values['dry-run'],
      progress: progressFor(values.quiet),
      chartOut: values['chart-out'],
    });
    const pullSecrets = [];
    for (const namespace of pullSecret?.namespaces ?? []) {
      const action = await ensurePullSecret(kube!, {
        namespace,
        name: pullSecret!.name,
        registry: target.registry,
        credentials: pullSecret!.credentials,
        dryRun: values['dry-run'],
      });
      pullSecrets.push({ namespace, name: pullSecret!.name, action });
    }
    if (values['templates-out']) {
      mkdirSync(values['templates-out'], { recursive: true });
      for (const t of result.rewritten) {
        writeFileSync(
          join(values['templates-out'], `${t.metadata.name}.yaml`),
          yaml.dump(t, { lineWidth: 120, noRefs: true }),
        );
      }
    }
    const summary = {
      app: result.package.manifest.app,
      versions: result.package.manifest.versions,
      signature: result.package.signature,
      ...(result.package.signedBy ? { signedBy: result.package.signedBy } : {}),
      destinations: result.destinations,
      dryRun: Boolean(values['dry-run']),
      blobsToPush: result.blobsToPush,
      bytesToPush: result.bytesToPush,
      blobsPushed: result.blobsPushed,
      bytesPushed: result.bytesPushed,
      blobsMounted: result.blobsMounted,
      blobsPresent: result.blobsPresent,
      manifestsPushed: result.manifestsPushed,
      templates: result.templates,
      ...(pullSecrets.length ? { pullSecrets } : {}),
      ...(result.chart ? { chart: result.chart } : {}),
      images: result.chart
        ? [result.chart.image]
        : result.rewritten.flatMap((t) => specImages(t.spec)).filter((v, i, a) => a.indexOf(v) === i),
    };
    if (values.output === 'json') {
      output.out(JSON.stringify(summary, null, 2));
      return;
    }
    const m = result.package.manifest;
    output.out(
      `verified ${positionals[0]}: ${m.app} ${m.versions.join(', ')} (${result.package.entries} entries; ${signatureLine(result.package)})`,
    );
    output.out(
      (values['dry-run']
        ? `would push ${result.blobsToPush} blobs (${formatBytes(result.bytesToPush)}), `
        : `pushed ${result.blobsPushed} blobs (${formatBytes(result.bytesPushed)}), `) +
        `mounted ${result.blobsMounted}, already present ${result.blobsPresent}; manifests pushed ${result.manifestsPushed}`,
    );
    for (const t of result.templates) output.out(`AppTemplate ${t.name}: ${t.action}`);
    for (const s of pullSecrets)
      output.out(`pull Secret ${s.namespace}/${s.name} for ${target.registry}: ${s.action}`);
    if (result.chart) {
      const c = result.chart;
      output.out(`operator image at the site: ${c.image}`);
      output.out(
        `Helm chart ${m.app} ${result.package.chart!.version}: ${c.chart} and ${c.values} ${c.action === 'planned' ? 'would be written' : c.action}`,
      );
      if (!values['dry-run'])
        output.out(
          `install it: helm install ferry ${c.chart} -n ferry-system --create-namespace -f ${c.values}`,
        );
      return;
    }
    if (!kube) output.out('no cluster configured (--kubeconfig / KUBECONFIG): no AppTemplate created');
  } finally {
    closeAll();
    kube?.close();
  }
});

/** --pull-secret: its name, namespaces and the credentials the import uses for the site registry. */
function pullSecretRequest(
  values: {
    'pull-secret'?: string;
    'pull-secret-namespace'?: string[];
    username?: string;
    password?: string;
  },
  registry: string,
) {
  const name = values['pull-secret'];
  const namespaces = values['pull-secret-namespace'] ?? [];
  if (!name) {
    if (namespaces.length) throw new UsageError('--pull-secret-namespace goes with --pull-secret NAME');
    return undefined;
  }
  if (!namespaces.length)
    throw new UsageError('--pull-secret needs --pull-secret-namespace NS (repeat it for several namespaces)');
  const dns = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
  if (!dns.test(name)) throw new UsageError(`--pull-secret: "${name}" is not a valid Secret name`);
  for (const ns of namespaces)
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
      throw new UsageError(`--pull-secret-namespace: "${ns}" is not a valid namespace name`);
  const credentials = resolveCredentials(registry, { username: values.username, password: values.password });
  if (!credentials)
    throw new UsageError(
      `--pull-secret: no credentials for ${registry} (--username/--password, FERRY_REGISTRY_USERNAME/FERRY_REGISTRY_PASSWORD or docker's config.json); a registry without auth needs no pull Secret`,
    );
  return { name, namespaces: [...new Set(namespaces)], credentials };
}
