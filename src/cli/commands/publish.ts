import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import semver from 'semver';
import type { AppTemplateSpec } from '../../api/index.js';
import { semverString } from '../../api/index.js';
import type { KubeClient } from '../../kube/client.js';
import { comparePlan } from '../../model/plan.js';
import { InvalidInputError } from '../../model/problems.js';
import type { AppDetails } from '../../model/publish.js';
import {
  composeSpec,
  decidePublish,
  publishProblems,
  publishedContent,
  specChanges,
  templateObject,
} from '../../model/publish.js';
import { formatPlan } from '../format-plan.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterOptions, connect } from './cluster-args.js';
import { clusterTemplates, whoAmI } from './cluster-templates.js';
import type { Captured } from './publish-sources.js';
import { fromInstall, fromWorkloads } from './publish-sources.js';
import { iconDataUri, parseDepends, parseMaintainer } from './publish-args.js';

export const publishHelp = `Usage: ferry publish INSTALL -n NS --version V [options]
       ferry publish --from-namespace NS --selector K=V --app APP --version V [--depends A=B,C]... [options]

Creates the next AppTemplate version of an app from what runs, and shows its difference to the
app's highest existing version (the upgrade plan format) before writing it.

From an AppInstall: its current revision (Ready, Succeeded) — components, dependencies, ports,
probes, volumes, config files and env as applied; the install's overrides and plain parameter
values become the new defaults; images pinned by the digest the pods report.

From workloads: the Deployments and StatefulSets selected by --selector in --from-namespace
become components (first container), with the Services selected by the same selector, mounted
ConfigMaps (config files; env from ConfigMaps resolved) and PVCs / claim templates (volumes).
Env values read from Secrets become secret parameters: a value is never copied. A component
whose env names another component's Service depends on it (that host becomes $(<DEP>_HOST),
which Ferry injects); --depends A=B,C adds dependencies. What cannot be captured is listed.

Refused, with the reason, and nothing written: a version not greater than the app's existing
ones, a version that exists with other content (the same content is a no-op), an install that is
not Ready. The template records who published it (the user the API server sees), when, and from
what, in spec.publication; it is labelled ferry.dev/origin=publish.

Options:
  --version V            the new version (SemVer, required)
  --app APP              app name (required from workloads; default: the install's app)
  --notes TEXT           release notes of this version (or --notes-file FILE)
  --description TEXT, --display-name TEXT, --icon FILE (PNG/JPEG/GIF/WebP/SVG, stored as a
  data: URI of at most 64 KiB), --category NAME..., --maintainer "Name <email>"...
                         app details; when not given: those of the template the
                         install runs, else the previous version's
  -o, --output FILE      write the AppTemplate YAML to FILE (must not exist) instead of the cluster
  --dry-run              show what would be published; write nothing
  --kubeconfig FILE      kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS     namespace of the AppInstall`;

export async function publishCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      version: { type: 'string' },
      app: { type: 'string' },
      'from-namespace': { type: 'string' },
      selector: { type: 'string', short: 'l' },
      depends: { type: 'string', multiple: true },
      notes: { type: 'string' },
      'notes-file': { type: 'string' },
      description: { type: 'string' },
      'display-name': { type: 'string' },
      icon: { type: 'string' },
      category: { type: 'string', multiple: true },
      maintainer: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const install = positionals[0];
  const fromNamespace = values['from-namespace'];
  if (positionals.length > 1) throw new UsageError(`one AppInstall at a time, got ${positionals.join(' ')}`);
  if (Boolean(install) === Boolean(fromNamespace))
    throw new UsageError('name an AppInstall, or --from-namespace NS with --selector');
  if (fromNamespace && !values.selector) throw new UsageError('--from-namespace needs --selector K=V');
  if (fromNamespace && !values.app) throw new UsageError('--app is required with --from-namespace');
  if (!values.version) throw new UsageError('--version is required');
  const version = semverString('--version').safeParse(values.version);
  if (!version.success) throw new UsageError(version.error.issues[0]!.message);
  if (values.notes !== undefined && values['notes-file'])
    throw new UsageError('give --notes or --notes-file, not both');
  const details: AppDetails = {
    displayName: values['display-name'],
    description: values.description,
    icon: values.icon === undefined ? undefined : iconDataUri(values.icon),
    categories: values.category,
    maintainers: values.maintainer?.map(parseMaintainer),
    releaseNotes: values['notes-file'] ? readFileSync(values['notes-file'], 'utf8') : values.notes,
  };
  const depends = parseDepends(values.depends ?? []);
  if (install && values.depends)
    throw new UsageError('--depends is for --from-namespace; an install has its dependencies');

  const { client, namespace } = connect(values);
  try {
    const captured = install
      ? await fromInstall(client, namespace, install)
      : await fromWorkloads(client, fromNamespace!, values.selector!, depends);
    const app = values.app ?? captured.app!;
    await publish(client, output, {
      app,
      version: values.version,
      captured,
      details,
      file: values.output,
      dryRun: values['dry-run'],
    });
  } finally {
    client.close();
  }
}

