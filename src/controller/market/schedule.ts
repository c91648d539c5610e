import type { AppMarket } from '../../api/index.js';
import { ANNOTATION_SYNC_REQUESTED, ConditionType, Reason } from '../../api/index.js';
import { findCondition } from '../../model/conditions.js';
import { parseDuration, retryDelayMs } from '../../model/market-sync.js';

interface Entry {
  generation: number | undefined;
  requested: string | undefined;
  nextAt: number;
  failures: number;
}

const DEFAULT_INTERVAL_MS = 10 * 60_000;

export const intervalOf = (market: AppMarket) => parseDuration(market.spec.interval) ?? DEFAULT_INTERVAL_MS;

/**
 * When each AppMarket is due: a sync every spec.interval, sooner after a spec change or a new
 * ferry.dev/sync-requested-at value, and with backoff after failures. Watch events and informer
 * resyncs in between reach no registry and write nothing. After a restart, a market whose status
 * shows a successful sync of its generation waits out the rest of its interval.
 */
export class MarketSchedule {
  private readonly entries = new Map<string, Entry>();

  /** Milliseconds until the market is due (0: sync now). */
  waitMs(key: string, market: AppMarket, now: Date): number {
    const generation = market.metadata.generation;
    const requested = market.metadata.annotations?.[ANNOTATION_SYNC_REQUESTED];
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { generation, requested, nextAt: restoredNextAt(market), failures: 0 };
      this.entries.set(key, entry);
    }
    if (entry.generation !== generation || entry.requested !== requested) return 0;
    return Math.max(0, entry.nextAt - now.getTime());
  }

  /** Records a sync attempt; returns the delay until the next one. */
  synced(key: string, market: AppMarket, ok: boolean, now: Date): number {
    const failures = ok ? 0 : (this.entries.get(key)?.failures ?? 0) + 1;
    const interval = intervalOf(market);
    const delay = ok ? interval : retryDelayMs(failures, interval);
    this.entries.set(key, {
      generation: market.metadata.generation,
      requested: market.metadata.annotations?.[ANNOTATION_SYNC_REQUESTED],
      nextAt: now.getTime() + delay,
      failures,
    });
    return delay;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

function restoredNextAt(market: AppMarket): number {
  const { status } = market;
  const ready = findCondition(status?.conditions, ConditionType.Ready);
  const succeeded = ready?.reason === Reason.MarketSynced || ready?.reason === Reason.VersionsNotSynced;
  if (!status?.lastSyncTime || !succeeded || status.observedGeneration !== market.metadata.generation)
    return 0;
  return Date.parse(status.lastSyncTime) + intervalOf(market);
}
