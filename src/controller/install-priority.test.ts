import { InstallPriorities } from './install-priority.js';
import { Priority } from './runtime/queue.js';

const revision = (name: string, install: string, outcome?: string) => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppRevision',
  metadata: { name, namespace: 'ns', labels: { 'ferry.dev/install': install } },
  ...(outcome ? { status: { outcome } } : {}),
});

describe('InstallPriorities', () => {
  it('puts installs with a rollout in progress first, then live changes, then lists and resyncs', () => {
    const p = new InstallPriorities();
    expect(p.of('ns/a', true)).toBe(Priority.Normal);
    expect(p.of('ns/a', false)).toBe(Priority.Low);

    p.observe('add', revision('a-r1', 'a')); // no status yet: in progress
    expect(p.of('ns/a', false)).toBe(Priority.High);
    p.observe('update', revision('a-r1', 'a', 'Progressing'));
    expect(p.rolling('ns/a')).toBe(true);
    p.observe('update', revision('a-r1', 'a', 'Succeeded'));
    expect(p.of('ns/a', true)).toBe(Priority.Normal);

    // two revisions in progress (a rollback started on a failed upgrade's heels): both must end
    p.observe('add', revision('b-r2', 'b'));
    p.observe('add', revision('b-r3', 'b'));
    p.observe('update', revision('b-r2', 'b', 'Failed'));
    expect(p.rolling('ns/b')).toBe(true);
    p.observe('delete', revision('b-r3', 'b'));
    expect(p.rolling('ns/b')).toBe(false);
  });
});
