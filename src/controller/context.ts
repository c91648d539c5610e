import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { ControllerCache, Expectations } from './cache.js';
import type { ProgressRecords } from './install/progress.js';
import type { RolloutSlots } from './install/rollout-slots.js';
import type { ServedApis } from './discovery.js';
import type { MarketSchedule } from './market/schedule.js';
import type { RequestArrivals } from './request-order.js';
import type { EventRecorder } from './runtime/events.js';
import type { Logger } from './runtime/logger.js';
import type { Metrics } from './runtime/metrics.js';

export type Workload = (V1Deployment | V1StatefulSet) & KubeObject;

/** What the controllers read of an informer: its cache. */
export interface ObjectCache<T extends KubeObject> {
  get(key: string): T | undefined;
  list(filter?: (o: T) => boolean): T[];
}

export interface Informers {
  templates: ObjectCache<KubeObject>;
  installs: ObjectCache<KubeObject>;
  revisions: ObjectCache<KubeObject>;
  upgrades: ObjectCache<KubeObject>;
  rollbacks: ObjectCache<KubeObject>;
  markets: ObjectCache<KubeObject>;
  deployments: ObjectCache<Workload>;
  statefulsets: ObjectCache<Workload>;
  /** Parameter Secrets (labelled ferry.dev/parameter-secret), metadata only: name and resourceVersion. */
  secrets: ObjectCache<KubeObject>;
}

/** The API calls the controllers make (the whole client in the operator, a recording one in tests). */
export type ControllerClient = Pick<
  KubeClient,
  'get' | 'list' | 'create' | 'apply' | 'mergePatch' | 'jsonPatch' | 'delete' | 'podLog'
>;

export type QueueName = 'install' | 'upgrade' | 'rollback' | 'template' | 'market';

/** Everything a reconciler needs; one per manager, shared by nothing else. */
export interface ControllerContext {
  client: ControllerClient;
  /** Which optional APIs (Ingress, HTTPRoute) the cluster serves, from discovery. */
  apis: ServedApis;
  informers: Informers;
  /** Typed reads of the informers and the decoded revision snapshots. */
  cache: ControllerCache;
  /** What this manager wrote and its informers may not show yet. */
  expectations: Expectations;
  /** Rollout progress held in memory until a write that matters (install/progress.ts). */
  progress: ProgressRecords;
  /** How many installs may roll out at once, and who waits (install/rollout-slots.ts). */
  slots: RolloutSlots;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  now(): Date;
  /** When each AppUpgrade/AppRollback was first seen: their creation order. */
  arrivals: RequestArrivals;
  /** Queues a key; priority as in runtime/queue.ts (default Normal). */
  enqueue(queue: QueueName, key: string, priority?: number): void;
  /** The operator's namespace: where AppMarket credentials and CA Secrets are read from. */
  namespace: string;
  /** When each AppMarket is next due to be synced (in memory; rebuilt from status on restart). */
  marketSchedule: MarketSchedule;
  /**
   * Per install uid, the parameter Secrets' resourceVersions (and revision) last found to render what
   * runs: until one changes, no reconcile reads a Secret to look for a rotation. In memory: after a
   * restart every install is checked once.
   */
  parameterSecretsChecked: Map<string, string>;
}

export const FINALIZER = 'ferry.dev/cleanup';

/** Polling interval while a rollout is in progress (watch events usually arrive sooner). */
export const ROLLOUT_POLL_MS = 2_000;
