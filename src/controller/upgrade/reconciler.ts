import type { AppRevision, AppUpgrade, AppUpgradeStatus, ComponentProgress } from '../../api/index.js';
import { Reason } from '../../api/index.js';
import { resolveRollbackTarget } from '../../model/drafts.js';
import { planUpgrade } from '../../model/plan.js';
import { isTerminal, planUpgradeRequest, producedBy } from '../../model/requests.js';
import type { ContentOf } from '../../model/revisions.js';
import { activeRevision, isAutoRollback } from '../../model/revisions.js';
import { rfc3339 as iso } from '../../model/time.js';
import type { ControllerContext } from '../context.js';
import { reportInvalidObject } from '../invalid-object.js';
import type { PhaseMeaning } from '../request-status.js';
import { setRequestPhase, writeRequestStatus } from '../request-status.js';

type Phase = NonNullable<AppUpgradeStatus['phase']>;

/**
 * Reports an AppUpgrade: its plan while it waits (recomputed as the install moves), then the progress
 * and outcome of the revision it produced. The install controller is the only one that starts it, so
 * two upgrades of one install can never run at once.
 */
export async function reconcileUpgrade(
  ctx: ControllerContext,
  key: string,
): Promise<{ requeueAfterMs?: number } | void> {
  const found = ctx.cache.upgrades.get(key);
  if (!found) return;
  if (!found.ok) return reportInvalidObject(ctx, found.raw, found.problem);
  const upgrade = found.object;
  if (isTerminal(upgrade) && upgrade.status?.observedGeneration === upgrade.metadata.generation) return;

  const status: AppUpgradeStatus = structuredClone(upgrade.status ?? {});
  const namespace = upgrade.metadata.namespace!;
  const installFound = ctx.cache.installs.get(`${namespace}/${upgrade.spec.install}`);
  const install = installFound?.ok ? installFound.object : undefined;
  if (!install) {
    setPhase(
      ctx,
      upgrade,
      status,
      'Pending',
      Reason.InstallNotFound,
      `AppInstall ${namespace}/${upgrade.spec.install} not found`,
    );
    return write(ctx, upgrade, status);
  }
  const revisions = ctx.cache.revisionsOf(namespace, install.metadata.name, install.metadata.uid);
  const produced = producedBy(revisions, upgrade.metadata.uid);
  if (produced.length)
    reportExecution(
      ctx,
      upgrade,
      status,
      produced,
      revisions,
      willRollBack(install.spec.upgradePolicy.autoRollback, revisions),
      ctx.cache.contentOf,
    );
  else {
    const plan = planUpgradeRequest(
      install,
      revisions,
      ctx.cache.templatesOf(install.spec.app),
      upgrade,
      ctx.cache.contentOf,
    );
    if (!plan.ok && plan.reason === Reason.InstallNotFound) {
      setPhase(ctx, upgrade, status, 'Pending', plan.reason, plan.message);
    } else if (!plan.ok) {
      setPhase(ctx, upgrade, status, 'Failed', plan.reason, plan.message);
      status.finishedAt ??= iso(ctx.now());
    } else {
      status.plan = plan.draft.plan;
      status.fromVersion = plan.draft.plan.fromVersion;
      status.toVersion = plan.draft.version;
      status.fromRevision = revisions.at(-1)?.spec.revision;
      const active = activeRevision(revisions);
      if (upgrade.spec.approval === 'Manual' && !upgrade.spec.approved) {
        setPhase(
          ctx,
          upgrade,
          status,
          'WaitingForApproval',
          Reason.WaitingForApproval,
          'plan ready; set spec.approved: true to start',
        );
      } else if (active) {
        const by = active.spec.causeRef ? ` (${active.spec.causeRef.kind} ${active.spec.causeRef.name})` : '';
        setPhase(
          ctx,
          upgrade,
          status,
          'Planned',
          Reason.WaitingForOtherOperation,
          `waiting: revision ${active.spec.revision}${by} is in progress on ${install.metadata.name}`,
        );
      } else {
        setPhase(ctx, upgrade, status, 'Planned', Reason.Planned, 'plan ready; starting');
        ctx.enqueue('install', `${namespace}/${install.metadata.name}`);
      }
    }
  }
  return write(ctx, upgrade, status);
}

