import type { ComponentStatus } from '../api/index.js';
import type { RolloutState } from './rollout.js';

/**
 * The state shown for one component in AppInstall status. A component the applied version's template
 * no longer has (kept from an earlier version) is `Retained` once rolled out, so it is not mistaken
 * for part of the version; while it rolls or fails it shows that instead.
 */
export function componentState(
  rollout: Pick<RolloutState, 'applied' | 'complete'>,
  { failed, retained }: { failed: boolean; retained: boolean },
): ComponentStatus['state'] {
  if (failed) return 'Failed';
  if (!rollout.complete) return rollout.applied ? 'Progressing' : 'Pending';
  return retained ? 'Retained' : 'Ready';
}
