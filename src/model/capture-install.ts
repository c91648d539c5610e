import type { AppInstall, Component, Parameter } from '../api/index.js';
import type { AppDetails } from './publish.js';
import type { RevisionContent } from './snapshot.js';

export interface InstallCapture {
  /** The app details of the template the install runs (not its release notes). */
  details?: AppDetails;
  components: Component[];
  parameters: Parameter[];
  uncaptured: string[];
  notes: string[];
}

const DIGEST = /@(sha256:[a-f0-9]{64})$/;

/** Why an install cannot be published from: not Ready, a change in progress, no successful revision. */
export function installNotPublishable(install: AppInstall): string | undefined {
  const ref = `AppInstall ${install.metadata.namespace}/${install.metadata.name}`;
  const s = install.status;
  const ready = s?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True')
    return `${ref} is not Ready (${ready ? `${ready.reason}: ${ready.message}` : 'no Ready condition yet'}); publish from an install whose current revision rolled out`;
  if (s?.operation)
    return `${ref} has a change in progress (revision ${s.operation.revision}); wait for it to end`;
  if (!s?.revision) return `${ref} has no applied revision yet`;
  if (s.observedGeneration !== install.metadata.generation)
    return `${ref}: the operator has not yet seen its latest spec (generation ${install.metadata.generation}); wait until it is Ready for it`;
  return undefined;
}

/**
 * The components and parameters of a new version from an install's applied revision: what was
 * applied (preserved site values included), with the install's overrides (env, config files,
 * replicas, resources) as the new defaults and non-secret parameter values as defaults. Images are
 * pinned by the digests the pods report (`digests`: component → sha256:…) when not pinned already.
 * Components the revision retains from an earlier version are not in its template: listed, left out.
 */
export function captureInstall(
  content: RevisionContent,
  digests: ReadonlyMap<string, string> = new Map(),
): InstallCapture {
  const t = content.template;
  const details = JSON.parse(
    JSON.stringify({
      displayName: t.displayName,
      description: t.description,
      icon: t.icon,
      categories: t.categories,
      maintainers: t.maintainers,
    }),
  ) as AppDetails;
  const out: InstallCapture = { details, components: [], parameters: [], uncaptured: [], notes: [] };
  const inTemplate = new Set(content.template.components.map((c) => c.name));
  for (const base of content.effective.components) {
    if (!inTemplate.has(base.name)) {
      out.uncaptured.push(
        `component ${base.name}: retained from an earlier version, not part of ${content.template.version}`,
      );
      continue;
    }
    const c: Component = structuredClone(base);
    const o = content.overrides.find((x) => x.component === c.name);
    if (o?.replicas !== undefined) c.replicas = o.replicas;
    if (o?.resources) c.resources = o.resources;
    for (const e of o?.env ?? []) {
      const env = (c.env ??= []);
      const existing = env.find((x) => x.name === e.name);
      if (existing) existing.value = e.value;
      else env.push({ name: e.name, value: e.value });
      out.notes.push(
        `${c.name}: env ${e.name} = ${JSON.stringify(e.value)} (the install's override) is the default now`,
      );
    }
    for (const f of o?.configFiles ?? []) {
      const file = c.configFiles?.find((x) => x.name === f.name);
      if (file) {
        file.content = f.content;
        out.notes.push(`${c.name}: config file ${f.name} from the install's override is the default now`);
      }
    }
    if (!DIGEST.test(c.image)) {
      const digest = digests.get(c.name);
      if (digest) c.image = `${c.image}@${digest}`;
      else
        out.notes.push(
          `${c.name}: image ${c.image} is not pinned by digest (no pod reports its digest); export pins it`,
        );
    }
    out.components.push(c);
  }
  const given = new Map(content.parameters.map((p) => [p.name, p]));
  for (const p of content.template.parameters ?? []) {
    const value = given.get(p.name);
    const plain = value && 'value' in value && value.value !== undefined ? value.value : undefined;
    if (plain !== undefined && !p.secret) {
      out.parameters.push({ ...p, default: plain });
      out.notes.push(`parameter ${p.name}: the install's value is the default now`);
    } else {
      out.parameters.push({ ...p });
    }
  }
  return out;
}
