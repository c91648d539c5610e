import type { KubeClient } from '../../src/kube/client.js';
import type { Workload } from './shop.js';

export interface Sample {
  /** Position in the order the samples arrived. */
  seq: number;
  at: number;
  name: string;
  kind: string;
  resourceVersion: string;
  generation: number;
  observedGeneration: number;
  desired: number;
  available: number;
  updated: number;
  ready: number;
  total: number;
  currentRevision?: string;
  updateRevision?: string;
  image: string;
}

/**
 * Records every change of the Deployments and StatefulSets of a namespace through watches, so a test
 * can check what was true at each moment of a rollout (not only at the end). A watch that fails makes
 * stop() throw: a silent gap in the samples would let availability checks pass on missing data.
 */
export class WorkloadRecorder {
  readonly samples: Sample[] = [];
  private readonly abort = new AbortController();
  private readonly watches: Promise<void>[] = [];
  private readonly errors: string[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    for (const kind of ['Deployment', 'StatefulSet']) {
      const ref = { apiVersion: 'apps/v1', kind, namespace: this.namespace };
      const list = await this.client.list<Workload>(ref);
      for (const w of list.items) this.record(kind, w);
      this.watches.push(this.follow(kind, list.metadata.resourceVersion));
    }
  }

  /** Watches from `resourceVersion` on, resuming where a stream the server closed left off. */
  private async follow(kind: string, resourceVersion: string): Promise<void> {
    const ref = { apiVersion: 'apps/v1', kind, namespace: this.namespace };
    let from = resourceVersion;
    while (!this.abort.signal.aborted) {
      try {
        await this.client.watch<Workload>(
          ref,
          from,
          (e) => {
            if (e.object.metadata?.resourceVersion) from = e.object.metadata.resourceVersion;
            if (e.type !== 'BOOKMARK') this.record(kind, e.object);
          },
          { signal: this.abort.signal, timeoutSeconds: 600 },
        );
      } catch (error) {
        this.errors.push(`${kind} watch: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
  }

  /** Stops watching; throws if any watch failed while recording. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.watches);
    if (this.errors.length) throw new Error(`workload recorder lost events: ${this.errors.join('; ')}`);
  }

  private record(kind: string, w: Workload): void {
    const status = w.status as
      (NonNullable<Workload['status']> & { currentRevision?: string; updateRevision?: string }) | undefined;
    this.samples.push({
      seq: this.samples.length,
      at: Date.now(),
      name: w.metadata!.name!,
      kind,
      resourceVersion: w.metadata!.resourceVersion!,
      generation: w.metadata?.generation ?? 0,
      observedGeneration: status?.observedGeneration ?? 0,
      desired: w.spec?.replicas ?? 1,
      available: status?.availableReplicas ?? 0,
      updated: status?.updatedReplicas ?? 0,
      ready: status?.readyReplicas ?? 0,
      total: status?.replicas ?? 0,
      currentRevision: status?.currentRevision,
      updateRevision: status?.updateRevision,
      image: w.spec?.template.spec?.containers[0]?.image ?? '',
    });
  }

  of(name: string): Sample[] {
    return this.samples.filter((s) => s.name === name);
  }

  /** The first sample in which the workload carried `image` in its spec. */
  firstWith(name: string, image: string): Sample | undefined {
    return this.of(name).find((s) => s.image === image);
  }

  /** The first sample in which the workload had completely rolled out `image`. */
  firstRolledOut(name: string, image: string): Sample | undefined {
    return this.of(name).find((s) => s.image === image && rolledOut(s));
  }
}

/**
 * The controller has observed the current spec, every desired pod is updated and available, no old
 * pod is left, and (StatefulSet) the current revision is the update revision.
 */
export function rolledOut(s: Sample): boolean {
  return (
    s.observedGeneration >= s.generation &&
    s.updated === s.desired &&
    s.available === s.desired &&
    s.total === s.desired &&
    (s.kind !== 'StatefulSet' || (!!s.updateRevision && s.currentRevision === s.updateRevision))
  );
}

/**
 * Whether `a` was written to the cluster before `b`. Samples of different kinds arrive through
 * different watch streams, so arrival order can lag; etcd's resourceVersions (the store every e2e
 * cluster here runs on) increase with every write of any object, which orders writes exactly.
 */
export function writtenBefore(a: Sample, b: Sample): boolean {
  return BigInt(a.resourceVersion) < BigInt(b.resourceVersion);
}

interface PodSeen {
  uid: string;
  name: string;
  component: string;
  /** The resourceVersion the pod was created with (its first watch event). */
  createdAt: string;
  /** The resourceVersion at which it was first seen Ready. */
  readyAt?: string;
  /** The resourceVersion of its deletion, if it was deleted. */
  deletedAt?: string;
}

type Pod = {
  metadata?: { uid?: string; name?: string; resourceVersion?: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
};

/**
 * Records the pods of a namespace created after start(): when each was created and when it was first
 * Ready, as etcd resourceVersions (which order writes exactly, whatever stream brought them). What a
 * dependency order promises is about pods — a dependent's new pods start only once its dependency's
 * new pods are Ready — and this is where a test can check it.
 */
export class PodRecorder {
  private readonly pods = new Map<string, PodSeen>();
  private readonly before = new Set<string>();
  private readonly abort = new AbortController();
  private watch?: Promise<void>;
  private error?: string;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: this.namespace };
    const list = await this.client.list<Pod & { metadata: { uid: string } }>(ref);
    for (const p of list.items) this.before.add(p.metadata.uid);
    let from = list.metadata.resourceVersion;
    this.watch = (async () => {
      while (!this.abort.signal.aborted) {
        try {
          await this.client.watch<Pod & { metadata: object }>(
            ref,
            from,
            (e) => {
              if (e.object.metadata?.resourceVersion) from = e.object.metadata.resourceVersion;
              if (e.type !== 'BOOKMARK') this.record(e.object, e.type === 'DELETED');
            },
            { signal: this.abort.signal, timeoutSeconds: 600 },
          );
        } catch (error) {
          this.error = error instanceof Error ? error.message : String(error);
          return;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.watch;
    if (this.error) throw new Error(`pod recorder lost events: ${this.error}`);
  }

  private record(pod: Pod, deleted = false): void {
    const uid = pod.metadata?.uid;
    const component = pod.metadata?.labels?.['ferry.dev/component'];
    if (!uid || !component || this.before.has(uid)) return;
    const rv = pod.metadata!.resourceVersion!;
    let seen = this.pods.get(uid);
    if (!seen) {
      seen = { uid, name: pod.metadata!.name!, component, createdAt: rv };
      this.pods.set(uid, seen);
    }
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready && !seen.readyAt) seen.readyAt = rv;
    if (deleted) seen.deletedAt = rv;
  }

  /** Pods of a component created since start(). */
  created(component: string): PodSeen[] {
    return [...this.pods.values()].filter((p) => p.component === component);
  }

  /**
   * Where `dependent`'s new pods did not wait for `dependency`'s: each of its pods created before every
   * new pod of the dependency was Ready (or while one never was). Empty when the order held; also
   * non-empty when either component made no new pod, so a test cannot pass on missing data.
   */
  orderViolations(dependency: string, dependent: string): string[] {
    const deps = this.created(dependency);
    const mine = this.created(dependent);
    if (!deps.length || !mine.length) return [`no new pods of ${deps.length ? dependent : dependency}`];
    const unready = deps.filter((d) => !d.readyAt);
    if (unready.length)
      return unready.map(
        (d) =>
          `${d.name} (${dependency}) never Ready (created @${d.createdAt}${d.deletedAt ? `, deleted @${d.deletedAt}` : ''}; ${deps.length} new pods of ${dependency}: ${deps.map((p) => `${p.name}@${p.createdAt}${p.readyAt ? ` ready@${p.readyAt}` : ''}`).join(', ')})`,
      );
    const lastReady = deps.reduce((a, b) => (BigInt(a.readyAt!) > BigInt(b.readyAt!) ? a : b));
    return mine
      .filter((p) => BigInt(p.createdAt) < BigInt(lastReady.readyAt!))
      .map(
        (p) =>
          `${p.name} created @${p.createdAt} before ${lastReady.name} (${dependency}) was Ready @${lastReady.readyAt}`,
      );
  }
}
