import { Writable } from 'node:stream';
import { RolloutSlots } from '../controller/install/rollout-slots.js';
import { ProgressRecords } from '../controller/install/progress.js';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { KubeObject, ObjectRef } from '../kube/client.js';
import { KubeApiError } from '../kube/client.js';
import { ControllerCache, Expectations } from '../controller/cache.js';
import type {
  ControllerClient,
  ControllerContext,
  Informers,
  ObjectCache,
  QueueName,
  Workload,
} from '../controller/context.js';
import { MarketSchedule } from '../controller/market/schedule.js';
import { RequestArrivals } from '../controller/request-order.js';
import { EventRecorder } from '../controller/runtime/events.js';
import { createLogger } from '../controller/runtime/logger.js';
import { Metrics } from '../controller/runtime/metrics.js';

/** One API write the controllers made, as a test asserts on it. */
export interface RecordedWrite {
  verb: 'create' | 'apply' | 'merge-patch' | 'json-patch' | 'delete';
  kind: string;
  namespace?: string;
  name: string;
  subresource?: string;
  body?: unknown;
}

const keyOf = (kind: string, namespace: string | undefined, name: string | undefined) =>
  `${kind}|${namespace ?? ''}|${name ?? ''}`;
const clone = <T>(o: T): T => structuredClone(o);

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * An in-memory API server for controller unit tests: objects by kind/namespace/name with uids,
 * increasing resourceVersions, generation bumps on spec changes, 404/409/422 like the real one, and
 * every write recorded. The informers it hands out always show the current objects; `freeze()` makes
 * them lag behind to test cache-lag handling.
 */
