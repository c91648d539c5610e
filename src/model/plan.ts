import fastJsonPatch from 'fast-json-patch';
import type { AppTemplateSpec, Component, ComponentChange, JsonPatchOp, UpgradePlan } from '../api/index.js';
import { canonicalJson } from './canonical.js';
import { hooksToRun, withHooks } from './hooks.js';
import { dependencyLevels } from './order.js';
import type { PreserveOptions } from './preserve.js';
import { preserve } from './preserve.js';
import { securityRelaxations } from './security.js';

export interface PlanResult {
  plan: UpgradePlan;
  /** The effective spec the upgrade will apply. */
  spec: AppTemplateSpec;
  /** Components left out of a partial upgrade. */
  skipped: string[];
}

/**
 * The upgrade from the applied effective spec to a new template: what is added, removed or changed
 * (with a field-level JSON patch per component), what preserved site configuration keeps out, and the
 * dependency levels that give the rollout order.
 */
export function planUpgrade(
  applied: AppTemplateSpec,
  next: AppTemplateSpec,
  options: PreserveOptions = {},
): PlanResult {
  const preserved = preserve(applied, next, options);
  const plan = comparePlan(applied, preserved.spec, {
    notApplied: preserved.notApplied,
    retained: preserved.retained,
  });
  return {
    plan: withHooks(plan, hooksToRun(preserved.spec, 'Upgrade', options.components)),
    spec: preserved.spec,
    skipped: preserved.skipped,
  };
}

/**
 * Compares two effective specs as they are (no preservation): used for rollbacks, which restore a
 * recorded state exactly, and by planUpgrade after preservation.
 */
export function comparePlan(
  from: AppTemplateSpec,
  to: AppTemplateSpec,
  extra: Pick<UpgradePlan, 'notApplied' | 'retained'> = { notApplied: [], retained: [] },
): UpgradePlan {
  const levels = dependencyLevels(to.components);
  const levelOf = new Map(levels.flatMap((names, level) => names.map((n) => [n, level] as const)));
  const fromByName = new Map(from.components.map((c) => [c.name, c]));
  const toNames = new Set(to.components.map((c) => c.name));

  const components: ComponentChange[] = to.components.map((component) => {
    const before = fromByName.get(component.name);
    const level = levelOf.get(component.name);
    const relaxed = securityRelaxations(component.securityContext);
    const security = relaxed.length ? { securityRelaxations: relaxed } : {};
    if (!before) {
      return { name: component.name, change: 'Added', level, toImage: component.image, ...security };
    }
    const patch = componentPatch(before, component);
    return {
      name: component.name,
      change: patch.length ? 'Changed' : 'Unchanged',
      level,
      fromImage: before.image,
      toImage: component.image,
      ...(patch.length ? { patch } : {}),
      ...security,
    };
  });
  for (const before of from.components) {
    if (!toNames.has(before.name))
      components.push({ name: before.name, change: 'Removed', fromImage: before.image });
  }
  return {
    fromVersion: from.version,
    toVersion: to.version,
    levels,
    components,
    notApplied: extra.notApplied,
    retained: extra.retained,
  };
}

/** JSON patch between two components, with named lists turned into maps so paths read /env/LOG_LEVEL. */
export function componentPatch(from: Component, to: Component): JsonPatchOp[] {
  const before = diffable(from);
  const ops = fastJsonPatch.compare(before, diffable(to));
  return ops.map((op) => {
    const out: JsonPatchOp = { op: op.op as JsonPatchOp['op'], path: op.path };
    if ('from' in op) out.from = op.from;
    if ('value' in op) out.value = JSON.stringify(op.value);
    if (op.op === 'replace' || op.op === 'remove') {
      out.previous = JSON.stringify(fastJsonPatch.getValueByPointer(before, op.path));
    }
    return out;
  });
}

const byName = <T extends { name: string }>(list: readonly T[] | undefined) =>
  list ? Object.fromEntries(list.map(({ name, ...rest }) => [name, rest])) : undefined;
const envMap = (env: Component['env']) =>
  env ? Object.fromEntries(env.map((e) => [e.name, e.value])) : undefined;

/** Init containers and sidecars by name, with their env and config files by name too. */
const containersByName = (list: Component['sidecars']) =>
  list
    ? Object.fromEntries(
        list.map(({ name, env, configFiles, volumeMounts, ports, ...rest }) => [
          name,
          {
            ...rest,
            ports: byName(ports),
            env: envMap(env),
            configFiles: byName(configFiles),
            volumeMounts: volumeMounts
              ? Object.fromEntries(volumeMounts.map(({ volume, ...m }) => [volume, m]))
              : undefined,
          },
        ]),
      )
    : undefined;

function diffable(component: Component): object {
  const {
    name: _name,
    env,
    ports,
    configFiles,
    volumes,
    routes,
    initContainers,
    sidecars,
    ...rest
  } = component;
  // Round-trip through canonical JSON: key order and undefined members never show up as changes.
  return JSON.parse(
    canonicalJson({
      ...rest,
      env: envMap(env),
      ports: byName(ports),
      configFiles: byName(configFiles),
      volumes: byName(volumes),
      routes: byName(routes),
      initContainers: containersByName(initContainers),
      sidecars: containersByName(sidecars),
    }),
  );
}
