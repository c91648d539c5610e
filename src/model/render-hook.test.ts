import type { AppTemplate } from '../api/index.js';
import { shopInstall, shopTemplate } from '../testing/fixtures.js';
import { resolveParameterValues } from './params.js';
import { renderHookJob } from './render-hook.js';

const UID = '6f1c2a4e-0000-4000-8000-000000000001';

function migrateJob(edit: (t: AppTemplate) => void = () => undefined, imagePullSecrets?: string[]) {
  const template = shopTemplate('2.0.0');
  edit(template);
  const install = shopInstall();
  const input = {
    install: { name: 'shop', namespace: 'shop', uid: UID },
    spec: template.spec,
    revision: 2,
    parameters: resolveParameterValues(template.spec.parameters ?? [], new Map([['DB_PASSWORD', 's3cret']])),
    overrides: install.spec.overrides,
    imagePullSecrets,
  };
  return renderHookJob(input, template.spec.hooks![0]!, 'shop-r2-migrate', {
    name: 'shop-r2',
    uid: 'rev-uid',
  });
}

describe('renderHookJob', () => {
  it('runs the hook once (backoffLimit 0, its deadline), owned by its AppRevision, no TTL', () => {
    const job = migrateJob();
    expect(job.metadata).toMatchObject({
      name: 'shop-r2-migrate',
      namespace: 'shop',
      ownerReferences: [
        {
          apiVersion: 'ferry.dev/v1alpha1',
          kind: 'AppRevision',
          name: 'shop-r2',
          uid: 'rev-uid',
          controller: true,
        },
      ],
    });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 300 });
    expect(job.spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  it("gets the component's environment: injected addresses, preserved values, site overrides, secrets by reference", () => {
    const [container] = migrateJob().spec!.template.spec!.containers;
    expect(container!.image).toBe('registry.example.com/shop/api:2.0.0');
    expect(container!.args).toEqual(['migrate']);
    const env = Object.fromEntries(container!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      DB_HOST: 'shop-db.shop.svc',
      DB_PORT: '5432',
      LOG_LEVEL: 'debug', // the install's override of api
      MIGRATION_TARGET: '2.0.0',
      DB_PASSWORD: { secretKeyRef: { name: 'shop-api-secret', key: 'env.DB_PASSWORD' } },
    });
    expect(JSON.stringify(container)).not.toContain('s3cret');
  });

  it("pulls with the install's pull Secrets, like the component pods (its image is in the site registry too)", () => {
    expect(migrateJob(undefined, ['site-registry']).spec!.template.spec!.imagePullSecrets).toEqual([
      { name: 'site-registry' },
    ]);
    expect(migrateJob().spec!.template.spec).not.toHaveProperty('imagePullSecrets');
  });

  it('runs restricted like its component, selected by no Service (no component label)', () => {
    const job = migrateJob();
    const pod = job.spec!.template;
    expect(pod.metadata!.labels).not.toHaveProperty('ferry.dev/component');
    expect(pod.metadata!.labels).not.toHaveProperty('ferry.dev/install');
    expect(pod.metadata!.labels).toMatchObject({ 'ferry.dev/hook': 'migrate', 'ferry.dev/hook-of': 'shop' });
    expect(pod.spec!.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec!.containers[0]!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('with componentEnv false gets only its own env; its own env wins over the component’s', () => {
    const own = migrateJob((t) => {
      t.spec.hooks![0]!.componentEnv = false;
    });
    expect(own.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).toEqual(['MIGRATION_TARGET']);
    const wins = migrateJob((t) => {
      t.spec.hooks![0]!.env = [{ name: 'LOG_LEVEL', value: 'trace' }];
    });
    const env = wins.spec!.template.spec!.containers[0]!.env!;
    expect(env.filter((e) => e.name === 'LOG_LEVEL')).toEqual([{ name: 'LOG_LEVEL', value: 'trace' }]);
  });

  it("mounts the component's config files from its ConfigMap", () => {
    const job = migrateJob((t) => {
      t.spec.hooks![0]!.component = 'db';
    });
    const pod = job.spec!.template.spec!;
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'shop-db-config' } }]);
    expect(pod.containers[0]!.volumeMounts).toEqual([
      expect.objectContaining({ name: 'config', mountPath: '/etc/postgresql/postgresql.conf' }),
    ]);
  });
});
