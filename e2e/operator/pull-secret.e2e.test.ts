/**
 * Site registry credentials: the site registry requires basic auth; `ferry import --pull-secret`
 * creates a kubernetes.io/dockerconfigjson Secret from the credentials the import used (never
 * printed), the AppInstall names it in spec.imagePullSecrets, and every pod of the install — across
 * an upgrade — pulls with it. A missing pull Secret makes the install wait, saying which.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { RegistryClient } from '../../src/bundle/registry-client.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { buildImage, pushImage, randomLayer } from '../../src/testing/bundle/images.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';
import type { Obj } from '../support/shop.js';
import {
  condition,
  createShopSecret,
  getInstall,
  installRef,
  shopInstall,
  userApply,
  waitReady,
} from '../support/shop.js';
import {
  OperatorProcess,
  createNamespace,
  kube,
  notYet,
  repoRoot,
  waitFor,
  world,
} from '../support/world.js';

const APP = `pull-${Date.now().toString(36)}`;
const PASSWORD = `pw-${Date.now().toString(36)}-secret`;

async function ferry(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (out += `${t}\n`) });
  return { code, out };
}

describe('site registry credentials', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let vendor: LocalRegistry;
  let site: LocalRegistry;
  let work: string;
  let ns: string;
  const pkg = (v: string) => join(work, `${APP}-${v}.tar`);
  const importArgs = (v: string) => [
    'import',
    pkg(v),
    '--registry',
    `${site.address}/site`,
    '--plain-http',
    '--username',
    'site',
    '--password',
    PASSWORD,
    '--quiet',
    '--kubeconfig',
    world.kubeconfig,
    '--pull-secret',
    'site-pull',
    '--pull-secret-namespace',
    ns,
  ];

  beforeAll(async () => {
    client = kube();
    vendor = startRegistry();
    site = startRegistry({ auth: `site:${PASSWORD}` });
    work = mkdtempSync(join(tmpdir(), 'ferry-pull-e2e-'));
    const registry = new RegistryClient(vendor.address, { plainHttp: true });
    const base = await randomLayer(16 * 1024);
    for (const [repo, tags] of [
      ['shop/db', ['1.0.0', '1.0.1']],
      ['shop/api', ['1.0.0', '2.0.0']],
      ['shop/web', ['1.0.0', '2.0.0']],
      ['shop/reports', ['2.0.0']],
    ] as const) {
      for (const tag of tags)
        await pushImage(registry, repo, tag, buildImage([base, await randomLayer(4 * 1024)]));
    }
    registry.close();
    for (const v of ['1.0.0', '2.0.0']) {
      const file = join(work, `${v}.yaml`);
      writeFileSync(
        file,
        readFileSync(join(repoRoot, 'examples/shop', `shop-${v}.yaml`), 'utf8')
          .replaceAll('registry.example.com/', `${vendor.address}/`)
          .replace(`name: shop.${v}`, `name: ${APP}.${v}`)
          .replace('app: shop\n', `app: ${APP}\n`),
      );
      const exported = await ferry(
        'export',
        `${APP}@${v}`,
        '-f',
        file,
        '-o',
        pkg(v),
        '--plain-http',
        '--quiet',
      );
      expect(exported.code).toBe(0);
    }
    ns = await createNamespace(client, 'pull');
    await createShopSecret(client, ns);
    operator = await OperatorProcess.start();
  }, 180_000);
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    for (const v of ['1.0.0', '2.0.0'])
      await client.delete(ferryRef('AppTemplate', undefined, `${APP}.${v}`));
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    client.close();
    vendor?.stop();
    site?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses to import without credentials for the registry that requires them', async () => {
    const r = await ferry(
      'import',
      pkg('1.0.0'),
      '--registry',
      `${site.address}/site`,
      '--plain-http',
      '--quiet',
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${site.address} asks for a user name and password`);
  });

  it('imports with the pull Secret created from the credentials it used, never printing them', async () => {
    const r = await ferry(...importArgs('1.0.0'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`pull Secret ${ns}/site-pull for ${site.address}: created`);
    expect(r.out).not.toContain(PASSWORD);
    expect(r.out).not.toContain(Buffer.from(`site:${PASSWORD}`).toString('base64'));

    const secret = await client.get<KubeObject & { type: string; data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name: 'site-pull',
    });
    expect(secret!.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(secret!.data['.dockerconfigjson']!, 'base64').toString());
    expect(config.auths[site.address]).toEqual({
      username: 'site',
      password: PASSWORD,
      auth: Buffer.from(`site:${PASSWORD}`).toString('base64'),
    });
  });

  /** Pod templates and pods of the install: image and pull Secrets. */
  async function pods(): Promise<string[]> {
    const list = await client.list<
      KubeObject & { spec: { containers: { image: string }[]; imagePullSecrets?: { name: string }[] } }
    >({ apiVersion: 'v1', kind: 'Pod', namespace: ns }, { labelSelector: 'ferry.dev/install=shop' });
    return list.items
      .filter((p) => !p.metadata!.deletionTimestamp)
      .map(
        (p) =>
          `${p.spec.containers[0]!.image.split('/')[0]} ${JSON.stringify(p.spec.imagePullSecrets ?? [])}`,
      );
  }

  it('installs with spec.imagePullSecrets: every pod pulls from the site registry with the Secret', async () => {
    await userApply(client, shopInstall(ns, APP, '1.0.0', { imagePullSecrets: [{ name: 'site-pull' }] }));
    await waitReady(client, ns, 1);
    const running = await pods();
    expect(running.length).toBeGreaterThanOrEqual(3);
    expect(new Set(running)).toEqual(new Set([`${site.address} [{"name":"site-pull"}]`]));
  });

  it('keeps the pull Secret through an upgrade (the re-import leaves the Secret alone)', async () => {
    const r = await ferry(...importArgs('2.0.0'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`pull Secret ${ns}/site-pull for ${site.address}: unchanged`);
    await client.mergePatch(installRef(ns), { spec: { version: '2.0.0' } });
    await waitReady(client, ns, 2);
    await waitFor('only pods of 2.0.0, all with the pull Secret', async () => {
      const running = await pods();
      return running.length >= 4 && new Set(running).size === 1 ? running : notYet(running);
    });
    expect(new Set(await pods())).toEqual(new Set([`${site.address} [{"name":"site-pull"}]`]));
  });

  it('waits for a pull Secret that does not exist, naming it, and proceeds once it does', async () => {
    await client.mergePatch(installRef(ns), {
      spec: { imagePullSecrets: [{ name: 'site-pull' }, { name: 'mirror' }] },
    });
    const waiting = await waitFor('Reconciling ImagePullSecretNotFound', async () => {
      const install = await getInstall(client, ns);
      const c = condition(install, 'Reconciling');
      return c?.reason === 'ImagePullSecretNotFound' ? c : notYet(install.status?.conditions);
    });
    expect(waiting.message).toContain(`spec.imagePullSecrets[1]: Secret ${ns}/mirror not found`);
    expect((await getInstall(client, ns)).status.revision).toBe(2);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mirror', namespace: ns },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    } as KubeObject);
    const install = (await waitReady(client, ns, 3)) as Obj;
    expect(install.status.history[0]).toEqual(
      expect.objectContaining({ revision: 3, cause: 'ConfigChange' }),
    );
  });
});
