import type { AppInstall, AppRevision, AppRevisionSpec, AppTemplate } from '../../api/index.js';
import { Reason, objectRef, templateName } from '../../api/index.js';
import type { RevisionDraft } from '../../model/drafts.js';
import {
  draftConfigChange,
  draftDigest,
  draftInstall,
  draftParameterChange,
  draftRollback,
  draftUpgrade,
  resolveRollbackTarget,
} from '../../model/drafts.js';
import { formatProblem } from '../../model/problems.js';
import { planRollbackRequest, planUpgradeRequest } from '../../model/requests.js';
import type { ContentOf } from '../../model/revisions.js';
import {
  ANNOTATION_AUTO_ROLLBACK_OF,
  activeRevision,
  appliedSpecDigest,
  isAutoRollback,
} from '../../model/revisions.js';
import { installProblems } from '../../model/validate.js';
import { volumeChangeProblems } from '../../model/volume-changes.js';
import type { PendingRequest } from '../cache.js';

export type CauseRef = NonNullable<AppRevisionSpec['causeRef']>;

/** What the install controller does next for one install; exactly one per step. */
export type InstallAction =
  /** A revision is being applied: advance its rollout. */
  | { type: 'Continue'; revision: AppRevision }
  /** The latest revision failed and the policy asks to restore the last good one. */
  | { type: 'AutoRollback'; failed: AppRevision; draft: RevisionDraft }
  /** Create the next revision, from a changed spec or from the oldest pending request that can start. */
  | { type: 'Start'; draft: RevisionDraft; causeRef: CauseRef; from: StartSource }
  /** Idle, but some workloads are missing or changed outside Ferry: re-apply them. */
  | { type: 'CorrectDrift'; revision: AppRevision; components: string[]; fields: string[] }
  /** The spec cannot be applied as it is; nothing changes until it does. */
  | { type: 'Stall'; reason: string; message: string }
  /** Nothing to do. `appliedSpecDigest`: the spec is already what the latest revision applied. */
  | { type: 'InSync'; appliedSpecDigest?: string };

export interface Rotation {
  revision: number;
  components: readonly string[];
  /** The Secret-sourced parameters whose values changed (names only). */
  parameters: readonly string[];
}

export type StartSource = { spec: true; specDigest: string } | { spec: false; version: string };

export interface DecideInput {
  install: AppInstall;
  /** Revisions of the install, oldest first. */
  revisions: readonly AppRevision[];
  /** Valid templates of the app, by version. */
  templates: ReadonlyMap<string, AppTemplate>;
  /** Whether an AppTemplate object of that name exists at all (valid or not). */
  templateExists: (name: string) => boolean;
  /** AppUpgrades and AppRollbacks that have not produced a revision and have not ended, oldest first. */
  pending: readonly PendingRequest[];
  lastAppliedSpecDigest: string | undefined;
  contentOf: ContentOf;
  /** Components of revision `revision` whose parameter Secrets changed content (parameter-secrets.ts). */
  rotation?: Rotation;
  /** The revision label of a component's workload as the cluster has it; undefined when it is missing. */
  workloadRevision: (component: string) => string | undefined;
  /** Image and env fields of a component's workload that Ferry applied and no longer owns (model/field-drift.ts). */
  lostFields?: (component: string, revision: AppRevision) => string[];
}

/**
 * Decides the next step from what is cached, in priority order: finish what runs, restore after a
 * failure, apply a changed spec, start the oldest request, re-render for rotated parameter Secrets,
 * repair drift. Pure: every input is given.
 */
export function nextAction(input: DecideInput): InstallAction {
  const active = activeRevision(input.revisions);
  if (active) return { type: 'Continue', revision: active };
  const rollback = autoRollback(input);
  if (rollback) return rollback;
  const fromSpec = startFromSpec(input);
  if (fromSpec.type !== 'InSync') return fromSpec;
  const fromRequest = startFromRequest(input);
  if (fromRequest) return fromRequest;
  const rotated = startFromRotation(input);
  if (rotated) return rotated;
  const drifted = driftedComponents(input);
  if (drifted) return drifted;
  return fromSpec;
}

function autoRollback({ install, revisions, contentOf }: DecideInput): InstallAction | undefined {
  const failed = revisions.at(-1);
  if (!failed || failed.status?.outcome !== 'Failed') return undefined;
  if (!install.spec.upgradePolicy.autoRollback || isAutoRollback(failed)) return undefined;
  const summaries = revisions.map((r) => ({ revision: r.spec.revision, outcome: r.status?.outcome }));
  const target = resolveRollbackTarget(summaries, failed.spec.revision);
  if (!target.ok) return undefined;
  const restored = revisions.find((r) => r.spec.revision === target.revision)!;
  const draft = draftRollback(
    contentOf(failed),
    { revision: target.revision, content: contentOf(restored) },
    install.spec,
    false,
  );
  return { type: 'AutoRollback', failed, draft };
}

/**
 * Whether the latest revision is an automatic rollback of a revision that applied this very spec: a
 * failed spec is not retried on its own (only an edit of the spec or a request starts again). Derived
 * from the revisions, so it holds even when the status write that recorded the spec was lost.
 */
