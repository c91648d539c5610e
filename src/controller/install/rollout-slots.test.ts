import { RolloutSlots } from './rollout-slots.js';

function slots(limit: number) {
  const woken: string[] = [];
  const clock = { now: 0 };
  const s = new RolloutSlots(
    limit,
    (key) => woken.push(key),
    () => clock.now,
  );
  return { s, woken, clock };
}

describe('RolloutSlots', () => {
  it('grants free slots at once and makes the rest wait', () => {
    const { s, woken } = slots(2);
    expect(s.acquire('a/1')).toBe(true);
    expect(s.acquire('a/2')).toBe(true);
    expect(s.acquire('a/3')).toBe(false);
    expect(s.acquire('a/3')).toBe(false); // asking again keeps its place, once
    expect([s.inUse, s.waitingCount]).toEqual([2, 1]);
    expect(woken).toEqual([]);
  });

  it('a reservation becomes a rollout when its revision is seen; the end of a rollout wakes the next install', () => {
    const { s, woken } = slots(1);
    expect(s.acquire('a/1')).toBe(true);
    s.rollingChanged('a/1', true);
    expect(s.acquire('a/1')).toBe(true); // a rolling install keeps its slot
    expect(s.acquire('a/2')).toBe(false);
    expect(s.inUse).toBe(1);
    s.rollingChanged('a/1', false);
    expect(woken).toEqual(['a/2']);
    expect(s.acquire('a/2')).toBe(true); // its reconcile finds the slot reserved for it
    expect(s.acquire('a/3')).toBe(false);
  });

  it('serves the namespaces in turn: one team fleet does not hold back another team install', () => {
    const { s, woken } = slots(1);
    s.acquire('fleet/0');
    s.rollingChanged('fleet/0', true);
    for (let i = 1; i <= 4; i++) s.acquire(`fleet/${i}`);
    s.acquire('probe/p');
    for (let i = 0; i < 4; i++) {
      const current = woken.at(-1) ?? 'fleet/0';
      s.rollingChanged(current, true);
      s.rollingChanged(current, false);
    }
    expect(woken).toEqual(['fleet/1', 'probe/p', 'fleet/2', 'fleet/3']);
  });

  it('gives a freed slot to the namespace with the fewest in use: a team with nothing rolling goes first', () => {
    const { s, woken } = slots(3);
    for (const key of ['a/1', 'a/2', 'b/1']) {
      s.acquire(key);
      s.rollingChanged(key, true);
    }
    s.acquire('a/3');
    s.acquire('b/2');
    s.acquire('new/p'); // in line last, with nothing rolling
    s.rollingChanged('a/1', false);
    expect(woken).toEqual(['new/p']);
    s.rollingChanged('new/p', true);
    s.rollingChanged('a/2', false); // a, b and new hold one each: a's turn
    expect(woken).toEqual(['new/p', 'a/3']);
  });

  it('takes a slot back from an install that did not start after all, and from one deleted while waiting', () => {
    const { s, woken } = slots(1);
    s.acquire('a/1');
    s.acquire('a/2');
    s.acquire('a/3');
    s.forget('a/2'); // deleted while waiting: skipped
    s.release('a/1'); // its spec was fixed back: nothing to roll out
    expect(woken).toEqual(['a/3']);
    s.forget('a/3'); // deleted holding the reservation
    expect(s.inUse).toBe(0);
    s.release('a/9'); // holds nothing: no effect
    expect(s.acquire('a/4')).toBe(true);
    expect(s.acquire('a/5')).toBe(false);
    expect(s.waits('a/5')).toBe(true);
    s.release('a/5'); // its spec went back: it leaves the line
    expect([s.waits('a/5'), s.waitingCount]).toEqual([false, 0]);
  });

  it('expires a reservation that was never used, so a lost reconcile cannot hold a slot', () => {
    const { s, clock } = slots(1);
    s.acquire('a/1');
    expect(s.acquire('a/2')).toBe(false);
    clock.now = 59_999;
    expect(s.acquire('a/2')).toBe(false);
    clock.now = 60_000;
    expect(s.acquire('a/2')).toBe(true);
  });

  it('limit 0 never makes anyone wait', () => {
    const { s } = slots(0);
    for (let i = 0; i < 100; i++) expect(s.acquire(`a/${i}`)).toBe(true);
    expect(s.inUse).toBe(0);
  });
});
