import { NONROOT_ID, nonrootEntries } from './base.js';
import { prepareEntries } from './layer.js';

describe('nonrootEntries', () => {
  it('names nonroot 65532 in passwd and group, owns its home, and makes /tmp sticky and world-writable', () => {
    const entries = prepareEntries(nonrootEntries());
    const text = (path: string) => {
      const e = entries.find((x) => x.path === path);
      if (e?.type !== 'file' || !('data' in e.content)) throw new Error(`no ${path}`);
      return e.content.data.toString();
    };
    expect(text('etc/passwd')).toMatch(new RegExp(`^nonroot:x:${NONROOT_ID}:${NONROOT_ID}:`, 'm'));
    expect(text('etc/group')).toMatch(new RegExp(`^nonroot:x:${NONROOT_ID}:`, 'm'));
    expect(text('etc/nsswitch.conf')).toMatch(/^hosts: files dns$/m);
    expect(entries.find((e) => e.path === 'tmp')).toMatchObject({ type: 'dir', mode: 0o1777, uid: 0 });
    expect(entries.find((e) => e.path === 'home/nonroot')).toMatchObject({ mode: 0o700, uid: NONROOT_ID });
  });
});
