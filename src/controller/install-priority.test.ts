import { InstallPriorities, isLiveChange } from './install-priority.js';
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

    expect(p.observe('add', revision('a-r1', 'a'))).toBe('ns/a'); // no status yet: in progress (started)
    expect(p.of('ns/a', false)).toBe(Priority.High);
    expect(p.observe('update', revision('a-r1', 'a', 'Progressing'))).toBeUndefined(); // no change
    expect(p.rolling('ns/a')).toBe(true);
    expect(p.observe('update', revision('a-r1', 'a', 'Succeeded'))).toBe('ns/a'); // ended
    expect(p.of('ns/a', true)).toBe(Priority.Normal);

    // two revisions in progress (a rollback started on a failed upgrade's heels): both must end
    p.observe('add', revision('b-r2', 'b'));
    p.observe('add', revision('b-r3', 'b'));
    expect(p.observe('update', revision('b-r2', 'b', 'Failed'))).toBeUndefined();
    expect(p.rolling('ns/b')).toBe(true);
    expect(p.observe('delete', revision('b-r3', 'b'))).toBe('ns/b');
    expect(p.rolling('ns/b')).toBe(false);
  });
});

describe('isLiveChange', () => {
  const synced = { hasSynced: true };
  const install = (generation: number, status?: unknown) => ({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppInstall',
    metadata: { name: 'a', namespace: 'ns', generation },
    ...(status ? { status } : {}),
  });

  it('counts a new object and a spec change, not the list, a resync or a status write', () => {
    expect(isLiveChange(synced, 'add', install(1), undefined)).toBe(true);
    expect(isLiveChange({ hasSynced: false }, 'add', install(1), undefined)).toBe(false); // initial list
    expect(isLiveChange(synced, 'resync', install(1), undefined)).toBe(false);
    expect(isLiveChange(synced, 'update', install(2), install(1))).toBe(true); // spec.version edited
    // the operator's own status write coming back: the backlog, not ahead of a new install
    expect(isLiveChange(synced, 'update', install(1, { revision: 1 }), install(1))).toBe(false);
    // objects without a generation (a Secret's metadata): every update is a change
    const secret = (rv: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', resourceVersion: rv },
    });
    expect(isLiveChange(synced, 'update', secret('2'), secret('1'))).toBe(true);
  });
});
