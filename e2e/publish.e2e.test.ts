/**
 * Publish from what runs (issue 12): a "dev" namespace runs an app deployed with plain manifests;
 * `ferry publish` makes 1.0.0 and, after the team adds a component and changes an env default, 2.0.0
 * whose diff shows both. Both versions are exported, carried to the "site" and imported, installed with
 * `ferry install`, upgraded (the preview shows 2.0.0's release notes) and rolled back. The same from an
 * AppInstall. Refusals.
 *
 * The e2e world has one control plane: the "site" is another namespace and another registry. Because
 * AppTemplates are cluster-scoped, the vendor's templates are deleted after the export (as if the
 * package had crossed an air gap to another cluster) before the site imports them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { RegistryClient } from '../src/bundle/registry-client.js';
import { main } from '../src/cli/main.js';
import type { KubeClient, KubeObject } from '../src/kube/client.js';
import { ferryRef } from '../src/kube/client.js';
import { buildImage, pushImage, randomLayer } from '../src/testing/bundle/images.js';
import type { LocalRegistry } from '../src/testing/bundle/registry.js';
import { startRegistry } from '../src/testing/bundle/registry.js';
import type { Obj } from './support/shop.js';
import {
  asVersion,
  createShopSecret,
  envOf,
  revisions,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
  workload,
} from './support/shop.js';
import { OperatorProcess, createNamespace, kube, notYet, waitFor, world } from './support/world.js';

const suffix = `${Date.now().toString(36)}${(process.pid % 1296).toString(36)}`;
/** AppTemplates are cluster-scoped and immutable: a name per run. */
const APP = `pubw${suffix}`;
const APPI = `pubi${suffix}`;

