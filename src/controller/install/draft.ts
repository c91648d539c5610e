import type {
  AppTemplateSpec,
  ComponentOverride,
  ParameterValue,
  RevisionCause,
  UpgradePlan,
} from '../../api/index.js';
import type { RevisionContent } from '../../model/snapshot.js';
import { inputsDigest, storableParameters } from '../../model/snapshot.js';

/** A revision about to be created: what it applies, why, and the plan from the current state. */
export interface RevisionDraft {
  cause: RevisionCause;
  version: string;
  content: RevisionContent;
  inputsDigest: string;
  plan: UpgradePlan;
  restoredRevision?: number;
}

/** The site inputs of a change: what the AppInstall spec says now. */
export interface SiteInputs {
  parameters?: ParameterValue[];
  overrides?: ComponentOverride[];
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
  };
}

export const draftDigest = (version: string, site: SiteInputs, components?: readonly string[]) =>
  inputsDigest({ version, parameters: site.parameters, overrides: site.overrides, components });
