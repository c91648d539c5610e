import semver from 'semver';
import type { AppInstall, AppRevision, AppRollback, AppTemplate, AppUpgrade } from '../../api/index.js';
import {
  appInstallSchema,
  appRevisionSchema,
  appRollbackSchema,
  appTemplateSchema,
  appUpgradeSchema,
} from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { LABEL_INSTALL } from '../../model/names.js';
import type { RevisionContent } from '../../model/snapshot.js';
import { decodeSnapshot } from '../../model/snapshot.js';
import { templateSpecProblems } from '../../model/validate.js';
import type { ControllerContext } from '../context.js';

const decoded = new Map<string, RevisionContent>();

/** The decoded snapshot of a revision, cached by uid (revisions are immutable). */
export function revisionContentOf(revision: AppRevision): RevisionContent {
  const uid = revision.metadata.uid ?? `${revision.metadata.namespace}/${revision.metadata.name}`;
  let content = decoded.get(uid);
  if (!content) {
    content = decodeSnapshot(revision.spec.snapshot);
    if (decoded.size > 5000) decoded.delete(decoded.keys().next().value!);
    decoded.set(uid, content);
  }
  return content;
}

export function parseInstall(raw: KubeObject): AppInstall | undefined {
  const parsed = appInstallSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Revisions of an install, oldest first. */
export function revisionsOf(
  ctx: ControllerContext,
  namespace: string,
  install: string,
  uid?: string,
): AppRevision[] {
  return ctx.informers.revisions
    .list((o) => o.metadata?.namespace === namespace && o.metadata?.labels?.[LABEL_INSTALL] === install)
    .map((o) => appRevisionSchema.safeParse(o))
    .filter((p) => p.success)
    .map((p) => p.data)
    .filter((r) => !uid || !r.metadata.ownerReferences?.length || ownedBy(r, uid))
    .sort((a, b) => a.spec.revision - b.spec.revision);
}

const ownedBy = (r: AppRevision, uid: string) =>
  (r.metadata.ownerReferences as { uid?: string }[] | undefined)?.some((o) => o.uid === uid) ?? false;

/** Valid templates of an app, by version. */
export function templatesOf(ctx: ControllerContext, app: string): Map<string, AppTemplate> {
  const out = new Map<string, AppTemplate>();
  for (const raw of ctx.informers.templates.list(
    (o) => (o as { spec?: { app?: string } }).spec?.app === app,
  )) {
    const parsed = appTemplateSchema.safeParse(raw);
    if (!parsed.success) continue;
    if (templateSpecProblems('', parsed.data.spec).length) continue;
    out.set(parsed.data.spec.version, parsed.data);
  }
  return out;
}

export const sortedVersions = (templates: Map<string, AppTemplate>) =>
  [...templates.keys()].sort(semver.compare);

export type PendingRequest =
  { kind: 'AppUpgrade'; request: AppUpgrade } | { kind: 'AppRollback'; request: AppRollback };

/** AppUpgrades and AppRollbacks naming an install, in creation order (see request-order.ts). */
export function requestsFor(ctx: ControllerContext, namespace: string, install: string): PendingRequest[] {
  const named = (o: KubeObject) =>
    o.metadata?.namespace === namespace && (o as { spec?: { install?: string } }).spec?.install === install;
  const upgrades = ctx.informers.upgrades
    .list(named)
    .map((o) => appUpgradeSchema.safeParse(o))
    .filter((p) => p.success)
    .map((p) => ({ kind: 'AppUpgrade' as const, request: p.data }));
  const rollbacks = ctx.informers.rollbacks
    .list(named)
    .map((o) => appRollbackSchema.safeParse(o))
    .filter((p) => p.success)
    .map((p) => ({ kind: 'AppRollback' as const, request: p.data }));
  const queuedAt = (r: PendingRequest) => ctx.arrivals.queuedAt(r.request);
  return [...upgrades, ...rollbacks].sort((a, b) => queuedAt(a).localeCompare(queuedAt(b)));
}

/** The revision still being applied, if any: the newest one without a final outcome. */
export function activeRevision(revisions: readonly AppRevision[]): AppRevision | undefined {
  const latest = revisions.at(-1);
  return latest && (!latest.status || latest.status.outcome === 'Progressing') ? latest : undefined;
}
