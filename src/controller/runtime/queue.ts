export interface QueueOptions {
  /** First retry delay after a failure; doubles per consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Fraction of random extra delay added to each retry (spreads herds of failures). */
  jitter?: number;
}

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number } | void>;

/**
 * A work queue keyed by object. A key is queued at most once; a key being handled is never handled
 * by a second worker at the same time — if it is added meanwhile it runs again right after. A failed
 * key is retried with per-key exponential backoff; success resets its backoff.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;
  private readonly options: Required<QueueOptions>;

  constructor(options: QueueOptions = {}) {
    this.options = { baseDelayMs: 500, maxDelayMs: 300_000, jitter: 0.2, ...options };
  }

  get depth(): number {
    return this.queued.size;
  }

  get activeCount(): number {
    return this.active.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after a delay, unless an earlier add is already pending. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.queued.has(key) || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
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
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped) {
      const index = this.order.findIndex((k) => !this.active.has(k));
      if (index >= 0) {
        const [key] = this.order.splice(index, 1);
        this.queued.delete(key!);
        return key;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  private async worker(handler: Handler, onError: (key: string, error: unknown) => void): Promise<void> {
    for (let key = await this.next(); key !== undefined; key = await this.next()) {
      this.active.add(key);
      try {
        const result = await handler(key);
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        onError(key, error);
        const delay = this.backoffMs(failures) * (1 + Math.random() * this.options.jitter);
        this.addAfter(key, delay);
      } finally {
        this.active.delete(key);
        if (this.dirty.delete(key)) this.add(key);
        else if (this.queued.has(key)) this.waiters.shift()?.();
      }
    }
  }
}
