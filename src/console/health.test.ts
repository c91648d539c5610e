import { health } from './health.js';

const cond = (type: string, status: 'True' | 'False', reason = 'R', message = 'm') => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe('health (kstatus)', () => {
  it('is InProgress until the latest generation is observed', () => {
    expect(health({ metadata: { generation: 2 }, status: { observedGeneration: 1 } }).health).toBe(
      'InProgress',
    );
    expect(health({ metadata: { generation: 1 } }).health).toBe('InProgress');
  });
  it('reads Stalled, Reconciling and Ready in that order', () => {
    const at = (conditions: ReturnType<typeof cond>[]) =>
      health({ metadata: { generation: 1 }, status: { observedGeneration: 1, conditions } });
    expect(at([cond('Ready', 'False'), cond('Stalled', 'True', 'ProgressDeadlineExceeded', 'api')])).toEqual({
      health: 'Failed',
      message: 'ProgressDeadlineExceeded: api',
    });
    expect(at([cond('Ready', 'False'), cond('Reconciling', 'True', 'Upgrading', 'level 2')]).health).toBe(
      'InProgress',
    );
    expect(at([cond('Ready', 'True', 'UpgradeSucceeded', 'ok')])).toEqual({
      health: 'Current',
      message: 'UpgradeSucceeded: ok',
    });
    expect(at([]).health).toBe('Unknown');
  });
});
