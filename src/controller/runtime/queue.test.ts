import { WorkQueue } from './queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const queue = new WorkQueue();
    const seen: string[] = [];
    queue.add('a');
    queue.add('a');
    queue.add('b');
    expect(queue.depth).toBe(2);
    const running = queue.run(
      2,
      async (key) => void seen.push(key),
      () => {},
    );
    await sleep(20);
    queue.stop();
    await running;
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('never runs one key on two workers at once, and reruns a key added while it ran', async () => {
    const queue = new WorkQueue();
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const running = queue.run(
      4,
      async () => {
        concurrent++;
        runs++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(30);
        concurrent--;
      },
      () => {},
    );
    queue.add('k');
    await sleep(5);
    queue.add('k');
    queue.add('k');
    await sleep(100);
    queue.stop();
    await running;
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries a failing key with growing backoff and resets it after success', async () => {
    const queue = new WorkQueue({ baseDelayMs: 10, jitter: 0 });
    const times: number[] = [];
    const errors: string[] = [];
    const running = queue.run(
      1,
      async (key) => {
        times.push(Date.now());
        if (times.length < 4) throw new Error(`fail ${times.length}`);
        void key;
      },
      (key, error) => errors.push(`${key}: ${(error as Error).message}`),
    );
    queue.add('x');
    await sleep(250);
    queue.stop();
    await running;
    expect(errors).toEqual(['x: fail 1', 'x: fail 2', 'x: fail 3']);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(queue.backoffMs(20)).toBe(300_000);
  });

  it('requeues after the delay a handler asks for', async () => {
    const queue = new WorkQueue();
    let runs = 0;
    const running = queue.run(
      1,
      async () => (++runs === 1 ? { requeueAfterMs: 20 } : undefined),
      () => {},
    );
    queue.add('y');
    await sleep(10);
    expect(runs).toBe(1);
    await sleep(40);
    queue.stop();
    await running;
    expect(runs).toBe(2);
  });
});