async function ferry(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const offline = ['inspect', 'verify', 'validate'].includes(args[0]!);
  const code = await main(offline ? args : [...args, '--kubeconfig', world.kubeconfig], {
    out: (t) => void (out += `${t}\n`),
    err: (t) => void (err += `${t}\n`),
  });
  return { code, out, err };
}
async function ferryOk(...args: string[]): Promise<string> {
  const r = await ferry(...args);
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}:\n${r.err}${r.out}`);
  return r.out;
}

let client: KubeClient;
let operator: OperatorProcess;
let vendor: LocalRegistry;
let site: LocalRegistry;
let work: string;
let dev: string;

const labels = { 'app.kubernetes.io/part-of': APP };
const selector = `app.kubernetes.io/part-of=${APP}`;
/** `ferry publish` of the dev namespace's workloads as APP. */
const fromDev = () => ['publish', '--from-namespace', dev, '--selector', selector, '--app', APP];
const image = (name: string) => `${vendor.address}/dev/${name}:1`;

function deployment(name: string, port: number, env: object[], extra: object = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: dev, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name, image: image(name), ports: [{ name: 'http', containerPort: port }], env, ...extra },
          ],
        },
      },
    },
  };
}
const service = (name: string, port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: dev, labels },
  spec: { selector: { app: name }, ports: [{ port, targetPort: port }] },
});
const secretEnv = (name: string) => ({
  name,
  valueFrom: { secretKeyRef: { name: 'db-secret', key: 'password' } },
});

/** The app as the vendor's team deployed it with plain manifests. */
function devManifests(logLevel: string): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-secret', namespace: dev },
      stringData: { password: 'dev-only-password' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'api-config', namespace: dev },
      data: { 'app.yaml': 'cache: 60\n' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: dev, labels },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              {
                name: 'db',
                image: image('db'),
                ports: [{ name: 'pg', containerPort: 5432 }],
                env: [secretEnv('POSTGRES_PASSWORD')],
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
                readinessProbe: { tcpSocket: { port: 'pg' } },
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    },
    service('db', 5432),
    deployment(
      'api',
      8080,
      [
        { name: 'DATABASE_URL', value: 'postgres://db:5432/shop' },
        { name: 'LOG_LEVEL', value: logLevel },
        secretEnv('DB_PASSWORD'),
      ],
      {
        volumeMounts: [{ name: 'config', mountPath: '/etc/api' }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      },
    ),
    service('api', 8080),
    deployment('web', 80, [{ name: 'API_URL', value: 'http://api:8080' }]),
    service('web', 80),
  ].map((o) => {
    if (o.kind === 'Deployment' && o.metadata?.name === 'api')
      (o as Obj).spec.template.spec.volumes = [{ name: 'config', configMap: { name: 'api-config' } }];
    return o;
  });
}

async function rolledOut(kind: 'Deployment' | 'StatefulSet', name: string): Promise<void> {
  await waitFor(
    `${kind} ${dev}/${name} rolled out`,
    async () => {
      const w = await client.get<Obj>({ apiVersion: 'apps/v1', kind, namespace: dev, name });
      const s = w?.status;
      const done =
        s?.observedGeneration === w?.metadata?.generation &&
        s?.readyReplicas === w?.spec?.replicas &&
        s?.updatedReplicas === w?.spec?.replicas;
      return done ? true : notYet(s);
    },
    { timeoutMs: 90_000 },
  );
}

async function template(name: string): Promise<Obj | undefined> {
  return client.get<Obj>(ferryRef('AppTemplate', undefined, name));
}

beforeAll(async () => {
  client = kube();
  vendor = startRegistry();
  site = startRegistry();
  work = mkdtempSync(join(tmpdir(), 'ferry-publish-e2e-'));
  const registry = new RegistryClient(vendor.address, { plainHttp: true });
  const base = await randomLayer(64 * 1024);
  for (const name of ['db', 'api', 'web', 'reports'])
    await pushImage(registry, `dev/${name}`, '1', buildImage([base, await randomLayer(32 * 1024)]));
  registry.close();
  operator = await OperatorProcess.start();
  dev = await createNamespace(client, 'dev');
  for (const o of devManifests('info')) await client.apply(o);
  await rolledOut('StatefulSet', 'db');
  for (const name of ['api', 'web']) await rolledOut('Deployment', name);
}, 240_000);

afterAll(async () => {
  expect(await operator?.stop()).toBe(0);
  client?.close();
  vendor?.stop();
  site?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('ferry publish from plain workloads', () => {
  it('publishes 1.0.0: components, Secret values as parameters, dependencies, who published it', async () => {
    const out = await ferryOk(
      ...fromDev(),
      '--version',
      '1.0.0',
      '--notes',
      'First release.',
      '--description',
      'A shop',
      '--category',
      'shop',
      '--maintainer',
      'Shop team <shop@example.com>',
    );
    expect(out).toContain(`Publish ${APP} none -> 1.0.0`);
    expect(out).toMatch(/\+ api +added, image .*\/dev\/api:1/);
    expect(out).toContain('+ parameter DB_PASSWORD  added');
    expect(out).toContain(
      'api: env DATABASE_URL names Service db: depends on db; "postgres://db:5432/shop" -> "postgres://$(DB_HOST):5432/shop"',
    );
    expect(out).toContain(`created AppTemplate ${APP}.1.0.0 (origin publish`);

    const t = (await template(`${APP}.1.0.0`))!;
    expect(t.metadata!.labels!['ferry.dev/origin']).toBe('publish');
    const me = await client.request<{ status: { userInfo: { username: string } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
    );
    expect(t.spec.publication).toMatchObject({
      publishedBy: me.status.userInfo.username,
      source: { kind: 'Workloads', namespace: dev, selector },
    });
    // everything the dev manifests set has a place in the template (the API server's defaults are no loss)
    expect(t.spec.publication.uncaptured).toBeUndefined();
    expect(out).not.toContain('Not captured');
    const byName = Object.fromEntries((t.spec.components as Obj[]).map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'db', 'web']);
    expect(byName.db.workload).toBe('StatefulSet');
    expect(byName.db.volumes).toEqual([
      { name: 'data', mountPath: '/var/lib/postgresql/data', size: '1Gi', accessModes: ['ReadWriteOnce'] },
    ]);
    expect(byName.api.dependsOn).toEqual(['db']);
    expect(byName.web.dependsOn).toEqual(['api']);
    expect(byName.api.configFiles).toEqual([
      { name: 'app.yaml', mountPath: '/etc/api/app.yaml', content: 'cache: 60\n' },
    ]);
    expect(t.spec.parameters).toEqual([
      expect.objectContaining({ name: 'DB_PASSWORD', secret: true, required: true }),
    ]);
    // the Secret's value is nowhere in the template
    expect(JSON.stringify(t)).not.toContain('dev-only-password');
  });

  it('refuses a version not greater, and a version that exists with other content; the same content is a no-op', async () => {
    const same = await ferry(...fromDev(), '--version', '1.0.0', '--notes', 'First release.');
    expect(same.code).toBe(0);
    expect(same.out).toContain(`AppTemplate ${APP}.1.0.0 exists with this content: nothing to write`);
    const other = await ferry(...fromDev(), '--version', '1.0.0', '--notes', 'Changed');
    expect(other.code).toBe(1);
    expect(other.err).toContain(`refused: ${APP} 1.0.0 exists with other content`);
    const lower = await ferry(...fromDev(), '--version', '0.9.0');
    expect(lower.code).toBe(1);
    expect(lower.err).toContain(`refused: version 0.9.0 is not greater than ${APP}'s existing 1.0.0`);
    expect(await template(`${APP}.0.9.0`)).toBeUndefined();
  });

  it('publishes 2.0.0 after the team adds a component and changes an env default: the diff shows both', async () => {
    for (const o of devManifests('warn')) await client.apply(o);
    await client.apply(
      deployment('reports', 9090, [{ name: 'API_URL', value: 'http://api.' + dev + '.svc:8080' }]),
    );
    await rolledOut('Deployment', 'reports');
    await rolledOut('Deployment', 'api');
    const file = join(work, 'preview.yaml');
    const preview = await ferryOk(
      ...fromDev(),
      '--version',
      '2.0.0',
      '--notes',
      'Adds reports.\nLOG_LEVEL is warn.',
      '-o',
      file,
    );
    expect(preview).toContain(`wrote AppTemplate ${APP}.2.0.0 to ${file}`);
    expect((yaml.load(readFileSync(file, 'utf8')) as Obj).spec.version).toBe('2.0.0');
    expect(await template(`${APP}.2.0.0`)).toBeUndefined();

    const out = await ferryOk(
      ...fromDev(),
      '--version',
      '2.0.0',
      '--notes',
      'Adds reports.\nLOG_LEVEL is warn.',
    );
    expect(out).toContain(`Publish ${APP} 1.0.0 -> 2.0.0`);
    expect(out).toMatch(/\+ reports +added, image .*\/dev\/reports:1/);
    expect(out).toContain('replace /env/LOG_LEVEL "info" -> "warn"');
    expect(out).toContain('  | Adds reports.');
    const t = (await template(`${APP}.2.0.0`))!;
    // details come from the previous version when not given again
    expect(t.spec).toMatchObject({
      description: 'A shop',
      categories: ['shop'],
      releaseNotes: 'Adds reports.\nLOG_LEVEL is warn.',
    });
    expect((t.spec.components as Obj[]).find((c) => c.name === 'reports')!.dependsOn).toEqual(['api']);
  });

  it('lists both in ferry templates, with origin and notes', async () => {
    const text = await ferryOk('templates', APP);
    expect(text).toMatch(new RegExp(`2\\.0\\.0 +publish +\\S+ +- +Adds reports\\.`));
    const json = JSON.parse(await ferryOk('templates', APP, '-o', 'json')) as {
      versions: { version: string; origin: string }[];
    }[];
    expect(json[0]!.versions.map((v) => [v.version, v.origin])).toEqual([
      ['2.0.0', 'publish'],
      ['1.0.0', 'publish'],
    ]);
    // kubectl's printer columns: origin by default, publisher and description with -o wide
    const wide = execFileSync(
      join(world.bin, 'kubectl'),
      ['--kubeconfig', world.kubeconfig, 'get', 'apptemplates', `${APP}.2.0.0`, '-o', 'wide'],
      { encoding: 'utf8' },
    ).split('\n');
    expect(wide[0]).toMatch(/^NAME +APP +VERSION +VALID +ORIGIN +PUBLISHED-BY +DESCRIPTION +AGE$/);
    expect(wide[1]).toMatch(
      new RegExp(`^${APP}\\.2\\.0\\.0 +${APP} +2\\.0\\.0 +\\S+ +publish +\\S+ +A shop +\\S+$`),
    );
  });

  it('--dry-run shows the publish and writes nothing', async () => {
    const out = await ferryOk(...fromDev(), '--version', '3.0.0', '--dry-run');
    expect(out).toContain(`Publish ${APP} 2.0.0 -> 3.0.0`);
    expect(out).toContain(`--dry-run: AppTemplate ${APP}.3.0.0 not written`);
    expect(await template(`${APP}.3.0.0`)).toBeUndefined();
  });

  it('exports both, imports them at the site, installs with ferry install, upgrades (notes shown) and rolls back', async () => {
    await throughTheSite(APP, 'Workloads', 'info', async (ns) => {
      const api = await workload(client, ns, 'api');
      expect(envOf(api)).toMatchObject({
        DB_HOST: `shop-db.${ns}.svc`,
        DATABASE_URL: 'postgres://$(DB_HOST):5432/shop',
        LOG_LEVEL: 'info',
      });
      expect(api?.spec?.template.spec?.containers[0]?.image).toMatch(
        new RegExp(`^${site.address}/acme/dev/api@sha256:`),
      );
    });
  });
});

