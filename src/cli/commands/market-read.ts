import { BundleError } from '../../bundle/errors.js';
import { checkSignature, listedApps } from '../../market/format.js';
import type { MarketStore } from '../../market/store.js';
import type { Output } from '../output.js';

interface AppSummary {
  app: string;
  listed: boolean;
  versions: string[];
  latest?: string;
  publisher?: string;
  displayName?: string;
}

async function summary(store: MarketStore, app: string, listed: boolean): Promise<AppSummary> {
  const versions = await store.versions(app);
  const latest = versions.at(-1);
  const [publisher, newest] = await Promise.all([
    store.readPublisher(app),
    latest ? store.readVersion(app, latest) : undefined,
  ]);
  return {
    app,
    listed,
    versions,
    latest,
    publisher: publisher?.publisher,
    displayName: newest?.template.spec.displayName,
  };
}

/** `ferry market ls`: the apps on the shelf (with --all, also those the index knows unlisted). */
export async function listApps(
  store: MarketStore,
  { all, json }: { all?: boolean; json: boolean },
  output: Output,
): Promise<void> {
  const index = await store.readIndex();
  const names = index ? (all ? Object.keys(index.apps).sort() : listedApps(index)) : [];
  const apps = await Promise.all(names.map((name) => summary(store, name, index!.apps[name]!.listed)));
  if (json) {
    output.out(
      JSON.stringify(
        { market: store.url, requireSignatures: index?.requireSignatures ?? false, apps },
        null,
        2,
      ),
    );
    return;
  }
  if (!index) {
    output.out(
      `${store.url}: no index yet (nothing listed); \`ferry market list-app APP\` puts an app on the shelf`,
    );
    return;
  }
  output.out(
    `${'APP'.padEnd(20)} ${'LATEST'.padEnd(12)} ${'VERSIONS'.padEnd(9)} ${'PUBLISHER'.padEnd(24)} NAME`,
  );
  for (const a of apps)
    output.out(
      `${(a.app + (a.listed ? '' : ' (unlisted)')).padEnd(20)} ${(a.latest ?? '-').padEnd(12)} ` +
        `${String(a.versions.length).padEnd(9)} ${(a.publisher ?? 'unsigned').padEnd(24)} ${a.displayName ?? ''}`,
    );
  if (!apps.length) output.out(`(no app listed in ${store.url})`);
}

/** `ferry market show APP`: every version with its digest and who signed it. */
export async function showApp(store: MarketStore, app: string, json: boolean, output: Output): Promise<void> {
  const [index, binding, versions] = await Promise.all([
    store.readIndex(),
    store.readPublisher(app),
    store.versions(app),
  ]);
  if (!versions.length) throw new BundleError(`${store.url} has no version of ${app}`);
  const rows = [];
  for (const version of versions) {
    const v = (await store.readVersion(app, version))!;
    const check = v.signature ? checkSignature(v.signature, app, version, v.digest) : undefined;
    rows.push({
      version,
      digest: v.digest,
      signedBy: check && 'publisher' in check ? check.publisher : undefined,
      signatureProblem: check && 'problem' in check ? check.problem : undefined,
      images: v.images.length,
      releaseNotes: v.template.spec.releaseNotes,
    });
  }
  const listed = index?.apps[app]?.listed ?? false;
  if (json) {
    output.out(
      JSON.stringify({ market: store.url, app, listed, publisher: binding ?? null, versions: rows }, null, 2),
    );
    return;
  }
  output.out(`${store.url}/${app}: ${listed ? 'listed' : 'not listed (installable by name)'}`);
  output.out(
    binding
      ? `publisher: ${binding.publisher} (bound ${binding.boundAt})`
      : 'publisher: none bound (no signed version pushed yet)',
  );
  for (const r of rows)
    output.out(
      `  ${r.version.padEnd(12)} ${r.digest}  ${r.images} image(s)  ` +
        (r.signedBy
          ? `signed by ${r.signedBy}`
          : r.signatureProblem
            ? `BAD SIGNATURE: ${r.signatureProblem}`
            : 'unsigned') +
        (binding && r.signedBy && r.signedBy !== binding.publisher ? ' (NOT the bound publisher)' : ''),
    );
}
