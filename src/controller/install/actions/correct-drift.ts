import type { AppRevision } from '../../../api/index.js';
import { Reason } from '../../../api/index.js';
import type { KubeObject } from '../../../kube/client.js';
import type { ControllerContext } from '../../context.js';
import { applyComponent, renderRevision, resolveParameters } from '../apply.js';
import type { ActionResult, InstallWork } from '../work.js';

/**
 * Idle: re-applies components whose workload was deleted, no longer carries the current revision, or
 * had an image or env field changed outside Ferry (the Event names each field and who set it).
 */
export async function correctDrift(
  ctx: ControllerContext,
  work: InstallWork,
  revision: AppRevision,
  components: readonly string[],
  fields: readonly string[] = [],
): Promise<ActionResult> {
  const { install } = work;
  const content = ctx.cache.contentOf(revision);
  const rendered = renderRevision(
    install,
    revision.spec.revision,
    content,
    await resolveParameters(ctx, install, content),
  );
  for (const name of components) await applyComponent(ctx, rendered.get(name)!);
  const message = fields.length
    ? `re-applied ${components.join(', ')}: ${fields.join('; ')}`
    : `re-applied ${components.join(', ')} (workload missing or changed outside Ferry)`;
  work.log.info({ revision: revision.spec.revision, components }, message);
  await ctx.events.record(install as KubeObject, 'Normal', Reason.DriftCorrected, message);
  return {};
}
