import type { AppRevisionStatus } from '../../api/index.js';
import { comparePlan } from '../../model/plan.js';
import type { RevisionContent } from '../../model/snapshot.js';
import type { RevisionDraft, SiteInputs } from './draft.js';
import { draftDigest, revisionContent } from './draft.js';

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
    plan: comparePlan(current.effective, effective, { notApplied: [], retained }),
  };
}
