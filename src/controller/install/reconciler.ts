import type {
  AppInstall,
  AppInstallStatus,
  AppRevision,
  AppRevisionSpec,
  AppTemplate,
} from '../../api/index.js';
import { GROUP_VERSION, objectRef, templateName } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError, ferryRef } from '../../kube/client.js';
import { canonicalJson } from '../../model/canonical.js';
import { LABEL_INSTALL } from '../../model/names.js';
import { formatProblem } from '../../model/problems.js';
import { installProblems } from '../../model/validate.js';
import { ANNOTATION_AUTO_ROLLBACK_OF, FINALIZER, ROLLOUT_POLL_MS } from '../context.js';
import type { ControllerContext } from '../context.js';
import { StallingError, WaitingError } from '../errors.js';
import { Reason } from '../reasons.js';
import {
  applyComponent,
  checkParameterSecrets,
  renderRevision,
  resolveParameters,
  workloadOf,
} from './apply.js';
import type { RevisionDraft } from './draft.js';
import { draftDigest } from './draft.js';
import { stepRevision } from './execute.js';
import { draftInstall } from './install.js';
import { isTerminal, planRollbackRequest, planUpgradeRequest, producedBy } from './requests.js';
import { cacheLagsBehind, collectGarbage, createRevision, iso, writeRevisionStatus } from './revisions.js';
import { expectResourceVersion, installCacheLagsBehind } from './expectations.js';
import { draftRollback, resolveRollbackTarget } from './rollback.js';
import type { PendingRequest } from './state.js';
import {
  activeRevision,
  parseInstall,
  requestsFor,
  revisionContentOf,
  revisionsOf,
  templatesOf,
} from './state.js';
import type { SpecProblem } from './status.js';
import { computeStatus, describe } from './status.js';
import { draftConfigChange, draftUpgrade } from './upgrade.js';

export type ReconcileResult = { requeueAfterMs?: number } | void;

interface Work {
  ctx: ControllerContext;
  install: AppInstall;
  revisions: AppRevision[];
  templates: Map<string, AppTemplate>;
  lastAppliedSpecDigest?: string;
  generation?: number;
  /** Set when this reconcile changed the AppInstall itself (spec.version), for the status precondition. */
  resourceVersion?: string;
  problem?: SpecProblem;
}

/**
 * Reconciles one AppInstall (Flux helm-controller's skeleton): fetch, deletion and finalizer, then
 * one change at a time — continue the revision in progress, or start one from a spec change, or from
 * the oldest pending AppUpgrade/AppRollback — then one status write, only when something changed.
 */
export async function reconcileInstall(ctx: ControllerContext, key: string): Promise<ReconcileResult> {
  const raw = ctx.informers.installs.get(key);
  if (!raw) return;
  const install = parseInstall(raw);
  if (!install) {
    ctx.log.error({ install: key }, 'AppInstall does not match the schema of this operator version');
    return;
  }
  if (install.metadata.deletionTimestamp) return finalize(ctx, install);
  if (!install.metadata.finalizers?.includes(FINALIZER)) {
    await addFinalizer(ctx, install);
    return; // the watch event of that change brings the install back, fresh
  }

  const work: Work = {
    ctx,
    install,
    revisions: revisionsOf(ctx, install.metadata.namespace!, install.metadata.name, install.metadata.uid),
    templates: templatesOf(ctx, install.spec.app),
    lastAppliedSpecDigest: install.status?.lastAppliedSpecDigest,
    generation: install.metadata.generation,
  };
  if (cacheLagsBehind(install, work.revisions) || installCacheLagsBehind(install))
    return { requeueAfterMs: 200 };

  let requeueAfterMs: number | undefined;
  try {
    await recordQueueOrder(ctx, pendingRequests(work));
    let active = activeRevision(work.revisions);
    active ??= await startFromSpec(work);
    active ??= await startFromRequest(work);
    if (active) requeueAfterMs = await progress(work, active);
    else await correctDrift(work);
  } catch (error) {
    if (error instanceof WaitingError) {
      work.problem = { reason: error.reason, message: error.message, waiting: true };
      requeueAfterMs = error.retryAfterMs;
    } else if (error instanceof StallingError) {
      work.problem = { reason: error.reason, message: error.message };
    } else {
      throw error;
    }
  }
  await writeStatus(work);
  if (!activeRevision(work.revisions)) await collectGarbage(ctx, install, work.revisions);
  return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
}