describe('ferry publish from an AppInstall', () => {
  /** The team's own drafts run as app DEV; what it publishes is app APPI. */
  const DEV = `${APPI}-dev`;
  let ns: string;
  /** `ferry publish` of the dev install as APPI. */
  const fromInstall = () => ['publish', 'shop', '-n', ns, '--app', APPI];
  const pointAtVendor = (spec: Obj['spec']) => {
    for (const c of spec.components) c.image = image(c.name);
  };
  const setOverrides = (logLevel: string) =>
    client.mergePatch(ferryRef('AppInstall', ns, 'shop'), {
      spec: { overrides: [{ component: 'api', env: [{ name: 'LOG_LEVEL', value: logLevel }] }] },
    });

  beforeAll(async () => {
    ns = await createNamespace(client, 'devi');
    await createShopSecret(client, ns);
    await userApply(client, asVersion(shopTemplate('1.0.0', DEV, pointAtVendor), '0.1.0'));
    await userApply(client, shopInstall(ns, DEV, '0.1.0'));
    await waitReady(client, ns, 1);
    await setOverrides('debug');
    await waitReady(client, ns, 2);
  }, 180_000);

  it('publishes 1.0.0 from the applied revision: overrides and plain values become defaults', async () => {
    const out = await ferryOk(...fromInstall(), '--version', '1.0.0', '--notes', 'First release.');
    expect(out).toContain(`from AppInstall ${ns}/shop revision 2 (${DEV} 0.1.0)`);
    expect(out).toContain(`Publish ${APPI} none -> 1.0.0`);
    expect(out).toContain('api: env LOG_LEVEL = "debug" (the install\'s override) is the default now');
    const t = (await template(`${APPI}.1.0.0`))!;
    expect(t.spec.publication.source).toEqual({
      kind: 'AppInstall',
      namespace: ns,
      install: 'shop',
      revision: 2,
    });
    const api = t.spec.components.find((c: Obj) => c.name === 'api');
    expect(api.env.find((e: Obj) => e.name === 'LOG_LEVEL').value).toBe('debug');
    expect(t.spec.parameters.find((p: Obj) => p.name === 'PUBLIC_URL').default).toBe(
      'https://shop.customer.example',
    );
    expect(t.spec.parameters.find((p: Obj) => p.name === 'DB_PASSWORD').default).toBeUndefined();
    expect(JSON.stringify(t)).not.toContain('s3cret-pw');
    expect(t.spec.displayName).toBe('Shop');
  });

  it('publishes 2.0.0 after the team adds a component and changes an env default: the diff shows both', async () => {
    await userApply(client, asVersion(shopTemplate('2.0.0', DEV, pointAtVendor), '0.2.0'));
    await client.mergePatch(ferryRef('AppInstall', ns, 'shop'), {
      spec: {
        version: '0.2.0',
        overrides: [{ component: 'api', env: [{ name: 'LOG_LEVEL', value: 'warn' }] }],
      },
    });
    await waitReady(client, ns, 3);
    const refused = await ferry(...fromInstall(), '--version', '1.0.0');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`refused: ${APPI} 1.0.0 exists with other content`);
    const out = await ferryOk(
      ...fromInstall(),
      '--version',
      '2.0.0',
      '--notes',
      'Adds reports.\nLOG_LEVEL is warn.',
    );
    expect(out).toContain(`from AppInstall ${ns}/shop revision 3 (${DEV} 0.2.0)`);
    expect(out).toContain(`Publish ${APPI} 1.0.0 -> 2.0.0`);
    expect(out).toMatch(/\+ reports +added, image .*\/dev\/reports:1/);
    expect(out).toContain('replace /env/LOG_LEVEL "debug" -> "warn"');
  });

  it('exports both, imports them at the site, installs with ferry install, upgrades (notes shown) and rolls back', async () => {
    await throughTheSite(APPI, 'AppInstall', 'debug', async (site) => {
      expect(envOf(await workload(client, site, 'api'))).toMatchObject({ LOG_LEVEL: 'debug' });
    });
  });

  it('refuses an install that is not Ready, writing nothing', async () => {
    // a version whose api never becomes ready (KWOK keeps pods of this image unready): the upgrade fails
    await userApply(
      client,
      asVersion(shopTemplate('2.0.0', DEV), '0.3.0', (spec: Obj['spec']) => {
        for (const c of spec.components)
          c.image = c.name === 'api' ? 'example.invalid/ferry/never-ready:1.0' : image(c.name);
      }),
    );
    await client.mergePatch(ferryRef('AppInstall', ns, 'shop'), {
      spec: { version: '0.3.0', upgradePolicy: { progressDeadlineSeconds: 10 } },
    });
    await waitFor(
      'the upgrade to 0.3.0 failed',
      async () => {
        const i = await client.get<Obj>(ferryRef('AppInstall', ns, 'shop'));
        const ready = i?.status?.conditions?.find((c: Obj) => c.type === 'Ready');
        return ready?.reason === 'UpgradeFailed' ? true : notYet(ready);
      },
      { timeoutMs: 120_000 },
    );
    const r = await ferry(...fromInstall(), '--version', '3.0.0');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`ferry publish: AppInstall ${ns}/shop is not Ready \\(UpgradeFailed: `));
    expect(await template(`${APPI}.3.0.0`)).toBeUndefined();
  });
});

