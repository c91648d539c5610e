import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppTemplate } from '../../api/index.js';
import { BundleError } from '../../bundle/errors.js';
import { exportPackage } from '../../bundle/export.js';
import { loadPrivateKey } from '../../bundle/package-format.js';
import { formatBytes } from '../../bundle/progress.js';
import { emptyIndex, marketUrl } from '../../market/format.js';
import type { MarketIndex } from '../../market/format.js';
import { pushPackage } from '../../market/push.js';
import type { MarketStore } from '../../market/store.js';
import { rfc3339 } from '../../model/time.js';
import { findTemplate, loadValid } from '../load.js';
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
import { clusterTemplate, parseTarget } from './export.js';
import { showApp, listApps } from './market-read.js';
import { openMarket } from './market-target.js';
import type { RegistryFlags } from './bundle-options.js';
import { packageReadOptions, trustedKeys } from './trust.js';

export const marketHelp = `Usage: ferry market push APP@VERSION [APP@VERSION ...] --market M [--package FILE | -f FILE] [options]
       ferry market ls --market M [--all] [-o text|json]
       ferry market show APP --market M [-o text|json]
       ferry market list-app APP --market M      put an app on the shelf (others see it)
       ferry market unlist-app APP --market M    take it off (its versions stay installable by name)
       ferry market init --market M [--require-signatures]

A market is an app store on an OCI registry: M is REGISTRY[/PREFIX], or the name of an
AppMarket in the cluster (--kubeconfig). Each version is an OCI artifact PREFIX/APP:VERSION with
the template; its images live under PREFIX/APP/ by digest; signatures and the app's publisher
sit beside it (docs/market.md). Permissions are the registry's: pulling needs read, pushing
needs push on PREFIX/APP, listing needs push on PREFIX/ferry.index.

push copies the versions and their images into the market (verified; what the market has
already is skipped, so an interrupted push resumes; layers shared between repositories are
mounted). Templates come from an offline package (--package), from files (-f, images pulled
from their registries) or from the cluster's AppTemplates. Versions are immutable: the same
version with other content is refused, naming both digests. The first signed push of an app
binds its publisher (the key's fingerprint): later versions must be signed by that key, and a
market initialised with --require-signatures refuses unsigned versions.

Options:
  --market NAME|REGISTRY/PREFIX
  --package FILE         push: the versions and images of an offline package (ferry export)
  -f FILE                push: template manifests (repeatable)
  --kubeconfig PATH      push: read AppTemplates from this cluster; also where AppMarket names live
  --sign-key PEM         push: sign each version with this ed25519 key (ferry keys generate)
  --key PEM              push --package: trust this key for the package's own signature
  --list                 push: also put the app on the shelf
  --all                  ls: also apps the index knows but does not list
  --quiet                no progress
${registryHelp}`;

const options = {
  market: { type: 'string' },
  package: { type: 'string' },
  file: { type: 'string', short: 'f', multiple: true },
  kubeconfig: { type: 'string' },
  'sign-key': { type: 'string' },
  list: { type: 'boolean' },
  all: { type: 'boolean' },
  'require-signatures': { type: 'boolean' },
  output: { type: 'string', short: 'o', default: 'text' },
  quiet: { type: 'boolean' },
  ...packageReadOptions,
  ...registryOptions,
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export const marketCommand = bundleCommand(async (args: string[], output: Output) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError('-o must be text or json');
  const market = await openMarket(values.market, values);
  try {
    switch (sub) {
      case 'push':
        return await push(market.store, positionals, values, output);
      case 'ls':
        return await listApps(market.store, { all: values.all, json: values.output === 'json' }, output);
      case 'show':
        return await showApp(market.store, oneApp(positionals, 'show'), values.output === 'json', output);
      case 'list-app':
      case 'unlist-app':
        return await setListed(market.store, oneApp(positionals, sub), sub === 'list-app', output);
      case 'init':
        return await init(market.store, values['require-signatures'] ?? false, output);
      default:
        throw new UsageError(
          `ferry market ${sub ?? ''}: expected push, ls, show, list-app, unlist-app or init`,
        );
    }
  } finally {
    market.close();
  }
});

function oneApp(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`ferry market ${sub} takes one APP`);
  return positionals[0]!;
}

async function updateIndex(store: MarketStore, change: (index: MarketIndex) => void): Promise<MarketIndex> {
  const index = (await store.readIndex()) ?? emptyIndex();
  change(index);
  await store.writeIndex(index);
  return index;
}

