import semver from 'semver';
import type { AppInstall, AppRevision, AppUpgrade } from '../api/index.js';
import { GROUP_VERSION } from '../api/index.js';
import { sha256Hex } from './canonical.js';
import { gitOpsMark, isTerminal } from './requests.js';

/** On an AppUpgrade the operator proposed: the upgradePolicy.track range it was proposed for. */
export const LABEL_TRACK = 'ferry.dev/track';

export type Track = 'patch' | 'minor';

/** Versions of `available` above `installed` within the track's range, highest first. */
export function versionsInTrack(
  installed: string,
  available: readonly string[],
  track: Track,
  includePrereleases = false,
): string[] {
  const base = semver.parse(installed);
  if (!base) return [];
  return [...new Set(available)]
    .filter((v) => {
      const parsed = semver.parse(v);
      if (!parsed || !semver.gt(parsed, base)) return false;
      if (parsed.prerelease.length && !includePrereleases) return false;
      if (parsed.major !== base.major) return false;
      return track === 'minor' || parsed.minor === base.minor;
    })
    .sort(semver.rcompare);
}

/**
 * The name of the AppUpgrade proposed for a version: deterministic, so a restarted operator finds the
 * one it made instead of making another. Versions that are not a valid name part as they are
 * (upper-case pre-release tags) get a short digest so two of them never share a name.
 */
export function trackedUpgradeName(install: string, version: string): string {
  const part = version.toLowerCase();
  const suffix = part === version ? '' : `-${sha256Hex(version).slice(0, 8)}`;
  return `${install}-track-${part}${suffix}`.slice(0, 253);
}

export interface TrackInput {
  install: AppInstall;
  /** Revisions of the install, oldest first. */
  revisions: readonly AppRevision[];
  /** Versions of the app's valid templates. */
  versions: readonly string[];
  /** Every AppUpgrade of the install (ended ones too). */
  upgrades: readonly AppUpgrade[];
  /** Whether any AppRollback of the install has not ended. */
  rollbackPending: boolean;
}

export interface TrackDecision {
  /** The AppUpgrade to create, if any. */
  create?: AppUpgrade;
  /** Set when autoApprove was ignored: the GitOps mark of the install (its version belongs to git). */
  autoApproveIgnored?: string;
  /** Tracked AppUpgrades, not approved yet, that a higher version in range supersedes. */
  supersede: string[];
}

const proposed = (u: AppUpgrade) => u.metadata.labels?.[LABEL_TRACK] !== undefined;
const waitingForApproval = (u: AppUpgrade) =>
  !isTerminal(u) && u.spec.approval === 'Manual' && !u.spec.approved;

/**
 * upgradePolicy.track: which AppUpgrade to propose now. Nothing while a change runs, after a failed
 * one, or while another request waits (except earlier proposals still waiting for approval, which
 * the new one replaces); never a version that was already proposed (whatever became of that
 * proposal) or that failed. An install a GitOps tool manages gets previews only: autoApprove is
 * ignored there, since the tool would put git's spec.version back. Pure.
 */
export function trackedUpgrade({
  install,
  revisions,
  versions,
  upgrades,
  rollbackPending,
}: TrackInput): TrackDecision {
  const none: TrackDecision = { supersede: [] };
  const { track, autoApprove } = install.spec.upgradePolicy;
  if (!track || rollbackPending) return none;
  const latest = revisions.at(-1);
  if (!latest || latest.status?.outcome !== 'Succeeded') return none;
  const open = upgrades.filter((u) => !isTerminal(u));
  if (open.some((u) => !(proposed(u) && waitingForApproval(u)))) return none;

  const failed = new Set(revisions.filter((r) => r.status?.outcome === 'Failed').map((r) => r.spec.version));
  const target = versionsInTrack(latest.spec.version, versions, track, install.spec.includePrereleases)[0];
  if (!target || failed.has(target)) return none;
  const name = trackedUpgradeName(install.metadata.name, target);
  if (upgrades.some((u) => u.metadata.name === name)) return none;
  const gitOps = gitOpsMark(install.metadata);
  const approve = autoApprove && !gitOps;
  return {
    ...(autoApprove && gitOps ? { autoApproveIgnored: gitOps } : {}),
    create: {
      apiVersion: GROUP_VERSION,
      kind: 'AppUpgrade',
      metadata: {
        name,
        namespace: install.metadata.namespace,
        labels: { [LABEL_TRACK]: track },
        annotations: { 'ferry.dev/proposed-from': latest.spec.version },
      },
      spec: {
        install: install.metadata.name,
        toVersion: target,
        approval: approve ? 'Automatic' : 'Manual',
        approved: false,
        allowDowngrade: false,
        includePrereleases: install.spec.includePrereleases,
      },
    },
    supersede: open.map((u) => u.metadata.name),
  };
}
