import { clone, shopTemplate } from '../testing/fixtures.js';
import { comparePlan, planUpgrade } from './plan.js';

const v1 = () => clone(shopTemplate('1.0.0').spec);
const v2 = () => clone(shopTemplate('2.0.0').spec);

describe('planUpgrade (shop 1.0.0 -> 2.0.0)', () => {
  const { plan } = planUpgrade(v1(), v2());

  it('lists reports as added and the image changes as applied, in dependency levels', () => {
    expect(plan.fromVersion).toBe('1.0.0');
    expect(plan.toVersion).toBe('2.0.0');
    expect(plan.levels).toEqual([['db'], ['api'], ['web', 'reports']]);
    expect(plan.components.map((c) => [c.name, c.change, c.level])).toEqual([
      ['db', 'Changed', 0],
      ['api', 'Changed', 1],
      ['web', 'Changed', 2],
      ['reports', 'Added', 2],
    ]);
  });

  it('gives a field-level JSON patch per changed component with the image change and new env', () => {
    const api = plan.components.find((c) => c.name === 'api')!;
    expect(api.patch).toEqual([
      {
        op: 'replace',
        path: '/image',
        previous: '"registry.example.com/shop/api:1.0.0"',
        value: '"registry.example.com/shop/api:2.0.0"',
      },
      { op: 'add', path: '/env/REPORTS_ENABLED', value: '"true"' },
    ]);
    expect(api.fromImage).toBe('registry.example.com/shop/api:1.0.0');
    expect(api.toImage).toBe('registry.example.com/shop/api:2.0.0');
  });

  it('lists env default changes as not applied and keeps them out of the patch', () => {
    expect(plan.notApplied.map((n) => `${n.component}/${n.kind}/${n.name}`)).toEqual([
      'db/ConfigFile/postgresql.conf',
      'api/Env/LOG_LEVEL',
      'api/Env/CACHE_TTL_SECONDS',
      'web/Env/THEME',
    ]);
    const paths = plan.components.flatMap((c) => (c.patch ?? []).map((p) => p.path));
    expect(paths).not.toContain('/env/LOG_LEVEL');
    expect(paths).not.toContain('/env/THEME');
  });

  it('reports no change for identical versions', () => {
    const same = comparePlan(v1(), v1());
    expect(same.components.every((c) => c.change === 'Unchanged' && c.patch === undefined)).toBe(true);
  });

  it('marks components a rollback target lacks as removed', () => {
    const back = comparePlan(planUpgrade(v1(), v2()).spec, v1());
    expect(back.components.filter((c) => c.change === 'Removed').map((c) => c.name)).toEqual(['reports']);
    expect(back.components.find((c) => c.name === 'api')!.patch).toContainEqual({
      op: 'remove',
      path: '/env/REPORTS_ENABLED',
      previous: '"true"',
    });
  });
});
