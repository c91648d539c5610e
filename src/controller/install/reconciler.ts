import type { AppInstall } from '../../api/index.js';
import { ConditionType, Reason } from '../../api/index.js';
import type { SpecProblem } from '../../model/install-status.js';
import { LABEL_REVISION } from '../../model/names.js';
import { activeRevision } from '../../model/revisions.js';
import { isTerminal, producedBy } from '../../model/requests.js';
import { FINALIZER } from '../context.js';
import type { ControllerContext } from '../context.js';
import { outcomeOf } from '../errors.js';
import { reportInvalidObject } from '../invalid-object.js';
import { autoRollback } from './actions/auto-rollback.js';
import { continueRevision } from './actions/continue.js';
import { correctDrift } from './actions/correct-drift.js';
import { addFinalizer, finalize, needsFinalizer } from './actions/finalize.js';
import { start } from './actions/start.js';
import type { InstallAction, Rotation } from './decide.js';
import { lostFieldsOf } from './field-drift.js';
import { rotatedComponents } from './parameter-secrets.js';
import { nextAction } from './decide.js';
import { recordQueueOrder } from './queue-order.js';
import { reconcileRoutes } from './routes.js';
import { tidyRequests } from './request-history.js';
import { proposeTrackedUpgrade } from './track.js';
import { collectGarbage } from './revisions.js';
import { writeInstallStatus } from './status.js';
import type { ActionResult, InstallWork } from './work.js';

export type ReconcileResult = { requeueAfterMs?: number } | void;

/** Start → its first rollout step → (failure) automatic rollback → its first step: at most this many. */
const MAX_ACTIONS_PER_RECONCILE = 4;

/**
 * Reconciles one AppInstall (after Flux helm-controller): fetch, deletion and finalizer, cache-lag
 * check, then decide → act until an action needs to wait, then one status write on every path, only
 * when something changed.
 */
export async function reconcileInstall(ctx: ControllerContext, key: string): Promise<ReconcileResult> {
  const found = ctx.cache.installs.get(key);
  if (!found) return;
  if (!found.ok) return reportInvalidObject(ctx, found.raw, found.problem);
  const install = found.object;
  if (install.metadata.deletionTimestamp) return finalize(ctx, install);
  // its watch event brings the install back
  if (needsFinalizer(install) && !install.metadata.finalizers?.includes(FINALIZER))
    return addFinalizer(ctx, install);

  const work = startWork(ctx, key, install);
  if (ctx.expectations.cacheLagsBehind(install, work.revisions)) return { requeueAfterMs: 200 };
  // in line for a rollout slot, with the spec it was put in line with: it is woken when granted one
  if (ctx.slots.waits(key) && waitsWithSameSpec(install)) return;

  let result: ActionResult = {};
  let failure: unknown;
  try {
    const rotation = await rotatedComponents(ctx, install, work.revisions);
    for (let step = 0; step < MAX_ACTIONS_PER_RECONCILE; step++) {
      const pending = pendingRequests(ctx, work);
      await recordQueueOrder(ctx, pending);
      result = await act(ctx, work, decide(ctx, work, pending, rotation));
      if (!result.again) break;
    }
    if (result.again) result = { requeueAfterMs: 0 };
    else if (!activeRevision(work.revisions)) result = earliest(result, await reconcileRoutes(ctx, work));
  } catch (error) {
    const outcome = outcomeOf(error);
    work.problem = outcome.problem;
    result = { requeueAfterMs: outcome.requeueAfterMs };
    if (outcome.retry) failure = error;
  } finally {
    // a slot granted for a change that did not start after all goes to the next install in line
    if (!activeRevision(work.revisions) && !work.waitsForSlot) ctx.slots.release(key);
    await writeInstallStatus(ctx, work).catch((error: unknown) => {
      if (failure === undefined) throw error;
      work.log.warn({ err: error }, 'could not write the status of a failed reconcile');
    });
  }
  if (failure !== undefined) throw failure;
  if (!activeRevision(work.revisions)) {
    await collectGarbage(ctx, install, work.revisions);
    const requests = ctx.cache.requestsFor(install.metadata.namespace!, install.metadata.name);
    await tidyRequests(ctx, install, requests);
    await proposeTrackedUpgrade(ctx, install, work.revisions, requests);
  }
  return result.requeueAfterMs === undefined ? undefined : { requeueAfterMs: result.requeueAfterMs };
}

