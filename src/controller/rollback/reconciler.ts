import type { AppRollback, AppRollbackStatus, ComponentProgress } from '../../api/index.js';
import { Reason } from '../../api/index.js';
import { isTerminal, planRollbackRequest, producedBy } from '../../model/requests.js';
import { activeRevision } from '../../model/revisions.js';
import type { ControllerContext } from '../context.js';
import { reportInvalidObject } from '../invalid-object.js';
import type { PhaseMeaning } from '../request-status.js';
import { setRequestPhase, writeRequestStatus } from '../request-status.js';

type Phase = NonNullable<AppRollbackStatus['phase']>;

/** Reports an AppRollback: its plan while it waits, then the progress and outcome of its revision. */
export async function reconcileRollback(ctx: ControllerContext, key: string): Promise<void> {
  const found = ctx.cache.rollbacks.get(key);
  if (!found) return;
  if (!found.ok) return reportInvalidObject(ctx, found.raw, found.problem);
  const rollback = found.object;
  if (isTerminal(rollback) && rollback.status?.observedGeneration === rollback.metadata.generation) return;

  const status: AppRollbackStatus = structuredClone(rollback.status ?? {});
  const namespace = rollback.metadata.namespace!;
  const installFound = ctx.cache.installs.get(`${namespace}/${rollback.spec.install}`);
  const install = installFound?.ok ? installFound.object : undefined;
  if (!install) {
    setPhase(
      ctx,
      rollback,
      status,
      'Pending',
      Reason.InstallNotFound,
      `AppInstall ${namespace}/${rollback.spec.install} not found`,
    );
    return write(ctx, rollback, status);
  }
  const revisions = ctx.cache.revisionsOf(namespace, install.metadata.name, install.metadata.uid);
  const [revision] = producedBy(revisions, rollback.metadata.uid);
  if (revision) {
    const content = ctx.cache.contentOf(revision);
    status.revision = revision.spec.revision;
    status.toRevision = revision.spec.restoredRevision;
    status.startedAt ??= revision.status?.startedAt;
    status.components = (revision.status?.components ?? []) as ComponentProgress[];
    if (content.retained.length) status.retainedComponents = content.retained;
    if (content.prune.length) status.prunedComponents = content.prune;
    const outcome = revision.status?.outcome ?? 'Progressing';
    if (outcome === 'Progressing')
      setPhase(
        ctx,
        rollback,
        status,
        'Progressing',
        Reason.RollingBack,
        revision.status?.message ?? 'starting',
      );
    else {
      status.finishedAt = revision.status?.finishedAt;
      if (outcome === 'Failed')
        setPhase(
          ctx,
          rollback,
          status,
          'Failed',
          revision.status?.reason ?? Reason.RollbackFailed,
          revision.status?.message ?? 'failed',
        );
      else {
        const kept = content.retained.length
          ? `; kept components added since: ${content.retained.join(', ')}`
          : '';
        setPhase(
          ctx,
          rollback,
          status,
          'Succeeded',
          Reason.RollbackSucceeded,
          `restored revision ${revision.spec.restoredRevision} (${revision.spec.version}) as revision ${revision.spec.revision}${kept}`,
        );
      }
    }
    return write(ctx, rollback, status);
  }
  const plan = planRollbackRequest(install, revisions, rollback, ctx.cache.contentOf);
  if (!plan.ok) {
    setPhase(
      ctx,
      rollback,
      status,
      plan.reason === Reason.InstallNotFound ? 'Pending' : 'Failed',
      plan.reason,
      plan.message,
    );
    return write(ctx, rollback, status);
  }
  status.plan = plan.draft.plan;
  status.toRevision = plan.draft.restoredRevision;
  status.fromRevision = revisions.at(-1)?.spec.revision;
  const active = activeRevision(revisions);
  if (active) {
    setPhase(
      ctx,
      rollback,
      status,
      'Pending',
      Reason.WaitingForOtherOperation,
      `waiting: revision ${active.spec.revision} is in progress on ${install.metadata.name}`,
    );
  } else {
    setPhase(ctx, rollback, status, 'Pending', Reason.Planned, 'plan ready; starting');
    ctx.enqueue('install', `${namespace}/${install.metadata.name}`);
  }
  return write(ctx, rollback, status);
}

const MEANING: Record<Phase, PhaseMeaning> = {
  Pending: { succeeded: false, reconciling: true, stalled: false },
  Progressing: { succeeded: false, reconciling: true, stalled: false },
  Succeeded: { succeeded: true, reconciling: false, stalled: false },
  Failed: { succeeded: false, reconciling: false, stalled: true },
};

function setPhase(
  ctx: ControllerContext,
  rollback: AppRollback,
  status: AppRollbackStatus,
  phase: Phase,
  reason: string,
  message: string,
): void {
  setRequestPhase(ctx, { ...rollback, kind: 'AppRollback' }, status, phase, MEANING[phase], reason, message);
}

const write = (ctx: ControllerContext, rollback: AppRollback, status: AppRollbackStatus) =>
  writeRequestStatus(ctx, { ...rollback, kind: 'AppRollback' }, status);
