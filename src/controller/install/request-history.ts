import type { AppInstall } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import { requestsToPrune } from '../../model/requests.js';
import type { PendingRequest } from '../cache.js';
import type { ControllerContext } from '../context.js';
import { ownerReference } from './revisions.js';

/**
 * Ties every AppUpgrade and AppRollback of the install to it (owner reference: they go when it goes)
 * and deletes ended ones beyond spec.historyLimit, oldest first, so a long-lived install's
 * reconciles do not slow down with its history. Requests a GitOps tool or Helm manages are kept
 * (deleting them would make the tool re-create and re-run them), as are those marked ferry.dev/keep.
 */
export async function tidyRequests(
  ctx: ControllerContext,
  install: AppInstall,
  requests: readonly PendingRequest[],
): Promise<void> {
  for (const { kind, request } of requests) {
    const owners = (request.metadata.ownerReferences ?? []) as { uid?: string }[];
    if (owners.some((o) => o.uid === install.metadata.uid)) continue;
    await ctx.client.mergePatch(ferryRef(kind, request.metadata.namespace, request.metadata.name), {
      metadata: {
        ownerReferences: [
          ...owners,
          { ...ownerReference(install), controller: false, blockOwnerDeletion: false },
        ],
        resourceVersion: request.metadata.resourceVersion,
      },
    });
  }
  for (const kind of ['AppUpgrade', 'AppRollback'] as const) {
    const ofKind = requests.filter((r) => r.kind === kind).map((r) => r.request);
    for (const request of requestsToPrune(ofKind, install.spec.historyLimit)) {
      await ctx.client.delete(ferryRef(kind, request.metadata.namespace, request.metadata.name));
    }
  }
}
