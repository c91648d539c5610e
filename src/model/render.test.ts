import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { AppInstall, AppTemplate } from '../api/index.js';
import { clone, shopInstall, shopTemplate } from '../testing/fixtures.js';
import { ANNOTATION_CONFIG_CHECKSUM } from './names.js';
import { resolveParameterValues } from './params.js';
import type { RenderedObject } from './render.js';
import { render } from './render.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '__golden__');
const UID = '6f1c2a4e-0000-4000-8000-000000000001';

function renderShop(
  template: AppTemplate = shopTemplate('1.0.0'),
  install: AppInstall = shopInstall(),
  revision = 1,
) {
  const provided = new Map([
    ['DB_PASSWORD', 's3cret'],
    ['PUBLIC_URL', 'https://shop.customer.example'],
  ]);
  return render({
    install: { name: install.metadata.name, namespace: install.metadata.namespace!, uid: UID },
    spec: template.spec,
    revision,
    parameters: resolveParameterValues(template.spec.parameters ?? [], provided),
    overrides: install.spec.overrides,
  });
}

const allObjects = (components: ReturnType<typeof renderShop>) => components.flatMap((c) => c.objects);
const find = (objects: RenderedObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found)
    throw new Error(
      `no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`,
    );
  return found;
};
const checksumOf = (o: RenderedObject) =>
  (o as V1Deployment | V1StatefulSet).spec!.template.metadata!.annotations![ANNOTATION_CONFIG_CHECKSUM];

function expectGolden(name: string, text: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, text);
    if (process.env.UPDATE_GOLDEN !== '1')
      throw new Error(`wrote missing golden file ${path}; read it and commit it`);
  }
  expect(text).toEqual(readFileSync(path, 'utf8'));
}