async function addFinalizer(ctx: ControllerContext, install: AppInstall): Promise<void> {
  const finalizers = [...(install.metadata.finalizers ?? []), FINALIZER];
  const updated = await ctx.client.mergePatch(
    ferryRef('AppInstall', install.metadata.namespace, install.metadata.name),
    {
      metadata: { finalizers, resourceVersion: install.metadata.resourceVersion },
    },
  );
  expectResourceVersion(install, updated.metadata?.resourceVersion);
}

/** On deletion: PVCs go only with volumeDeletionPolicy Delete; owned objects go by garbage collection. */
async function finalize(ctx: ControllerContext, install: AppInstall): Promise<ReconcileResult> {
  if (!install.metadata.finalizers?.includes(FINALIZER)) return;
  const namespace = install.metadata.namespace!;
  if (install.spec.volumeDeletionPolicy === 'Delete') {
    const pvcs = await ctx.client.list(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace },
      {
        labelSelector: `${LABEL_INSTALL}=${install.metadata.name}`,
      },
    );
    for (const pvc of pvcs.items) {
      await ctx.client.delete({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace,
        name: pvc.metadata!.name,
      });
    }
  }
  await ctx.client.mergePatch(ferryRef('AppInstall', namespace, install.metadata.name), {
    metadata: {
      finalizers: install.metadata.finalizers.filter((f) => f !== FINALIZER),
      resourceVersion: install.metadata.resourceVersion,
    },
  });
}

/** A changed spec (version, parameters, overrides) becomes a new revision, once. */
async function startFromSpec(work: Work): Promise<AppRevision | undefined> {
  const { install, revisions, templates } = work;
  const spec = install.spec;
  const digest = draftDigest(spec.version, spec);
  if (digest === work.lastAppliedSpecDigest) return undefined;
  const template = templates.get(spec.version);
  if (!template) throw templateProblem(work);

  const latest = revisions.at(-1);
  let draft: RevisionDraft;
  if (!latest) draft = draftInstall(template.spec, spec);
  else if (latest.spec.inputsDigest === digest) {
    work.lastAppliedSpecDigest = digest;
    return undefined;
  } else if (latest.spec.version !== spec.version)
    draft = draftUpgrade(revisionContentOf(latest), template.spec, spec);
  else draft = draftConfigChange(revisionContentOf(latest), spec);

  const problems = installProblems(
    objectRef('AppInstall', install.metadata),
    install.metadata.name,
    spec,
    draft.content.effective,
  );
  if (problems.length) throw new StallingError(Reason.InvalidSpec, problems.map(formatProblem).join('; '));
  await checkParameterSecrets(work.ctx, install);
  const revision = await begin(work, draft, {
    kind: 'AppInstall',
    name: install.metadata.name,
    uid: install.metadata.uid,
  });
  work.lastAppliedSpecDigest = digest;
  return revision;
}

function templateProblem(work: Work): StallingError {
  const { install, templates } = work;
  const name = templateName(install.spec.app, install.spec.version);
  const raw = work.ctx.informers.templates.get(name);
  if (raw) {
    return new StallingError(
      Reason.TemplateInvalid,
      `spec.version: AppTemplate ${name} is not valid; see its Valid condition`,
    );
  }
  const available = [...templates.keys()].join(', ') || 'none';
  return new StallingError(
    Reason.TemplateNotFound,
    `spec.version: AppTemplate ${name} not found (available versions of ${install.spec.app}: ${available}); import it with ferry import`,
  );
}