export class FakeCluster {
  readonly writes: RecordedWrite[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private frozen?: Map<string, KubeObject>;
  private rv = 100;
  private uids = 0;
  /** `<apiVersion>/<kind>` the fake serves among the optional APIs; Ingress by default, as every cluster. */
  readonly served = new Set(['networking.k8s.io/v1/Ingress']);
  readonly apis = {
    serves: async (apiVersion: string, kind: string) => this.served.has(`${apiVersion}/${kind}`),
  };
  /** Pod logs by `<namespace>/<pod>` (a pod without one has no log, as on a KWOK node). */
  readonly logs = new Map<string, string>();
  /** Makes the next write of this verb and kind fail with this error (once). */
  failNext?: { verb: RecordedWrite['verb']; kind: string; error: Error };

  readonly client: ControllerClient = {
    get: async <T extends KubeObject>(ref: ObjectRef) => {
      const o = this.objects.get(keyOf(ref.kind, ref.namespace, ref.name));
      return o && (clone(o) as T);
    },
    list: async <T extends KubeObject>(ref: ObjectRef, options: { labelSelector?: string } = {}) => ({
      metadata: { resourceVersion: String(this.rv) },
      items: this.all(ref.kind, ref.namespace)
        .filter((o) => matchesSelector(o, options.labelSelector))
        .map((o) => clone(o) as T),
    }),
    create: async <T extends KubeObject>(obj: T) => {
      const ref = this.refOf(obj);
      this.fail('create', ref.kind);
      if (this.objects.has(this.key(ref)))
        throw new KubeApiError(409, 'AlreadyExists', `${ref.kind} ${ref.name} already exists`);
      this.record('create', ref, undefined, obj);
      return clone(
        this.store({ ...clone(obj), metadata: { ...obj.metadata, ...this.identity(), generation: 1 } }),
      ) as T;
    },
    apply: async <T extends KubeObject>(obj: T, { subresource = '' } = {}) => {
      const ref = this.refOf(obj);
      this.fail('apply', ref.kind);
      const existing = this.objects.get(this.key(ref));
      this.checkVersion(existing, obj.metadata?.resourceVersion);
      this.record('apply', ref, subresource, obj);
      if (subresource === 'status') {
        if (!existing) throw new KubeApiError(404, 'NotFound', `${ref.kind} ${ref.name} not found`);
        return clone(this.store({ ...existing, status: clone(obj.status) })) as T;
      }
      if (!existing)
        return clone(
          this.store({ ...clone(obj), metadata: { ...obj.metadata, ...this.identity(), generation: 1 } }),
        ) as T;
      const { metadata, ...rest } = clone(obj);
      const next = {
        ...existing,
        ...rest,
        metadata: { ...existing.metadata, ...metadata, resourceVersion: existing.metadata!.resourceVersion },
      };
      return clone(this.store(next, existing)) as T;
    },
    mergePatch: async <T extends KubeObject>(ref: ObjectRef, patch: unknown, subresource = '') => {
      this.fail('merge-patch', ref.kind);
      const existing = this.mustExist(ref);
      this.checkVersion(existing, (patch as KubeObject).metadata?.resourceVersion);
      this.record('merge-patch', ref, subresource, patch);
      const scoped = subresource === 'status' ? { status: (patch as KubeObject).status } : patch;
      const next = mergePatch(existing, scoped) as KubeObject;
      next.metadata = { ...next.metadata, resourceVersion: existing.metadata!.resourceVersion };
      return clone(this.store(next, existing)) as T;
    },
    jsonPatch: async <T extends KubeObject>(ref: ObjectRef, patch: unknown[], subresource = '') => {
      this.fail('json-patch', ref.kind);
      const existing = this.mustExist(ref);
      let next: KubeObject;
      try {
        next = fastJsonPatch.applyPatch(clone(existing), patch as Operation[], true, false).newDocument;
      } catch (error) {
        throw new KubeApiError(422, 'Invalid', `json patch refused: ${(error as Error).message}`);
      }
      this.record('json-patch', ref, subresource, patch);
      return clone(this.store(next, existing)) as T;
    },
    podLog: async (namespace: string, name: string, { tailLines = 20 } = {}) => {
      const text = this.logs.get(`${namespace}/${name}`);
      return text === undefined
        ? undefined
        : text
            .split('\n')
            .slice(-tailLines - 1)
            .join('\n');
    },
    delete: async (ref: ObjectRef) => {
      this.fail('delete', ref.kind);
      const existed = this.objects.delete(this.key(ref));
      if (existed) this.record('delete', ref);
      return existed;
    },
  };

  /** Puts an object in place as if someone else had written it (not recorded as a controller write). */
  seed<T extends KubeObject>(obj: T): T {
    const existing = this.objects.get(this.key(this.refOf(obj)));
    const metadata = existing
      ? { ...obj.metadata, uid: existing.metadata!.uid }
      : { ...this.identity(), generation: 1, ...obj.metadata };
    return this.store({ ...clone(obj), metadata: { ...metadata, resourceVersion: String(++this.rv) } }) as T;
  }

  get<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.objects.get(keyOf(kind, namespace, name)) as T | undefined;
  }

  all(kind: string, namespace?: string): KubeObject[] {
    return [...this.objects.values()].filter(
      (o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace),
    );
  }

  /** Writes other than Events, as "verb kind/name[/subresource]" lines. */
  writeLines(): string[] {
    return this.writes
      .filter((w) => w.kind !== 'Event')
      .map((w) => `${w.verb} ${w.kind}/${w.name}${w.subresource ? `/${w.subresource}` : ''}`);
  }

  /** Informers keep showing the objects as they are now until `thaw()`. */
  freeze(): void {
    this.frozen = new Map([...this.objects].map(([k, v]) => [k, v]));
  }

  thaw(): void {
    this.frozen = undefined;
  }

