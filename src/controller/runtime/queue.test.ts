import { Priority, WorkQueue } from './queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('never hands a key to a second worker, even when it is added again while a worker takes it', async () => {
    const queue = new WorkQueue();
    let running = 0;
    let most = 0;
    void queue.run(
      2,
      async () => {
        running++;
        most = Math.max(most, running);
        await sleep(5);
        running--;
      },
      () => undefined,
    );
    queue.add('a');
    // informer events arrive between the microtasks in which a worker takes the key
    for (let i = 0; i < 20; i++) {
      await Promise.resolve();
      queue.add('a');
    }
    await sleep(40);
    queue.stop();
    expect(most).toBe(1);
  });

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

describe('WorkQueue priorities', () => {
  /** Runs one worker over what is queued until `count` keys were handled; returns them in order. */
  async function drain(queue: WorkQueue, count: number, onKey?: (key: string) => void): Promise<string[]> {
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const running = queue.run(
      1,
      async (key) => {
        seen.push(key);
        onKey?.(key);
        if (seen.length >= count) done();
      },
      () => {},
    );
    await Promise.race([finished, sleep(1000)]);
    queue.stop();
    await running;
    return seen;
  }

  it('takes higher priorities first and keeps FIFO order within one', async () => {
    const queue = new WorkQueue({ weight: 'strict' });
    queue.add('low-1', Priority.Low);
    queue.add('normal-1');
    queue.add('high-1', Priority.High);
    queue.add('low-2', Priority.Low);
    queue.add('high-2', Priority.High);
    queue.add('normal-2', Priority.Normal);
    expect(queue.depthOf(Priority.Low)).toBe(2);
    expect(await drain(queue, 6)).toEqual(['high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
  });

  it('raises a queued key to a higher priority, never lowers it, and queues it once', async () => {
    const queue = new WorkQueue({ weight: 'strict' });
    queue.add('a', Priority.Low);
    queue.add('b', Priority.Low);
    queue.add('c', Priority.Normal);
    queue.add('b', Priority.High); // b's rollout started: it goes first
    queue.add('c', Priority.Low); // a resync of c does not push it back
    expect(queue.depth).toBe(3);
    expect(await drain(queue, 3)).toEqual(['b', 'c', 'a']);
  });

  it('does not starve lower priorities: each is served by its weight (High 4, Normal 2, Low 1)', async () => {
    const queue = new WorkQueue();
    queue.add('old-low', Priority.Low);
    queue.add('low-2', Priority.Low);
    queue.add('new-normal', Priority.Normal);
    for (let i = 0; i < 5; i++) queue.add(`high-${i}`, Priority.High);
    // each handled High key brings another one (a fleet whose rollouts keep the workers busy)
    let more = 5;
    const seen = await drain(queue, 8, (key) => {
      if (key.startsWith('high-')) queue.add(`high-${more++}`, Priority.High);
    });
    expect(seen.slice(0, 8)).toEqual([
      'high-0',
      'new-normal', // a live change waits for one pick, not for the backlog
      'old-low',
      'high-1',
      'high-2',
      'high-3',
      'high-4',
      'low-2', // the backlog moves at a quarter of the High rate
    ]);
  });

  it('gives a priority that had nothing queued no credit for its idle time', async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 3; i++) queue.add(`high-${i}`, Priority.High);
    let more = 3;
    const seen = await drain(queue, 20, (key) => {
      if (key.startsWith('high-')) queue.add(`high-${more++}`, Priority.High);
      if (key === 'high-8') for (const low of ['l1', 'l2', 'l3']) queue.add(low, Priority.Low);
    });
    const lows = seen.slice(0, 20).flatMap((k, i) => (k.startsWith('l') ? [i] : []));
    // not all three at once after the Highs ran alone: four Highs between two Lows
    expect(lows).toEqual([10, 15]);
  });

  it('requeues with the priority the key has now (priorityOf), and merges a pending requeue with adds', async () => {
    const q2 = new WorkQueue({ weight: 'strict' });
    q2.addAfter('k', 10_000, Priority.High);
    q2.add('a', Priority.Normal);
    q2.add('k', Priority.Low); // a resync while k waits for its requeue: it keeps the High priority
    expect(q2.depthOf(Priority.High)).toBe(1);
    expect(await drain(q2, 2)).toEqual(['k', 'a']);

    // a handler that asks for a requeue: the key comes back with priorityOf's answer (High), ahead of
    // the Low keys queued meanwhile
    let started = false;
    const q3 = new WorkQueue({
      weight: 'strict',
      priorityOf: (key) => (key === 'k' && started ? Priority.High : undefined),
    });
    const order: string[] = [];
    const running = q3.run(
      1,
      async (key) => {
        order.push(key);
        if (key === 'k' && !started) {
          started = true;
          for (const other of ['x', 'y', 'z']) q3.add(other, Priority.Low);
          return { requeueAfterMs: 10 };
        }
        if (key === 'x') await sleep(40); // k's requeue comes due meanwhile
      },
      () => {},
    );
    q3.add('k', Priority.Low);
    await sleep(150);
    q3.stop();
    await running;
    expect(order).toEqual(['k', 'x', 'k', 'y', 'z']);
  });
});