async function publish(
  client: KubeClient,
  output: Output,
  args: {
    app: string;
    version: string;
    captured: Captured;
    details: AppDetails;
    file?: string;
    dryRun: boolean;
  },
): Promise<void> {
  const { app, version, captured } = args;
  // details given now win, then those of the template an install runs, then the previous version's
  const given = Object.fromEntries(Object.entries(args.details).filter(([, v]) => v !== undefined));
  const details: AppDetails = { ...captured.details, ...given };
  const existing = (await clusterTemplates(client, output, app)).map((t) => t.spec);
  const publishedBy = await whoAmI(client);
  // details not given now come from the version itself when it exists, else from the highest one
  const detailsBase =
    existing.find((t) => t.version === version) ??
    [...existing].sort((a, b) => semver.rcompare(a.version, b.version))[0];
  const draft = composeSpec({ app, version, captured, details, previous: detailsBase });
  const decision = decidePublish(draft, existing);
  if (decision.action === 'refuse') throw new ProblemsFound(`refused: ${decision.reason}`);
  const previous = decision.action === 'create' ? decision.previous : undefined;
  const spec = composeSpec({
    app,
    version,
    captured,
    details,
    previous,
    publication: {
      publishedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      publishedBy,
      source: captured.source,
      ...(captured.uncaptured.length ? { uncaptured: captured.uncaptured } : {}),
    },
  });
  const problems = publishProblems(spec);
  if (problems.length) throw new InvalidInputError(problems);

  output.out(`Publishing ${app} ${version} from ${captured.from}, as ${publishedBy}\n`);
  output.out(describe(previous, spec, captured));
  if (decision.action === 'unchanged') {
    // the content equals the existing version's (the comparison above ignores the publication record)
    output.out(`\nAppTemplate ${app}.${version} exists with this content: nothing to write`);
    return;
  }
  const object = templateObject(spec, 'publish');
  if (args.dryRun) {
    output.out(`\n--dry-run: AppTemplate ${object.metadata.name} not written`);
    return;
  }
  if (args.file) {
    writeFileSync(args.file, yaml.dump(object, { lineWidth: 120, noRefs: true }), { flag: 'wx' });
    output.out(`\nwrote AppTemplate ${object.metadata.name} to ${args.file}`);
    return;
  }
  try {
    await client.create(object);
  } catch (error) {
    if (!(error as { conflict?: boolean }).conflict) throw error;
    const now = (await clusterTemplates(client, output, app)).find((t) => t.spec.version === version);
    if (!now || publishedContent(now.spec) !== publishedContent(spec))
      throw new ProblemsFound(
        `refused: AppTemplate ${object.metadata.name} was created meanwhile with other content`,
      );
  }
  output.out(`\ncreated AppTemplate ${object.metadata.name} (origin publish, published by ${publishedBy})`);
}

/** The diff against the previous version, then what was left out and what was adapted. */
export function describe(
  previous: AppTemplateSpec | undefined,
  spec: AppTemplateSpec,
  captured: Captured,
): string {
  const base = previous ?? { ...spec, version: 'none', components: [], parameters: [] };
  const lines = [formatPlan(comparePlan(base, spec), `Publish ${spec.app}`, { preserved: false })];
  const symbol = { Added: '+', Removed: '-', Changed: '~' } as const;
  const other = specChanges(previous, spec);
  if (other.length) {
    lines.push('', 'Template:');
    for (const c of other) lines.push(`  ${symbol[c.change]} ${c.what}  ${c.change.toLowerCase()}`);
  }
  lines.push('', spec.releaseNotes ? 'Release notes:' : 'Release notes: none (--notes TEXT)');
  if (spec.releaseNotes)
    lines.push(
      ...spec.releaseNotes
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `  | ${l}`),
    );
  if (captured.uncaptured.length) {
    lines.push('', 'Not captured (left out of the template; recorded in spec.publication.uncaptured):');
    for (const u of captured.uncaptured) lines.push(`  - ${u}`);
  }
  if (captured.notes.length) {
    lines.push('', 'Adapted:');
    for (const n of captured.notes) lines.push(`  - ${n}`);
  }
  return lines.join('\n');
}
