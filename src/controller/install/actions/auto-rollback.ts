import type { AppRevision } from '../../../api/index.js';
import type { RevisionDraft } from '../../../model/drafts.js';
import { ANNOTATION_AUTO_ROLLBACK_OF } from '../../../model/revisions.js';
import type { ControllerContext } from '../../context.js';
import { beginRevision } from '../revisions.js';
import type { ActionResult, InstallWork } from '../work.js';

/**
 * Restores the last good revision after a failed one (upgradePolicy.autoRollback). The new revision
 * keeps the failed one's cause, so the AppUpgrade that caused it reports RolledBack.
 */
export async function autoRollback(
  ctx: ControllerContext,
  work: InstallWork,
  failed: AppRevision,
  draft: RevisionDraft,
): Promise<ActionResult> {
  const revision = await beginRevision(ctx, work, draft, failed.spec.causeRef, {
    [ANNOTATION_AUTO_ROLLBACK_OF]: String(failed.spec.revision),
  });
  work.log.info(
    { revision: revision.spec.revision, failed: failed.spec.revision, restored: draft.restoredRevision },
    `revision ${failed.spec.revision} failed; rolling back automatically to revision ${draft.restoredRevision}`,
  );
  return { again: true };
}