function restoredAfter(revisions: readonly AppRevision[], specDigest: string): boolean {
  const latest = revisions.at(-1);
  if (!latest || !isAutoRollback(latest)) return false;
  const failed = Number(latest.metadata.annotations![ANNOTATION_AUTO_ROLLBACK_OF]);
  const restoredFrom = revisions.find((r) => r.spec.revision === failed);
  return restoredFrom !== undefined && appliedSpecDigest(restoredFrom) === specDigest;
}

/** A changed spec (version, parameters, overrides) becomes a new revision, once. */
function startFromSpec(input: DecideInput): InstallAction {
  const { install, revisions, templates, contentOf } = input;
  const spec = install.spec;
  const specDigest = draftDigest(spec.version, spec);
  if (specDigest === input.lastAppliedSpecDigest) return { type: 'InSync' };
  const latest = revisions.at(-1);
  if ((latest && appliedSpecDigest(latest) === specDigest) || restoredAfter(revisions, specDigest))
    return { type: 'InSync', appliedSpecDigest: specDigest };
  const template = templates.get(spec.version);
  if (!template) return templateProblem(input);

  let draft: RevisionDraft;
  if (!latest) draft = draftInstall(template.spec, spec);
  else if (latest.spec.version !== spec.version) draft = draftUpgrade(contentOf(latest), template.spec, spec);
  else draft = draftConfigChange(contentOf(latest), spec);

  const problems = installProblems(
    objectRef('AppInstall', install.metadata),
    install.metadata.name,
    spec,
    draft.content.effective,
  );
  if (problems.length)
    return { type: 'Stall', reason: Reason.InvalidSpec, message: problems.map(formatProblem).join('; ') };
  const refused = volumeChangeProblems(
    objectRef('AppInstall', install.metadata),
    latest && contentOf(latest),
    draft.content,
    spec.overrides,
  );
  if (refused.length)
    return {
      type: 'Stall',
      reason: Reason.VolumeChangeRefused,
      message: refused.map(formatProblem).join('; '),
    };
  const causeRef = { kind: 'AppInstall' as const, name: install.metadata.name, uid: install.metadata.uid };
  return { type: 'Start', draft, causeRef, from: { spec: true, specDigest } };
}

function templateProblem({ install, templates, templateExists }: DecideInput): InstallAction {
  const name = templateName(install.spec.app, install.spec.version);
  if (templateExists(name)) {
    return {
      type: 'Stall',
      reason: Reason.TemplateInvalid,
      message: `spec.version: AppTemplate ${name} is not valid; see its Valid condition`,
    };
  }
  const available = [...templates.keys()].join(', ') || 'none';
  return {
    type: 'Stall',
    reason: Reason.TemplateNotFound,
    message: `spec.version: AppTemplate ${name} not found (available versions of ${install.spec.app}: ${available}); import it with ferry import`,
  };
}

/** The oldest pending AppUpgrade or AppRollback that can start; the others wait or are reported. */
function startFromRequest(input: DecideInput): InstallAction | undefined {
  const { install, revisions, templates, contentOf } = input;
  for (const { kind, request } of input.pending) {
    if (kind === 'AppUpgrade' && request.spec.approval === 'Manual' && !request.spec.approved) continue;
    const plan =
      kind === 'AppUpgrade'
        ? planUpgradeRequest(install, revisions, templates, request, contentOf)
        : planRollbackRequest(install, revisions, request, contentOf);
    if (!plan.ok) continue;
    const causeRef = { kind, name: request.metadata.name, uid: request.metadata.uid };
    return { type: 'Start', draft: plan.draft, causeRef, from: { spec: false, version: plan.draft.version } };
  }
  return undefined;
}

/** A parameter Secret changed content: re-render the same spec as a ParameterChange revision, once. */
function startFromRotation({
  install,
  revisions,
  contentOf,
  rotation,
}: DecideInput): InstallAction | undefined {
  const latest = revisions.at(-1);
  if (!rotation?.components.length || latest?.spec.revision !== rotation.revision) return undefined;
  if (latest.status?.outcome !== 'Succeeded') return undefined;
  const spec = install.spec;
  const draft = draftParameterChange(contentOf(latest), spec, rotation.parameters);
  const causeRef = { kind: 'AppInstall' as const, name: install.metadata.name, uid: install.metadata.uid };
  return {
    type: 'Start',
    draft,
    causeRef,
    from: { spec: true, specDigest: draftDigest(spec.version, spec) },
  };
}

/**
 * Components of the last successful revision whose workload is missing, carries another revision, or
 * has image or env fields changed outside Ferry.
 */
function driftedComponents({
  revisions,
  contentOf,
  workloadRevision,
  lostFields = () => [],
}: DecideInput): InstallAction | undefined {
  const latest = revisions.at(-1);
  if (!latest || latest.status?.outcome !== 'Succeeded') return undefined;
  const fields: string[] = [];
  const components = contentOf(latest)
    .effective.components.map((c) => c.name)
    .filter((name) => {
      if (workloadRevision(name) !== String(latest.spec.revision)) return true;
      const lost = lostFields(name, latest);
      fields.push(...lost);
      return lost.length > 0;
    });
  return components.length ? { type: 'CorrectDrift', revision: latest, components, fields } : undefined;
}
