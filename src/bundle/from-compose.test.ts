import * as yaml from 'js-yaml';
import type { AppTemplate } from '../api/index.js';
import { captureCompose, parseEnvFile } from '../model/from-compose.js';
import { composeSpec, publishProblems } from '../model/publish.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { composeFile, envFile } from './compose.js';

/** What `ferry export --format compose` writes for a template: compose file, .env, config files. */
function exported(template: AppTemplate) {
  const defaults = new Map((template.spec.parameters ?? []).map((p) => [p.name, p.default]));
  const files = new Map<string, string>();
  for (const c of template.spec.components)
    for (const f of c.configFiles ?? [])
      files.set(
        `./config/${c.name}/${f.name}`,
        f.content.replace(/\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g, (w, n: string) => defaults.get(n) ?? w),
      );
  return { doc: yaml.load(composeFile(template)), envFile: envFile(template), files };
}

const back = (template: AppTemplate, volumeSize = '10Gi') => {
  const captured = captureCompose({ ...exported(template), volumeSize });
  const spec = composeSpec({ app: template.spec.app, version: template.spec.version, captured, details: {} });
  return { captured, spec, template: { ...template, spec } as AppTemplate };
};

describe('from-compose: the reverse of the compose export', () => {
  for (const version of ['1.0.0', '2.0.0'] as const) {
    it(`round-trips shop ${version}: template → compose → template → the same compose files`, () => {
      const original = clone(shopTemplate(version));
      const { spec, template, captured } = back(original);
      expect(publishProblems(spec)).toEqual([]);
      expect(composeFile(template)).toBe(composeFile(original));
      expect(envFile(template)).toBe(envFile(original));
      // what Compose carries comes back as it was
      const carried = (t: AppTemplate) =>
        t.spec.components.map((c) => ({
          name: c.name,
          command: c.command,
          args: c.args,
          // Compose's short port syntax has no names: the port numbers and protocols come back
          ports: c.ports?.map((p) => [p.port, p.protocol]),
          env: c.env,
          dependsOn: c.dependsOn,
          volumes: c.volumes?.map((v) => [v.name, v.mountPath]),
          configFiles: c.configFiles?.map((f) => [f.name, f.mountPath]),
        }));
      expect(JSON.parse(JSON.stringify(carried(template)))).toEqual(
        JSON.parse(JSON.stringify(carried(original))),
      );
      const byName = (list: AppTemplate['spec']['parameters']) =>
        [...(list ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(spec.parameters)).toEqual(byName(original.spec.parameters));
      expect(captured.notes).toContain('services.api: DB_HOST left out; Ferry injects it for the dependency');
    });
  }

  it('reads a hand-written Compose file, listing what has no template counterpart', () => {
    const doc = yaml.load(`
services:
  db:
    image: postgres:16
    environment: ["POSTGRES_PASSWORD=\${DB_PASSWORD}", "PGDATA=/data/$$x"]
    volumes: ["pgdata:/var/lib/postgresql/data", "./initdb:/docker-entrypoint-initdb.d"]
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U postgres"], interval: 5s, retries: 3 }
    networks: [back]
  api:
    image: registry.example.com/api:2
    command: serve --port 8080
    ports: ["127.0.0.1:80:8080", { target: 9090, published: 9090, protocol: udp }]
    depends_on: { db: { condition: service_healthy } }
    deploy: { replicas: 3, resources: { limits: { cpus: "1" } } }
networks: { back: {} }
`);
    const c = captureCompose({ doc, files: new Map() });
    expect(c.components).toEqual([
      {
        name: 'db',
        workload: 'Deployment',
        image: 'postgres:16',
        replicas: 1,
        env: [
          { name: 'POSTGRES_PASSWORD', value: '${params.DB_PASSWORD}' },
          { name: 'PGDATA', value: '/data/$x' },
        ],
        volumes: [
          {
            name: 'pgdata',
            mountPath: '/var/lib/postgresql/data',
            size: '1Gi',
            accessModes: ['ReadWriteOnce'],
          },
        ],
        readinessProbe: {
          exec: { command: ['sh', '-c', 'pg_isready -U postgres'] },
          periodSeconds: 5,
          failureThreshold: 3,
        },
      },
      {
        name: 'api',
        workload: 'Deployment',
        image: 'registry.example.com/api:2',
        replicas: 3,
        args: ['serve', '--port', '8080'],
        dependsOn: ['db'],
        ports: [
          { name: 'port-8080', port: 8080, protocol: 'TCP' },
          { name: 'port-9090', port: 9090, protocol: 'UDP' },
        ],
      },
    ]);
    expect(c.parameters).toEqual([{ name: 'DB_PASSWORD', required: true, secret: false }]);
    expect(c.uncaptured).toEqual([
      'services.db.networks',
      'services.db.volumes: ./initdb (a bind mount of a directory or a file that was not found)',
      'services.api.deploy.resources',
      'top-level networks',
    ]);
  });

  it('refuses what is not a Compose file or a service without an image', () => {
    expect(() => captureCompose({ doc: { version: '3' }, files: new Map() })).toThrow(
      'no top-level "services"',
    );
    expect(() => captureCompose({ doc: { services: { a: { build: '.' } } }, files: new Map() })).toThrow(
      'services.a: no image',
    );
  });

  it('reads .env parameters as the export writes them', () => {
    expect([
      ...parseEnvFile('# Parameters of x 1\n# Password\n# required, secret\nPW=\nURL=http://x\n').values(),
    ]).toEqual([
      { name: 'PW', description: 'Password', required: true, secret: true },
      { name: 'URL', default: 'http://x', required: false, secret: false },
    ]);
  });
});
