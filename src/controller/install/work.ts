import type { AppInstall, AppRevision, AppTemplate } from '../../api/index.js';
import type { SpecProblem } from '../../model/install-status.js';
import type { Logger } from '../runtime/logger.js';

/** What one reconcile of an AppInstall knows and has changed so far; the status is computed from it. */
export interface InstallWork {
  install: AppInstall;
  /** Oldest first; actions append the revisions they create and replace the ones whose status they write. */
  revisions: AppRevision[];
  templates: Map<string, AppTemplate>;
  lastAppliedSpecDigest?: string;
  /** lastAppliedSpecDigest as the cached install had it when this reconcile began. */
  startedWithSpecDigest?: string;
  generation?: number;
  /** Set when this reconcile changed the AppInstall itself (spec.version), for the status precondition. */
  resourceVersion?: string;
  problem?: SpecProblem;
  /** This reconcile asked for a rollout slot and waits in line for one. */
  waitsForSlot?: boolean;
  log: Logger;
}

/** What an action asks for next: another decision in this reconcile, or a later look. */
export interface ActionResult {
  again?: boolean;
  requeueAfterMs?: number;
}

/** Replaces a revision in the work list with its updated copy. */
export function replaceRevision(work: InstallWork, updated: AppRevision): void {
  const i = work.revisions.findIndex((r) => r.spec.revision === updated.spec.revision);
  if (i >= 0) work.revisions[i] = updated;
}
