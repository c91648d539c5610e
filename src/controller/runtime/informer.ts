import type { KubeClient, KubeObject, ObjectRef } from '../../kube/client.js';
import { KubeApiError } from '../../kube/client.js';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';
/** `old`: on an update, the object as cached before it. */
export type InformerHandler<T> = (event: InformerEvent, object: T, old?: T) => void;

export interface InformerOptions<T extends KubeObject = KubeObject> {
  labelSelector?: string;
  /** Cache only metadata (PartialObjectMetadata): for Secrets, whose data the operator must not hold. */
  metadataOnly?: boolean;
  /** Applied to every object before it is cached (e.g. to keep only some fields). */
  transform?: (object: T) => T;
  /** Period of the full resync that re-delivers every cached object; jittered by +0–20%. */
  resyncMs?: number;
  onError?: (error: unknown) => void;
  /** The order in which objects new to the cache are delivered after a list (default: as listed). */
  listOrder?: (a: T, b: T) => number;
}

export const objectKey = (o: KubeObject) =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata?.name}`;

/**
 * Keeps a cache of one resource in sync by list + watch: resumes the watch from the last
 * resourceVersion (bookmarks included), relists on 410 Gone, reconnects with backoff on any other
 * error, and re-delivers every object on a jittered periodic resync. A handler error never stops it.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private resyncTimer?: NodeJS.Timeout;
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  /** Counts of list and watch calls, for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, relistsOnGone: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly ref: ObjectRef,
    private readonly options: InformerOptions<T> = {},
  ) {}

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(filter?: (o: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  start(): void {
    void this.loop();
    this.scheduleResync();
  }

  stop(): void {
    this.abort.abort();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
  }

  private emit(event: InformerEvent, object: T, old?: T): void {
    for (const handler of this.handlers) {
      try {
        handler(event, object, old);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        this.stats.watches++;
        await this.client.watch<T>(this.ref, this.resourceVersion, (e) => this.apply(e.type, e.object), {
          labelSelector: this.options.labelSelector,
          signal: this.abort.signal,
          metadataOnly: this.options.metadataOnly,
        });
        failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error instanceof KubeApiError && error.gone) {
          this.stats.relistsOnGone++;
          needList = true;
          continue;
        }
        failures++;
        this.options.onError?.(error);
        if (failures > 3) needList = true;
        await sleep(Math.min(30_000, 500 * 2 ** failures) * (1 + Math.random() * 0.2), this.abort.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    const list = await this.client.list<T>(this.ref, {
      labelSelector: this.options.labelSelector,
      metadataOnly: this.options.metadataOnly,
    });
    const seen = new Set<string>();
    const items = this.options.listOrder ? [...list.items].sort(this.options.listOrder) : list.items;
    for (const listed of items) {
      const item = this.options.transform ? this.options.transform(listed) : listed;
      item.apiVersion ??= this.ref.apiVersion;
      item.kind ??= this.ref.kind;
      const key = objectKey(item);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, item);
      if (!old) this.emit('add', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.emit('update', item, old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const wake of this.syncedWaiters.splice(0)) wake();
    }
  }

  private apply(type: string, received: T): void {
    if (received.metadata?.resourceVersion) this.resourceVersion = received.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const object = this.options.transform ? this.options.transform(received) : received;
    const key = objectKey(object);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', object);
      return;
    }
    const old = this.cache.get(key);
    this.cache.set(key, object);
    this.emit(old ? 'update' : 'add', object, old);
  }

  private scheduleResync(): void {
    const period = this.options.resyncMs;
    if (!period) return;
    this.resyncTimer = setTimeout(
      () => {
        for (const object of this.cache.values()) this.emit('resync', object);
        this.scheduleResync();
      },
      period * (1 + Math.random() * 0.2),
    );
    this.resyncTimer.unref();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
