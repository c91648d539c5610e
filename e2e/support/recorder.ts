import type { KubeClient } from '../../src/kube/client.js';
import type { Workload } from './shop.js';

export interface Sample {
  at: number;
  name: string;
  kind: string;
  desired: number;
  available: number;
  updated: number;
  total: number;
  image: string;
}

/**
 * Records every change of the Deployments and StatefulSets of a namespace through watches, so a test
 * can check what was true at each moment of a rollout (not only at the end).
 */
export class WorkloadRecorder {
  readonly samples: Sample[] = [];
  private readonly abort = new AbortController();
  private readonly watches: Promise<void>[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    for (const kind of ['Deployment', 'StatefulSet']) {
      const ref = { apiVersion: 'apps/v1', kind, namespace: this.namespace };
      const list = await this.client.list<Workload>(ref);
      for (const w of list.items) this.record(kind, w);
      this.watches.push(
        this.client
          .watch<Workload>(
            ref,
            list.metadata.resourceVersion,
            (e) => e.type !== 'BOOKMARK' && this.record(kind, e.object),
            {
              signal: this.abort.signal,
              timeoutSeconds: 600,
            },
          )
          .catch(() => undefined),
      );
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.watches);
  }

  private record(kind: string, w: Workload): void {
    this.samples.push({
      at: Date.now(),
      name: w.metadata!.name!,
      kind,
      desired: w.spec?.replicas ?? 1,
      available: w.status?.availableReplicas ?? 0,
      updated: w.status?.updatedReplicas ?? 0,
      total: w.status?.replicas ?? 0,
      image: w.spec?.template.spec?.containers[0]?.image ?? '',
    });
  }

  of(name: string): Sample[] {
    return this.samples.filter((s) => s.name === name);
  }

  /** When the workload first carried `image` in its spec. */
  firstSeen(name: string, image: string): number | undefined {
    return this.of(name).find((s) => s.image === image)?.at;
  }
}
