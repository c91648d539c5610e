import type { Condition } from '../api/index.js';
import { ConditionType, GROUP_VERSION, Reason } from '../api/index.js';
import type { KubeObject } from '../kube/client.js';
import { canonicalJson } from '../model/canonical.js';
import { setCondition } from '../model/conditions.js';
import type { ControllerContext } from './context.js';

/**
 * Reports an object that does not match this operator version's schema (Ready=False, Stalled=True,
 * reason InvalidObject) instead of skipping it silently. Writes only when the report changes.
 */
export async function reportInvalidObject(
  ctx: ControllerContext,
  raw: KubeObject,
  problem: string,
): Promise<void> {
  const meta = raw.metadata ?? {};
  const where = `${raw.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
  const message = `${where} does not match the schema of this operator version: ${problem}`;
  const previous = (raw.status ?? {}) as { conditions?: Condition[]; observedGeneration?: number };
  let conditions = previous.conditions ?? [];
  for (const [type, value] of [
    [ConditionType.Ready, 'False'],
    [ConditionType.Stalled, 'True'],
  ] as const) {
    conditions = setCondition(
      conditions,
      { type, status: value, reason: Reason.InvalidObject, message },
      meta.generation,
      ctx.now(),
    );
  }
  conditions = conditions.filter((c) => c.type !== ConditionType.Reconciling);
  const status = { ...previous, observedGeneration: meta.generation, conditions };
  if (canonicalJson(status) === canonicalJson(previous)) return;
  ctx.log.error({ kind: raw.kind, key: where, problem }, message);
  await ctx.client.apply(
    {
      apiVersion: GROUP_VERSION,
      kind: raw.kind,
      metadata: { name: meta.name, namespace: meta.namespace },
      status,
    },
    { subresource: 'status' },
  );
}
