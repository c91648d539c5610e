import type { CapturedWorkload, WorkloadObjects } from './capture-workloads.js';
import { captureWorkloads } from './capture-workloads.js';
import { composeSpec, publishProblems } from './publish.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;

const deployment = (name: string, container: object, extra: object = {}): CapturedWorkload => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, tier: 'x' } },
      spec: { containers: [{ name, ...container }] },
    },
    ...extra,
  },
});

function dev(): WorkloadObjects {
  const db: CapturedWorkload = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'reg.local/shop/db:1',
              ports: [{ name: 'pg', containerPort: 5432 }],
              env: [
                {
                  name: 'POSTGRES_PASSWORD',
                  valueFrom: { secretKeyRef: { name: 'db-secret', key: 'password' } },
                },
              ],
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/pg' },
                { name: 'conf', mountPath: '/etc/pg/postgresql.conf', subPath: 'postgresql.conf' },
              ],
              readinessProbe: { tcpSocket: { port: 'pg' }, periodSeconds: 5 },
            },
          ],
          volumes: [{ name: 'conf', configMap: { name: 'db-config' } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
        },
      ],
    },
  };
  const api = deployment(
    'api',
    {
      image: 'reg.local/shop/api:1',
      ports: [{ name: 'http', containerPort: 8080 }],
      env: [
        { name: 'DATABASE_URL', value: 'postgres://db.dev.svc:5432/shop' },
        { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'api-env', key: 'level' } } },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-secret', key: 'password' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ],
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      resources: { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '1Gi' } },
      volumeMounts: [
        { name: 'cache', mountPath: '/cache' },
        { name: 'conf', mountPath: '/etc/api' },
      ],
    },
    { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
  );
  api.spec!.template.spec!.volumes = [
    { name: 'cache', emptyDir: {} },
    { name: 'conf', configMap: { name: 'api-config' } },
  ];
  api.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'reg.local/proxy:1' });
  // what the API server fills in is not reported; what the team set and a template cannot hold is
  Object.assign(api.spec!.template.spec!.containers[0]!, {
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    lifecycle: { preStop: { sleep: { seconds: 3 } }, postStart: { exec: { command: ['warm'] } } },
    securityContext: { runAsNonRoot: true },
  });
  Object.assign(api.spec!.template.spec!, {
    restartPolicy: 'Always',
    securityContext: {},
    serviceAccountName: 'default',
    nodeSelector: { disk: 'ssd' },
  });
  const web = deployment('web', {
    image: 'reg.local/shop/web:1',
    ports: [{ containerPort: 80 }],
    env: [{ name: 'API', value: 'http://api:8080' }],
  });
  return {
    namespace: 'dev',
    workloads: [web, api, db],
    services: [
      { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } },
      { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } },
      { metadata: { name: 'old' }, spec: { selector: { app: 'gone' }, ports: [{ port: 1 }] } },
      {
        metadata: { name: 'web' },
        spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 8000, targetPort: 80 }] },
      },
    ],
    configMaps: [
      { metadata: { name: 'db-config' }, data: { 'postgresql.conf': 'max_connections = 100\n', other: 'x' } },
      { metadata: { name: 'api-env' }, data: { level: 'info' } },
      { metadata: { name: 'api-config' }, data: { 'app.yaml': 'a: 1\n', 'rules.yaml': 'r: 2\n' } },
    ],
    claims: [],
    pods: [
      {
        metadata: { labels: { app: 'api' } },
        status: {
          containerStatuses: [
            {
              name: 'api',
              image: 'reg.local/shop/api:1',
              imageID: `reg.local/shop/api@${DIGEST}`,
              ready: true,
              restartCount: 0,
              imageRef: '',
            } as never,
          ],
        },
      },
    ],
  };
}

