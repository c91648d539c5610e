import type { AppTemplateSpec } from '../../api/index.js';
import { comparePlan, planUpgrade } from '../../model/plan.js';
import type { RevisionContent } from '../../model/snapshot.js';
import type { RevisionDraft, SiteInputs } from './draft.js';
import { draftDigest, revisionContent } from './draft.js';

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
    plan,
  };
}