/** Starts the oldest pending AppUpgrade or AppRollback that can start. */
async function startFromRequest(work: Work): Promise<AppRevision | undefined> {
  const { install, revisions, templates, ctx } = work;
  for (const { kind, request } of pendingRequests(work)) {
    if (kind === 'AppUpgrade' && request.spec.approval === 'Manual' && !request.spec.approved) continue;
    const plan =
      kind === 'AppUpgrade'
        ? planUpgradeRequest(install, revisions, templates, request)
        : planRollbackRequest(install, revisions, request);
    if (!plan.ok) continue;
    await checkParameterSecrets(ctx, install);
    const revision = await begin(work, plan.draft, {
      kind,
      name: request.metadata.name,
      uid: request.metadata.uid,
    });
    await setSpecVersion(work, plan.draft.version);
    return revision;
  }
  return undefined;
}

/** AppUpgrades and AppRollbacks of the install that have not produced a revision, oldest first. */
const pendingRequests = ({ ctx, install, revisions }: Work) =>
  requestsFor(ctx, install.metadata.namespace!, install.metadata.name).filter(
    ({ request }) => !isTerminal(request) && !producedBy(revisions, request.metadata.uid).length,
  );

/**
 * Persists status.queuedAt of pending requests that lack it, oldest first and one at a time, so the
 * creation order survives a restart before any of them starts (see request-order.ts).
 */
async function recordQueueOrder(ctx: ControllerContext, pending: readonly PendingRequest[]): Promise<void> {
  for (const { kind, request } of pending) {
    if (ctx.arrivals.isRecorded(request)) continue;
    const queuedAt = ctx.arrivals.queuedAt(request);
    await ctx.client.mergePatch(
      ferryRef(kind, request.metadata.namespace, request.metadata.name),
      { status: { queuedAt } },
      'status',
    );
    request.status = { ...request.status, queuedAt };
    ctx.arrivals.observe(request);
  }
}

async function begin(
  work: Work,
  draft: RevisionDraft,
  causeRef: AppRevisionSpec['causeRef'],
  annotations = {},
) {
  const revision = await createRevision(work.ctx, work.install, work.revisions, draft, causeRef, annotations);
  work.revisions.push(revision);
  work.ctx.metrics.upgrades.inc({ cause: draft.cause, outcome: 'Started' });
  await work.ctx.events.record(
    work.install as KubeObject,
    'Normal',
    eventReason(draft.cause),
    `${describe(revision)} started`,
  );
  return revision;
}

const eventReason = (cause: string) =>
  ({ Install: Reason.Installing, Upgrade: Reason.Upgrading, Rollback: Reason.RollingBack })[cause] ??
  Reason.ApplyingConfigChange;

/**
 * An AppUpgrade or AppRollback that takes effect records its version in spec.version, so the spec
 * states what the admin chose. Test-and-set: a concurrent edit of the spec wins and is applied next.
 */
async function setSpecVersion(work: Work, version: string): Promise<void> {
  const { install, ctx } = work;
  if (install.spec.version === version) {
    work.lastAppliedSpecDigest = draftDigest(version, install.spec);
    return;
  }
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
    expectResourceVersion(install, work.resourceVersion);
    work.lastAppliedSpecDigest = draftDigest(version, install.spec);
  } catch (error) {
    if (!(error instanceof KubeApiError && (error.invalid || error.conflict))) throw error;
  }
}

/** Advances the active revision; on failure, rolls back automatically when the policy asks for it. */
async function progress(work: Work, revision: AppRevision): Promise<number | undefined> {
  const { ctx, install } = work;
  const content = revisionContentOf(revision);
  const status = structuredClone(
    revision.status ?? { outcome: 'Progressing' as const, startedAt: iso(ctx.now()) },
  );
  const before = canonicalJson(status);
  const result = await stepRevision(ctx, install, revision, content, status);
  const now = iso(ctx.now());

  if (result.state === 'progressing') {
    status.message = result.message;
    if (canonicalJson(status) !== before) await writeRevisionStatus(ctx, revision, status);
    return ROLLOUT_POLL_MS;
  }
  status.outcome = result.state === 'succeeded' ? 'Succeeded' : 'Failed';
  status.finishedAt = now;
  if (result.state === 'failed') status.message = result.message;
  else delete status.message;
  await writeRevisionStatus(ctx, revision, status);
  ctx.metrics.upgrades.inc({ cause: revision.spec.cause, outcome: status.outcome });

  if (result.state === 'succeeded') {
    await supersedeEarlier(work, revision);
    await ctx.events.record(
      install as KubeObject,
      'Normal',
      Reason.Succeeded,
      `${describe(revision)} succeeded`,
    );
    return undefined;
  }
  await ctx.events.record(
    install as KubeObject,
    'Warning',
    Reason.Failed,
    `${describe(revision)} failed: ${result.message}`,
  );
  if (
    install.spec.upgradePolicy.autoRollback &&
    !revision.metadata.annotations?.[ANNOTATION_AUTO_ROLLBACK_OF]
  ) {
    const rollback = await startAutoRollback(work, revision);
    if (rollback) return 0;
  }
  return undefined;
}

