import type {
  AppTemplateSpec,
  ComponentOverride,
  ParameterValue,
  RevisionCause,
  UpgradePlan,
} from '../api/index.js';
import type { AppRevisionStatus } from '../api/index.js';
import { hooksToRun, withHooks } from './hooks.js';
import { comparePlan, planUpgrade } from './plan.js';
import type { RevisionContent } from './snapshot.js';
import { inputsDigest, storableParameters } from './snapshot.js';

/** A revision about to be created: what it applies, why, and the plan from the current state. */
export interface RevisionDraft {
  cause: RevisionCause;
  version: string;
  content: RevisionContent;
  inputsDigest: string;
  plan: UpgradePlan;
  restoredRevision?: number;
  /** ParameterChange: the parameters whose Secret content changed. */
  changedParameters?: string[];
}

/** The site inputs of a change: what the AppInstall spec says now. */
export interface SiteInputs {
  parameters?: ParameterValue[];
  overrides?: ComponentOverride[];
  imagePullSecrets?: { name: string }[];
}

export const secretParameterNames = (spec: AppTemplateSpec) =>
  new Set((spec.parameters ?? []).filter((p) => p.secret).map((p) => p.name));

export function revisionContent(
  template: AppTemplateSpec,
  effective: AppTemplateSpec,
  site: SiteInputs,
  extra: Partial<Pick<RevisionContent, 'retained' | 'prune' | 'components'>> = {},
): RevisionContent {
  return {
    template,
    effective,
    parameters: storableParameters(site.parameters ?? [], secretParameterNames(effective)),
    overrides: site.overrides ?? [],
    retained: extra.retained ?? [],
    prune: extra.prune ?? [],
    ...(extra.components ? { components: extra.components } : {}),
    ...(site.imagePullSecrets?.length ? { imagePullSecrets: site.imagePullSecrets.map((s) => s.name) } : {}),
  };
}

export const draftDigest = (version: string, site: SiteInputs, components?: readonly string[]) =>
  inputsDigest({
    version,
    parameters: site.parameters,
    overrides: site.overrides,
    components,
    imagePullSecrets: site.imagePullSecrets,
  });

/** The first revision of an install: the template as it is, with the site's parameters and overrides. */
export function draftInstall(template: AppTemplateSpec, site: SiteInputs): RevisionDraft {
  const empty: AppTemplateSpec = { ...template, components: [] };
  return {
    cause: 'Install',
    version: template.version,
    content: revisionContent(template, template, site),
    inputsDigest: draftDigest(template.version, site),
    plan: withHooks(comparePlan(empty, template), hooksToRun(template, 'Install')),
  };
}

/**
 * Moves the current state to a template version (up, or down when allowed), preserving site
 * configuration (DESIGN §3 rule 1); with `components`, only those components take the new template.
 */
export function draftUpgrade(
  current: RevisionContent,
  template: AppTemplateSpec,
  site: SiteInputs,
  components?: string[],
): RevisionDraft {
  const result = planUpgrade(current.effective, template, { components });
  return {
    cause: 'Upgrade',
    version: template.version,
    content: revisionContent(template, result.spec, site, { retained: result.plan.retained, components }),
    inputsDigest: draftDigest(template.version, site, components),
    plan: result.plan,
  };
}

/** Same version, new parameters or overrides: the effective spec stays, the site inputs change. */
export function draftConfigChange(current: RevisionContent, site: SiteInputs): RevisionDraft {
  const plan = comparePlan(current.effective, current.effective, {
    notApplied: [],
    retained: current.retained,
  });
  return {
    cause: 'ConfigChange',
    version: current.effective.version,
    content: revisionContent(current.template, current.effective, site, {
      retained: current.retained,
      components: current.components,
    }),
    inputsDigest: draftDigest(current.effective.version, site),
    plan: withHooks(plan, hooksToRun(current.effective, 'ConfigChange')),
  };
}

/**
 * Same spec, but a parameter Secret it reads changed content: the current revision's content again,
 * so the components that use that Secret are re-rendered and roll (the others render the same).
 */
export function draftParameterChange(
  current: RevisionContent,
  site: SiteInputs,
  changedParameters: readonly string[] = [],
): RevisionDraft {
  return {
    ...draftConfigChange(current, site),
    cause: 'ParameterChange',
    ...(changedParameters.length ? { changedParameters: [...changedParameters] } : {}),
  };
}

export interface RevisionSummary {
  revision: number;
  outcome?: AppRevisionStatus['outcome'];
}

export type RollbackTarget = { ok: true; revision: number } | { ok: false; reason: string };

const successful = (r: RevisionSummary) => r.outcome === 'Succeeded' || r.outcome === 'Superseded';

/** The revision a rollback restores: the one asked for, or the last successful one before `from`. */
export function resolveRollbackTarget(
  revisions: readonly RevisionSummary[],
  from: number,
  requested?: number,
): RollbackTarget {
  const kept = () =>
    revisions
      .map((r) => r.revision)
      .sort((a, b) => a - b)
      .join(', ') || 'none';
  if (requested !== undefined) {
    const found = revisions.find((r) => r.revision === requested);
    if (!found)
      return { ok: false, reason: `revision ${requested} does not exist (kept revisions: ${kept()})` };
    if (found.outcome === 'Progressing')
      return { ok: false, reason: `revision ${requested} is still in progress` };
    return { ok: true, revision: requested };
  }
  const previous = revisions
    .filter((r) => r.revision < from && successful(r))
    .sort((a, b) => b.revision - a.revision)[0];
  if (!previous)
    return {
      ok: false,
      reason: `no successful revision before revision ${from} (kept revisions: ${kept()})`,
    };
  return { ok: true, revision: previous.revision };
}

/**
 * Re-applies a recorded revision as a new one. Components the current state has and the target lacks
 * are retained (listed) unless pruning is asked for; their PVCs are never deleted either way.
 */
export function draftRollback(
  current: RevisionContent,
  target: { revision: number; content: RevisionContent },
  site: SiteInputs,
  prune: boolean,
): RevisionDraft {
  const targetNames = new Set(target.content.effective.components.map((c) => c.name));
  const added = current.effective.components.filter((c) => !targetNames.has(c.name));
  const effective = {
    ...target.content.effective,
    components: [...target.content.effective.components, ...(prune ? [] : added)],
  };
  const retained = prune ? [] : added.map((c) => c.name);
  return {
    cause: 'Rollback',
    version: target.content.effective.version,
    restoredRevision: target.revision,
    content: revisionContent(target.content.template, effective, site, {
      retained: [...new Set([...target.content.retained, ...retained])],
      prune: prune ? added.map((c) => c.name) : [],
    }),
    inputsDigest: draftDigest(target.content.effective.version, site),
    plan: withHooks(
      comparePlan(current.effective, effective, { notApplied: [], retained }),
      hooksToRun(effective, 'Rollback'),
    ),
  };
}
