import { shopInstall, shopTemplate } from '../../test-support/fixtures.js';
import { draftInstall } from './install.js';

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
