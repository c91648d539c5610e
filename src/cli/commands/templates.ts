import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import semver from 'semver';
import type { AppTemplate } from '../../api/index.js';
import { LABEL_ORIGIN, appInstallSchema } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { table } from './cluster-args.js';
import { connect } from './cluster-args.js';
import { clusterTemplates } from './cluster-templates.js';

export const templatesHelp = `Usage: ferry templates [APP] [-o text|json|yaml] [--kubeconfig FILE]

The applications a cluster offers: each app with its details, its versions (highest first), where
each version came from (origin: import, publish or market — the ferry.dev/origin label; "manual"
when created otherwise, e.g. kubectl apply), who published it, its release notes, and the
AppInstalls that run it (namespace/name, by the version they have installed).

  --kubeconfig FILE      kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  -o text|json|yaml      output format (default text)`;

export interface AppListing {
  app: string;
  displayName?: string;
  description?: string;
  categories?: string[];
  maintainers?: AppTemplate['spec']['maintainers'];
  versions: {
    version: string;
    origin: string;
    releaseNotes?: string;
    publication?: AppTemplate['spec']['publication'];
    installedIn: string[];
  }[];
}

export async function templatesCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { kubeconfig: { type: 'string' }, output: { type: 'string', short: 'o', default: 'text' } },
  });
  if (!['text', 'json', 'yaml'].includes(values.output))
    throw new UsageError('-o must be text, json or yaml');
  const { client } = connect(values);
  try {
    const templates = await clusterTemplates(client, output, positionals[0]);
    const installs = (await client.list(ferryRef('AppInstall'))).items.flatMap((o) => {
      const parsed = appInstallSchema.safeParse(o);
      return parsed.success ? [parsed.data] : [];
    });
    const installed = new Map<string, string[]>();
    for (const i of installs) {
      const key = `${i.spec.app}@${i.status?.version ?? i.spec.version}`;
      installed.set(key, [...(installed.get(key) ?? []), `${i.metadata.namespace}/${i.metadata.name}`]);
    }
    const listing = listApps(templates, installed);
    if (values.output === 'json') output.out(JSON.stringify(listing, null, 2));
    else if (values.output === 'yaml') output.out(yaml.dump(listing, { lineWidth: 120, noRefs: true }));
    else output.out(listing.length ? formatListing(listing) : 'no AppTemplates in the cluster');
  } finally {
    client.close();
  }
}

/** Templates grouped by app (by name), versions highest first; the app's details from its highest version. */
export function listApps(
  templates: readonly AppTemplate[],
  installed: ReadonlyMap<string, string[]>,
): AppListing[] {
  const byApp = new Map<string, AppTemplate[]>();
  for (const t of templates) byApp.set(t.spec.app, [...(byApp.get(t.spec.app) ?? []), t]);
  return [...byApp.keys()].sort().map((app) => {
    const versions = byApp.get(app)!.sort((a, b) => semver.rcompare(a.spec.version, b.spec.version));
    const top = versions[0]!.spec;
    return JSON.parse(
      JSON.stringify({
        app,
        displayName: top.displayName,
        description: top.description,
        categories: top.categories,
        maintainers: top.maintainers,
        versions: versions.map((t) => ({
          version: t.spec.version,
          origin: t.metadata.labels?.[LABEL_ORIGIN] ?? 'manual',
          releaseNotes: t.spec.releaseNotes,
          publication: t.spec.publication,
          installedIn: installed.get(`${app}@${t.spec.version}`) ?? [],
        })),
      }),
    ) as AppListing;
  });
}

export function formatListing(listing: readonly AppListing[]): string {
  const blocks = listing.map((a) => {
    const head = [
      `${a.app}${a.displayName ? ` (${a.displayName})` : ''}${a.description ? ` — ${a.description}` : ''}`,
    ];
    if (a.categories?.length) head.push(`  categories:  ${a.categories.join(', ')}`);
    if (a.maintainers?.length)
      head.push(
        `  maintainers: ${a.maintainers.map((m) => (m.email ? `${m.name} <${m.email}>` : m.name)).join(', ')}`,
      );
    const rows = [
      ['  VERSION', 'ORIGIN', 'PUBLISHED BY', 'INSTALLED IN', 'NOTES'],
      ...a.versions.map((v) => [
        `  ${v.version}`,
        v.origin,
        v.publication?.publishedBy ?? '-',
        v.installedIn.length ? v.installedIn.join(', ') : '-',
        v.releaseNotes?.split('\n')[0] ?? '',
      ]),
    ];
    return [...head, table(rows)].join('\n');
  });
  return blocks.join('\n\n');
}
