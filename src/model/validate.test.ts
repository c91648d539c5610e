import { objectRef } from '../api/index.js';
import { clone, shopInstall, shopTemplate } from '../testing/fixtures.js';
import { formatProblem } from './problems.js';
import { installProblems, validateInstall, validateTemplate } from './validate.js';

const messages = (input: unknown) => {
  const result = validateTemplate(input);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('validateTemplate', () => {
  it('accepts both shop versions', () => {
    expect(validateTemplate(shopTemplate('1.0.0')).ok).toBe(true);
    expect(validateTemplate(shopTemplate('2.0.0')).ok).toBe(true);
  });

  it('reports a dependency cycle with its path', () => {
    const t = clone(shopTemplate('1.0.0'));
    t.spec.components[0]!.dependsOn = ['web'];
    expect(messages(t)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components: dependency cycle: db -> web -> api -> db',
    ]);
  });

  it('reports an unknown dependency and a self-dependency at the exact field', () => {
    const t = clone(shopTemplate('1.0.0'));
    t.spec.components[1]!.dependsOn = ['db', 'cache'];
    t.spec.components[2]!.dependsOn = ['web'];
    expect(messages(t)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[1].dependsOn[1]: unknown component "cache"; expected one of: db, api, web',
      'AppTemplate/shop.1.0.0: spec.components[2].dependsOn[0]: component "web" cannot depend on itself',
    ]);
  });

  it('refuses a version that is not SemVer 2.0, and build metadata', () => {
    for (const version of ['1.0', 'v1.0.0', '01.0.0', '1.0.0+build.5']) {
      const t = clone(shopTemplate('1.0.0'));
      t.spec.version = version;
      t.metadata.name = `shop.${version}`;
      expect(messages(t)).toEqual([
        `AppTemplate/shop.${version}: spec.version: version must be a SemVer 2.0 version such as 1.2.3 (no +build metadata)`,
      ]);
    }
  });

  it('requires metadata.name to be <app>.<version>', () => {
    const t = clone(shopTemplate('1.0.0'));
    t.metadata.name = 'shop-1';
    expect(messages(t)).toEqual([
      'AppTemplate/shop-1: metadata.name: must be "shop.1.0.0" (<spec.app>.<spec.version>)',
    ]);
  });

  it('reports a reference to an undeclared parameter', () => {
    const t = clone(shopTemplate('1.0.0'));
    t.spec.components[2]!.env!.push({ name: 'CDN', value: 'https://${params.CDN_HOST}/static' });
    expect(messages(t)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[2].env[2].value: ${params.CDN_HOST} refers to an undeclared parameter; declare it in spec.parameters',
    ]);
  });

  it('reports duplicate component, env, port, config file, volume and parameter names', () => {
    const t = clone(shopTemplate('1.0.0'));
    t.spec.components.push(clone(t.spec.components[2]!));
    const db = t.spec.components[0]!;
    db.env!.push({ name: 'POSTGRES_DB', value: 'other' });
    db.ports!.push({ name: 'postgres', port: 5433, protocol: 'TCP' });
    db.configFiles!.push({ ...db.configFiles![0]!, mountPath: '/etc/other.conf' });
    db.volumes!.push({ ...db.volumes![0]!, mountPath: '/other' });
    t.spec.parameters!.push({ name: 'PUBLIC_URL', required: false, secret: false });
    expect(messages(t)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[3].name: duplicate component name "web"',
      'AppTemplate/shop.1.0.0: spec.parameters[2].name: duplicate parameter name "PUBLIC_URL"',
      'AppTemplate/shop.1.0.0: spec.components[0].ports[1].name: duplicate port name "postgres"',
      'AppTemplate/shop.1.0.0: spec.components[0].env[2].name: duplicate env name "POSTGRES_DB"',
      'AppTemplate/shop.1.0.0: spec.components[0].configFiles[1].name: duplicate config file name "postgresql.conf"',
      'AppTemplate/shop.1.0.0: spec.components[0].volumes[1].name: duplicate volume name "data"',
    ]);
  });

  it('names the field and the expectation for schema errors', () => {
    const t = clone(shopTemplate('1.0.0')) as unknown as { spec: { components: Record<string, unknown>[] } };
    t.spec.components[0]!.workload = 'DaemonSet';
    t.spec.components[1]!.replicas = -1;
    const found = messages(t);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^AppTemplate\/shop\.1\.0\.0: spec\.components\[0\]\.workload: .*"Deployment"\|"StatefulSet"/,
    );
    expect(found[1]).toMatch(/^AppTemplate\/shop\.1\.0\.0: spec\.components\[1\]\.replicas: .*>=0/);
  });
});

describe('installProblems', () => {
  const template = shopTemplate('1.0.0').spec;
  const object = objectRef('AppInstall', { name: 'shop', namespace: 'shop' });

  it('accepts the example install', () => {
    const install = shopInstall();
    expect(validateInstall(install).ok).toBe(true);
    expect(installProblems(object, 'shop', install.spec, template)).toEqual([]);
  });

  it('reports a missing required parameter, an unknown parameter and an unknown component', () => {
    const spec = clone(shopInstall().spec);
    spec.parameters = [
      { name: 'PUBLIC_URL', value: 'x' },
      { name: 'COLOR', value: 'red' },
    ];
    spec.overrides!.push({ component: 'cache', replicas: 2 });
    expect(installProblems(object, 'shop', spec, template).map(formatProblem)).toEqual([
      'AppInstall/shop/shop: spec.parameters[1].name: unknown parameter "COLOR"; shop 1.0.0 declares: DB_PASSWORD, PUBLIC_URL',
      'AppInstall/shop/shop: spec.parameters: required parameter "DB_PASSWORD" has no value (shop 1.0.0 declares it required)',
      'AppInstall/shop/shop: spec.overrides[3].component: unknown component "cache"; shop 1.0.0 has: db, api, web',
    ]);
  });

  it('reports an override of a config file the component does not have', () => {
    const spec = clone(shopInstall().spec);
    spec.overrides = [{ component: 'api', configFiles: [{ name: 'app.yaml', content: 'x' }] }];
    expect(installProblems(object, 'shop', spec, template).map(formatProblem)).toEqual([
      'AppInstall/shop/shop: spec.overrides[0].configFiles[0].name: component "api" has no config file "app.yaml"; it has: none',
    ]);
  });

  it('reports an install name too long for its workload names', () => {
    const name = 'a'.repeat(50);
    expect(installProblems(object, name, shopInstall().spec, template).map((p) => p.message)).toEqual([
      `"${name}-db" is longer than 52 characters; use a shorter install name`,
      `"${name}-api" is longer than 52 characters; use a shorter install name`,
      `"${name}-web" is longer than 52 characters; use a shorter install name`,
    ]);
  });

  it('reports a parameter with both value and valueFrom through the schema', () => {
    const install = clone(shopInstall()) as unknown as { spec: { parameters: Record<string, unknown>[] } };
    install.spec.parameters[1]!.valueFrom = { secretKeyRef: { name: 's', key: 'k' } };
    const result = validateInstall(install);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.field)).toEqual(['spec.parameters[1]']);
  });
});
