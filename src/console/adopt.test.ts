import { adoptOverrides } from './adopt.js';

const notApplied = [
  { component: 'api', kind: 'Env' as const, name: 'LOG_LEVEL', installed: 'info', template: 'warn' },
  {
    component: 'db',
    kind: 'ConfigFile' as const,
    name: 'postgresql.conf',
    installed: 'a\n',
    template: 'b\n',
  },
  { component: 'db', kind: 'Volume' as const, name: 'data', installed: '10Gi', template: '20Gi' },
  { component: 'web', kind: 'Env' as const, name: 'THEME', installed: 'x', template: 'y' },
];

describe('adoptOverrides', () => {
  it('writes the chosen template values as overrides, keeping the others', () => {
    const existing = [
      {
        component: 'api',
        replicas: 2,
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'A', value: '1' },
        ],
      },
    ];
    const { overrides, adopted } = adoptOverrides(
      existing,
      notApplied,
      new Set(['api/Env/LOG_LEVEL', 'db/ConfigFile/postgresql.conf', 'db/Volume/data']),
    );
    expect(overrides).toEqual([
      {
        component: 'api',
        replicas: 2,
        env: [
          { name: 'LOG_LEVEL', value: 'warn' },
          { name: 'A', value: '1' },
        ],
      },
      { component: 'db', configFiles: [{ name: 'postgresql.conf', content: 'b\n' }] },
    ]);
    expect(adopted.map((n) => n.name)).toEqual(['LOG_LEVEL', 'postgresql.conf']);
    expect(existing[0]!.env[0]!.value).toBe('debug');
  });

  it('changes nothing when nothing is chosen', () => {
    expect(adoptOverrides([], notApplied, new Set()).overrides).toEqual([]);
  });
});
