import type { KubeObject } from '../kube/client.js';
import { RequestArrivals, byCreation, formatMicros } from './request-order.js';

const request = (uid: string, extra: { queuedAt?: string; created?: string; rv?: string } = {}) => ({
  metadata: {
    uid,
    name: uid,
    creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
    resourceVersion: extra.rv,
  },
  ...(extra.queuedAt ? { status: { queuedAt: extra.queuedAt } } : {}),
});

describe('RequestArrivals', () => {
  it('orders requests of the same second by first sight, not by name', () => {
    const arrivals = new RequestArrivals(() => 1_700_000_000_000); // a frozen clock
    const first = request('zz-first');
    const second = request('aa-second');
    arrivals.observe(first);
    arrivals.observe(second);
    const order = [second, first].sort((a, b) => arrivals.queuedAt(a).localeCompare(arrivals.queuedAt(b)));
    expect(order.map((r) => r.metadata.name)).toEqual(['zz-first', 'aa-second']);
    expect(arrivals.queuedAt(first)).toBe('2023-11-14T22:13:20.000000Z');
    expect(arrivals.queuedAt(second)).toBe('2023-11-14T22:13:20.000001Z');
  });

  it('keeps a recorded stamp and stamps later sights after every recorded one', () => {
    const arrivals = new RequestArrivals(() => Date.parse('2026-01-01T00:00:00Z'));
    const recorded = request('a', { queuedAt: '2026-01-01T00:00:05.000200Z' });
    arrivals.observe(recorded);
    const fresh = request('b');
    arrivals.observe(fresh);
    expect(arrivals.queuedAt(recorded)).toBe('2026-01-01T00:00:05.000200Z');
    expect(arrivals.queuedAt(fresh)).toBe('2026-01-01T00:00:05.000201Z');
  });

  it('answers with the recorded stamp for a stale copy of a request it saw recorded', () => {
    const arrivals = new RequestArrivals(() => Date.parse('2026-01-01T00:00:00Z'));
    arrivals.observe(request('a'));
    arrivals.observe(request('a', { queuedAt: '2026-01-01T00:00:00.000007Z' }));
    expect(arrivals.queuedAt(request('a'))).toBe('2026-01-01T00:00:00.000007Z');
    expect(arrivals.isRecorded(request('a'))).toBe(true);
    expect(arrivals.isRecorded(request('b'))).toBe(false);
  });

  it('gives a request the same stamp every time it is asked', () => {
    let now = 1_000;
    const arrivals = new RequestArrivals(() => now);
    const r = request('a');
    arrivals.observe(r);
    now += 5_000;
    arrivals.observe(r);
    expect(arrivals.queuedAt(r)).toBe(formatMicros(1_000_000));
  });
});

describe('byCreation', () => {
  it('sorts by creationTimestamp, then by resourceVersion, never by name', () => {
    const objects = [
      request('aa', { created: '2026-01-01T00:00:01Z', rv: '120' }),
      request('bb', { created: '2026-01-01T00:00:01Z', rv: '99' }),
      request('cc', { created: '2026-01-01T00:00:00Z', rv: '500' }),
    ] as KubeObject[];
    expect(objects.sort(byCreation).map((o) => o.metadata!.name)).toEqual(['cc', 'bb', 'aa']);
  });
});
