/**
 * Where a step's seconds go (bench/helm/bench.ts): watches one namespace's pods, Deployments,
 * StatefulSets and Jobs from the bench process and, per step, tells for each component when its
 * workload was changed, when its first new pod appeared, when its new pods were all Ready, when it
 * had rolled out (observed generation, all replicas updated and available, no old pod counted) and
 * when its last old pod was gone — the same for Helm and for Ferry, on the bench's own clock
 * (milliseconds, where the objects' own timestamps have seconds).
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { KubeClient, KubeObject, ObjectRef } from '../../src/kube/client.js';
import { LABEL_COMPONENT } from '../../src/model/names.js';

interface Seen {
  t: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject & { status?: Record<string, unknown>; spec?: Record<string, unknown> };
}

const KINDS: ObjectRef[] = [
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
];

export class Trace {
  private readonly seen = new Map<string, Seen[]>(KINDS.map((k) => [k.kind, []]));
  private readonly abort = new AbortController();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {
    for (const ref of KINDS) void this.follow(ref);
  }

  private async follow(ref: ObjectRef): Promise<void> {
    while (!this.abort.signal.aborted) {
      await this.client
        .watch(
          { ...ref, namespace: this.namespace },
          '',
          (event) => {
            if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
            this.seen.get(ref.kind)!.push({
              t: performance.now(),
              type: event.type,
              object: event.object as Seen['object'],
            });
          },
          { signal: this.abort.signal, timeoutSeconds: 3600 },
        )
        .catch(() => undefined);
    }
  }

  stop(): void {
    this.abort.abort();
  }

  /** One line per component (and hook Job) for the step that ran from `t0` to `t1`. */
  report(t0: number, t1: number): string[] {
    const at = (t: number | undefined) => (t === undefined ? '-' : `${((t - t0) / 1000).toFixed(1)}`);
    const pods = this.seen.get('Pod')!;
    const existing = new Set(pods.filter((e) => e.t < t0).map((e) => e.object.metadata!.uid));
    const inStep = (e: Seen) => e.t >= t0 && e.t <= t1;
    const workloads = [...this.seen.get('Deployment')!, ...this.seen.get('StatefulSet')!];
    const components = [
      ...new Set(workloads.map((e) => e.object.metadata?.labels?.[LABEL_COMPONENT]).filter(Boolean)),
    ] as string[];
    const lines: string[] = [];
    for (const component of components) {
      const mine = workloads.filter((e) => e.object.metadata?.labels?.[LABEL_COMPONENT] === component);
      const genBefore = mine.filter((e) => e.t < t0).at(-1)?.object.metadata?.generation ?? 0;
      const changed = mine.find(
        (e) => inStep(e) && e.type !== 'DELETED' && (e.object.metadata?.generation ?? 0) > genBefore,
      );
      const deleted = mine.find((e) => inStep(e) && e.type === 'DELETED');
      const rolledOut = changed && mine.find((e) => e.t >= changed.t && inStep(e) && rolled(e.object));
      const podsOf = pods.filter((e) => e.object.metadata?.labels?.[LABEL_COMPONENT] === component);
      const fresh = podsOf.filter((e) => inStep(e) && !existing.has(e.object.metadata!.uid));
      const freshUids = [...new Set(fresh.map((e) => e.object.metadata!.uid))];
      const survivors = freshUids.filter(
        (uid) => !fresh.some((e) => e.object.metadata!.uid === uid && e.type === 'DELETED'),
      );
      const readyAt = (uid: string | undefined) =>
        fresh.find((e) => e.object.metadata!.uid === uid && podReady(e.object as V1Pod))?.t;
      const newReady =
        survivors.length && survivors.every((u) => readyAt(u) !== undefined)
          ? Math.max(...survivors.map(readyAt).map(Number))
          : undefined;
      // Old pods: there at the start and not yet stopping then (an earlier step's may still be).
      const stoppingBefore = new Set(
        podsOf
          .filter((e) => e.t < t0 && e.object.metadata?.deletionTimestamp)
          .map((e) => e.object.metadata!.uid),
      );
      const old = podsOf.filter(
        (e) =>
          inStep(e) && existing.has(e.object.metadata!.uid) && !stoppingBefore.has(e.object.metadata!.uid),
      );
      const stopping = old.filter((e) => e.object.metadata?.deletionTimestamp).map((e) => e.t);
      const gone = old.filter((e) => e.type === 'DELETED').map((e) => e.t);
      if (!changed && !deleted && !fresh.length && !gone.length) continue;
      lines.push(
        `${component}: changed ${at(changed?.t)}, first new pod ${at(fresh[0]?.t)}, new pods Ready ${at(newReady)}, ` +
          `rolled out ${at(rolledOut?.t)}, old pods stopping ${at(stopping[0])}, last gone ${at(gone.length ? Math.max(...gone) : undefined)}` +
          (deleted ? `, deleted ${at(deleted.t)}` : ''),
      );
    }
    for (const job of new Set(
      this.seen
        .get('Job')!
        .filter(inStep)
        .map((e) => e.object.metadata!.name!),
    )) {
      const events = this.seen.get('Job')!.filter((e) => inStep(e) && e.object.metadata!.name === job);
      const done = events.find((e) =>
        (e.object as V1Job).status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'),
      );
      const condition = (type: string) =>
        events.find((e) =>
          (e.object as V1Job).status?.conditions?.some((c) => c.type === type && c.status === 'True'),
        );
      const podEvents = pods.filter(
        (e) => inStep(e) && e.object.metadata?.labels?.['batch.kubernetes.io/job-name'] === job,
      );
      const exited = podEvents.find((e) => (e.object as V1Pod).status?.phase === 'Succeeded');
      lines.push(
        `job ${job}: created ${at(events[0]?.t)}, pod ${at(podEvents[0]?.t)}, pod Succeeded ${at(exited?.t)}, ` +
          `SuccessCriteriaMet ${at(condition('SuccessCriteriaMet')?.t)}, Complete ${at(done?.t)}`,
      );
    }
    return lines;
  }
}

const podReady = (pod: V1Pod) =>
  !pod.metadata?.deletionTimestamp &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Ferry's "rolled out" of src/model/rollout.ts, on the watched object. */
function rolled(object: Seen['object']): boolean {
  const status = (object.status ?? {}) as Record<string, number | string | undefined>;
  const desired = Number((object.spec as { replicas?: number } | undefined)?.replicas ?? 1);
  if (Number(status.observedGeneration ?? 0) < (object.metadata?.generation ?? 1)) return false;
  const all = (field: string) => Number(status[field] ?? 0) === desired;
  const base = all('updatedReplicas') && all('availableReplicas') && all('replicas');
  return object.kind === 'StatefulSet'
    ? base && all('readyReplicas') && status.currentRevision === status.updateRevision
    : base;
}
