import type { KubeObject } from '../kube/client.js';
import { LABEL_INSTALL } from '../model/names.js';
import type { InformerEvent } from './runtime/informer.js';
import { objectKey } from './runtime/informer.js';
import { Priority } from './runtime/queue.js';

/**
 * Which installs have a rollout in progress (a revision without an outcome), from the AppRevision
 * informer's events, and the priority of an install's key in the queue that follows from it:
 * finishing a rollout that started goes first (High), then what users just changed (Normal), then the
 * backlog of the initial list and the periodic resyncs (Low). WorkQueue serves them by weight, so the
 * lower ones keep moving.
 */
export class InstallPriorities {
  /** Install key → keys of its revisions in progress. */
  private readonly active = new Map<string, Set<string>>();

  /** Follows a revision's event; returns its install's key when the install started or stopped rolling. */
  observe(event: InformerEvent, revision: KubeObject): string | undefined {
    const install = revision.metadata?.labels?.[LABEL_INSTALL];
    if (!install) return undefined;
    const key = `${revision.metadata!.namespace}/${install}`;
    const before = this.active.has(key);
    const status = (revision as { status?: { outcome?: string } }).status;
    const inProgress = event !== 'delete' && (!status?.outcome || status.outcome === 'Progressing');
    const revisions = this.active.get(key);
    if (inProgress) {
      if (revisions) revisions.add(objectKey(revision));
      else this.active.set(key, new Set([objectKey(revision)]));
    } else if (revisions?.delete(objectKey(revision)) && !revisions.size) this.active.delete(key);
    return before === this.active.has(key) ? undefined : key;
  }

  /** Whether the install has a rollout in progress. */
  rolling(installKey: string): boolean {
    return this.active.has(installKey);
  }

  /** The priority of an install's key: `live` for a watch event, not for a list or a resync. */
  of(installKey: string, live: boolean): number {
    if (this.rolling(installKey)) return Priority.High;
    return live ? Priority.Normal : Priority.Low;
  }
}

/**
 * Whether an informer event is a live change someone made (Normal priority for an install that has no
 * rollout going on), not the backlog: not the initial list, not a resync, and not an update that
 * left the spec as it was (metadata.generation unchanged: a status write — most often the operator's
 * own, coming back — or a label). As controller-runtime's priority queue does with unchanged objects:
 * otherwise the echoes of a fleet's status writes queue ahead of an install just created.
 */
export function isLiveChange(
  informer: { hasSynced: boolean },
  event: InformerEvent,
  object: KubeObject,
  old: KubeObject | undefined,
): boolean {
  if (event === 'resync' || !informer.hasSynced) return false;
  if (event !== 'update' || !old) return true;
  const generation = (o: KubeObject) => (o.metadata as { generation?: number } | undefined)?.generation;
  return generation(object) === undefined || generation(object) !== generation(old);
}
