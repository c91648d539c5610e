import type { AppTemplateSpec } from '../api/index.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { preserve } from './preserve.js';

const v1 = () => clone(shopTemplate('1.0.0').spec);
const v2 = () => clone(shopTemplate('2.0.0').spec);
const component = (spec: AppTemplateSpec, name: string) => spec.components.find((c) => c.name === name)!;
const env = (spec: AppTemplateSpec, name: string) =>
  Object.fromEntries((component(spec, name).env ?? []).map((e) => [e.name, e.value]));

describe('preserve (1.0.0 -> 2.0.0)', () => {
  it('keeps installed env values and config contents, and takes the new images', () => {
    const { spec } = preserve(v1(), v2());
    expect(env(spec, 'api')).toEqual({
      LOG_LEVEL: 'info',
      CACHE_TTL_SECONDS: '60',
      DB_PASSWORD: '${params.DB_PASSWORD}',
      REPORTS_ENABLED: 'true',
    });
    expect(env(spec, 'web').THEME).toBe('classic');
    expect(component(spec, 'db').configFiles![0]!.content).toBe(
      'max_connections = 100\nshared_buffers = 128MB\n',
    );
    expect(spec.components.map((c) => [c.name, c.image])).toEqual([
      ['db', 'registry.example.com/shop/db:1.0.1'],
      ['api', 'registry.example.com/shop/api:2.0.0'],
      ['web', 'registry.example.com/shop/web:2.0.0'],
      ['reports', 'registry.example.com/shop/reports:2.0.0'],
    ]);
    expect(spec.version).toBe('2.0.0');
  });

  it('carries values preserved by an earlier upgrade through the next one', () => {
    const first = preserve(v1(), v2()).spec;
    const v3 = v2();
    v3.version = '3.0.0';
    component(v3, 'api').env!.find((e) => e.name === 'LOG_LEVEL')!.value = 'error';
    const { spec, notApplied } = preserve(first, v3);
    expect(env(spec, 'api').LOG_LEVEL).toBe('info');
    expect(notApplied.find((n) => n.name === 'LOG_LEVEL')).toEqual({
      component: 'api',
      kind: 'Env',
      name: 'LOG_LEVEL',
      installed: 'info',
      template: 'error',
    });
  });

  it('lists every template change to a preserved value as not applied', () => {
    expect(preserve(v1(), v2()).notApplied).toEqual([
      {
        component: 'db',
        kind: 'ConfigFile',
        name: 'postgresql.conf',
        installed: 'max_connections = 100\nshared_buffers = 128MB\n',
        template: 'max_connections = 200\nshared_buffers = 256MB\n',
      },
      { component: 'api', kind: 'Env', name: 'LOG_LEVEL', installed: 'info', template: 'warn' },
      { component: 'api', kind: 'Env', name: 'CACHE_TTL_SECONDS', installed: '60', template: '300' },
      { component: 'web', kind: 'Env', name: 'THEME', installed: 'classic', template: 'modern' },
    ]);
  });

  it('never changes an installed volume, and adds new ones', () => {
    const next = v2();
    const db = component(next, 'db');
    db.volumes = [
      { ...db.volumes![0]!, size: '5Gi' },
      { name: 'wal', mountPath: '/wal', size: '1Gi', accessModes: ['ReadWriteOnce'] },
    ];
    const { spec, notApplied } = preserve(v1(), next);
    expect(component(spec, 'db').volumes!.map((v) => [v.name, v.size])).toEqual([
      ['data', '10Gi'],
      ['wal', '1Gi'],
    ]);
    expect(notApplied.filter((n) => n.kind === 'Volume')).toEqual([
      {
        component: 'db',
        kind: 'Volume',
        name: 'data',
        installed: '10Gi ReadWriteOnce at /var/lib/postgresql/data',
        template: '5Gi ReadWriteOnce at /var/lib/postgresql/data',
      },
    ]);
  });

  it('keeps values the new template dropped, and components it dropped, as retained', () => {
    const next = v2();
    next.components = next.components.filter((c) => c.name !== 'web');
    component(next, 'api').env = component(next, 'api').env!.filter((e) => e.name !== 'CACHE_TTL_SECONDS');
    const result = preserve(v1(), next);
    expect(result.retained).toEqual(['web']);
    expect(component(result.spec, 'web').image).toBe('registry.example.com/shop/web:1.0.0');
    expect(env(result.spec, 'api').CACHE_TTL_SECONDS).toBe('60');
    expect(result.notApplied).toContainEqual({
      component: 'api',
      kind: 'Env',
      name: 'CACHE_TTL_SECONDS',
      installed: '60',
      template: '(removed from template)',
    });
  });

  it('upgrades only the named components in a partial upgrade and leaves new ones out', () => {
    const result = preserve(v1(), v2(), { components: ['api'] });
    expect(result.spec.components.map((c) => [c.name, c.image])).toEqual([
      ['db', 'registry.example.com/shop/db:1.0.0'],
      ['api', 'registry.example.com/shop/api:2.0.0'],
      ['web', 'registry.example.com/shop/web:1.0.0'],
    ]);
    expect(result.skipped).toEqual(['reports']);
    expect(result.notApplied.map((n) => n.component)).toEqual(['api', 'api']);
  });

  it('keeps parameters the new template no longer declares, so preserved references still resolve', () => {
    const next = v2();
    next.parameters = next.parameters!.filter((p) => p.name !== 'PUBLIC_URL');
    component(next, 'web').env = [{ name: 'THEME', value: 'modern' }];
    const { spec } = preserve(v1(), next);
    expect(env(spec, 'web').PUBLIC_URL).toBe('${params.PUBLIC_URL}');
    expect(spec.parameters!.map((p) => p.name)).toEqual(['DB_PASSWORD', 'PUBLIC_URL']);
  });
});