describe('render', () => {
  it('renders shop 1.0.0 with the example install to exactly the golden objects', () => {
    const text = allObjects(renderShop())
      .map((o) => yaml.dump(o, { lineWidth: 120 }))
      .join('---\n');
    expectGolden('shop-1.0.0.yaml', text);
  });

  it('is deterministic: the same input gives byte-identical output', () => {
    expect(JSON.stringify(renderShop())).toEqual(JSON.stringify(renderShop()));
  });

  it('lists objects per component in apply order', () => {
    expect(renderShop().map((c) => [c.name, c.objects.map((o) => `${o.kind}/${o.metadata!.name}`)])).toEqual([
      [
        'db',
        [
          'ConfigMap/shop-db-config',
          'Secret/shop-db-secret',
          'PersistentVolumeClaim/shop-db-data',
          'Service/shop-db',
          'Service/shop-db-headless',
          'StatefulSet/shop-db',
        ],
      ],
      ['api', ['Secret/shop-api-secret', 'Service/shop-api', 'Deployment/shop-api']],
      ['web', ['Service/shop-web', 'Ingress/shop-web-public', 'Deployment/shop-web']],
    ]);
  });

  it('gives every object but the PVC an owner reference to the AppInstall', () => {
    for (const o of allObjects(renderShop())) {
      if (o.kind === 'PersistentVolumeClaim') expect(o.metadata!.ownerReferences).toBeUndefined();
      else
        expect(o.metadata!.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'AppInstall', uid: UID, controller: true }),
        ]);
    }
  });

  it('injects dependency addresses, keeps secrets in a Secret and lets overrides win', () => {
    const api = find(allObjects(renderShop()), 'Deployment', 'shop-api') as V1Deployment;
    expect(api.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: 'DB_HOST', value: 'shop-db.shop.svc' },
      { name: 'DB_PORT', value: '5432' },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'CACHE_TTL_SECONDS', value: '60' },
      {
        name: 'DB_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'shop-api-secret', key: 'env.DB_PASSWORD' } },
      },
    ]);
    const secret = find(allObjects(renderShop()), 'Secret', 'shop-api-secret') as {
      data: Record<string, string>;
    };
    expect(Buffer.from(secret.data['env.DB_PASSWORD']!, 'base64').toString()).toBe('s3cret');
    expect(JSON.stringify(api)).not.toContain('s3cret');
  });

  it('changes the config checksum when and only when config content changes', () => {
    const base = checksumOf(find(allObjects(renderShop()), 'StatefulSet', 'shop-db'));
    const scaled = clone(shopInstall());
    scaled.spec.overrides![1]!.replicas = 3;
    expect(checksumOf(find(allObjects(renderShop(undefined, scaled)), 'StatefulSet', 'shop-db'))).toBe(base);
    const edited = clone(shopInstall());
    edited.spec.overrides![1]!.configFiles![0]!.content = 'max_connections = 50\n';
    expect(checksumOf(find(allObjects(renderShop(undefined, edited)), 'StatefulSet', 'shop-db'))).not.toBe(
      base,
    );
  });

  it('rolls a component with a ReadWriteOnce volume without surge and honours a template strategy', () => {
    const template = clone(shopTemplate('1.0.0'));
    template.spec.components[0]!.workload = 'Deployment';
    const db = find(allObjects(renderShop(template)), 'Deployment', 'shop-db') as V1Deployment;
    expect(db.spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    const api = find(allObjects(renderShop(template)), 'Deployment', 'shop-api') as V1Deployment;
    expect(api.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('keeps the pod template free of version and revision so an unchanged component does not roll', () => {
    const r1 = find(
      allObjects(renderShop(undefined, undefined, 1)),
      'Deployment',
      'shop-web',
    ) as V1Deployment;
    const r2 = find(
      allObjects(renderShop(undefined, undefined, 2)),
      'Deployment',
      'shop-web',
    ) as V1Deployment;
    expect(r2.metadata!.labels!['ferry.dev/revision']).toBe('2');
    expect(r2.spec!.template).toEqual(r1.spec!.template);
  });
});

describe('graceful shutdown', () => {
  const podOf = (objects: RenderedObject[], name: string) =>
    (find(objects, 'Deployment', name) as V1Deployment).spec!.template.spec!;

  it("gives every pod the install's pull Secrets, and none when it has none", () => {
    const template = shopTemplate('1.0.0');
    const base = {
      install: { name: 'shop', namespace: 'shop', uid: UID },
      spec: template.spec,
      revision: 1,
      parameters: resolveParameterValues(template.spec.parameters ?? [], new Map([['DB_PASSWORD', 'x']])),
    };
    const workloads = (objects: RenderedObject[]) =>
      objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as (
        V1Deployment | V1StatefulSet
      )[];
    const pulled = allObjects(render({ ...base, imagePullSecrets: ['site-registry', 'mirror'] }));
    expect(workloads(pulled).map((w) => w.spec!.template.spec!.imagePullSecrets)).toEqual(
      workloads(pulled).map(() => [{ name: 'site-registry' }, { name: 'mirror' }]),
    );
    const plain = allObjects(render(base));
    expect(workloads(plain).every((w) => w.spec!.template.spec!.imagePullSecrets === undefined)).toBe(true);
  });

  it('keeps a stopping pod serving for the shutdown delay, counted into its grace period', () => {
    const template = shopTemplate('1.0.0');
    template.spec.components.find((c) => c.name === 'api')!.shutdownDelaySeconds = 40;
    template.spec.components.find((c) => c.name === 'web')!.shutdownDelaySeconds = 0;
    const objects = allObjects(renderShop(template));
    expect(podOf(objects, 'shop-api').containers[0]!.lifecycle).toEqual({
      preStop: { sleep: { seconds: 40 } },
    });
    expect(podOf(objects, 'shop-api').terminationGracePeriodSeconds).toBe(70);
    expect(podOf(objects, 'shop-web').containers[0]!.lifecycle).toBeUndefined();
    expect(podOf(objects, 'shop-web').terminationGracePeriodSeconds).toBeUndefined();
  });

  it('has no delay by default for a component without ports (nothing routes to it)', () => {
    const template = shopTemplate('1.0.0');
    const api = template.spec.components.find((c) => c.name === 'api')!;
    delete api.ports;
    delete api.readinessProbe;
    delete api.livenessProbe;
    template.spec.components.find((c) => c.name === 'web')!.dependsOn = [];
    const objects = allObjects(renderShop(template));
    expect(podOf(objects, 'shop-api').containers[0]!.lifecycle).toBeUndefined();
    expect(podOf(objects, 'shop-web').containers[0]!.lifecycle).toEqual({
      preStop: { sleep: { seconds: 5 } },
    });
  });
});

describe('pod security', () => {
  const pod = (objects: RenderedObject[], kind: string, name: string) =>
    (find(objects, kind, name) as V1Deployment | V1StatefulSet).spec!.template.spec!;

  it('runs every component under the restricted Pod Security defaults, keeping the ids the template sets', () => {
    const objects = allObjects(renderShop());
    expect(pod(objects, 'StatefulSet', 'shop-db').securityContext).toEqual({
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod(objects, 'Deployment', 'shop-api').securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod(objects, 'Deployment', 'shop-api').containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('relaxes only what the template sets explicitly, in every container of the pod', () => {
    const template = shopTemplate('1.0.0');
    const api = template.spec.components.find((c) => c.name === 'api')!;
    api.securityContext = {
      runAsNonRoot: false,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'], drop: [] },
      seccompProfile: 'Unconfined',
    };
    api.initContainers = [{ name: 'migrate', image: 'registry.example.com/shop/api:1.0.0' }];
    const spec = pod(allObjects(renderShop(template)), 'Deployment', 'shop-api');
    expect(spec.securityContext).toEqual({ runAsNonRoot: false, seccompProfile: { type: 'Unconfined' } });
    for (const c of [...spec.containers, ...spec.initContainers!]) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: true,
        capabilities: { drop: [], add: ['NET_ADMIN'] },
      });
    }
  });
});
