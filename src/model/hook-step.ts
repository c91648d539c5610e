import type { HookProgress } from '../api/index.js';

/** What the operator sees of a hook's Job. */
export interface JobView {
  /** uid of the AppRevision that owns it (its controller owner reference). */
  ownerUid?: string;
  /** The Job's Complete condition is True. */
  complete: boolean;
  /** The Job's Failed condition, when True. */
  failed?: { reason: string; message: string };
  /** Pods still running. */
  active: number;
  /**
   * One of its pods exited successfully (phase Succeeded). A hook's Job has one completion, so that is
   * its success; the Job controller records it (Complete) only a second or more later.
   */
  podSucceeded?: boolean;
}

/** The next step of one hook; exactly one per look. */
export type HookStep =
  /** Already ended; nothing to do. */
  | { type: 'Done' }
  /** Its point of the rollout has come and no Job exists: create it (once: the name is fixed). */
  | { type: 'Create' }
  /** Its Job runs (found again after a restart, too): wait. */
  | { type: 'Wait'; message: string }
  | { type: 'Succeed' }
  | { type: 'Fail'; reason: 'HookFailed' | 'HookDeadlineExceeded'; message: string }
  /** A Job of that name belongs to something else (an earlier install of the same name): wait for it to go. */
  | { type: 'Blocked'; message: string };

/**
 * Decides a hook's next step from its recorded progress and its Job. A hook runs at most once per
 * revision: a Job is created only while the hook is Pending and none of that name exists; a Running
 * hook whose Job is gone fails rather than running again. Pure.
 */
export function nextHookStep(row: HookProgress, job: JobView | undefined, revisionUid: string): HookStep {
  if (row.state === 'Succeeded' || row.state === 'Failed') return { type: 'Done' };
  if (!job) {
    if (row.state === 'Pending') return { type: 'Create' };
    return {
      type: 'Fail',
      reason: 'HookFailed',
      message: `Job ${row.job} was deleted before it ended; it is not created again (a hook runs at most once per revision)`,
    };
  }
  if (job.ownerUid !== revisionUid) {
    if (row.state === 'Running')
      return {
        type: 'Fail',
        reason: 'HookFailed',
        message: `Job ${row.job} was replaced by one this revision did not create`,
      };
    return {
      type: 'Blocked',
      message: `waiting for Job ${row.job}, which another revision owns, to be deleted`,
    };
  }
  if (job.complete) return { type: 'Succeed' };
  if (job.failed) {
    return {
      type: 'Fail',
      reason: job.failed.reason === 'DeadlineExceeded' ? 'HookDeadlineExceeded' : 'HookFailed',
      message: `Job ${row.job} failed (${job.failed.reason}: ${job.failed.message})`,
    };
  }
  if (job.podSucceeded) return { type: 'Succeed' };
  return { type: 'Wait', message: `Job ${row.job} running (${job.active} pod(s) active)` };
}
