import { dependencyLevels, findCycle } from './order.js';

describe('dependency order', () => {
  it('groups components into levels, dependencies first, input order kept inside a level', () => {
    const levels = dependencyLevels([
      { name: 'web', dependsOn: ['api'] },
      { name: 'reports', dependsOn: ['api'] },
      { name: 'api', dependsOn: ['db', 'cache'] },
      { name: 'db' },
      { name: 'cache' },
    ]);
    expect(levels).toEqual([['db', 'cache'], ['api'], ['web', 'reports']]);
  });

  it('puts a component after its deepest dependency', () => {
    expect(
      dependencyLevels([
        { name: 'a', dependsOn: ['b', 'd'] },
        { name: 'b', dependsOn: ['c'] },
        { name: 'c' },
        { name: 'd' },
      ]),
    ).toEqual([['c', 'd'], ['b'], ['a']]);
  });

  it('reports a cycle as the path that closes it', () => {
    const nodes = [
      { name: 'web', dependsOn: ['api'] },
      { name: 'api', dependsOn: ['db'] },
      { name: 'db', dependsOn: ['web'] },
    ];
    expect(findCycle(nodes)).toEqual(['web', 'api', 'db', 'web']);
    expect(() => dependencyLevels(nodes)).toThrow('dependency cycle: web -> api -> db -> web');
  });

  it('finds no cycle in a diamond', () => {
    expect(
      findCycle([
        { name: 'a', dependsOn: ['b', 'c'] },
        { name: 'b', dependsOn: ['d'] },
        { name: 'c', dependsOn: ['d'] },
        { name: 'd' },
      ]),
    ).toBeUndefined();
  });
});