/** Carries both versions across (export, delete the vendor's templates, import), installs 1.0.0 with ferry install, upgrades to 2.0.0 and rolls back. */
async function throughTheSite(
  app: string,
  source: string,
  logLevel1: string,
  checkInstalled: (ns: string) => Promise<void>,
): Promise<void> {
  const pkg1 = join(work, `${app}-1.tar`);
  const pkg2 = join(work, `${app}-2.tar`);
  await ferryOk('export', `${app}@1.0.0`, '-o', pkg1, '--plain-http', '--quiet');
  await ferryOk('export', `${app}@2.0.0`, '-o', pkg2, '--since', '1.0.0', '--plain-http', '--quiet');
  const inspect = await ferryOk('inspect', pkg2);
  expect(inspect).toContain('  | Adds reports.');
  expect(inspect).toMatch(new RegExp(`release 2\\.0\\.0: published .* from ${source}`));
  // across the air gap: the site cluster does not have the vendor's templates
  for (const v of ['1.0.0', '2.0.0']) await client.delete(ferryRef('AppTemplate', undefined, `${app}.${v}`));
  await waitFor(
    'vendor templates gone',
    async () => !(await template(`${app}.1.0.0`)) && !(await template(`${app}.2.0.0`)),
  );
  for (const p of [pkg1, pkg2])
    await ferryOk('import', p, '--registry', `${site.address}/acme`, '--plain-http', '--quiet');
  expect((await template(`${app}.2.0.0`))!.metadata!.labels!['ferry.dev/origin']).toBe('import');

  const ns = await createNamespace(client, 'site');
  await client.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-db', namespace: ns },
    stringData: { pw: 'site-password' },
  });
  const missing = await ferry('install', `${app}@1.0.0`, '-n', ns);
  expect(missing.code).toBe(1);
  expect(missing.err).toContain('required parameter "DB_PASSWORD" has no value');
  const printed = await ferryOk(
    'install',
    `${app}@1.0.0`,
    '-n',
    ns,
    '--set-secret',
    'DB_PASSWORD=shop-db/pw',
    '-o',
    'yaml',
  );
  expect(yaml.load(printed)).toMatchObject({ kind: 'AppInstall', spec: { app, version: '1.0.0' } });
  expect(await client.get(ferryRef('AppInstall', ns, app))).toBeUndefined();
  await ferryOk(
    'install',
    `${app}@1.0.0`,
    '-n',
    ns,
    '--name',
    'shop',
    '--set-secret',
    'DB_PASSWORD=shop-db/pw',
  );
  await waitReady(client, ns, 1);
  await checkInstalled(ns);
  const listing = await ferryOk('templates', app);
  expect(listing).toMatch(new RegExp(`1\\.0\\.0 +import +\\S+ +${ns}/shop`));

  const preview = await ferryOk('upgrade', 'shop', '-n', ns, '--to', '2.0.0', '--name', 'up');
  expect(preview).toContain('+ reports  added');
  expect(preview).toContain('Release notes:\n  2.0.0:\n    | Adds reports.\n    | LOG_LEVEL is warn.');
  // the site keeps its LOG_LEVEL: the new default is listed as not applied
  expect(preview).toMatch(new RegExp(`api Env LOG_LEVEL\\n +kept: +"${logLevel1}"\\n +template: "warn"`));
  await ferryOk('upgrade', 'shop', '-n', ns, '--name', 'up', '--approve');
  await waitReady(client, ns, 2);
  expect(await workload(client, ns, 'reports')).toBeDefined();
  const rollback = await ferryOk('rollback', 'shop', '-n', ns, '--to-revision', '1');
  expect(rollback).toContain('restored revision 1 (1.0.0) as revision 3');
  await waitReady(client, ns, 3).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await ferryOk('history', 'shop', '-n', ns)}`);
  });
  // the rollback stays: no later revision moves the install back to 2.0.0
  expect((await revisions(client, ns)).map((r) => [r.spec.revision, r.spec.version, r.spec.cause])).toEqual([
    [1, '1.0.0', 'Install'],
    [2, '2.0.0', 'Upgrade'],
    [3, '1.0.0', 'Rollback'],
  ]);
}
