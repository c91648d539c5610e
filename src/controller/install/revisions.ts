import type { AppInstall, AppRevision, AppRevisionSpec, AppRevisionStatus } from '../../api/index.js';
import { GROUP_VERSION, appRevisionSchema, revisionName } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError } from '../../kube/client.js';
import { LABEL_INSTALL } from '../../model/names.js';
import { encodeSnapshot } from '../../model/snapshot.js';
import type { ControllerContext } from '../context.js';
import type { RevisionDraft } from './draft.js';
import { initialProgress } from './execute.js';

export const iso = (d: Date) => d.toISOString();

/** Highest revision numbers created per install by this process, to notice a cache that lags behind. */
const created = new Map<string, number>();

export function cacheLagsBehind(install: AppInstall, revisions: readonly AppRevision[]): boolean {
  const key = install.metadata.uid ?? '';
  return (created.get(key) ?? 0) > (revisions.at(-1)?.spec.revision ?? 0);
}

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
  const namespace = install.metadata.namespace!;
  const number = (revisions.at(-1)?.spec.revision ?? 0) + 1;
  const spec: AppRevisionSpec = {
    install: install.metadata.name,
    revision: number,
    app: install.spec.app,
    version: draft.version,
    cause: draft.cause,
    ...(causeRef ? { causeRef } : {}),
    ...(draft.restoredRevision !== undefined ? { restoredRevision: draft.restoredRevision } : {}),
    images: draft.content.effective.components.map((c) => ({ component: c.name, image: c.image })),
    inputsDigest: draft.inputsDigest,
    snapshot: encodeSnapshot(draft.content),
  };
  const body: KubeObject = {
    apiVersion: GROUP_VERSION,
    kind: 'AppRevision',
    metadata: {
      name: revisionName(install.metadata.name, number),
      namespace,
      labels: { [LABEL_INSTALL]: install.metadata.name },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [
        {
          apiVersion: GROUP_VERSION,
          kind: 'AppInstall',
          name: install.metadata.name,
          uid: install.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
  let object: KubeObject;
  try {
    object = await ctx.client.create(body);
  } catch (error) {
    if (!(error instanceof KubeApiError && error.conflict)) throw error;
    const existing = await ctx.client.get<KubeObject>({ ...refOf(install), name: body.metadata!.name });
    const same =
      existing &&
      (existing.spec as AppRevisionSpec).inputsDigest === spec.inputsDigest &&
      (existing.spec as AppRevisionSpec).causeRef?.uid === spec.causeRef?.uid;
    if (!same)
      throw new Error(
        `AppRevision ${body.metadata!.name} exists with other content; retrying with fresh state`,
        { cause: error },
      );
    object = existing;
  }
  created.set(install.metadata.uid ?? '', number);
  const revision = appRevisionSchema.parse(object);
  if (!revision.status) {
    revision.status = {
      outcome: 'Progressing',
      startedAt: iso(ctx.now()),
      components: initialProgress(draft.content),
    };
    await writeRevisionStatus(ctx, revision, revision.status);
  }
  return revision;
}

const refOf = (install: AppInstall) => ({
  apiVersion: GROUP_VERSION,
  kind: 'AppRevision',
  namespace: install.metadata.namespace,
});

export async function writeRevisionStatus(
  ctx: ControllerContext,
  revision: AppRevision,
  status: AppRevisionStatus,
): Promise<void> {
  // A merge patch keeps keys it does not mention: fields the new status dropped are nulled.
  const cleared = Object.fromEntries(
    Object.keys(revision.status ?? {})
      .filter((k) => !(k in status))
      .map((k) => [k, null]),
  );
  await ctx.client.mergePatch(
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppRevision',
      namespace: revision.metadata.namespace,
      name: revision.metadata.name,
    },
    { status: { ...cleared, ...status } },
    'status',
  );
  revision.status = status;
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
    if (keep.has(r.spec.revision) || r.spec.revision === current || r.status?.outcome === 'Progressing')
      continue;
    await ctx.client.delete({ ...refOf(install), name: r.metadata.name });
  }
}
