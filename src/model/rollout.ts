import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { LABEL_REVISION } from './names.js';

export interface RolloutState {
  /** The workload exists and carries the target revision. */
  applied: boolean;
  /** It is applied and its controller has fully rolled it out. */
  complete: boolean;
  desired: number;
  updated: number;
  available: number;
  message: string;
}

type Workload = (V1Deployment | V1StatefulSet) & { kind?: string };

/**
 * Whether a workload has completely rolled out revision `revision`: its controller observed the
 * latest generation, every desired pod is updated and available, and no old pod remains.
 */
export function rolloutState(workload: Workload | undefined, revision: number): RolloutState {
  if (!workload) {
    return {
      applied: false,
      complete: false,
      desired: 0,
      updated: 0,
      available: 0,
      message: 'workload not created yet',
    };
  }
  const desired = workload.spec?.replicas ?? 1;
  const status = workload.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const labelled = workload.metadata?.labels?.[LABEL_REVISION];
  const applied = labelled === String(revision);
  const base = { applied, desired, updated, available };
  if (!applied) {
    return {
      ...base,
      complete: false,
      message: `not yet applied for revision ${revision} (has ${labelled ?? 'none'})`,
    };
  }
  if ((status.observedGeneration ?? 0) < (workload.metadata?.generation ?? 1)) {
    return { ...base, complete: false, message: 'waiting for the controller to observe the new generation' };
  }
  const total = status.replicas ?? 0;
  if (workload.kind === 'StatefulSet') {
    const sts = workload as V1StatefulSet;
    const done =
      updated === desired &&
      available === desired &&
      (sts.status?.readyReplicas ?? 0) === desired &&
      total === desired &&
      (desired === 0 || sts.status?.currentRevision === sts.status?.updateRevision);
    return {
      ...base,
      complete: done,
      message: done ? 'rolled out' : progressMessage(desired, updated, available, total),
    };
  }
  const done = updated === desired && available === desired && total === desired;
  return {
    ...base,
    complete: done,
    message: done ? 'rolled out' : progressMessage(desired, updated, available, total),
  };
}

/** `total` counts every pod not yet terminated, old and new: the old ones are those not updated. */
const progressMessage = (desired: number, updated: number, available: number, total: number) =>
  `${updated}/${desired} updated, ${available}/${desired} available${total > updated ? `, ${total - updated} old pod(s) left` : ''}`;
