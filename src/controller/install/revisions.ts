import type { AppInstall, AppRevision, AppRevisionSpec, AppRevisionStatus } from '../../api/index.js';
import {
  GROUP_VERSION,
  Reason,
  appRevisionSchema,
  appRevisionStatusSchema,
  revisionName,
} from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError } from '../../kube/client.js';
import type { RevisionDraft } from '../../model/drafts.js';
import { LABEL_INSTALL } from '../../model/names.js';
import { describeRevision } from '../../model/revisions.js';
import { encodeSnapshot } from '../../model/snapshot.js';
import type { ControllerContext } from '../context.js';
import type { InstallWork } from './work.js';
import { replaceRevision } from './work.js';

/**
 * Creates the next revision for a draft, records that it started (status, metric, Event, log) and
 * adds it to the work.
 */
export async function beginRevision(
  ctx: ControllerContext,
  work: InstallWork,
  draft: RevisionDraft,
  causeRef: AppRevisionSpec['causeRef'],
  annotations: Record<string, string> = {},
): Promise<AppRevision> {
  const revision = await createRevision(ctx, work.install, work.revisions, draft, causeRef, annotations);
  work.revisions.push(revision);
  ctx.metrics.upgrades.inc({ cause: draft.cause, outcome: 'Started' });
  work.log.info(
    { revision: revision.spec.revision, cause: draft.cause, version: draft.version },
    `${describeRevision(revision)} started`,
  );
  await ctx.events.record(
    work.install as KubeObject,
    'Normal',
    startReason(draft.cause),
    `${describeRevision(revision)} started`,
  );
  return revision;
}

const startReason = (cause: string) =>
  (
    ({
      Install: Reason.Installing,
      Upgrade: Reason.Upgrading,
      Rollback: Reason.RollingBack,
      ParameterChange: Reason.ApplyingParameterChange,
    }) as Record<string, string>
  )[cause] ?? Reason.ApplyingConfigChange;

/**
 * Creates the next AppRevision for a draft. Idempotent: if that number exists with the same inputs
 * and cause (an earlier attempt got this far), it is adopted instead of duplicated.
 */
export async function createRevision(
  ctx: ControllerContext,
  install: AppInstall,
  revisions: readonly AppRevision[],
  draft: RevisionDraft,
  causeRef: AppRevisionSpec['causeRef'],
  annotations: Record<string, string> = {},
): Promise<AppRevision> {
  const number = (revisions.at(-1)?.spec.revision ?? 0) + 1;
  const spec: AppRevisionSpec = {
    install: install.metadata.name,
    revision: number,
    app: install.spec.app,
    version: draft.version,
    cause: draft.cause,
    ...(causeRef ? { causeRef } : {}),
    ...(draft.restoredRevision !== undefined ? { restoredRevision: draft.restoredRevision } : {}),
    ...(draft.changedParameters?.length ? { changedParameters: draft.changedParameters } : {}),
    images: draft.content.effective.components.map((c) => ({ component: c.name, image: c.image })),
    inputsDigest: draft.inputsDigest,
    snapshot: encodeSnapshot(draft.content),
  };
  const body: KubeObject = {
    apiVersion: GROUP_VERSION,
    kind: 'AppRevision',
    metadata: {
      name: revisionName(install.metadata.name, number),
      namespace: install.metadata.namespace,
      labels: { [LABEL_INSTALL]: install.metadata.name },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [ownerReference(install)],
    },
    spec,
  };
  let object: KubeObject;
  try {
    object = await ctx.client.create(body);
  } catch (error) {
    if (!(error instanceof KubeApiError && error.conflict)) throw error;
    const existing = await ctx.client.get<KubeObject>({ ...revisionRef(install), name: body.metadata!.name });
    const same =
      existing &&
      (existing.spec as AppRevisionSpec).inputsDigest === spec.inputsDigest &&
      (existing.spec as AppRevisionSpec).causeRef?.uid === spec.causeRef?.uid;
    if (!same)
      throw new Error(
        `AppRevision ${body.metadata!.name} exists with other content; retrying with fresh state`,
        {
          cause: error,
        },
      );
    object = existing;
  }
  ctx.expectations.createdRevision(install, number);
  // No status yet: a revision without one is in progress, and its first rollout step (in the same
  // reconcile) writes the status with the rows it started — one write fewer per change.
  return appRevisionSchema.parse(object);
}

/** The owner reference that ties an object to its install (garbage-collected with it). */
export const ownerReference = (install: AppInstall) => ({
  apiVersion: GROUP_VERSION,
  kind: 'AppInstall',
  name: install.metadata.name,
  uid: install.metadata.uid,
  controller: true,
  blockOwnerDeletion: true,
});

const revisionRef = (install: AppInstall) => ({
  apiVersion: GROUP_VERSION,
  kind: 'AppRevision',
  namespace: install.metadata.namespace,
});

/** Writes a revision's status (through /status) and returns the revision as it now is. */
export async function writeRevisionStatus(
  ctx: ControllerContext,
  revision: AppRevision,
  status: AppRevisionStatus,
): Promise<AppRevision> {
  // A merge patch keeps keys it does not mention: fields the new status dropped are nulled (all the
  // schema knows: the status in hand may be progress held in memory, not what is stored).
  const cleared = Object.fromEntries(
    [...new Set([...Object.keys(appRevisionStatusSchema.shape), ...Object.keys(revision.status ?? {})])]
      .filter((k) => !(k in status))
      .map((k) => [k, null]),
  );
  const written = await ctx.client.mergePatch(
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppRevision',
      namespace: revision.metadata.namespace,
      name: revision.metadata.name,
    },
    { status: { ...cleared, ...status } },
    'status',
  );
  ctx.progress.written(revision, status, written.metadata?.resourceVersion);
  return { ...revision, status };
}

/** Writes a revision's status and puts the updated revision into the work. */
export async function updateRevisionStatus(
  ctx: ControllerContext,
  work: InstallWork,
  revision: AppRevision,
  status: AppRevisionStatus,
): Promise<AppRevision> {
  const updated = await writeRevisionStatus(ctx, revision, status);
  replaceRevision(work, updated);
  return updated;
}

/** Deletes the oldest revisions beyond historyLimit; never the current one nor one in progress. */
export async function collectGarbage(
  ctx: ControllerContext,
  install: AppInstall,
  revisions: readonly AppRevision[],
): Promise<void> {
  const current = install.status?.revision;
  const keep = new Set(
    [...revisions]
      .sort((a, b) => b.spec.revision - a.spec.revision)
      .slice(0, install.spec.historyLimit)
      .map((r) => r.spec.revision),
  );
  for (const r of revisions) {
    const inProgress = !r.status || r.status.outcome === 'Progressing';
    if (keep.has(r.spec.revision) || r.spec.revision === current || inProgress) continue;
    await ctx.client.delete({ ...revisionRef(install), name: r.metadata.name });
  }
}
