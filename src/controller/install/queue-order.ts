import { ferryRef } from '../../kube/client.js';
import type { PendingRequest } from '../cache.js';
import type { ControllerContext } from '../context.js';

/**
 * Persists status.queuedAt of pending requests that lack it, oldest first and one at a time, so the
 * creation order survives a restart before any of them starts (see request-order.ts).
 */
export async function recordQueueOrder(
  ctx: ControllerContext,
  pending: readonly PendingRequest[],
): Promise<void> {
  for (const { kind, request } of pending) {
    if (ctx.arrivals.isRecorded(request)) continue;
    const queuedAt = ctx.arrivals.queuedAt(request);
    await ctx.client.mergePatch(
      ferryRef(kind, request.metadata.namespace, request.metadata.name),
      { status: { queuedAt } },
      'status',
    );
    ctx.arrivals.observe({ ...request, status: { ...request.status, queuedAt } });
  }
}
