import { shopInstall, shopTemplate } from '../../test-support/fixtures.js';
import { draftInstall } from './install.js';
import { draftConfigChange, draftUpgrade } from './upgrade.js';

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
