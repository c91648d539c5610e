import { shopInstall, shopTemplate } from '../testing/fixtures.js';
import {
  draftConfigChange,
  draftInstall,
  draftRollback,
  draftUpgrade,
  resolveRollbackTarget,
} from './drafts.js';

describe('draftInstall', () => {
  it('applies the template as it is and plans every component as added, in dependency order', () => {
    const draft = draftInstall(shopTemplate('1.0.0').spec, shopInstall().spec);
    expect(draft.cause).toBe('Install');
    expect(draft.version).toBe('1.0.0');
    expect(draft.content.effective).toEqual(shopTemplate('1.0.0').spec);
    expect(draft.plan.components.map((c) => `${c.name}:${c.change}:${c.level}`)).toEqual([
      'db:Added:0',
      'api:Added:1',
      'web:Added:2',
    ]);
    expect(draft.content.overrides).toEqual(shopInstall().spec.overrides);
  });

  it('keeps a plain secret parameter value out of the stored content', () => {
    const draft = draftInstall(shopTemplate('1.0.0').spec, {
      parameters: [{ name: 'DB_PASSWORD', value: 'hunter2' }],
    });
    expect(JSON.stringify(draft.content)).not.toContain('hunter2');
    expect(draft.content.parameters).toEqual([{ name: 'DB_PASSWORD', redacted: true }]);
  });
});

const installed = () => draftInstall(shopTemplate('1.0.0').spec, shopInstall().spec).content;

describe('draftUpgrade', () => {
  it('moves to 2.0.0 keeping site values and adding reports', () => {
    const draft = draftUpgrade(installed(), shopTemplate('2.0.0').spec, shopInstall().spec);
    expect(draft.cause).toBe('Upgrade');
    expect(draft.version).toBe('2.0.0');
    const api = draft.content.effective.components.find((c) => c.name === 'api')!;
    expect(api.env!.find((e) => e.name === 'LOG_LEVEL')!.value).toBe('info');
    expect(api.image).toBe('registry.example.com/shop/api:2.0.0');
    expect(draft.plan.components.find((c) => c.name === 'reports')!.change).toBe('Added');
    expect(draft.content.template).toEqual(shopTemplate('2.0.0').spec);
  });

  it('upgrades only the named components and records them', () => {
    const draft = draftUpgrade(installed(), shopTemplate('2.0.0').spec, shopInstall().spec, ['web']);
    expect(draft.content.components).toEqual(['web']);
    expect(draft.content.effective.components.map((c) => `${c.name}=${c.image.split(':').pop()}`)).toEqual([
      'db=1.0.0',
      'api=1.0.0',
      'web=2.0.0',
    ]);
    expect(draft.inputsDigest).not.toBe(
      draftUpgrade(installed(), shopTemplate('2.0.0').spec, shopInstall().spec).inputsDigest,
    );
  });
});

describe('draftConfigChange', () => {
  it('keeps the effective spec and takes the new overrides', () => {
    const site = shopInstall().spec;
    const changed = { ...site, overrides: [{ component: 'web', replicas: 5 }] };
    const draft = draftConfigChange(installed(), changed);
    expect(draft.cause).toBe('ConfigChange');
    expect(draft.content.effective).toEqual(installed().effective);
    expect(draft.content.overrides).toEqual([{ component: 'web', replicas: 5 }]);
    expect(draft.plan.components.every((c) => c.change === 'Unchanged')).toBe(true);
  });
});

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

describe('spec.imagePullSecrets', () => {
  const withPull = { ...shopInstall().spec, imagePullSecrets: [{ name: 'site-registry' }] };
  const noPull = { ...shopInstall().spec, imagePullSecrets: undefined };
  it('is recorded with every kind of change and counts in the inputs digest only when set', () => {
    const plain = draftInstall(shopTemplate('1.0.0').spec, noPull);
    expect(plain.content.imagePullSecrets).toBeUndefined();
    expect(draftInstall(shopTemplate('1.0.0').spec, { ...noPull, imagePullSecrets: [] }).inputsDigest).toBe(
      plain.inputsDigest,
    );
    const pulled = draftInstall(shopTemplate('1.0.0').spec, withPull);
    expect(pulled.content.imagePullSecrets).toEqual(['site-registry']);
    expect(pulled.inputsDigest).not.toBe(plain.inputsDigest);
    expect(
      draftUpgrade(plain.content, shopTemplate('2.0.0').spec, withPull).content.imagePullSecrets,
    ).toEqual(['site-registry']);
    expect(draftConfigChange(plain.content, withPull).content.imagePullSecrets).toEqual(['site-registry']);
  });

  it("survives a rollback: the install's current list is kept, not the restored revision's", () => {
    const r1 = draftInstall(shopTemplate('1.0.0').spec, noPull).content;
    const r2 = draftUpgrade(r1, shopTemplate('2.0.0').spec, withPull).content;
    expect(draftRollback(r2, { revision: 1, content: r1 }, withPull, false).content.imagePullSecrets).toEqual(
      ['site-registry'],
    );
  });
});