/** The sooner of two requeue requests. */
function earliest(a: ActionResult, b: ActionResult): ActionResult {
  if (a.requeueAfterMs === undefined) return b;
  if (b.requeueAfterMs === undefined) return a;
  return { requeueAfterMs: Math.min(a.requeueAfterMs, b.requeueAfterMs) };
}

function startWork(ctx: ControllerContext, key: string, install: AppInstall): InstallWork {
  return {
    install,
    // with the progress this process holds for a rollout and has not written yet
    revisions: ctx.cache
      .revisionsOf(install.metadata.namespace!, install.metadata.name, install.metadata.uid)
      .map((r) => ctx.progress.overlay(r)),
    templates: ctx.cache.templatesOf(install.spec.app),
    lastAppliedSpecDigest: install.status?.lastAppliedSpecDigest,
    startedWithSpecDigest: install.status?.lastAppliedSpecDigest,
    generation: install.metadata.generation,
    log: ctx.log.child({ kind: 'AppInstall', key }),
  };
}

/** AppUpgrades and AppRollbacks of the install that have not ended nor produced a revision, oldest first. */
const pendingRequests = (ctx: ControllerContext, { install, revisions }: InstallWork) =>
  ctx.cache
    .requestsFor(install.metadata.namespace!, install.metadata.name)
    .filter(({ request }) => !isTerminal(request) && !producedBy(revisions, request.metadata.uid).length);

function decide(
  ctx: ControllerContext,
  work: InstallWork,
  pending: ReturnType<typeof pendingRequests>,
  rotation: Rotation | undefined,
) {
  const { install } = work;
  return nextAction({
    install,
    revisions: work.revisions,
    templates: work.templates,
    templateExists: (name) => ctx.informers.templates.get(name) !== undefined,
    pending,
    lastAppliedSpecDigest: work.lastAppliedSpecDigest,
    contentOf: ctx.cache.contentOf,
    rotation,
    lostFields: (component, revision) => lostFieldsOf(ctx, install, component, revision),
    workloadRevision: (component) =>
      ctx.cache.workloadOf(install.metadata.namespace!, install.metadata.name, component)?.metadata?.labels?.[
        LABEL_REVISION
      ],
  });
}

async function act(ctx: ControllerContext, work: InstallWork, action: InstallAction): Promise<ActionResult> {
  work.log.debug({ action: action.type }, 'next action');
  switch (action.type) {
    case 'Continue':
      return continueRevision(ctx, work, action.revision);
    case 'AutoRollback':
      return autoRollback(ctx, work, action.failed, action.draft);
    case 'Start':
      if (!ctx.slots.acquire(`${work.install.metadata.namespace}/${work.install.metadata.name}`)) {
        work.problem = waitingForSlot(ctx.slots.limit);
        work.waitsForSlot = true;
        return {}; // woken when a slot is granted (rollout-slots.ts)
      }
      return start(ctx, work, action.draft, action.causeRef, action.from);
    case 'CorrectDrift':
      return correctDrift(ctx, work, action.revision, action.components, action.fields);
    case 'Stall':
      work.problem = { reason: action.reason, message: action.message };
      return {};
    case 'InSync':
      if (action.appliedSpecDigest) work.lastAppliedSpecDigest = action.appliedSpecDigest;
      return {};
  }
}

const waitingForSlot = (limit: number): SpecProblem => ({
  reason: Reason.WaitingForRolloutSlot,
  message: `waiting for a rollout slot: this operator runs at most ${limit} rollouts at once (--max-rollouts) and starts this change when one ends`,
  waiting: true,
});

/** The install's status already says it waits for a slot, for its current spec. */
const waitsWithSameSpec = (install: AppInstall) =>
  install.status?.observedGeneration === install.metadata.generation &&
  install.status?.conditions?.some(
    (c) => c.type === ConditionType.Ready && c.reason === Reason.WaitingForRolloutSlot,
  ) === true;
