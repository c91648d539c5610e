import semver from 'semver';
import type { AppTemplate, AppTemplateSpec, Publication, TemplateOrigin } from '../api/index.js';
import { GROUP_VERSION, LABEL_ORIGIN, appTemplateSpecSchema, templateName } from '../api/index.js';
import { canonicalJson } from './canonical.js';
import type { Problem } from './problems.js';
import { templateSpecProblems } from './validate.js';

/** App details a publisher gives on the command line; they are carried over from the previous version otherwise. */
export interface AppDetails {
  displayName?: string;
  description?: string;
  icon?: string;
  categories?: string[];
  maintainers?: AppTemplateSpec['maintainers'];
  releaseNotes?: string;
}

/** What a template's content is for "same version, same content": the spec without its publication record. */
export function publishedContent(spec: AppTemplateSpec): string {
  const { publication: _publication, ...content } = appTemplateSpecSchema.parse(spec);
  return canonicalJson(content);
}

export type PublishDecision =
  /** Create `name`; `previous` is the highest existing version (the diff's base), if any. */
  | { action: 'create'; previous?: AppTemplateSpec }
  /** The version exists with this very content: nothing to write. */
  | { action: 'unchanged'; existing: AppTemplateSpec }
  | { action: 'refuse'; reason: string };

/**
 * Decides whether `candidate` may be published next to the app's `existing` versions: a new version
 * must be greater (SemVer precedence) than every existing one; an existing version is accepted only
 * with the same content (re-running a publish is a no-op).
 */
export function decidePublish(
  candidate: AppTemplateSpec,
  existing: readonly AppTemplateSpec[],
): PublishDecision {
  const same = existing.filter((t) => t.app === candidate.app);
  const twin = same.find((t) => t.version === candidate.version);
  if (twin) {
    if (publishedContent(twin) === publishedContent(candidate))
      return { action: 'unchanged', existing: twin };
    return {
      action: 'refuse',
      reason: `${candidate.app} ${candidate.version} exists with other content; a published version never changes: publish a greater version`,
    };
  }
  const sorted = [...same].sort((a, b) => semver.rcompare(a.version, b.version));
  const highest = sorted[0];
  if (highest && !semver.gt(candidate.version, highest.version)) {
    return {
      action: 'refuse',
      reason: `version ${candidate.version} is not greater than ${candidate.app}'s existing ${highest.version} (versions: ${[
        ...same,
      ]
        .map((t) => t.version)
        .sort(semver.compare)
        .join(', ')})`,
    };
  }
  return { action: 'create', ...(highest ? { previous: highest } : {}) };
}

/**
 * The template spec of the new version: captured components and parameters, the details given now,
 * else the previous version's details (release notes are per version and never carried over).
 */
export function composeSpec(args: {
  app: string;
  version: string;
  captured: Pick<AppTemplateSpec, 'components' | 'parameters'>;
  details: AppDetails;
  previous?: AppTemplateSpec;
  publication?: Publication;
}): AppTemplateSpec {
  const { details, previous } = args;
  const pick = <K extends keyof AppDetails>(key: K) =>
    details[key] ?? previous?.[key as keyof AppTemplateSpec];
  const spec = {
    app: args.app,
    version: args.version,
    displayName: pick('displayName'),
    description: pick('description'),
    icon: pick('icon'),
    categories: pick('categories'),
    maintainers: pick('maintainers'),
    releaseNotes: details.releaseNotes,
    components: args.captured.components,
    parameters: args.captured.parameters?.length ? args.captured.parameters : undefined,
    publication: args.publication,
  };
  return JSON.parse(JSON.stringify(spec)) as AppTemplateSpec;
}

/** The spec's problems as a template: schema, names, DAG, parameter references. */
export function publishProblems(spec: AppTemplateSpec): Problem[] {
  const object = `AppTemplate/${templateName(spec.app, spec.version)}`;
  const parsed = appTemplateSpecSchema.safeParse(spec);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({
      object,
      field: `spec.${i.path.join('.')}`,
      message: i.message,
    }));
  }
  return templateSpecProblems(object, parsed.data);
}

export function templateObject(spec: AppTemplateSpec, origin: TemplateOrigin): AppTemplate {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'AppTemplate',
    metadata: {
      name: templateName(spec.app, spec.version),
      labels: { 'app.kubernetes.io/name': spec.app, [LABEL_ORIGIN]: origin },
    },
    spec,
  } as AppTemplate;
}

/** Release notes of the versions an upgrade from `from` to `to` passes, lowest first (to included, from not). */
export function notesBetween(
  templates: readonly AppTemplateSpec[],
  from: string,
  to: string,
): { version: string; notes: string }[] {
  return templates
    .filter((t) => semver.gt(t.version, from) && semver.lte(t.version, to) && t.releaseNotes)
    .sort((a, b) => semver.compare(a.version, b.version))
    .map((t) => ({ version: t.version, notes: t.releaseNotes! }));
}

export interface SpecChange {
  what: string;
  change: 'Added' | 'Removed' | 'Changed';
}

/** Changes outside the components (which the upgrade plan shows): parameters and app details. */
export function specChanges(from: AppTemplateSpec | undefined, to: AppTemplateSpec): SpecChange[] {
  const changes: SpecChange[] = [];
  const before = new Map((from?.parameters ?? []).map((p) => [p.name, canonicalJson(p)]));
  const after = new Map((to.parameters ?? []).map((p) => [p.name, canonicalJson(p)]));
  for (const [name, p] of after) {
    if (!before.has(name)) changes.push({ what: `parameter ${name}`, change: 'Added' });
    else if (before.get(name) !== p) changes.push({ what: `parameter ${name}`, change: 'Changed' });
  }
  for (const name of before.keys())
    if (!after.has(name)) changes.push({ what: `parameter ${name}`, change: 'Removed' });
  for (const key of ['displayName', 'description', 'icon', 'categories', 'maintainers'] as const) {
    const a = from?.[key] === undefined ? undefined : canonicalJson(from[key]);
    const b = to[key] === undefined ? undefined : canonicalJson(to[key]);
    if (a === b) continue;
    changes.push({ what: key, change: a === undefined ? 'Added' : b === undefined ? 'Removed' : 'Changed' });
  }
  return changes;
}
