import { shopInstall, shopTemplate } from '../../test-support/fixtures.js';
import { draftInstall } from './install.js';
import { draftRollback, resolveRollbackTarget } from './rollback.js';
import { draftUpgrade } from './upgrade.js';

const r1 = () => draftInstall(shopTemplate('1.0.0').spec, shopInstall().spec).content;
const r2 = () => draftUpgrade(r1(), shopTemplate('2.0.0').spec, shopInstall().spec).content;

describe('resolveRollbackTarget', () => {
  const revisions = [
    { revision: 1, outcome: 'Superseded' as const },
    { revision: 2, outcome: 'Failed' as const },
    { revision: 3, outcome: 'Succeeded' as const },
    { revision: 4, outcome: 'Failed' as const },
  ];

  it('defaults to the last successful revision before the current one', () => {
    expect(resolveRollbackTarget(revisions, 4)).toEqual({ ok: true, revision: 3 });
    expect(resolveRollbackTarget(revisions, 3)).toEqual({ ok: true, revision: 1 });
  });

  it('takes an explicit revision and refuses one that does not exist', () => {
    expect(resolveRollbackTarget(revisions, 4, 2)).toEqual({ ok: true, revision: 2 });
    expect(resolveRollbackTarget(revisions, 4, 9)).toEqual({
      ok: false,
      reason: 'revision 9 does not exist (kept revisions: 1, 2, 3, 4)',
    });
    expect(resolveRollbackTarget(revisions, 1)).toEqual({
      ok: false,
      reason: 'no successful revision before revision 1 (kept revisions: 1, 2, 3, 4)',
    });
  });
});

describe('draftRollback', () => {
  it('restores the old images and keeps components added since, listing them', () => {
    const draft = draftRollback(r2(), { revision: 1, content: r1() }, shopInstall().spec, false);
    expect(draft.cause).toBe('Rollback');
    expect(draft.version).toBe('1.0.0');
    expect(draft.restoredRevision).toBe(1);
    expect(draft.content.effective.components.map((c) => `${c.name}=${c.image.split(':').pop()}`)).toEqual([
      'db=1.0.0',
      'api=1.0.0',
      'web=1.0.0',
      'reports=2.0.0',
    ]);
    expect(draft.content.retained).toEqual(['reports']);
    expect(draft.content.prune).toEqual([]);
    expect(draft.plan.components.find((c) => c.name === 'api')!.change).toBe('Changed');
  });

  it('prunes components added since when asked', () => {
    const draft = draftRollback(r2(), { revision: 1, content: r1() }, shopInstall().spec, true);
    expect(draft.content.effective.components.map((c) => c.name)).toEqual(['db', 'api', 'web']);
    expect(draft.content.prune).toEqual(['reports']);
    expect(draft.plan.components.find((c) => c.name === 'reports')!.change).toBe('Removed');
  });
});
