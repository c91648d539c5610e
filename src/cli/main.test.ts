import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { UpgradePlan } from '../api/index.js';
import { examplePath } from '../testing/fixtures.js';
import { main } from './main.js';

async function ferry(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const shop = (file: string) => examplePath('shop', file);
const tmp = mkdtempSync(join(tmpdir(), 'ferry-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function writeTemp(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('ferry validate', () => {
  it('accepts the shop example and says so per document', async () => {
    const result = await ferry(
      'validate',
      '-f',
      shop('shop-1.0.0.yaml'),
      '-f',
      shop('shop-2.0.0.yaml'),
      '-f',
      shop('install.yaml'),
    );
    expect(result).toEqual({
      code: 0,
      out: [
        `${shop('shop-1.0.0.yaml')}: AppTemplate ok`,
        `${shop('shop-2.0.0.yaml')}: AppTemplate ok`,
        `${shop('install.yaml')}: AppInstall ok`,
      ].join('\n'),
      err: '',
    });
  });

  it('exits 1 with one line per problem naming file, object and field', async () => {
    const bad = writeTemp(
      'bad.yaml',
      `apiVersion: ferry.dev/v1alpha1
kind: AppTemplate
metadata: { name: demo.1.0 }
spec:
  app: demo
  version: "1.0"
  components:
    - { name: a, image: a:1, dependsOn: [b] }
    - { name: b, image: b:1, dependsOn: [a] }
---
apiVersion: ferry.dev/v1alpha1
kind: AppTemplate
metadata: { name: demo.1.0.0 }
spec:
  app: demo
  version: 1.0.0
  components:
    - { name: a, image: a:1, dependsOn: [b] }
    - { name: b, image: b:1, dependsOn: [a] }
`,
    );
    const result = await ferry('validate', '-f', bad);
    expect(result.code).toBe(1);
    expect(result.err.split('\n')).toEqual([
      `${bad}: AppTemplate/demo.1.0: spec.version: version must be a SemVer 2.0 version such as 1.2.3 (no +build metadata)`,
      `${bad}#2: AppTemplate/demo.1.0.0: spec.components: dependency cycle: a -> b -> a`,
      'ferry validate: 2 problem(s) found',
    ]);
  });

  it('checks an install against its template when both are given', async () => {
    const install = writeTemp(
      'install.yaml',
      `apiVersion: ferry.dev/v1alpha1
kind: AppInstall
metadata: { name: shop, namespace: shop }
spec:
  app: shop
  version: 1.0.0
  overrides:
    - component: cache
      replicas: 1
`,
    );
    const result = await ferry('validate', '-f', shop('shop-1.0.0.yaml'), '-f', install);
    expect(result.code).toBe(1);
    expect(result.err.split('\n')).toEqual([
      `${install}: AppInstall/shop/shop: spec.parameters: required parameter "DB_PASSWORD" has no value (shop 1.0.0 declares it required)`,
      `${install}: AppInstall/shop/shop: spec.overrides[0].component: unknown component "cache"; shop 1.0.0 has: db, api, web`,
      'ferry validate: 2 problem(s) found',
    ]);
  });

  it('names a file that is not YAML', async () => {
    const broken = writeTemp('broken.yaml', 'kind: [unclosed\n');
    const result = await ferry('validate', '-f', broken);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^${broken}: not valid YAML: `));
  });

  it('exits 2 on a usage error', async () => {
    expect((await ferry('validate')).code).toBe(2);
    expect((await ferry('nonsense')).code).toBe(2);
    expect((await ferry('diff', '--from', shop('shop-1.0.0.yaml'))).err).toContain(
      'both --from and --to are required',
    );
  });
});

describe('ferry render', () => {
  it('prints every object of the install, with Secret-sourced values as placeholders', async () => {
    const result = await ferry('render', '-f', shop('shop-1.0.0.yaml'), '-f', shop('install.yaml'));
    expect(result.code).toBe(0);
    const objects = yaml.loadAll(result.out) as {
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
    }[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/shop-db-config',
      'Secret/shop-db-secret',
      'PersistentVolumeClaim/shop-db-data',
      'Service/shop-db',
      'Service/shop-db-headless',
      'StatefulSet/shop-db',
      'Secret/shop-api-secret',
      'Service/shop-api',
      'Deployment/shop-api',
      'Service/shop-web',
      'Ingress/shop-web-public',
      'Deployment/shop-web',
    ]);
    const secret = objects.find((o) => o.metadata.name === 'shop-api-secret')!;
    expect(Buffer.from(secret.data!['env.DB_PASSWORD']!, 'base64').toString()).toBe(
      '<secret shop-secrets/db-password>',
    );
  });

  it('refuses an install whose version has no template among the files', async () => {
    const result = await ferry('render', '-f', shop('shop-2.0.0.yaml'), '-f', shop('install.yaml'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('no AppTemplate shop 1.0.0 among the files');
  });
});

describe('ferry diff', () => {
  it('prints the plan for a person', async () => {
    const result = await ferry('diff', '--from', shop('shop-1.0.0.yaml'), '--to', shop('shop-2.0.0.yaml'));
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [
        'Rollout order (dependencies first):',
        '  1. db',
        '  2. api',
        '     before: hook migrate (Job for api, image registry.example.com/shop/api:2.0.0)',
        '  3. web, reports',
      ].join('\n'),
    );
    expect(result.out).toContain('  + reports  added, image registry.example.com/shop/reports:2.0.0');
    expect(result.out).toContain(
      '      replace /image "registry.example.com/shop/api:1.0.0" -> "registry.example.com/shop/api:2.0.0"',
    );
    expect(result.out).toContain('  api Env LOG_LEVEL\n      kept:     "info"\n      template: "warn"');
  });

  it('prints the plan as JSON with -o json', async () => {
    const result = await ferry(
      'diff',
      '--from',
      shop('shop-1.0.0.yaml'),
      '--to',
      shop('shop-2.0.0.yaml'),
      '-o',
      'json',
    );
    const plan = JSON.parse(result.out) as UpgradePlan;
    expect(plan.components.map((c) => `${c.name}:${c.change}`)).toEqual([
      'db:Changed',
      'api:Changed',
      'web:Changed',
      'reports:Added',
    ]);
    expect(plan.notApplied).toHaveLength(4);
  });

  it('checks the install against the target version', async () => {
    const install = writeTemp(
      'install-web.yaml',
      `apiVersion: ferry.dev/v1alpha1
kind: AppInstall
metadata: { name: shop, namespace: shop }
spec:
  app: shop
  version: 1.0.0
  parameters: [{ name: DB_PASSWORD, value: x }]
  overrides: [{ component: web, configFiles: [{ name: nginx.conf, content: x }] }]
`,
    );
    const result = await ferry(
      'diff',
      '--from',
      shop('shop-1.0.0.yaml'),
      '--to',
      shop('shop-2.0.0.yaml'),
      '--install',
      install,
    );
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'AppInstall/shop/shop: spec.overrides[0].configFiles[0].name: component "web" has no config file "nginx.conf"; it has: none',
    );
  });
});
