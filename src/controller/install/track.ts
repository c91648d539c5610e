import type { AppInstall, AppRevision } from '../../api/index.js';
import { Reason } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError, ferryRef } from '../../kube/client.js';
import { isTerminal } from '../../model/requests.js';
import { trackedUpgrade } from '../../model/track.js';
import type { PendingRequest } from '../cache.js';
import type { ControllerContext } from '../context.js';
import { ownerReference } from './revisions.js';

/**
 * upgradePolicy.track (model/track.ts decides): creates the proposed AppUpgrade, after deleting the
 * earlier proposals it supersedes. Its name is deterministic, so a create that finds it already there
 * (a restart, a stale cache) is the same proposal and changes nothing.
 */
export async function proposeTrackedUpgrade(
  ctx: ControllerContext,
  install: AppInstall,
  revisions: readonly AppRevision[],
  requests: readonly PendingRequest[],
): Promise<void> {
  if (!install.spec.upgradePolicy.track) return;
  const decision = trackedUpgrade({
    install,
    revisions,
    versions: [...ctx.cache.templatesOf(install.spec.app).keys()],
    upgrades: requests.flatMap((r) => (r.kind === 'AppUpgrade' ? [r.request] : [])),
    rollbackPending: requests.some((r) => r.kind === 'AppRollback' && !isTerminal(r.request)),
  });
  if (!decision.create) return;
  const namespace = install.metadata.namespace!;
  for (const name of decision.supersede) await ctx.client.delete(ferryRef('AppUpgrade', namespace, name));
  const upgrade = decision.create;
  upgrade.metadata.ownerReferences = [
    { ...ownerReference(install), controller: false, blockOwnerDeletion: false },
  ];
  try {
    await ctx.client.create(upgrade as KubeObject);
  } catch (error) {
    if (error instanceof KubeApiError && error.conflict) return;
    throw error;
  }
  const { toVersion, approval } = upgrade.spec;
  const message =
    `${install.spec.app} ${toVersion} is available (upgradePolicy.track: ${install.spec.upgradePolicy.track}): ` +
    `created AppUpgrade ${upgrade.metadata.name}` +
    (approval === 'Manual' ? ', waiting for approval' : ', approved by upgradePolicy.autoApprove') +
    (decision.autoApproveIgnored
      ? ` (autoApprove ignored: the install is managed by GitOps, ${decision.autoApproveIgnored}; change spec.version in git)`
      : '') +
    (decision.supersede.length ? `; it replaces ${decision.supersede.join(', ')}` : '');
  await ctx.events.record(install as KubeObject, 'Normal', Reason.UpgradeProposed, message);
}