async function supersedeEarlier(work: Work, current: AppRevision): Promise<void> {
  for (const r of work.revisions) {
    if (r.spec.revision < current.spec.revision && r.status?.outcome === 'Succeeded') {
      await writeRevisionStatus(work.ctx, r, { ...r.status, outcome: 'Superseded' });
    }
  }
}

async function startAutoRollback(work: Work, failed: AppRevision): Promise<AppRevision | undefined> {
  const summaries = work.revisions.map((r) => ({ revision: r.spec.revision, outcome: r.status?.outcome }));
  const target = resolveRollbackTarget(summaries, failed.spec.revision);
  if (!target.ok) return undefined;
  const restored = work.revisions.find((r) => r.spec.revision === target.revision)!;
  const draft = draftRollback(
    revisionContentOf(failed),
    { revision: target.revision, content: revisionContentOf(restored) },
    work.install.spec,
    false,
  );
  return begin(work, draft, failed.spec.causeRef, {
    [ANNOTATION_AUTO_ROLLBACK_OF]: String(failed.spec.revision),
  });
}

/** Idle: re-applies a component whose workload was deleted or no longer carries the current revision. */
async function correctDrift(work: Work): Promise<void> {
  const { ctx, install, revisions } = work;
  const latest = revisions.at(-1);
  if (!latest || latest.status?.outcome !== 'Succeeded') return;
  const content = revisionContentOf(latest);
  const drifted = content.effective.components.filter((c) => {
    const workload = workloadOf(ctx, install.metadata.namespace!, install.metadata.name, c.name);
    return !workload || workload.metadata?.labels?.['ferry.dev/revision'] !== String(latest.spec.revision);
  });
  if (!drifted.length) return;
  const rendered = renderRevision(
    install,
    latest.spec.revision,
    content,
    await resolveParameters(ctx, install, content),
  );
  for (const c of drifted) await applyComponent(ctx, rendered.get(c.name)!);
  await ctx.events.record(
    install as KubeObject,
    'Normal',
    Reason.DriftCorrected,
    `re-applied ${drifted.map((c) => c.name).join(', ')} (workload missing or changed outside Ferry)`,
  );
}

async function writeStatus(work: Work): Promise<void> {
  const { ctx, install } = work;
  const previous: AppInstallStatus = {
    ...(install.status ?? {}),
    ...(work.lastAppliedSpecDigest ? { lastAppliedSpecDigest: work.lastAppliedSpecDigest } : {}),
  };
  const status = computeStatus(
    ctx,
    install,
    previous,
    work.revisions,
    work.templates,
    work.generation,
    work.problem,
  );
  if (canonicalJson(status) === canonicalJson(install.status ?? {})) return;
  const stalledBefore = install.status?.conditions?.find((c) => c.type === 'Stalled');
  const stalledNow = status.conditions?.find((c) => c.type === 'Stalled');
  if (stalledNow && stalledNow.message !== stalledBefore?.message) {
    await ctx.events.record(install as KubeObject, 'Warning', stalledNow.reason, stalledNow.message);
  }
  // resourceVersion makes the write conditional: a status computed from a stale cache is refused
  // (409) and recomputed, so nothing recorded in it (lastAppliedSpecDigest) can be lost.
  const written = await ctx.client.apply(
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppInstall',
      metadata: {
        name: install.metadata.name,
        namespace: install.metadata.namespace,
        resourceVersion: work.resourceVersion ?? install.metadata.resourceVersion,
      },
      status,
    },
    { subresource: 'status' },
  );
  expectResourceVersion(install, written.metadata?.resourceVersion);
}
