import type { AppInstall, AppRevision, AppRollback, AppTemplate, AppUpgrade } from '../api/index.js';
import { Reason, objectRef } from '../api/index.js';
import { chooseUpgrade } from './choose.js';
import type { RevisionDraft } from './drafts.js';
import { draftRollback, draftUpgrade, resolveRollbackTarget } from './drafts.js';
import { formatProblem } from './problems.js';
import type { ContentOf } from './revisions.js';
import type { RevisionContent } from './snapshot.js';
import { installProblems } from './validate.js';
import { volumeChangeProblems } from './volume-changes.js';

export type RequestPlan = { ok: true; draft: RevisionDraft } | { ok: false; reason: string; message: string };

const TERMINAL = new Set(['Succeeded', 'Failed', 'RolledBack']);

export const isTerminal = (request: AppUpgrade | AppRollback) => TERMINAL.has(request.status?.phase ?? '');

export const producedBy = (revisions: readonly AppRevision[], uid: string | undefined) =>
  revisions.filter((r) => uid && r.spec.causeRef?.uid === uid);

/** The version an install is at: its last successful revision's. */
export function installedVersion(install: AppInstall, revisions: readonly AppRevision[]): string | undefined {
  return (
    install.status?.version ?? revisions.filter((r) => r.status?.outcome === 'Succeeded').at(-1)?.spec.version
  );
}

/** What an AppUpgrade would apply now, or why it cannot. Shared by the install and upgrade controllers. */
export function planUpgradeRequest(
  install: AppInstall,
  revisions: readonly AppRevision[],
  templates: ReadonlyMap<string, AppTemplate>,
  request: AppUpgrade,
  contentOf: ContentOf,
): RequestPlan {
  const latest = revisions.at(-1);
  const installed = installedVersion(install, revisions);
  if (!latest || !installed) {
    return {
      ok: false,
      reason: Reason.InstallNotFound,
      message: `AppInstall ${install.metadata.name} is not installed yet`,
    };
  }
  const choice = chooseUpgrade(installed, [...templates.keys()], {
    target: request.spec.toVersion,
    allowDowngrade: request.spec.allowDowngrade,
    includePrereleases: request.spec.includePrereleases,
  });
  if (!choice.ok)
    return { ok: false, reason: Reason.NoUpgradeAvailable, message: `spec.toVersion: ${choice.reason}` };
  const template = templates.get(choice.version)!;
  const current = contentOf(latest);
  const unknown = (request.spec.components ?? []).filter(
    (c) =>
      !template.spec.components.some((t) => t.name === c) &&
      !current.effective.components.some((t) => t.name === c),
  );
  if (unknown.length) {
    return {
      ok: false,
      reason: Reason.InvalidSpec,
      message: `spec.components: unknown component(s) ${unknown.join(', ')} in ${template.spec.app} ${choice.version}`,
    };
  }
  const draft = draftUpgrade(current, template.spec, install.spec, request.spec.components);
  const problems = installProblems(
    objectRef('AppInstall', install.metadata),
    install.metadata.name,
    install.spec,
    draft.content.effective,
  );
  if (problems.length) {
    return { ok: false, reason: Reason.InvalidSpec, message: problems.map(formatProblem).join('; ') };
  }
  return refuseVolumeChanges(install, current, draft);
}

/** A plan that would shrink a volume or change an existing volume's class is refused, with the reason. */
function refuseVolumeChanges(
  install: AppInstall,
  current: RevisionContent,
  draft: RevisionDraft,
): RequestPlan {
  const refused = volumeChangeProblems(
    objectRef('AppInstall', install.metadata),
    current,
    draft.content,
    install.spec.overrides,
  );
  if (refused.length)
    return { ok: false, reason: Reason.VolumeChangeRefused, message: refused.map(formatProblem).join('; ') };
  return { ok: true, draft };
}

/** What an AppRollback would apply now, or why it cannot. */
export function planRollbackRequest(
  install: AppInstall,
  revisions: readonly AppRevision[],
  request: AppRollback,
  contentOf: ContentOf,
): RequestPlan {
  const latest = revisions.at(-1);
  if (!latest) {
    return {
      ok: false,
      reason: Reason.InstallNotFound,
      message: `AppInstall ${install.metadata.name} has no revisions`,
    };
  }
  const summaries = revisions.map((r) => ({ revision: r.spec.revision, outcome: r.status?.outcome }));
  const target = resolveRollbackTarget(summaries, latest.spec.revision, request.spec.toRevision);
  if (!target.ok)
    return { ok: false, reason: Reason.RevisionNotFound, message: `spec.toRevision: ${target.reason}` };
  const restored = revisions.find((r) => r.spec.revision === target.revision)!;
  const draft = draftRollback(
    contentOf(latest),
    { revision: target.revision, content: contentOf(restored) },
    install.spec,
    request.spec.pruneAddedComponents,
  );
  return refuseVolumeChanges(install, contentOf(latest), draft);
}

/** Marks of tools that re-create what they manage (GitOps, Helm): pruning such a request would re-run it. */
const MANAGED_LABELS = [
  'argocd.argoproj.io/instance',
  'kustomize.toolkit.fluxcd.io/name',
  'helm.toolkit.fluxcd.io/name',
];
export const ANNOTATION_KEEP = 'ferry.dev/keep';

interface PrunableRequest {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { phase?: string };
}

/** The label or annotation by which a GitOps tool marks an object it manages (it reverts changes made by others). */
export function gitOpsMark(metadata: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): string | undefined {
  if (metadata.annotations?.['argocd.argoproj.io/tracking-id']) return 'argocd.argoproj.io/tracking-id';
  return MANAGED_LABELS.find((l) => metadata.labels?.[l] !== undefined);
}

/** Whether a request may be deleted once it ended: not kept on purpose, not managed by a re-creating tool. */
export function prunable(request: PrunableRequest): boolean {
  const labels = request.metadata.labels ?? {};
  const annotations = request.metadata.annotations ?? {};
  if (annotations[ANNOTATION_KEEP] === 'true' || annotations['argocd.argoproj.io/tracking-id']) return false;
  if (labels['app.kubernetes.io/managed-by'] === 'Helm') return false;
  return !MANAGED_LABELS.some((l) => labels[l] !== undefined);
}

/**
 * The ended requests of an install to delete: all but the newest `limit` ended ones (the list comes
 * in creation order), of those only the prunable ones.
 */
export function requestsToPrune<T extends PrunableRequest & { status?: { phase?: string } }>(
  requestsInCreationOrder: readonly T[],
  limit: number,
): T[] {
  const ended = requestsInCreationOrder.filter((r) => TERMINAL.has(r.status?.phase ?? ''));
  return ended.slice(0, Math.max(0, ended.length - limit)).filter(prunable);
}
