import { BASE_PACKAGES, baseExcluded, baseKey, parseCandidates, pins } from './debian-base.js';

describe('the Debian base', () => {
  it('keeps libraries, loader and licences; drops devices, package state, host files and docs', () => {
    for (const kept of [
      'lib/x86_64-linux-gnu/libc.so.6',
      'lib64/ld-linux-x86-64.so.2',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'etc/ld.so.conf.d/x86_64-linux-gnu.conf',
      'usr/share/doc/libc6/copyright',
      'usr/share/doc/libc6',
    ])
      expect([kept, baseExcluded(kept)]).toEqual([kept, false]);
    for (const dropped of [
      'dev/null',
      'var/cache/apt/archives/lock',
      'var/log/apt',
      'var/lib/dpkg/status',
      'etc/apt/sources.list',
      'etc/resolv.conf',
      'etc/hostname',
      'etc/machine-id',
      'etc/ld.so.cache',
      'tmp',
      'usr/share/doc/libc6/changelog.Debian.gz',
      'usr/share/man/man1/ldd.1.gz',
      'usr/share/locale/de/LC_MESSAGES/libc.mo',
    ])
      expect([dropped, baseExcluded(dropped)]).toEqual([dropped, true]);
    expect(baseExcluded('etc/resolv.conf.d')).toBe(false);
  });

  it('reads candidate versions from apt-cache policy and pins them', () => {
    const policy = `libc6:
  Installed: 2.36-9+deb12u13
  Candidate: 2.36-9+deb12u14
  Version table:
libgcc-s1:
  Installed: 12.2.0-14+deb12u1
  Candidate: 12.2.0-14+deb12u1
libstdc++6:
  Installed: (none)
  Candidate: 12.2.0-14+deb12u1
`;
    const versions = parseCandidates(policy);
    expect(Object.keys(versions).sort()).toEqual([...BASE_PACKAGES].sort());
    expect(pins(versions)).toEqual([
      'libc6=2.36-9+deb12u14',
      'libgcc-s1=12.2.0-14+deb12u1',
      'libstdc++6=12.2.0-14+deb12u1',
    ]);
    expect(() => parseCandidates('libc6:\n  Candidate: (none)\n')).toThrow(/apt-get update/);
  });

  it('is keyed by package versions and mmdebstrap, not by their order', () => {
    const a = { libc6: '1', 'libgcc-s1': '2' };
    const key = baseKey(a, 'mmdebstrap 1.3.5');
    expect(baseKey({ 'libgcc-s1': '2', libc6: '1' }, 'mmdebstrap 1.3.5')).toBe(key);
    expect(baseKey({ ...a, libc6: '1+u1' }, 'mmdebstrap 1.3.5')).not.toBe(key);
    expect(baseKey(a, 'mmdebstrap 1.4.0')).not.toBe(key);
  });
});
