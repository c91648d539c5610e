import type { KubeObject } from '../kube/client.js';

interface Request {
  metadata?: { uid?: string; creationTimestamp?: string; resourceVersion?: string; name?: string };
  status?: { queuedAt?: string };
}

/**
 * The order in which AppUpgrades and AppRollbacks were created. creationTimestamp has one-second
 * resolution, names (generateName) sort arbitrarily and resourceVersion is opaque by contract; the one
 * order the API guarantees is that of a resource's watch events, which is creation order. So the
 * operator stamps each request with a `queuedAt` time (microseconds, strictly increasing in this
 * process) as its watch event arrives, and the install controller persists the stamps in
 * `status.queuedAt` — in this order, one at a time — before it starts any request of the install:
 * an operator killed in between leaves a prefix recorded, and a later process stamps the rest later.
 */
export class RequestArrivals {
  private readonly stamps = new Map<string, string>();
  private readonly recorded = new Set<string>();
  private lastMicros = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Called for every request the informers deliver, in delivery order. */
  observe(request: Request): void {
    const uid = request.metadata?.uid;
    const recorded = request.status?.queuedAt;
    if (recorded) {
      // Later stamps of this process must sort after every stamp already recorded.
      this.lastMicros = Math.max(this.lastMicros, micros(recorded));
      if (uid) {
        // For readers of a cache that has not caught up with the recorded stamp yet.
        this.stamps.set(uid, recorded);
        this.recorded.add(uid);
      }
      return;
    }
    if (uid && !this.stamps.has(uid)) this.stamps.set(uid, this.next());
  }

  forget(request: Request): void {
    if (request.metadata?.uid) this.stamps.delete(request.metadata.uid);
    if (request.metadata?.uid) this.recorded.delete(request.metadata.uid);
  }

  /** Whether the request's status.queuedAt is known to be recorded (even if this copy lacks it). */
  isRecorded(request: Request): boolean {
    return !!request.status?.queuedAt || this.recorded.has(request.metadata?.uid ?? '');
  }

  /** The recorded stamp, else the one this process gave it on first sight. */
  queuedAt(request: Request): string {
    const recorded = request.status?.queuedAt;
    if (recorded) return recorded;
    const uid = request.metadata?.uid ?? '';
    let stamp = this.stamps.get(uid);
    if (!stamp) {
      stamp = this.next();
      if (uid) this.stamps.set(uid, stamp);
    }
    return stamp;
  }

  private next(): string {
    this.lastMicros = Math.max(this.lastMicros + 1, this.nowMs() * 1000);
    return formatMicros(this.lastMicros);
  }
}

/** RFC 3339 with exactly six fractional digits, so stamps compare as strings. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`;
}

function micros(stamp: string): number {
  const match = /^(.*?)(?:\.(\d{1,6}))?Z$/.exec(stamp);
  const seconds = Date.parse(`${match?.[1] ?? stamp}Z`);
  if (Number.isNaN(seconds)) return 0;
  return seconds * 1000 + Number((match?.[2] ?? '').padEnd(6, '0'));
}

/**
 * Best-effort creation order for objects a list returns (lists come sorted by name): by
 * creationTimestamp, then by resourceVersion when both are integers (etcd's increase with every
 * write, so for a request nobody has written since creation this is its creation order). Only
 * requests created while no operator watched depend on it.
 */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (/^\d+$/.test(ra) && /^\d+$/.test(rb) && ra !== rb) return BigInt(ra) < BigInt(rb) ? -1 : 1;
  return 0;
}