describe('captureWorkloads', () => {
  const c = captureWorkloads(dev());
  const byName = (n: string) => c.components.find((x) => x.name === n)!;

  it('makes one component per workload, the StatefulSet with its claim template and mounted config file', () => {
    expect(c.components.map((x) => [x.name, x.workload])).toEqual([
      ['api', 'Deployment'],
      ['db', 'StatefulSet'],
      ['web', 'Deployment'],
    ]);
    expect(byName('db')).toEqual({
      name: 'db',
      workload: 'StatefulSet',
      image: 'reg.local/shop/db:1',
      replicas: 1,
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      env: [{ name: 'POSTGRES_PASSWORD', value: '${params.DB_PASSWORD}' }],
      volumes: [{ name: 'data', mountPath: '/var/lib/pg', size: '5Gi', accessModes: ['ReadWriteOnce'] }],
      configFiles: [
        { name: 'postgresql.conf', mountPath: '/etc/pg/postgresql.conf', content: 'max_connections = 100\n' },
      ],
      readinessProbe: { tcpSocket: { port: 5432 }, periodSeconds: 5 },
    });
  });

  it('turns Secret references into secret parameters (one per Secret key), never copying a value', () => {
    expect(c.parameters).toEqual([
      {
        name: 'DB_PASSWORD',
        description: 'Secret value; in the namespace it was published from: Secret db-secret, key password',
        required: true,
        secret: true,
      },
    ]);
    // api's DB_PASSWORD and db's POSTGRES_PASSWORD name the same Secret key: one parameter
    expect(byName('db').env).toEqual([{ name: 'POSTGRES_PASSWORD', value: '${params.DB_PASSWORD}' }]);
  });

  it('infers dependencies from env values naming a Service and points them at the injected host', () => {
    expect(byName('api').dependsOn).toEqual(['db']);
    expect(byName('web').dependsOn).toEqual(['api']);
    expect(byName('db').dependsOn).toBeUndefined();
    expect(byName('api').env?.[0]).toEqual({
      name: 'DATABASE_URL',
      value: 'postgres://$(DB_HOST):5432/shop',
    });
    expect(byName('web').env).toEqual([{ name: 'API', value: 'http://$(API_HOST):8080' }]);
    expect(c.notes).toContain(
      'api: env DATABASE_URL names Service db.dev.svc: depends on db; "postgres://db.dev.svc:5432/shop" -> "postgres://$(DB_HOST):5432/shop"',
    );
  });

  it('resolves ConfigMap values and directory mounts, pins images by the digest pods report', () => {
    const api = byName('api');
    expect(api.image).toBe(`reg.local/shop/api:1@${DIGEST}`);
    expect(api.env?.find((e) => e.name === 'LOG_LEVEL')?.value).toBe('info');
    expect(api.configFiles?.map((f) => [f.name, f.mountPath])).toEqual([
      ['app.yaml', '/etc/api/app.yaml'],
      ['rules.yaml', '/etc/api/rules.yaml'],
    ]);
    expect(api.readinessProbe).toEqual({ httpGet: { path: '/healthz', port: 8080 } });
    expect(api.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' } });
    expect(api.updateStrategy).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(byName('web').ports).toEqual([{ name: 'port-80', port: 80, protocol: 'TCP' }]);
  });

  it('lists everything it could not capture, naming the object', () => {
    expect(c.uncaptured).toEqual([
      'Service/old: selects none of the captured workloads',
      'Service/web: type NodePort (Ferry renders ClusterIP Services)',
      "Service/web: port 8000 -> 80 (Ferry's Service exposes the container port 80)",
      'Deployment/api: container sidecar (only the first container, api, is captured)',
      'Deployment/api: env POD_IP (fieldRef/resourceFieldRef values are not captured)',
      'Deployment/api: volume cache at /cache (emptyDir; templates hold config files and PVCs)',
      'Deployment/api: resource request ephemeral-storage',
      'Deployment/api: pod nodeSelector',
      'Deployment/api: container api securityContext',
      'Deployment/api: container api lifecycle.postStart',
    ]);
    // a preStop sleep is the template's shutdown delay
    expect(byName('api').shutdownDelaySeconds).toBe(3);
  });

  it('adds --depends to the inferred dependencies and gives a valid template', () => {
    const withDeps = captureWorkloads(dev(), { web: ['db'] });
    expect(withDeps.components.find((x) => x.name === 'web')!.dependsOn).toEqual(['api', 'db']);
    const spec = composeSpec({ app: 'shop', version: '1.0.0', captured: withDeps, details: {} });
    expect(publishProblems(spec)).toEqual([]);
    const unknown = captureWorkloads(dev(), { web: ['cache'] });
    const problems = publishProblems(
      composeSpec({ app: 'shop', version: '1.0.0', captured: unknown, details: {} }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'unknown component "cache"; expected one of: api, db, web',
    ]);
  });
});
