import { randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '../../kube/client.js';
import { printable } from '../../model/printable.js';
import { rfc3339 } from '../../model/time.js';

export type EventType = 'Normal' | 'Warning';

/** Records Kubernetes Events (core/v1) about Ferry's objects; failures to record are only logged. */
export class EventRecorder {
  constructor(
    private readonly client: Pick<KubeClient, 'create'>,
    private readonly onError: (error: unknown) => void,
    private readonly component = 'ferry-operator',
  ) {}

  async record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    const now = rfc3339(new Date());
    const namespace = meta.namespace ?? 'default';
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        reason,
        message: printable(message, { keepLines: true }).slice(0, 1024),
        type,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: process.env.HOSTNAME ?? 'local',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (error) {
      this.onError(error);
    }
  }
}
