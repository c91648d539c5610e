import type { AppTemplateSpec, Component, ExtraContainer, NotApplied } from '../api/index.js';
import { mergeHooks } from './hooks.js';

export interface PreserveOptions {
  /** Upgrade only these components; the others keep their applied configuration. */
  components?: readonly string[];
}

export interface PreserveResult {
  /** The effective spec to apply: the new template with the install's site values kept. */
  spec: AppTemplateSpec;
  /** Template changes kept out because the value is site configuration. */
  notApplied: NotApplied[];
  /** Applied components the new template no longer has; they stay (nothing is deleted implicitly). */
  retained: string[];
  /** New components left out because a partial upgrade did not name them. */
  skipped: string[];
}

const REMOVED = '(removed from template)';
const ABSENT = '(absent)';

/**
 * DESIGN §3 rule 1: env values, config file contents and volumes the install already has are kept;
 * new ones come with the new template's defaults; everything else (image, command, ports, probes…)
 * follows the new template. `applied` is the effective spec of the current revision.
 */
export function preserve(
  applied: AppTemplateSpec,
  next: AppTemplateSpec,
  options: PreserveOptions = {},
): PreserveResult {
  const only = options.components ? new Set(options.components) : undefined;
  const appliedByName = new Map(applied.components.map((c) => [c.name, c]));
  const nextNames = new Set(next.components.map((c) => c.name));
  const notApplied: NotApplied[] = [];
  const skipped: string[] = [];
  const components: Component[] = [];

  for (const component of next.components) {
    const current = appliedByName.get(component.name);
    if (only && !only.has(component.name)) {
      if (current) components.push(current);
      else skipped.push(component.name);
      continue;
    }
    components.push(current ? mergeComponent(current, component, notApplied) : component);
  }
  const retained = applied.components.filter((c) => !nextNames.has(c.name));
  components.push(...retained);

  const declared = new Map((next.parameters ?? []).map((p) => [p.name, p]));
  // Parameters the new template dropped stay declared: preserved values may still refer to them.
  for (const p of applied.parameters ?? []) if (!declared.has(p.name)) declared.set(p.name, p);

  const { hooks: _hooks, ...rest } = next;
  const hooks = mergeHooks(
    applied,
    next,
    only,
    components.map((c) => c.name),
  );
  return {
    spec: {
      ...rest,
      components,
      ...(declared.size ? { parameters: [...declared.values()] } : {}),
      ...(hooks ? { hooks } : {}),
    },
    notApplied,
    retained: retained.map((c) => c.name),
    skipped,
  };
}

function mergeComponent(current: Component, next: Component, notApplied: NotApplied[]): Component {
  const merged: Component = { ...next, ...mergeConfig(current, next, next.name, undefined, notApplied) };
  const volumes = mergeNamed(
    current.volumes,
    next.volumes,
    (a, b) => volumeText(a) === volumeText(b),
    (kept, proposed, name) =>
      notApplied.push({
        component: next.name,
        kind: 'Volume',
        name,
        installed: kept ? volumeText(kept) : ABSENT,
        template: proposed ? volumeText(proposed) : REMOVED,
      }),
  );
  setList(merged, 'env', merged.env);
  setList(merged, 'configFiles', merged.configFiles);
  setList(merged, 'volumes', volumes);
  for (const key of ['initContainers', 'sidecars'] as const) {
    if (!next[key]) continue;
    const before = new Map((current[key] ?? []).map((c) => [c.name, c]));
    // A container follows the template (image, command, mounts; dropped ones go); its env values and
    // config file contents are site configuration, preserved like the main container's.
    merged[key] = next[key].map((container) => {
      const kept = before.get(container.name);
      if (!kept) return container;
      const out: ExtraContainer = {
        ...container,
        ...mergeConfig(kept, container, next.name, container.name, notApplied),
      };
      if (!out.env?.length) delete out.env;
      if (!out.configFiles?.length) delete out.configFiles;
      return out;
    });
  }
  return merged;
}

type Configurable = Pick<Component, 'env' | 'configFiles'>;

/** Env values and config file contents of one container: kept when installed, new ones from the template. */
function mergeConfig(
  current: Configurable,
  next: Configurable,
  component: string,
  container: string | undefined,
  notApplied: NotApplied[],
): Configurable {
  const at = container ? { container } : {};
  const env = mergeNamed(
    current.env,
    next.env,
    (a, b) => a.value === b.value,
    (kept, proposed, name) =>
      notApplied.push({
        component,
        ...at,
        kind: 'Env',
        name,
        installed: kept?.value ?? ABSENT,
        template: proposed?.value ?? REMOVED,
      }),
  );
  const configFiles = mergeNamed(
    current.configFiles,
    next.configFiles,
    (a, b) => a.content === b.content,
    (kept, proposed, name) =>
      notApplied.push({
        component,
        ...at,
        kind: 'ConfigFile',
        name,
        installed: kept?.content ?? ABSENT,
        template: proposed?.content ?? REMOVED,
      }),
    // The file's place follows the template; its content is site configuration.
    (kept, proposed) => ({ ...kept, mountPath: proposed.mountPath }),
  );
  return { env, configFiles };
}

function setList<K extends 'env' | 'configFiles' | 'volumes'>(
  c: Component,
  key: K,
  list: Component[K],
): void {
  if (list && list.length) c[key] = list;
  else delete c[key];
}

const volumeText = (v: NonNullable<Component['volumes']>[number]) =>
  `${v.size} ${v.accessModes.join(',')}${v.storageClassName ? ` class=${v.storageClassName}` : ''} at ${v.mountPath}`;

/**
 * Keeps every item `current` has (in the new template's order, then the ones it dropped), adds the
 * new template's new items, and reports each kept item that the template changed or dropped.
 */
function mergeNamed<T extends { name: string }>(
  current: readonly T[] | undefined,
  next: readonly T[] | undefined,
  same: (a: T, b: T) => boolean,
  report: (kept: T | undefined, proposed: T | undefined, name: string) => void,
  adjust: (kept: T, proposed: T) => T = (kept) => kept,
): T[] {
  const currentByName = new Map((current ?? []).map((i) => [i.name, i]));
  const nextNames = new Set((next ?? []).map((i) => i.name));
  const out: T[] = [];
  for (const proposed of next ?? []) {
    const kept = currentByName.get(proposed.name);
    if (!kept) {
      out.push(proposed);
      continue;
    }
    if (!same(kept, proposed)) report(kept, proposed, proposed.name);
    out.push(adjust(kept, proposed));
  }
  for (const kept of current ?? []) {
    if (nextNames.has(kept.name)) continue;
    report(kept, undefined, kept.name);
    out.push(kept);
  }
  return out;
}
