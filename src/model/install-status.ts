import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type {
  AppInstall,
  AppInstallStatus,
  AppRevision,
  AppTemplate,
  ComponentStatus,
} from '../api/index.js';
import { ConditionType, LABEL_MARKET, LABEL_ORIGIN, Reason } from '../api/index.js';
import { newerVersions } from './choose.js';
import { componentState } from './component-state.js';
import { removeCondition, setCondition } from './conditions.js';
import type { ContentOf } from './revisions.js';
import { ANNOTATION_AUTO_ROLLBACK_OF, activeRevision, describeRevision, lastSucceeded } from './revisions.js';
import { rolloutState } from './rollout.js';

/** Why the install cannot move on; shown in Ready (and Stalled, unless it resolves by itself). */
export interface SpecProblem {
  reason: string;
  message: string;
  /** Resolves by itself (e.g. a Secret that will appear): Reconciling, not Stalled. */
  waiting?: boolean;
}

const PROGRESS_REASON = {
  Install: Reason.Installing,
  Upgrade: Reason.Upgrading,
  Rollback: Reason.RollingBack,
  ConfigChange: Reason.ApplyingConfigChange,
  ParameterChange: Reason.ApplyingParameterChange,
} as const;
const SUCCESS_REASON = {
  Install: Reason.InstallSucceeded,
  Upgrade: Reason.UpgradeSucceeded,
  Rollback: Reason.RollbackSucceeded,
  ConfigChange: Reason.ConfigChangeSucceeded,
  ParameterChange: Reason.ParameterChangeSucceeded,
} as const;
const FAILURE_REASON = {
  Install: Reason.InstallFailed,
  Upgrade: Reason.UpgradeFailed,
  Rollback: Reason.RollbackFailed,
  ConfigChange: Reason.ConfigChangeFailed,
  ParameterChange: Reason.ParameterChangeFailed,
} as const;

const HISTORY_ENTRIES = 10;

/** What the status of an install is computed from: all of it read before, nothing fetched here. */
export interface InstallStatusInputs {
  install: AppInstall;
  /** The stored status, with what this reconcile recorded (lastAppliedSpecDigest) merged in. */
  previous: AppInstallStatus;
  revisions: readonly AppRevision[];
  contentOf: ContentOf;
  workloadOf: (component: string) => (V1Deployment | V1StatefulSet) | undefined;
  /** Versions of valid templates of the app, oldest first. */
  versions: readonly string[];
  /** Where each version's template came from (templateOrigin); versions without one are manual. */
  origins?: ReadonlyMap<string, UpgradeOrigin>;
  generation: number | undefined;
  problem: SpecProblem | undefined;
  now: Date;
}

export type UpgradeOrigin = Omit<NonNullable<AppInstallStatus['availableUpgradeOrigins']>[number], 'version'>;

/** Where a template came from: the market that offers it, or its ferry.dev/origin label. */
export function templateOrigin(template: Pick<AppTemplate, 'metadata'>): UpgradeOrigin {
  const labels = template.metadata.labels ?? {};
  const origin = labels[LABEL_ORIGIN];
  if (origin === 'market')
    return labels[LABEL_MARKET] ? { origin, market: labels[LABEL_MARKET] } : { origin };
  return origin === 'import' || origin === 'publish' ? { origin } : { origin: 'manual' };
}

/** The whole status of an install, derived from its revisions, the workloads and the templates. */
export function computeInstallStatus(inputs: InstallStatusInputs): AppInstallStatus {
  const { install, previous, revisions, contentOf, versions, generation, problem, now } = inputs;
  const latest = revisions.at(-1);
  const succeeded = lastSucceeded(revisions);
  const active = activeRevision(revisions);
  const status: AppInstallStatus = {
    ...(previous.lastAppliedSpecDigest ? { lastAppliedSpecDigest: previous.lastAppliedSpecDigest } : {}),
    observedGeneration: generation,
    conditions: previous.conditions ?? [],
  };
  if (succeeded) {
    status.version = succeeded.spec.version;
    status.revision = succeeded.spec.revision;
  }
  if (latest) {
    const content = contentOf(latest);
    const retained = new Set(content.retained);
    status.components = content.effective.components.map((c) =>
      componentStatus(inputs.workloadOf(c.name), latest, c.name, c.workload, retained.has(c.name)),
    );
    if (content.retained.length) status.retainedComponents = content.retained;
  }
  if (status.version) {
    status.availableUpgrades = newerVersions(status.version, versions, install.spec.includePrereleases);
    if (status.availableUpgrades.length)
      status.availableUpgradeOrigins = status.availableUpgrades.map((version) => ({
        version,
        ...(inputs.origins?.get(version) ?? { origin: 'manual' }),
      }));
  }
  if (revisions.length) {
    status.history = [...revisions]
      .reverse()
      .slice(0, HISTORY_ENTRIES)
      .map((r) => ({
        revision: r.spec.revision,
        version: r.spec.version,
        cause: r.spec.cause,
        outcome: r.status?.outcome ?? 'Progressing',
        startedAt: r.status?.startedAt ?? r.metadata.creationTimestamp ?? '',
        ...(r.status?.finishedAt ? { finishedAt: r.status.finishedAt } : {}),
      }));
  }
  if (active) {
    status.operation = {
      kind: active.spec.cause,
      ...(active.spec.causeRef && active.spec.causeRef.kind !== 'AppInstall'
        ? { name: active.spec.causeRef.name }
        : {}),
      revision: active.spec.revision,
    };
  }
  status.conditions = conditions(install, status, latest, active, problem, generation, now);
  return status;
}

