import type { AppRevision, ComponentProgress } from '../api/index.js';
import { dependencyLevels } from './order.js';
import type { RevisionContent } from './snapshot.js';

/** The decoded content of a revision (callers cache it: revisions are immutable). */
export type ContentOf = (revision: AppRevision) => RevisionContent;

/** Annotation on a revision that rolls back a failed one on its own (its value: the failed number). */
export const ANNOTATION_AUTO_ROLLBACK_OF = 'ferry.dev/auto-rollback-of';

/** The revision still being applied, if any: the newest one without a final outcome. */
export function activeRevision(revisions: readonly AppRevision[]): AppRevision | undefined {
  const latest = revisions.at(-1);
  return latest && (!latest.status || latest.status.outcome === 'Progressing') ? latest : undefined;
}

/** The last revision that succeeded and was not replaced since. */
export const lastSucceeded = (revisions: readonly AppRevision[]) =>
  revisions.filter((r) => r.status?.outcome === 'Succeeded').at(-1);

/**
 * Annotation on a revision: the digest of the install spec (draftDigest) that is applied once the
 * revision is current — recorded when the revision is created, so it survives a status write that was
 * lost (an AppUpgrade of some components, whose inputs differ from the spec, otherwise looks like a
 * spec change still to be applied).
 */
export const ANNOTATION_APPLIED_SPEC = 'ferry.dev/applied-spec-digest';

/** The install spec digest a revision applies (revisions made before the annotation: their inputs). */
export const appliedSpecDigest = (revision: AppRevision) =>
  revision.metadata.annotations?.[ANNOTATION_APPLIED_SPEC] ?? revision.spec.inputsDigest;

export const isAutoRollback = (revision: AppRevision) =>
  revision.metadata.annotations?.[ANNOTATION_AUTO_ROLLBACK_OF] !== undefined;

/** Progress rows for a revision, one per component in dependency order, all Pending. */
export function initialProgress(content: RevisionContent): ComponentProgress[] {
  return dependencyLevels(content.effective.components).flatMap((names, level) =>
    names.map((name) => ({ name, level, state: 'Pending' as const })),
  );
}

/** One line naming a revision and what it does, for messages and Events. */
export function describeRevision(revision: AppRevision): string {
  const by =
    revision.spec.causeRef && revision.spec.causeRef.kind !== 'AppInstall'
      ? ` by ${revision.spec.causeRef.kind} ${revision.spec.causeRef.name}`
      : '';
  const what = {
    Install: `installing ${revision.spec.app} ${revision.spec.version}`,
    Upgrade: `upgrading to ${revision.spec.version}`,
    Rollback: `rolling back to revision ${revision.spec.restoredRevision} (${revision.spec.version})`,
    ConfigChange: `applying a configuration change`,
    ParameterChange: `re-rendering for changed parameter Secrets${
      revision.spec.changedParameters?.length ? ` (${revision.spec.changedParameters.join(', ')})` : ''
    }`,
  }[revision.spec.cause];
  return `revision ${revision.spec.revision}, ${what}${by}`;
}
