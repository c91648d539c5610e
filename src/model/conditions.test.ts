import { removeCondition, setCondition } from './conditions.js';

describe('setCondition', () => {
  const t1 = new Date('2026-01-01T00:00:00.123Z');
  const t2 = new Date('2026-01-01T00:05:00Z');

  it('keeps lastTransitionTime while the status stays, and moves it when the status changes', () => {
    let conditions = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Installing', message: 'a' },
      1,
      t1,
    );
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Installing',
        message: 'a',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'Installing', message: 'b' },
      2,
      t2,
    );
    expect(conditions[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(conditions[0]!.message).toBe('b');
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'True', reason: 'InstallSucceeded', message: 'c' },
      2,
      t2,
    );
    expect(conditions[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('keeps conditions sorted by type and removes by type', () => {
    let conditions = setCondition([], { type: 'Stalled', status: 'True', reason: 'X', message: '' }, 1, t1);
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'X', message: '' },
      1,
      t1,
    );
    expect(conditions.map((c) => c.type)).toEqual(['Ready', 'Stalled']);
    expect(removeCondition(conditions, 'Stalled').map((c) => c.type)).toEqual(['Ready']);
  });
});
