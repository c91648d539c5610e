import { Reason } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { LABEL_REVISION } from '../../model/names.js';
import { routeTargets, unservedRoutesMessage } from '../../model/render-access.js';
import type { RouteTarget } from '../../model/render-access.js';
import type { ControllerContext } from '../context.js';
import { correctDrift } from './actions/correct-drift.js';
import type { ActionResult, InstallWork } from './work.js';

/** How often an install whose route API is missing looks again. */
export const ROUTE_API_RECHECK_MS = 30_000;

/**
 * Idle, after the decisions: routes of the last successful revision. One whose API the cluster does
 * not serve makes the install not Ready (RouteAPIUnavailable) and is looked at again every 30 seconds; one
 * that is served but missing or from another revision (the API appeared, someone deleted it) gets its
 * component re-applied.
 */
export async function reconcileRoutes(ctx: ControllerContext, work: InstallWork): Promise<ActionResult> {
  const latest = work.revisions.at(-1);
  if (work.problem || !latest || latest.status?.outcome !== 'Succeeded') return {};
  const content = ctx.cache.contentOf(latest);
  const { install } = work;
  const targets = routeTargets(install.metadata.name, content.effective, content.overrides);
  if (!targets.length) return {};
  const unserved: RouteTarget[] = [];
  const drifted = new Set<string>();
  for (const target of targets) {
    if (!(await ctx.apis.serves(target.apiVersion, target.kind))) {
      unserved.push(target);
      continue;
    }
    const object = await ctx.client.get<KubeObject>({
      apiVersion: target.apiVersion,
      kind: target.kind,
      namespace: install.metadata.namespace,
      name: target.name,
    });
    if (object?.metadata?.labels?.[LABEL_REVISION] !== String(latest.spec.revision))
      drifted.add(target.component);
  }
  if (drifted.size) await correctDrift(ctx, work, latest, [...drifted]);
  if (!unserved.length) return {};
  work.problem = { reason: Reason.RouteAPIUnavailable, message: unservedRoutesMessage(unserved) };
  return { requeueAfterMs: ROUTE_API_RECHECK_MS };
}
