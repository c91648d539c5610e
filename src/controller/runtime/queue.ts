export interface QueueOptions {
  /** First retry delay after a failure; doubles per consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Fraction of random extra delay added to each retry (spreads herds of failures). */
  jitter?: number;
  /**
   * The share of picks of each priority while several have keys queued (stride scheduling: a lane of
   * weight 4 is served four times as often as one of weight 1), so no priority starves the ones below
   * it. Default: 2^(priority − Low): High 4, Normal 2, Low 1. `strict` serves priorities strictly.
   */
  weight?: ((priority: number) => number) | 'strict';
  /** The priority of a key the queue adds again by itself (a requeue asked by the handler, a retry). */
  priorityOf?: (key: string) => number | undefined;
}

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number } | void>;

/**
 * Priorities of keys (higher first). An operator's queue prefers finishing work it has started over
 * starting more, and what users just did over the backlog of a restart: the install controller adds
 * keys whose install has a rollout in progress as High, live changes as Normal, and the initial list
 * and periodic resyncs as Low (as controller-runtime's priority queue does for them).
 */
export const Priority = { Low: -1, Normal: 0, High: 1 } as const;

interface Entry {
  key: string;
  priority: number;
}

/** A FIFO of entries, some of them stale (their key was moved to another lane or taken). */
class Lane {
  private items: Entry[] = [];
  private head = 0;
  /** Stride scheduling: the lane with the lowest pass is served next; each pick adds 1 / weight. */
  pass = 0;
  push(entry: Entry): void {
    this.items.push(entry);
  }
  /** The first live entry (stale ones are dropped on the way). */
  peek(live: (e: Entry) => boolean): Entry | undefined {
    while (this.head < this.items.length && !live(this.items[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
}

/**
 * A work queue keyed by object. A key is queued at most once; a key being handled is never handled
 * by a second worker at the same time — if it is added meanwhile it runs again right after. Keys are
 * taken FIFO within a priority; between priorities by weight (a higher one more often, none never).
 * A failed key is retried with per-key exponential backoff; success resets its backoff.
 */
export class WorkQueue {
  /** Queued keys and the entry that stands for each. */
  private readonly queued = new Map<string, Entry>();
  private readonly lanes = new Map<number, Lane>();
  private readonly active = new Map<string, number>();
  /** Keys added while active, with the highest priority they were added with. */
  private readonly dirty = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; priority: number }>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;
  private readonly options: Required<Omit<QueueOptions, 'priorityOf'>> & Pick<QueueOptions, 'priorityOf'>;

  constructor(options: QueueOptions = {}) {
    this.options = {
      baseDelayMs: 500,
      maxDelayMs: 300_000,
      jitter: 0.2,
      weight: (priority) => 2 ** Math.max(0, priority - Priority.Low),
      ...options,
    };
  }

  get depth(): number {
    return this.queued.size;
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** Queued keys by priority (for metrics and tests). */
  depthOf(priority: number): number {
    let n = 0;
    for (const e of this.queued.values()) if (e.priority === priority) n++;
    return n;
  }

  add(key: string, priority: number = Priority.Normal): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer.timer);
      this.timers.delete(key);
      priority = Math.max(priority, timer.priority);
    }
    if (this.active.has(key)) {
      this.dirty.set(key, Math.max(priority, this.dirty.get(key) ?? -Infinity));
      return;
    }
    const queued = this.queued.get(key);
    if (queued && queued.priority >= priority) return;
    // new, or raised (to the end of its new lane; its old entry is left behind, stale)
    const entry: Entry = { key, priority };
    const lane = this.lane(priority);
    // a lane that had nothing queued gets no credit for the time it was idle
    if (!this.hasQueued(priority)) lane.pass = Math.max(lane.pass, this.minPass());
    this.queued.set(key, entry);
    lane.push(entry);
    if (!queued) this.waiters.shift()?.();
  }

  /** Adds the key after a delay, unless an earlier add is already pending. */
  addAfter(key: string, delayMs: number, priority: number = Priority.Normal): void {
    if (this.stopped || this.queued.has(key)) return;
    const pending = this.timers.get(key);
    if (pending) {
      pending.priority = Math.max(pending.priority, priority);
      return;
    }
    const timer = setTimeout(() => {
      const p = this.timers.get(key)?.priority ?? priority;
      this.timers.delete(key);
      this.add(key, p);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { timer, priority });
  }

  /** The retry delay after the n-th consecutive failure (n >= 1), before jitter. */
  backoffMs(failures: number): number {
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (failures - 1));
  }

  /** Runs `workers` loops until stop(); handler errors are retried with backoff and never escape. */
  run(workers: number, handler: Handler, onError: (key: string, error: unknown) => void): Promise<void> {
    const loops = Array.from({ length: workers }, () => this.worker(handler, onError));
    return Promise.all(loops).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private lane(priority: number): Lane {
    let lane = this.lanes.get(priority);
    if (!lane) {
      lane = new Lane();
      this.lanes.set(priority, lane);
    }
    return lane;
  }

  private readonly live = (e: Entry) => this.queued.get(e.key) === e;

  private hasQueued(priority: number): boolean {
    return this.lanes.get(priority)?.peek(this.live) !== undefined;
  }

  /** The lowest pass among lanes with keys queued (0 when none has). */
  private minPass(): number {
    let min = Infinity;
    for (const lane of this.lanes.values()) if (lane.peek(this.live)) min = Math.min(min, lane.pass);
    return min === Infinity ? 0 : min;
  }

  /** The entry to take next, or undefined when nothing is queued. */
  private pick(): Entry | undefined {
    let best: { priority: number; lane: Lane; head: Entry } | undefined;
    for (const [priority, lane] of this.lanes) {
      const head = lane.peek(this.live);
      if (!head) continue;
      const better =
        !best ||
        (this.options.weight === 'strict'
          ? priority > best.priority
          : lane.pass < best.lane.pass || (lane.pass === best.lane.pass && priority > best.priority));
      if (better) best = { priority, lane, head };
    }
    if (!best) return undefined;
    if (this.options.weight !== 'strict') best.lane.pass += 1 / this.options.weight(best.priority);
    return best.head;
  }

  private async next(): Promise<Entry | undefined> {
    while (!this.stopped) {
      const entry = this.pick();
      if (entry) {
        // active in the same step it leaves the queue: the worker resumes only microtasks later, and
        // an add() in between must mark it dirty, not queue it for a second worker
        this.queued.delete(entry.key);
        this.active.set(entry.key, entry.priority);
        return entry;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  private async worker(handler: Handler, onError: (key: string, error: unknown) => void): Promise<void> {
    for (let entry = await this.next(); entry !== undefined; entry = await this.next()) {
      const { key } = entry;
      const again = () => this.options.priorityOf?.(key) ?? entry.priority;
      try {
        const result = await handler(key);
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs, again());
      } catch (error) {
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        onError(key, error);
        const delay = this.backoffMs(failures) * (1 + Math.random() * this.options.jitter);
        this.addAfter(key, delay, again());
      } finally {
        this.active.delete(key);
        const dirty = this.dirty.get(key);
        if (dirty !== undefined) {
          this.dirty.delete(key);
          this.add(key, dirty);
        } else if (this.queued.has(key)) this.waiters.shift()?.();
      }
    }
  }
}
