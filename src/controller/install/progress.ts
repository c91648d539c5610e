import type { AppInstall, AppInstallStatus, AppRevision, AppRevisionStatus } from '../../api/index.js';
import { canonicalJson } from '../../model/canonical.js';

/**
 * While a rollout goes on and nothing that matters changes, its progress is written at most this
 * often (the revision's rows and message, the install's per-component replica counts).
 */
export const PROGRESS_RECORD_MS = 120_000;

const asNumber = (rv: string | undefined) => (rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined);

interface HeldProgress {
  status: AppRevisionStatus;
  /** The revision's resourceVersion this progress builds on (its last write, or as first read). */
  resourceVersion?: bigint;
  /** When the revision's progress was last written by this process, or first held. */
  recordedAt: number;
}

/**
 * The progress of the rollouts this process is driving, written behind (except for a change a
 * request asked for: see followedByPeople): a level that starts or finishes changes only the
 * revision's rows and messages, which the next reconcile needs and an
 * operator that restarts can derive again from the workloads (each carries its revision's label). So
 * such changes are held here and written with the next write that matters (a hook's step, the
 * outcome), or after PROGRESS_RECORD_MS. A restart loses at most that much of the record: the rows
 * come back from the cluster, with the restart's time as the start of the levels still rolling.
 *
 * Likewise the install's status is not rewritten while its operation goes on and only transient
 * fields (replica counts, progress messages) changed, except every PROGRESS_RECORD_MS.
 */
export class ProgressRecords {
  private readonly revisions = new Map<string, HeldProgress>();
  private readonly installs = new Map<string, number>();

  constructor(private readonly clock: () => number) {}

  /** The revision with the progress held for it (its stored status otherwise). */
  overlay(revision: AppRevision): AppRevision {
    const uid = revision.metadata.uid;
    const held = uid ? this.revisions.get(uid) : undefined;
    if (!held) return revision;
    const cached = asNumber(revision.metadata.resourceVersion);
    const ended = revision.status?.outcome && revision.status.outcome !== 'Progressing';
    // written by someone else since (another replica before this one was elected): theirs stands
    const overtaken =
      held.resourceVersion !== undefined && cached !== undefined && cached > held.resourceVersion;
    if (ended || overtaken) {
      this.revisions.delete(uid!);
      return revision;
    }
    return { ...revision, status: held.status };
  }

  /**
   * Whether a rollout's new progress must be written now: it changed something that matters (a hook's
   * row), or the last record is PROGRESS_RECORD_MS old. Otherwise it is held (see overlay).
   */
  mustWrite(
    revision: AppRevision,
    before: AppRevisionStatus | undefined,
    status: AppRevisionStatus,
  ): boolean {
    const uid = revision.metadata.uid;
    if (!uid) return true;
    if (canonicalJson(before?.hooks ?? null) !== canonicalJson(status.hooks ?? null)) return true;
    if (followedByPeople(revision) && canonicalJson(states(before)) !== canonicalJson(states(status)))
      return true;
    const held = this.revisions.get(uid);
    const now = this.clock();
    if (held && now - held.recordedAt >= PROGRESS_RECORD_MS) return true;
    this.revisions.set(uid, {
      status: structuredClone(status),
      resourceVersion: held?.resourceVersion ?? asNumber(revision.metadata.resourceVersion),
      recordedAt: held?.recordedAt ?? now,
    });
    return false;
  }

  /** A revision's status was written (resourceVersion as returned): nothing of it is held any more. */
  written(revision: AppRevision, status: AppRevisionStatus, resourceVersion: string | undefined): void {
    const uid = revision.metadata.uid;
    if (!uid) return;
    if (status.outcome && status.outcome !== 'Progressing') this.revisions.delete(uid);
    else
      this.revisions.set(uid, {
        status: structuredClone(status),
        resourceVersion: asNumber(resourceVersion),
        recordedAt: this.clock(),
      });
  }

  /**
   * Whether an install's newly computed status is worth writing: it differs from the stored one in
   * more than the transient fields of an operation that goes on, or its last write by this process
   * is PROGRESS_RECORD_MS old.
   */
  installStatusChanged(install: AppInstall, status: AppInstallStatus): boolean {
    const stored = install.status ?? {};
    if (canonicalJson(status) === canonicalJson(stored)) return false;
    const uid = install.metadata.uid ?? '';
    const sameOperation =
      status.operation !== undefined &&
      canonicalJson(status.operation) === canonicalJson(stored.operation ?? null);
    if (!sameOperation || canonicalJson(lasting(status)) !== canonicalJson(lasting(stored))) return true;
    const now = this.clock();
    const last = this.installs.get(uid);
    if (last === undefined) this.installs.set(uid, now);
    return last !== undefined && now - last >= PROGRESS_RECORD_MS;
  }

  /** An install's status was written. */
  wroteInstall(install: AppInstall, status: AppInstallStatus): void {
    const uid = install.metadata.uid ?? '';
    if (status.operation) this.installs.set(uid, this.clock());
    else this.installs.delete(uid);
  }

  /** An install or revision was deleted. */
  forget(uid: string | undefined): void {
    if (!uid) return;
    this.revisions.delete(uid);
    this.installs.delete(uid);
  }

  /** Revisions with progress held, installs with an operation followed (for tests and metrics). */
  get size(): { revisions: number; installs: number } {
    return { revisions: this.revisions.size, installs: this.installs.size };
  }
}

/**
 * A change an AppUpgrade or AppRollback asked for is followed live (ferry upgrade --approve, the
 * console's progress, kubectl get -w on the request, whose rows mirror the revision's): each
 * component starting and ending is written as it happens. A fresh install and a spec-driven change
 * (GitOps) only record them behind, as above.
 */
const followedByPeople = (revision: AppRevision) =>
  revision.spec.causeRef?.kind === 'AppUpgrade' || revision.spec.causeRef?.kind === 'AppRollback';

const states = (status: AppRevisionStatus | undefined) =>
  (status?.components ?? []).map((c) => `${c.name}:${c.state}`);

/** An install status without what changes as an operation goes on: replica counts, messages. */
const lasting = (status: AppInstallStatus) => ({
  ...status,
  components: status.components?.map((c) => ({ name: c.name, workload: c.workload })),
  conditions: status.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
});
