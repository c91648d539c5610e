import { componentState } from './component-state.js';

describe('componentState', () => {
  const done = { applied: true, complete: true };

  it('is Ready for a rolled-out component of the template, Retained for one kept from earlier', () => {
    expect(componentState(done, { failed: false, retained: false })).toBe('Ready');
    expect(componentState(done, { failed: false, retained: true })).toBe('Retained');
  });

  it('shows rollout progress and failure before retention', () => {
    expect(componentState({ applied: true, complete: false }, { failed: false, retained: true })).toBe(
      'Progressing',
    );
    expect(componentState({ applied: false, complete: false }, { failed: false, retained: true })).toBe(
      'Pending',
    );
    expect(componentState(done, { failed: true, retained: true })).toBe('Failed');
  });
});
