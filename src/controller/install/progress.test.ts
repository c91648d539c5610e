import type { AppRevision, AppRevisionStatus } from '../../api/index.js';
import { PROGRESS_RECORD_MS, ProgressRecords } from './progress.js';

const revision = (kind: 'AppInstall' | 'AppUpgrade' | 'AppRollback'): AppRevision =>
  ({
    metadata: { name: 'shop-r2', namespace: 'shop', uid: `uid-${kind}`, resourceVersion: '10' },
    spec: {
      revision: 2,
      cause: kind === 'AppInstall' ? 'Install' : 'Upgrade',
      causeRef: { kind, name: 'x' },
    },
    status: { outcome: 'Progressing', startedAt: '2026-11-30T10:00:00Z' },
  }) as unknown as AppRevision;

const progress = (db: string, api: string): AppRevisionStatus => ({
  outcome: 'Progressing',
  startedAt: '2026-11-30T10:00:00Z',
  components: [
    { name: 'db', level: 0, state: db as 'Ready' },
    { name: 'api', level: 1, state: api as 'Pending' },
  ],
});

describe('ProgressRecords', () => {
  let now = 0;
  const records = () => new ProgressRecords(() => now);

  it('writes at once each component a request-driven change starts or ends (people follow it live)', () => {
    const r = records();
    for (const kind of ['AppUpgrade', 'AppRollback'] as const) {
      const rev = revision(kind);
      expect(r.mustWrite(rev, progress('Progressing', 'Pending'), progress('Ready', 'Pending'))).toBe(true);
      expect(r.mustWrite(rev, progress('Ready', 'Pending'), progress('Ready', 'Progressing'))).toBe(true);
    }
  });

  it('holds the same steps of a fresh install or a spec-driven change, and shows them held', () => {
    const r = records();
    const rev = revision('AppInstall');
    expect(r.mustWrite(rev, progress('Progressing', 'Pending'), progress('Ready', 'Pending'))).toBe(false);
    expect(r.overlay(rev).status).toEqual(progress('Ready', 'Pending'));
    now += PROGRESS_RECORD_MS;
    expect(r.mustWrite(rev, progress('Ready', 'Pending'), progress('Ready', 'Progressing'))).toBe(true);
  });

  it('writes a hook step at once whatever caused the change', () => {
    const r = records();
    const before = progress('Ready', 'Pending');
    const after = {
      ...before,
      hooks: [
        {
          name: 'm',
          component: 'api',
          phase: 'Pre' as const,
          level: 1,
          job: 'shop-r2-m',
          state: 'Running' as const,
        },
      ],
    };
    expect(r.mustWrite(revision('AppInstall'), before, after)).toBe(true);
  });

  it('holds a request-driven change whose component states did not move (replica counts, messages)', () => {
    const r = records();
    const before = progress('Progressing', 'Pending');
    const after = { ...progress('Progressing', 'Pending'), message: 'level 1/2: 1/3 updated' };
    expect(r.mustWrite(revision('AppUpgrade'), before, after)).toBe(false);
  });
});
