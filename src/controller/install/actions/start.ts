import { appInstallSchema } from '../../../api/index.js';
import type { KubeObject } from '../../../kube/client.js';
import { KubeApiError, ferryRef } from '../../../kube/client.js';
import type { RevisionDraft } from '../../../model/drafts.js';
import { draftDigest } from '../../../model/drafts.js';
import { ANNOTATION_APPLIED_SPEC } from '../../../model/revisions.js';
import type { ControllerContext } from '../../context.js';
import { checkParameterSecrets, checkPullSecrets } from '../apply.js';
import type { CauseRef, StartSource } from '../decide.js';
import { beginRevision } from '../revisions.js';
import type { ActionResult, InstallWork } from '../work.js';

/**
 * Starts a change: checks that the parameter Secrets exist (a change never starts without them),
 * creates the revision, and records what it applies — the spec digest, or for an AppUpgrade or
 * AppRollback the version it moves to, in spec.version.
 */
export async function start(
  ctx: ControllerContext,
  work: InstallWork,
  draft: RevisionDraft,
  causeRef: CauseRef,
  from: StartSource,
): Promise<ActionResult> {
  await checkParameterSecrets(ctx, work.install);
  await checkPullSecrets(ctx, work.install);
  // the spec this change applies: recorded on the revision with it, and in the status
  const applied = from.spec ? from.specDigest : draftDigest(from.version, work.install.spec);
  await beginRevision(ctx, work, draft, causeRef, { [ANNOTATION_APPLIED_SPEC]: applied });
  if (!from.spec && !(await setSpecVersion(ctx, work, from.version))) return { requeueAfterMs: 0 };
  work.lastAppliedSpecDigest = applied;
  return { again: true };
}

/**
 * An AppUpgrade or AppRollback that takes effect records its version in spec.version, so the spec
 * states what the admin chose. Test-and-set: a concurrent edit of the spec wins and is applied next;
 * then (false) this reconcile stops deciding on a spec it knows is stale.
 */
async function setSpecVersion(ctx: ControllerContext, work: InstallWork, version: string): Promise<boolean> {
  const { install } = work;
  if (install.spec.version === version) return true;
  try {
    const updated = await ctx.client.jsonPatch<KubeObject>(
      ferryRef('AppInstall', install.metadata.namespace, install.metadata.name),
      [
        { op: 'test', path: '/spec/version', value: install.spec.version },
        { op: 'replace', path: '/spec/version', value: version },
      ],
    );
    work.generation = updated.metadata?.generation;
    work.resourceVersion = updated.metadata?.resourceVersion;
    ctx.expectations.wroteInstall(install, work.resourceVersion);
    // the rest of this reconcile decides on the spec as it is now (with any other field someone
    // changed meanwhile): a revision that rolls out within it must not be followed by a "spec change"
    // back to the version just replaced
    const current = appInstallSchema.safeParse(updated);
    work.install = current.success ? current.data : { ...install, spec: { ...install.spec, version } };
    return true;
  } catch (error) {
    if (!(error instanceof KubeApiError && (error.invalid || error.conflict))) throw error;
    return false;
  }
}
