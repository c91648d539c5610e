import type { HookProgress } from '../api/index.js';
import type { HookStep, JobView } from './hook-step.js';
import { nextHookStep } from './hook-step.js';

const REV = 'rev-uid';
const row = (state: HookProgress['state']): HookProgress => ({
  name: 'migrate',
  component: 'api',
  phase: 'Pre',
  level: 1,
  job: 'shop-r2-migrate',
  state,
});
const job = (view: Partial<JobView> = {}): JobView => ({
  ownerUid: REV,
  complete: false,
  active: 1,
  ...view,
});

describe('nextHookStep', () => {
  const table: [string, HookProgress['state'], JobView | undefined, HookStep['type'], string?][] = [
    ['its turn, no Job yet: create it', 'Pending', undefined, 'Create'],
    [
      'created before a restart, not yet recorded: wait for it, never create another',
      'Pending',
      job(),
      'Wait',
    ],
    ['running', 'Running', job(), 'Wait', 'Job shop-r2-migrate running (1 pod(s) active)'],
    ['complete', 'Running', job({ complete: true, active: 0 }), 'Succeed'],
    ['complete, found only after a restart', 'Pending', job({ complete: true, active: 0 }), 'Succeed'],
    [
      'its pod exited 0, the Job not yet marked Complete: succeeded (one completion)',
      'Running',
      job({ podSucceeded: true, active: 0 }),
      'Succeed',
    ],
    [
      'its pod exited 0 but the Job failed meanwhile (deadline): the Job decides',
      'Running',
      job({ podSucceeded: true, active: 0, failed: { reason: 'DeadlineExceeded', message: 'too long' } }),
      'Fail',
    ],
    [
      'failed',
      'Running',
      job({
        failed: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
      }),
      'Fail',
      'Job shop-r2-migrate failed (BackoffLimitExceeded: Job has reached the specified backoff limit)',
    ],
    [
      'deleted while running: fails, is not created again',
      'Running',
      undefined,
      'Fail',
      'Job shop-r2-migrate was deleted before it ended; it is not created again (a hook runs at most once per revision)',
    ],
    [
      'a Job of that name owned by another revision: wait for it to go',
      'Pending',
      job({ ownerUid: 'other' }),
      'Blocked',
    ],
    ['replaced while running', 'Running', job({ ownerUid: 'other' }), 'Fail'],
    ['succeeded before', 'Succeeded', undefined, 'Done'],
    ['failed before', 'Failed', job(), 'Done'],
  ];
  it.each(table.map((r) => [r[0], r] as const))('%s', (_what, [, state, view, type, message]) => {
    const step = nextHookStep(row(state), view, REV);
    expect(step.type).toBe(type);
    if (message) expect(step).toMatchObject({ message });
  });

  it('a Job past its activeDeadlineSeconds fails with HookDeadlineExceeded, any other failure with HookFailed', () => {
    const failed = (reason: string) =>
      nextHookStep(row('Running'), job({ failed: { reason, message: 'm' } }), REV);
    expect(failed('DeadlineExceeded')).toMatchObject({ type: 'Fail', reason: 'HookDeadlineExceeded' });
    expect(failed('BackoffLimitExceeded')).toMatchObject({ type: 'Fail', reason: 'HookFailed' });
  });
});
