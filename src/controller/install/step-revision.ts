import type { AppInstall, AppRevision, AppRevisionStatus } from '../../api/index.js';
import { Reason } from '../../api/index.js';
import type { RenderedComponent } from '../../model/render.js';
import { hooksToRun, initialHookProgress } from '../../model/hooks.js';
import { initialProgress } from '../../model/revisions.js';
import { rolloutState } from '../../model/rollout.js';
import type { RolloutState } from '../../model/rollout.js';
import type { RevisionContent } from '../../model/snapshot.js';
import type { ControllerContext, Workload } from '../context.js';
import { StallingError, WaitingError } from '../errors.js';
import { rfc3339 as iso } from '../../model/time.js';
import { applyComponent, deleteComponent, renderInput, renderRevision, resolveParameters } from './apply.js';
import type { HookRendering } from './step-hooks.js';
import { hooksAt, runHookPoint } from './step-hooks.js';

export type StepResult =
  | { state: 'progressing'; message: string }
  | { state: 'succeeded' }
  | { state: 'failed'; reason?: string; message: string };

/**
 * Advances the rollout of a revision as far as the cluster allows, level by level: a level's
 * components are applied (at most maxParallelComponents rolling at once) and the next level starts
 * only when every component of this one has completely rolled out. Everything is derived from the
 * cluster and the revision's status, so a restarted operator resumes where it stopped and re-applying
 * an applied component writes nothing.
 */
export async function stepRevision(
  ctx: ControllerContext,
  install: AppInstall,
  revision: AppRevision,
  content: RevisionContent,
  status: AppRevisionStatus,
): Promise<StepResult> {
  const now = ctx.now();
  const policy = install.spec.upgradePolicy;
  const deadlineMs = policy.progressDeadlineSeconds * 1000;
  const namespace = install.metadata.namespace!;
  const number = revision.spec.revision;
  status.components ??= initialProgress(content);
  const progress = status.components;
  const levels = Math.max(...progress.map((p) => p.level)) + 1;

  if (!status.hooks) {
    const hooks = hooksToRun(content.effective, revision.spec.cause, content.components);
    if (hooks.length) status.hooks = initialHookProgress(install.metadata.name, number, hooks);
  }

  let parameters: Map<string, string> | undefined;
  const resolved = async () => (parameters ??= await resolveParameters(ctx, install, content));
  let rendered: Map<string, RenderedComponent> | undefined;
  const renderOnce = async () => (rendered ??= renderRevision(install, number, content, await resolved()));
  const rendering: HookRendering = {
    input: async () => renderInput(install, number, content, await resolved()),
    components: renderOnce,
  };
  const hookPoint = async (level: number, phase: 'Pre' | 'Post'): Promise<StepResult | undefined> => {
    const rows = hooksAt(status.hooks, level, phase);
    if (!rows.length) return undefined;
    const result = await runHookPoint(ctx, install, revision, content, rows, rendering, now);
    if (result.state === 'done') return undefined;
    if (result.state === 'failed') return result;
    return { state: 'progressing', message: `level ${level + 1}/${levels}: ${result.message}` };
  };
  const applied = new Map<string, Workload>();
  const failureReasons = new Map<string, string>();
  const stateOf = (name: string): RolloutState =>
    rolloutState(applied.get(name) ?? ctx.cache.workloadOf(namespace, install.metadata.name, name), number);

  for (let level = 0; level < levels; level++) {
    const rows = progress.filter((p) => p.level === level);
    const before = await hookPoint(level, 'Pre');
    if (before) return before;
    for (const row of rows) {
      if (row.state === 'Pending') {
        const rolling = rows.filter((r) => r.state === 'Progressing').length;
        if (rolling >= policy.maxParallelComponents) continue;
        row.state = 'Progressing';
        row.startedAt = iso(now);
      }
      if (row.state !== 'Progressing') continue;
      if (!stateOf(row.name).applied) {
        try {
          const component = (await renderOnce()).get(row.name)!;
          applied.set(row.name, await applyComponent(ctx, component));
        } catch (error) {
          // Refused objects fail the change at once; a missing Secret waits, within the deadline.
          if (error instanceof StallingError) {
            Object.assign(row, {
              state: 'Failed',
              finishedAt: iso(now),
              message: `could not be applied: ${error.message}`,
            });
            failureReasons.set(row.name, error.reason);
            continue;
          }
          if (!(error instanceof WaitingError)) throw error;
          row.message = error.message;
        }
      }
      const state = stateOf(row.name);
      if (state.complete) {
        row.state = 'Ready';
        row.finishedAt = iso(now);
        delete row.message;
      } else if (now.getTime() - Date.parse(row.startedAt!) > deadlineMs) {
        row.state = 'Failed';
        row.finishedAt = iso(now);
        row.message = `did not roll out within ${policy.progressDeadlineSeconds}s: ${row.message ?? state.message}`;
        failureReasons.set(row.name, Reason.ProgressDeadlineExceeded);
      } else if (state.applied) {
        row.message = state.message;
      }
    }
    const failed = rows.find((r) => r.state === 'Failed');
    if (failed) {
      // A row found Failed on a later pass (after a restart) no longer knows why.
      const reason = failureReasons.get(failed.name);
      return {
        state: 'failed',
        ...(reason ? { reason } : {}),
        message: `component ${failed.name} ${failed.message}`,
      };
    }
    if (rows.some((r) => r.state !== 'Ready')) {
      const waiting = rows
        .filter((r) => r.state !== 'Ready')
        .map((r) => `${r.name} (${r.message ?? r.state})`);
      return {
        state: 'progressing',
        message: `level ${level + 1}/${levels}: waiting for ${waiting.join(', ')}`,
      };
    }
    const after = await hookPoint(level, 'Post');
    if (after) return after;
  }
  for (const name of content.prune) await deleteComponent(ctx, namespace, install.metadata.name, name);
  return { state: 'succeeded' };
}
