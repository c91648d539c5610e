import semver from 'semver';
import { SEMVER_PATTERN } from '../api/index.js';

const SEMVER = new RegExp(SEMVER_PATTERN);

/** A tag that names a version (the market's other tags — signatures, the publisher — never do). */
export const isVersionTag = (tag: string) => SEMVER.test(tag);

export const compareVersions = (a: string, b: string) => semver.compare(a, b);