/** The plan of an upgrade that started before it was planned here (Automatic approval), from its revisions. */
function recordedPlan(main: AppRevision, revisions: readonly AppRevision[], contentOf: ContentOf) {
  const before = revisions.filter((r) => r.spec.revision < main.spec.revision).at(-1);
  if (!before) return undefined;
  const content = contentOf(main);
  return planUpgrade(contentOf(before).effective, content.template, {
    components: content.components,
  }).plan;
}

/** Whether the install controller will roll a failed revision back on its own (then it is not final yet). */
function willRollBack(autoRollback: boolean, revisions: readonly AppRevision[]) {
  return (failed: AppRevision) =>
    autoRollback &&
    resolveRollbackTarget(
      revisions.map((r) => ({ revision: r.spec.revision, outcome: r.status?.outcome })),
      failed.spec.revision,
    ).ok;
}

function reportExecution(
  ctx: ControllerContext,
  upgrade: AppUpgrade,
  status: AppUpgradeStatus,
  produced: AppRevision[],
  revisions: readonly AppRevision[],
  rollsBack: (failed: AppRevision) => boolean,
  contentOf: ContentOf,
): void {
  const main = produced.find((r) => !isAutoRollback(r))!;
  const rollback = produced.find(isAutoRollback);
  status.plan ??= recordedPlan(main, revisions, contentOf);
  status.revision = main.spec.revision;
  status.toVersion = main.spec.version;
  status.startedAt ??= main.status?.startedAt;
  status.components = (main.status?.components ?? []) as ComponentProgress[];
  const outcome = main.status?.outcome ?? 'Progressing';
  if (outcome === 'Progressing') {
    setPhase(ctx, upgrade, status, 'Progressing', Reason.Upgrading, main.status?.message ?? 'starting');
  } else if (outcome === 'Failed' && rollback) {
    const done = rollback.status?.outcome === 'Succeeded';
    status.finishedAt = done ? rollback.status?.finishedAt : undefined;
    setPhase(
      ctx,
      upgrade,
      status,
      done ? 'RolledBack' : 'Progressing',
      done ? Reason.RolledBack : Reason.RollingBack,
      `${main.status?.message}; ${done ? 'rolled back' : 'rolling back'} to revision ${rollback.spec.restoredRevision} as revision ${rollback.spec.revision}`,
    );
  } else if (outcome === 'Failed' && rollsBack(main)) {
    setPhase(
      ctx,
      upgrade,
      status,
      'Progressing',
      Reason.RollingBack,
      `${main.status?.message}; rolling back automatically`,
    );
  } else if (outcome === 'Failed') {
    status.finishedAt = main.status?.finishedAt;
    setPhase(
      ctx,
      upgrade,
      status,
      'Failed',
      main.status?.reason ?? Reason.UpgradeFailed,
      main.status?.message ?? 'failed',
    );
  } else {
    status.finishedAt = main.status?.finishedAt;
    setPhase(
      ctx,
      upgrade,
      status,
      'Succeeded',
      Reason.UpgradeSucceeded,
      `upgraded to ${main.spec.version} as revision ${main.spec.revision}`,
    );
  }
}

const MEANING: Record<Phase, PhaseMeaning> = {
  Pending: { succeeded: false, reconciling: true, stalled: false },
  Planned: { succeeded: false, reconciling: true, stalled: false },
  WaitingForApproval: { succeeded: false, reconciling: false, stalled: false },
  Progressing: { succeeded: false, reconciling: true, stalled: false },
  Succeeded: { succeeded: true, reconciling: false, stalled: false },
  Failed: { succeeded: false, reconciling: false, stalled: true },
  RolledBack: { succeeded: false, reconciling: false, stalled: true },
};

function setPhase(
  ctx: ControllerContext,
  upgrade: AppUpgrade,
  status: AppUpgradeStatus,
  phase: Phase,
  reason: string,
  message: string,
): void {
  setRequestPhase(ctx, { ...upgrade, kind: 'AppUpgrade' }, status, phase, MEANING[phase], reason, message);
}

const write = (ctx: ControllerContext, upgrade: AppUpgrade, status: AppUpgradeStatus) =>
  writeRequestStatus(ctx, { ...upgrade, kind: 'AppUpgrade' }, status);
