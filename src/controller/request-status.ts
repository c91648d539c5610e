import type { Condition } from '../api/index.js';
import { GROUP_VERSION } from '../api/index.js';
import type { KubeObject } from '../kube/client.js';
import { canonicalJson } from '../model/canonical.js';
import { removeCondition, setCondition } from '../model/conditions.js';
import type { ControllerContext } from './context.js';
import { ConditionType } from '../api/index.js';

interface RequestStatus {
  phase?: string;
  message?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

interface Request {
  kind: 'AppUpgrade' | 'AppRollback';
  metadata: { name: string; namespace?: string; generation?: number };
  status?: unknown;
}

export interface PhaseMeaning {
  /** The request reached its goal (Ready=True). */
  succeeded: boolean;
  /** Still moving on its own (Reconciling=True). */
  reconciling: boolean;
  /** Ended without reaching its goal (Stalled=True). */
  stalled: boolean;
}

/**
 * Sets the phase of an AppUpgrade or AppRollback with its kstatus conditions, and records an Event
 * when the phase changes.
 */
export function setRequestPhase(
  ctx: ControllerContext,
  request: Request,
  status: RequestStatus,
  phase: string,
  meaning: PhaseMeaning,
  reason: string,
  message: string,
): void {
  const generation = request.metadata.generation;
  const now = ctx.now();
  const changed = status.phase !== phase;
  status.phase = phase;
  status.message = message;
  status.observedGeneration = generation;
  const set = (list: Condition[], type: string, on: boolean, value: 'True' | 'False' = 'True') =>
    on
      ? setCondition(list, { type, status: value, reason, message }, generation, now)
      : removeCondition(list, type);
  let conditions = setCondition(
    status.conditions ?? [],
    { type: ConditionType.Ready, status: meaning.succeeded ? 'True' : 'False', reason, message },
    generation,
    now,
  );
  conditions = set(conditions, ConditionType.Reconciling, meaning.reconciling);
  conditions = set(conditions, ConditionType.Stalled, meaning.stalled);
  status.conditions = conditions;
  if (changed) {
    void ctx.events.record(
      request as unknown as KubeObject,
      meaning.stalled ? 'Warning' : 'Normal',
      reason,
      `${phase}: ${message}`,
    );
  }
}

/** Writes the status through /status, only when it changed. */
export async function writeRequestStatus(
  ctx: ControllerContext,
  request: Request,
  status: RequestStatus,
): Promise<void> {
  if (canonicalJson(status) === canonicalJson(request.status ?? {})) return;
  await ctx.client.apply(
    {
      apiVersion: GROUP_VERSION,
      kind: request.kind,
      metadata: { name: request.metadata.name, namespace: request.metadata.namespace },
      status,
    },
    { subresource: 'status' },
  );
}
