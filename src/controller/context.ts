import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { RequestArrivals } from './install/request-order.js';
import type { EventRecorder } from './runtime/events.js';
import type { Informer } from './runtime/informer.js';
import type { Logger } from './runtime/logger.js';
import type { Metrics } from './runtime/metrics.js';

export type Workload = (V1Deployment | V1StatefulSet) & KubeObject;

export interface Informers {
  templates: Informer<KubeObject>;
  installs: Informer<KubeObject>;
  revisions: Informer<KubeObject>;
  upgrades: Informer<KubeObject>;
  rollbacks: Informer<KubeObject>;
  deployments: Informer<Workload>;
  statefulsets: Informer<Workload>;
}

export type QueueName = 'install' | 'upgrade' | 'rollback' | 'template';

/** Everything a reconciler needs; one per operator process. */
export interface ControllerContext {
  client: KubeClient;
  informers: Informers;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  now(): Date;
  /** When each AppUpgrade/AppRollback was first seen: their creation order. */
  arrivals: RequestArrivals;
  enqueue(queue: QueueName, key: string): void;
}

export const FINALIZER = 'ferry.dev/cleanup';
export const ANNOTATION_AUTO_ROLLBACK_OF = 'ferry.dev/auto-rollback-of';

/** Polling interval while a rollout is in progress (watch events usually arrive sooner). */
export const ROLLOUT_POLL_MS = 2_000;