async function setListed(store: MarketStore, app: string, listed: boolean, output: Output): Promise<void> {
  const versions = await store.versions(app);
  if (listed && !versions.length)
    throw new BundleError(`${store.url} has no version of ${app}: push one first`);
  await updateIndex(store, (index) => {
    index.apps[app] = { listed, changedAt: rfc3339(new Date()) };
  });
  output.out(`${app} ${listed ? 'listed in' : 'unlisted from'} ${store.url} (${versions.length} version(s))`);
}

async function init(store: MarketStore, requireSignatures: boolean, output: Output): Promise<void> {
  const index = await updateIndex(store, (i) => {
    i.requireSignatures = requireSignatures;
  });
  output.out(
    `market ${store.url}: ${Object.keys(index.apps).length} app(s) in the index; ` +
      `${requireSignatures ? 'signed versions required' : 'unsigned versions accepted'}`,
  );
}

/** `ferry import FILE --market M`: the package's versions into a (site) market, listed unless told not to. */
export async function importIntoMarket(
  file: string,
  values: Pick<Values, 'market' | 'kubeconfig' | 'sign-key' | 'key' | 'quiet'> &
    RegistryFlags & { unlisted?: boolean },
  output: Output,
): Promise<void> {
  const market = await openMarket(values.market, values);
  try {
    await push(
      market.store,
      [],
      { ...values, package: file, list: !values.unlisted, output: 'text' },
      output,
    );
  } finally {
    market.close();
  }
}

async function push(
  store: MarketStore,
  positionals: string[],
  values: Values,
  output: Output,
): Promise<void> {
  const targets = positionals.map(parseTarget);
  if (values.package && values.file?.length) throw new UsageError('--package and -f: choose one source');
  let packageFile = values.package;
  let work: string | undefined;
  try {
    if (!packageFile) {
      if (!targets.length) throw new UsageError('name at least one APP@VERSION to push');
      work = mkdtempSync(join(tmpdir(), 'ferry-market-push-'));
      packageFile = join(work, 'push.tar');
      await packTemplates(await sourceTemplates(targets, values, output), packageFile, values);
    }
    const result = await pushPackage({
      store,
      packageFile,
      only: targets.length ? targets : undefined,
      signKey: values['sign-key'] ? loadPrivateKey(values['sign-key']) : undefined,
      packageKeys: values.package ? trustedKeys(values.key).keys : undefined,
      progress: progressFor(values.quiet),
    });
    const i = result.images;
    output.out(
      `images: pushed ${i.blobsPushed} blobs (${formatBytes(i.bytesPushed)}), mounted ${i.blobsMounted}, ` +
        `already present ${i.blobsPresent}; manifests pushed ${i.manifestsPushed}`,
    );
    for (const v of result.versions)
      output.out(
        `${marketUrl(store.location)}/${v.app}:${v.version} ${v.action} ${v.digest}` +
          (v.publisher ? `, signed by ${v.publisher}` : ', unsigned') +
          (v.boundPublisher ? ` (${v.app} is now bound to publisher ${v.publisher})` : ''),
      );
    if (values.list && result.versions.length) await setListed(store, result.versions[0]!.app, true, output);
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

async function sourceTemplates(
  targets: { app: string; version: string }[],
  values: Values,
  output: Output,
): Promise<AppTemplate[]> {
  if (values.file?.length) {
    const loaded = loadValid(values.file, output);
    return targets.map(({ app, version }) => {
      const found = findTemplate(loaded, app, version);
      if (!found) throw new BundleError(`no AppTemplate ${app} ${version} in ${values.file!.join(', ')}`);
      return found;
    });
  }
  const kube = await optionalKube(values.kubeconfig);
  if (!kube)
    throw new UsageError('no source: pass --package FILE, -f FILE or --kubeconfig PATH (or set KUBECONFIG)');
  try {
    return await Promise.all(targets.map(({ app, version }) => clusterTemplate(kube, app, version)));
  } finally {
    kube.close();
  }
}

/** Templates from files or a cluster travel through a package too: one verified path into the market. */
async function packTemplates(templates: AppTemplate[], file: string, values: Values): Promise<void> {
  const { clientFor, closeAll } = registryClients(values);
  try {
    await exportPackage({ templates, output: file, clientFor, progress: progressFor(values.quiet) });
  } finally {
    closeAll();
  }
}