  informers(): Informers {
    const view = <T extends KubeObject>(kind: string): ObjectCache<T> => ({
      get: (key) => {
        const [a, b] = key.split('/');
        return (this.frozen ?? this.objects).get(
          b === undefined ? keyOf(kind, undefined, a) : keyOf(kind, a, b),
        ) as T | undefined;
      },
      list: (filter) => {
        const all = [...(this.frozen ?? this.objects).values()].filter((o) => o.kind === kind) as T[];
        return filter ? all.filter(filter) : all;
      },
    });
    return {
      templates: view('AppTemplate'),
      installs: view('AppInstall'),
      revisions: view('AppRevision'),
      upgrades: view('AppUpgrade'),
      rollbacks: view('AppRollback'),
      markets: view('AppMarket'),
      deployments: view<Workload>('Deployment'),
      statefulsets: view<Workload>('StatefulSet'),
      secrets: view('Secret'),
    };
  }

  private store(next: KubeObject, previous?: KubeObject): KubeObject {
    const specChanged = previous && JSON.stringify(previous.spec) !== JSON.stringify(next.spec);
    next.metadata = {
      ...next.metadata,
      resourceVersion: String(++this.rv),
      ...(specChanged ? { generation: (previous.metadata?.generation ?? 1) + 1 } : {}),
    };
    this.objects.set(this.key(this.refOf(next)), next);
    return next;
  }

  private identity() {
    return {
      uid: `uid-${++this.uids}`,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, this.uids)).toISOString().replace('.000', ''),
    };
  }

  private refOf(obj: KubeObject): ObjectRef {
    return {
      apiVersion: obj.apiVersion ?? '',
      kind: obj.kind ?? '',
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name,
    };
  }

  private key(ref: ObjectRef) {
    return keyOf(ref.kind, ref.namespace, ref.name);
  }

  private mustExist(ref: ObjectRef): KubeObject {
    const existing = this.objects.get(this.key(ref));
    if (!existing) throw new KubeApiError(404, 'NotFound', `${ref.kind} ${ref.name} not found`);
    return existing;
  }

  private checkVersion(existing: KubeObject | undefined, expected: string | undefined) {
    if (expected && existing && existing.metadata?.resourceVersion !== expected)
      throw new KubeApiError(
        409,
        'Conflict',
        `the object has been modified (resourceVersion ${expected} is stale)`,
      );
  }

  private fail(verb: RecordedWrite['verb'], kind: string) {
    if (this.failNext?.verb === verb && this.failNext.kind === kind) {
      const { error } = this.failNext;
      this.failNext = undefined;
      throw error;
    }
  }

  private record(verb: RecordedWrite['verb'], ref: ObjectRef, subresource?: string, body?: unknown) {
    this.writes.push({
      verb,
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name ?? '',
      ...(subresource ? { subresource } : {}),
      ...(body === undefined ? {} : { body: clone(body) }),
    });
  }
}

function matchesSelector(o: KubeObject, selector?: string): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    const labels = o.metadata?.labels ?? {};
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

/** A controller context over a fake cluster, with a clock the test moves and the log lines kept. */
export function fakeContext(
  cluster = new FakeCluster(),
  start = new Date('2026-01-01T00:00:00Z'),
  maxRollouts = 0,
) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const clock = { now: start };
  const informers = cluster.informers();
  const arrivals = new RequestArrivals(() => clock.now.getTime());
  const enqueued: { queue: QueueName; key: string; priority?: number }[] = [];
  const ctx: ControllerContext = {
    client: cluster.client,
    apis: cluster.apis,
    informers,
    cache: new ControllerCache(informers, arrivals),
    expectations: new Expectations(),
    progress: new ProgressRecords(() => clock.now.getTime()),
    slots: new RolloutSlots(
      maxRollouts,
      (key) => enqueued.push({ queue: 'install', key }),
      () => clock.now.getTime(),
    ),
    events: new EventRecorder(cluster.client, () => undefined),
    metrics: new Metrics(),
    log: createLogger('debug', sink),
    now: () => clock.now,
    arrivals,
    enqueue: (queue, key, priority) =>
      enqueued.push({ queue, key, ...(priority === undefined ? {} : { priority }) }),
    namespace: 'ferry-system',
    marketSchedule: new MarketSchedule(),
    parameterSecretsChecked: new Map(),
  };
  const advance = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));
  return { ctx, cluster, logs, enqueued, advance };
}
