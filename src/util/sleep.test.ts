import { sleep } from './sleep.js';

describe('sleep', () => {
  it('resolves after the delay, not before', async () => {
    const started = performance.now();
    await sleep(60);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('resolves early when the signal aborts, and at once when it already has', async () => {
    const abort = new AbortController();
    const started = performance.now();
    const slept = sleep(10_000, abort.signal);
    setTimeout(() => abort.abort(), 20);
    await slept;
    expect(performance.now() - started).toBeLessThan(5_000);
    const again = performance.now();
    await sleep(10_000, abort.signal);
    expect(performance.now() - again).toBeLessThan(1_000);
  });

  it('drops its abort listener once the delay has passed', async () => {
    const listeners = new Set<unknown>();
    const signal = {
      aborted: false,
      addEventListener: (_: string, listener: unknown) => listeners.add(listener),
      removeEventListener: (_: string, listener: unknown) => listeners.delete(listener),
    } as unknown as AbortSignal;
    const slept = sleep(5, signal);
    expect(listeners.size).toBe(1);
    await slept;
    expect(listeners.size).toBe(0);
  });
});
