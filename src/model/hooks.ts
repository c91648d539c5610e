import type {
  AppTemplateSpec,
  Hook,
  HookProgress,
  PlanHook,
  RevisionCause,
  UpgradePlan,
} from '../api/index.js';
import { DEFAULT_HOOK_CAUSES } from '../api/index.js';
import { hookJobName } from './names.js';
import { dependencyLevels } from './order.js';

export type ScheduledHook = Hook & { level: number };

/**
 * The hooks a change of this cause runs, in the order it runs them: by the level of their component,
 * a level's Pre hooks before it and its Post hooks after it, in template order within one point. A
 * partial upgrade (`components`) runs only the hooks of the components it upgrades.
 */
export function hooksToRun(
  spec: AppTemplateSpec,
  cause: RevisionCause,
  components?: readonly string[],
): ScheduledHook[] {
  if (!spec.hooks?.length) return [];
  // a rotated parameter Secret is a configuration change from a hook's point of view
  const hookCause = cause === 'ParameterChange' ? 'ConfigChange' : cause;
  const levelOf = new Map(
    dependencyLevels(spec.components).flatMap((names, level) => names.map((n) => [n, level] as const)),
  );
  const only = cause === 'Upgrade' && components ? new Set(components) : undefined;
  const point = (h: ScheduledHook) => h.level * 2 + (h.phase === 'Post' ? 1 : 0);
  return spec.hooks
    .filter((h) => (h.causes ?? DEFAULT_HOOK_CAUSES).includes(hookCause))
    .filter((h) => levelOf.has(h.component) && (!only || only.has(h.component)))
    .map((h) => ({ ...h, level: levelOf.get(h.component)! }))
    .sort((a, b) => point(a) - point(b));
}

/** The plan's view of the hooks: what runs, where, with which image. */
export const planHooks = (hooks: readonly ScheduledHook[]): PlanHook[] =>
  hooks.map((h) => ({
    name: h.name,
    component: h.component,
    phase: h.phase,
    level: h.level,
    image: h.image,
  }));

/** The plan with the hooks the change runs (the field is left out when there are none). */
export function withHooks(plan: UpgradePlan, hooks: readonly ScheduledHook[]): UpgradePlan {
  return hooks.length ? { ...plan, hooks: planHooks(hooks) } : plan;
}

/** Progress rows of a revision's hooks, all Pending, each with its deterministic Job name. */
export function initialHookProgress(
  install: string,
  revision: number,
  hooks: readonly ScheduledHook[],
): HookProgress[] {
  return hooks.map((h) => ({
    name: h.name,
    component: h.component,
    phase: h.phase,
    level: h.level,
    job: hookJobName(install, revision, h.name),
    state: 'Pending' as const,
  }));
}

/**
 * The template's hooks for a partial upgrade: the new version's for the components it upgrades, the
 * applied ones for the others (a later rollback to this revision then finds the hooks that belong to
 * what it restores).
 */
export function mergeHooks(
  applied: AppTemplateSpec,
  next: AppTemplateSpec,
  only: ReadonlySet<string> | undefined,
  components: readonly string[],
): Hook[] | undefined {
  if (!only) return next.hooks;
  const present = new Set(components);
  const upgraded = (next.hooks ?? []).filter((h) => only.has(h.component));
  const names = new Set(upgraded.map((h) => h.name));
  const kept = (applied.hooks ?? []).filter(
    (h) => !only.has(h.component) && present.has(h.component) && !names.has(h.name),
  );
  const hooks = [...upgraded, ...kept];
  return hooks.length ? hooks : undefined;
}
