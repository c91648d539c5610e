import type { AppRevision } from '../../../api/index.js';
import { Reason } from '../../../api/index.js';
import type { KubeObject } from '../../../kube/client.js';
import { canonicalJson } from '../../../model/canonical.js';
import { describeRevision } from '../../../model/revisions.js';
import { rfc3339 } from '../../../model/time.js';
import { ROLLOUT_POLL_MS } from '../../context.js';
import type { ControllerContext } from '../../context.js';
import { updateRevisionStatus } from '../revisions.js';
import { replaceRevision } from '../work.js';
import { stepRevision } from '../step-revision.js';
import type { ActionResult, InstallWork } from '../work.js';

const FAILURE_REASON = {
  Install: Reason.InstallFailed,
  Upgrade: Reason.UpgradeFailed,
  Rollback: Reason.RollbackFailed,
  ConfigChange: Reason.ConfigChangeFailed,
  ParameterChange: Reason.ParameterChangeFailed,
} as const;

/**
 * Advances the rollout of the active revision and records its outcome. After an outcome the
 * reconciler decides again (a failure may be rolled back automatically, a success supersedes the
 * revisions before it).
 */
export async function continueRevision(
  ctx: ControllerContext,
  work: InstallWork,
  revision: AppRevision,
): Promise<ActionResult> {
  const status = structuredClone(
    revision.status ?? { outcome: 'Progressing' as const, startedAt: rfc3339(ctx.now()) },
  );
  const before = canonicalJson(status);
  const result = await stepRevision(ctx, work.install, revision, ctx.cache.contentOf(revision), status);

  if (result.state === 'progressing') {
    status.message = result.message;
    if (canonicalJson(status) === before) return { requeueAfterMs: ROLLOUT_POLL_MS };
    // progress that only moves (levels, messages) is held in memory and written with the next write
    // that matters (progress.ts); the outcome below is always written
    if (ctx.progress.mustWrite(revision, revision.status, status))
      await updateRevisionStatus(ctx, work, revision, status);
    else replaceRevision(work, { ...revision, status });
    return { requeueAfterMs: ROLLOUT_POLL_MS };
  }
  status.outcome = result.state === 'succeeded' ? 'Succeeded' : 'Failed';
  status.finishedAt = rfc3339(ctx.now());
  if (result.state === 'failed') {
    status.message = result.message;
    status.reason = result.reason ?? FAILURE_REASON[revision.spec.cause];
  } else {
    delete status.message;
    delete status.reason;
  }
  const done = await updateRevisionStatus(ctx, work, revision, status);
  ctx.metrics.upgrades.inc({ cause: revision.spec.cause, outcome: status.outcome });
  const what = describeRevision(done);

  if (result.state === 'succeeded') {
    await supersedeEarlier(ctx, work, done);
    work.log.info({ revision: done.spec.revision }, `${what} succeeded`);
    await ctx.events.record(work.install as KubeObject, 'Normal', Reason.Succeeded, `${what} succeeded`);
  } else {
    work.log.info(
      { revision: done.spec.revision, reason: status.reason },
      `${what} failed: ${result.message}`,
    );
    await ctx.events.record(
      work.install as KubeObject,
      'Warning',
      Reason.Failed,
      `${what} failed: ${result.message}`,
    );
  }
  return { again: true };
}

async function supersedeEarlier(
  ctx: ControllerContext,
  work: InstallWork,
  current: AppRevision,
): Promise<void> {
  for (const r of [...work.revisions]) {
    if (r.spec.revision < current.spec.revision && r.status?.outcome === 'Succeeded') {
      await updateRevisionStatus(ctx, work, r, { ...r.status, outcome: 'Superseded' });
    }
  }
}
