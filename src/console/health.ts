import type { Condition } from '../api/index.js';

/** kstatus' summary of an object: Current, InProgress, Failed, or Unknown (not observed yet). */
export type Health = 'Current' | 'InProgress' | 'Failed' | 'Unknown';

export function health(object: {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}): { health: Health; message: string } {
  const conditions = object.status?.conditions ?? [];
  const find = (type: string) => conditions.find((c) => c.type === type);
  const stalled = find('Stalled');
  const reconciling = find('Reconciling');
  const ready = find('Ready');
  if (
    object.status?.observedGeneration === undefined ||
    (object.metadata.generation !== undefined &&
      object.status.observedGeneration < object.metadata.generation)
  )
    return { health: 'InProgress', message: 'the operator has not observed the latest spec yet' };
  if (stalled?.status === 'True')
    return { health: 'Failed', message: `${stalled.reason}: ${stalled.message}` };
  if (reconciling?.status === 'True')
    return { health: 'InProgress', message: `${reconciling.reason}: ${reconciling.message}` };
  if (ready?.status === 'True') return { health: 'Current', message: `${ready.reason}: ${ready.message}` };
  if (ready) return { health: 'InProgress', message: `${ready.reason}: ${ready.message}` };
  return { health: 'Unknown', message: 'no Ready condition yet' };
}