function componentStatus(
  workload: (V1Deployment | V1StatefulSet) | undefined,
  latest: AppRevision,
  name: string,
  workloadKind: 'Deployment' | 'StatefulSet',
  retained: boolean,
): ComponentStatus {
  const state = rolloutState(workload, latest.spec.revision);
  const row = latest.status?.components?.find((c) => c.name === name);
  const failed = row?.state === 'Failed';
  return {
    name,
    workload: workloadKind,
    image: workload?.spec?.template.spec?.containers[0]?.image ?? '',
    state: componentState(state, { failed, retained }),
    desiredReplicas: state.desired,
    updatedReplicas: state.updated,
    availableReplicas: state.available,
    ...(state.complete ? {} : { message: failed ? row.message! : state.message }),
  };
}

function conditions(
  install: AppInstall,
  status: AppInstallStatus,
  latest: AppRevision | undefined,
  active: AppRevision | undefined,
  problem: SpecProblem | undefined,
  generation: number | undefined,
  now: Date,
) {
  let list = status.conditions ?? [];
  const set = (type: string, s: 'True' | 'False', reason: string, message: string) =>
    (list = setCondition(list, { type, status: s, reason, message }, generation, now));
  const running = status.version
    ? ` ${install.spec.app} ${status.version} (revision ${status.revision}) keeps running.`
    : '';

  if (active) {
    const reason = PROGRESS_REASON[active.spec.cause];
    const message = `${describeRevision(active)}: ${active.status?.message ?? 'starting'}`;
    set(ConditionType.Reconciling, 'True', reason, message);
    set(ConditionType.Ready, 'False', reason, message);
    return removeCondition(list, ConditionType.Stalled);
  }
  list = removeCondition(list, ConditionType.Reconciling);
  if (problem) {
    set(ConditionType.Ready, 'False', problem.reason, problem.message + running);
    if (problem.waiting) {
      set(ConditionType.Reconciling, 'True', problem.reason, problem.message);
      return removeCondition(list, ConditionType.Stalled);
    }
    set(ConditionType.Stalled, 'True', problem.reason, problem.message);
    return list;
  }
  if (!latest) {
    set(ConditionType.Ready, 'False', Reason.Installing, 'waiting for the first revision');
    return removeCondition(list, ConditionType.Stalled);
  }
  const autoRollbackOf = latest.metadata.annotations?.[ANNOTATION_AUTO_ROLLBACK_OF];
  if (latest.status?.outcome === 'Failed') {
    const reason = FAILURE_REASON[latest.spec.cause];
    const message = `${describeRevision(latest)} failed: ${latest.status.message ?? 'unknown error'}.${running} Fix the cause, then change the AppInstall spec or create an AppUpgrade or AppRollback.`;
    // Ready says what failed (UpgradeFailed); Stalled says why, when known (ProgressDeadlineExceeded).
    set(ConditionType.Ready, 'False', reason, message);
    set(ConditionType.Stalled, 'True', latest.status.reason ?? reason, message);
    return list;
  }
  if (autoRollbackOf) {
    const message = `revision ${autoRollbackOf} failed and was rolled back automatically to revision ${latest.spec.restoredRevision} (${latest.spec.version}), which is running as revision ${latest.spec.revision}. spec.version ${install.spec.version} is not applied: change the spec or create an AppUpgrade to try again.`;
    set(ConditionType.Ready, 'False', Reason.UpgradeFailed, message);
    set(ConditionType.Stalled, 'True', Reason.UpgradeFailed, message);
    return list;
  }
  set(
    ConditionType.Ready,
    'True',
    SUCCESS_REASON[latest.spec.cause],
    `${install.spec.app} ${latest.spec.version} is ready (revision ${latest.spec.revision})`,
  );
  return removeCondition(list, ConditionType.Stalled);
}
