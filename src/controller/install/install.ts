import type { AppTemplateSpec } from '../../api/index.js';
import { comparePlan } from '../../model/plan.js';
import type { RevisionDraft, SiteInputs } from './draft.js';
import { draftDigest, revisionContent } from './draft.js';

/** The first revision of an install: the template as it is, with the site's parameters and overrides. */
export function draftInstall(template: AppTemplateSpec, site: SiteInputs): RevisionDraft {
  const empty: AppTemplateSpec = { ...template, components: [] };
  return {
    cause: 'Install',
    version: template.version,
    content: revisionContent(template, template, site),
    inputsDigest: draftDigest(template.version, site),
    plan: comparePlan(empty, template),
  };
}
