import semver from 'semver';

export interface ChooseOptions {
  /** An explicit target; otherwise the highest newer version. */
  target?: string;
  allowDowngrade?: boolean;
  includePrereleases?: boolean;
}

export type Choice = { ok: true; version: string } | { ok: false; reason: string };

/** Versions of `available` newer than `installed` by SemVer precedence, highest first. */
export function newerVersions(
  installed: string,
  available: readonly string[],
  includePrereleases = false,
): string[] {
  return [...new Set(available)]
    .filter(
      (v) => semver.valid(v) && semver.gt(v, installed) && (includePrereleases || !semver.prerelease(v)),
    )
    .sort(semver.rcompare);
}

/** Picks the version an upgrade moves to, or says why there is none. Never compares as strings. */
export function chooseUpgrade(
  installed: string,
  available: readonly string[],
  options: ChooseOptions = {},
): Choice {
  const listing = () => (available.length ? [...available].sort(semver.compare).join(', ') : 'none');
  if (options.target) {
    const target = options.target;
    if (!available.includes(target)) {
      return { ok: false, reason: `version ${target} is not available (available: ${listing()})` };
    }
    if (semver.eq(target, installed)) return { ok: false, reason: `version ${target} is already installed` };
    if (semver.lt(target, installed) && !options.allowDowngrade) {
      return {
        ok: false,
        reason: `${target} is lower than the installed ${installed}; set allowDowngrade to move down`,
      };
    }
    return { ok: true, version: target };
  }
  const newer = newerVersions(installed, available, options.includePrereleases);
  if (!newer.length) {
    return { ok: false, reason: `no version newer than ${installed} is available (available: ${listing()})` };
  }
  return { ok: true, version: newer[0]! };
}
