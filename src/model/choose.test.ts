import { chooseUpgrade, newerVersions } from './choose.js';

describe('chooseUpgrade', () => {
  const available = ['1.0.0', '1.9.0', '1.10.0', '2.0.0-rc.1', '1.2.0'];

  it('compares by SemVer precedence, never as strings', () => {
    expect(chooseUpgrade('1.9.0', available)).toEqual({ ok: true, version: '1.10.0' });
    expect(newerVersions('1.0.0', available)).toEqual(['1.10.0', '1.9.0', '1.2.0']);
  });

  it('leaves pre-releases out unless asked for', () => {
    expect(chooseUpgrade('1.10.0', available)).toEqual({
      ok: false,
      reason:
        'no version newer than 1.10.0 is available (available: 1.0.0, 1.2.0, 1.9.0, 1.10.0, 2.0.0-rc.1)',
    });
    expect(chooseUpgrade('1.10.0', available, { includePrereleases: true })).toEqual({
      ok: true,
      version: '2.0.0-rc.1',
    });
    expect(newerVersions('2.0.0-rc.1', ['2.0.0-rc.2', '2.0.0'], true)).toEqual(['2.0.0', '2.0.0-rc.2']);
  });

  it('accepts an explicit target, refusing unknown, equal and lower versions', () => {
    expect(chooseUpgrade('1.0.0', available, { target: '1.9.0' })).toEqual({ ok: true, version: '1.9.0' });
    expect(chooseUpgrade('1.0.0', available, { target: '3.0.0' })).toEqual({
      ok: false,
      reason: 'version 3.0.0 is not available (available: 1.0.0, 1.2.0, 1.9.0, 1.10.0, 2.0.0-rc.1)',
    });
    expect(chooseUpgrade('1.9.0', available, { target: '1.9.0' })).toEqual({
      ok: false,
      reason: 'version 1.9.0 is already installed',
    });
    expect(chooseUpgrade('1.10.0', available, { target: '1.9.0' })).toEqual({
      ok: false,
      reason: '1.9.0 is lower than the installed 1.10.0; set allowDowngrade to move down',
    });
    expect(chooseUpgrade('1.10.0', available, { target: '1.9.0', allowDowngrade: true })).toEqual({
      ok: true,
      version: '1.9.0',
    });
  });
});
