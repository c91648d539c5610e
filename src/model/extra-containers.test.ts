import type { V1Deployment, V1Secret } from '@kubernetes/client-node';
import type { AppTemplateSpec, ComponentOverride } from '../api/index.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { planUpgrade } from './plan.js';
import { preserve } from './preserve.js';
import { formatProblem } from './problems.js';
import { render } from './render.js';
import { installProblems, templateSpecProblems } from './validate.js';

/** shop 1.0.0 whose api has a migration init container and a log-shipping sidecar. */
function withContainers(version: '1.0.0' | '2.0.0' = '1.0.0'): AppTemplateSpec {
  const spec = clone(shopTemplate(version).spec);
  const api = spec.components.find((c) => c.name === 'api')!;
  api.initContainers = [
    {
      name: 'migrate',
      image: `registry.example.com/shop/api:${version}`,
      command: ['/api', 'migrate'],
      env: [
        { name: 'DB_PASSWORD', value: '${params.DB_PASSWORD}' },
        { name: 'MIGRATE_TIMEOUT', value: '60' },
      ],
    },
  ];
  api.sidecars = [
    {
      name: 'shipper',
      image: 'registry.example.com/shop/shipper:1.0.0',
      configFiles: [{ name: 'shipper.conf', mountPath: '/etc/shipper.conf', content: 'level = info\n' }],
    },
  ];
  return spec;
}

function apiObjects(spec: AppTemplateSpec, overrides: ComponentOverride[] = []) {
  return render({
    install: { name: 'shop', namespace: 'shop', uid: 'u' },
    spec,
    revision: 1,
    parameters: new Map([['DB_PASSWORD', 's3cret']]),
    overrides,
  }).find((c) => c.name === 'api')!.objects;
}

describe('init containers and sidecars', () => {
  it('renders sidecars as native sidecars before the init containers, with their env and files', () => {
    const objects = apiObjects(withContainers(), [
      {
        component: 'api',
        containers: [
          { name: 'shipper', configFiles: [{ name: 'shipper.conf', content: 'level = debug\n' }] },
        ],
      },
    ]);
    const pod = (objects.at(-1) as V1Deployment).spec!.template.spec!;
    expect(pod.initContainers!.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['shipper', 'Always'],
      ['migrate', undefined],
    ]);
    const [shipper, migrate] = pod.initContainers!;
    expect(migrate!.command).toEqual(['/api', 'migrate']);
    expect(migrate!.env).toEqual([
      {
        name: 'DB_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'shop-api-secret', key: 'env.migrate.DB_PASSWORD' } },
      },
      { name: 'MIGRATE_TIMEOUT', value: '60' },
    ]);
    expect(migrate!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(shipper!.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/shipper.conf', subPath: 'shipper.shipper.conf', readOnly: true },
    ]);
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(configMap.data).toEqual({ 'shipper.shipper.conf': 'level = debug\n' });
    const secret = objects.find((o) => o.kind === 'Secret') as V1Secret;
    expect(Object.keys(secret.data!).sort()).toEqual(['env.DB_PASSWORD', 'env.migrate.DB_PASSWORD']);
    // The main container keeps only its own env and mounts.
    expect(pod.containers[0]!.env!.map((e) => e.name)).not.toContain('MIGRATE_TIMEOUT');
  });

  it('preserves their installed env values and config contents across an upgrade, and reports what is not applied', () => {
    const v2 = withContainers('2.0.0');
    const api2 = v2.components.find((c) => c.name === 'api')!;
    api2.initContainers![0]!.env![1]!.value = '300';
    api2.sidecars![0]!.configFiles![0]!.content = 'level = warn\n';
    api2.sidecars![0]!.env = [{ name: 'SHIP_TO', value: 'collector:4317' }];
    const { spec, notApplied } = preserve(withContainers(), v2);
    const api = spec.components.find((c) => c.name === 'api')!;
    expect(api.initContainers![0]!.image).toBe('registry.example.com/shop/api:2.0.0');
    expect(api.initContainers![0]!.env![1]).toEqual({ name: 'MIGRATE_TIMEOUT', value: '60' });
    expect(api.sidecars![0]!.configFiles![0]!.content).toBe('level = info\n');
    expect(api.sidecars![0]!.env).toEqual([{ name: 'SHIP_TO', value: 'collector:4317' }]);
    expect(notApplied.filter((n) => n.container)).toEqual([
      {
        component: 'api',
        container: 'migrate',
        kind: 'Env',
        name: 'MIGRATE_TIMEOUT',
        installed: '60',
        template: '300',
      },
      {
        component: 'api',
        container: 'shipper',
        kind: 'ConfigFile',
        name: 'shipper.conf',
        installed: 'level = info\n',
        template: 'level = warn\n',
      },
    ]);
  });

  it('shows their changes in the plan by container name', () => {
    const v2 = withContainers('2.0.0');
    v2.components.find((c) => c.name === 'api')!.sidecars![0]!.image =
      'registry.example.com/shop/shipper:1.1.0';
    const { plan } = planUpgrade(withContainers(), v2);
    expect(plan.components.find((c) => c.name === 'api')!.patch).toContainEqual({
      op: 'replace',
      path: '/sidecars/shipper/image',
      previous: '"registry.example.com/shop/shipper:1.0.0"',
      value: '"registry.example.com/shop/shipper:1.1.0"',
    });
  });

  it('refuses a container named like another, mounts of unknown volumes, undeclared parameters and unknown overrides', () => {
    const spec = withContainers();
    const api = spec.components.find((c) => c.name === 'api')!;
    api.sidecars!.push({
      name: 'migrate',
      image: 'x',
      volumeMounts: [{ volume: 'data', mountPath: '/data' }],
    });
    api.initContainers![0]!.args = ['${params.NOPE}'];
    expect(templateSpecProblems('AppTemplate/shop.1.0.0', spec).map(formatProblem)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[1].sidecars[1].name: container name "migrate" is used twice in the pod (the main container is named after the component)',
      'AppTemplate/shop.1.0.0: spec.components[1].sidecars[1].volumeMounts[0].volume: no volume named "data"; the component has: none',
      'AppTemplate/shop.1.0.0: spec.components[1].initContainers[0].args[0]: ${params.NOPE} refers to an undeclared parameter; declare it in spec.parameters',
    ]);
    const problems = installProblems(
      'AppInstall/shop/shop',
      'shop',
      {
        parameters: [{ name: 'DB_PASSWORD', value: 'x' }],
        overrides: [
          {
            component: 'api',
            containers: [
              { name: 'proxy' },
              { name: 'shipper', configFiles: [{ name: 'x.conf', content: '' }] },
            ],
          },
        ],
      },
      withContainers(),
    );
    expect(problems.map(formatProblem)).toEqual([
      'AppInstall/shop/shop: spec.overrides[0].containers[0].name: no init container or sidecar "proxy"; component "api" has extra containers: migrate, shipper',
      'AppInstall/shop/shop: spec.overrides[0].containers[1].configFiles[0].name: container "shipper" has no config file "x.conf"; it has: shipper.conf',
    ]);
  });

  it('serves sidecar ports through the component Services and probes the sidecar; routes may name its ports', () => {
    const spec = withContainers();
    const api = spec.components.find((c) => c.name === 'api')!;
    api.sidecars![0]!.ports = [{ name: 'metrics', port: 9102, protocol: 'TCP', external: true }];
    api.sidecars![0]!.readinessProbe = { httpGet: { path: '/ready', port: 9102 } };
    api.sidecars![0]!.livenessProbe = { tcpSocket: { port: 9102 } };
    api.serviceType = 'NodePort';
    api.routes = [{ name: 'metrics', port: 'metrics', path: '/metrics', pathType: 'Prefix' }];
    expect(templateSpecProblems('AppTemplate/shop.1.0.0', spec)).toEqual([]);
    const objects = apiObjects(spec, [
      { component: 'api', routes: [{ name: 'metrics', kind: 'Ingress', hosts: ['m.example'] }] },
    ]);
    const services = objects.filter((o) => o.kind === 'Service') as {
      metadata: { name: string };
      spec: { ports: { name: string; port: number }[] };
    }[];
    expect(services.map((s) => [s.metadata.name, s.spec.ports.map((p) => `${p.name}:${p.port}`)])).toEqual([
      ['shop-api', ['http:8080', 'metrics:9102']],
      ['shop-api-external', ['metrics:9102']],
    ]);
    const ingress = objects.find((o) => o.kind === 'Ingress') as {
      spec: {
        rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
      };
    };
    expect(ingress.spec.rules[0]!.http.paths[0]!.backend.service).toEqual({
      name: 'shop-api',
      port: { name: 'metrics' },
    });
    const shipper = (objects.at(-1) as V1Deployment).spec!.template.spec!.initContainers![0]!;
    expect(shipper).toMatchObject({
      name: 'shipper',
      restartPolicy: 'Always',
      ports: [{ name: 'metrics', containerPort: 9102, protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: '/ready', port: 9102 } },
      livenessProbe: { tcpSocket: { port: 9102 } },
    });
    const v2 = withContainers('2.0.0');
    v2.components.find((c) => c.name === 'api')!.sidecars![0]!.ports = [
      { name: 'metrics', port: 9103, protocol: 'TCP' },
    ];
    const { plan } = planUpgrade(spec, v2);
    expect(plan.components.find((c) => c.name === 'api')!.patch).toContainEqual({
      op: 'replace',
      path: '/sidecars/shipper/ports/metrics/port',
      previous: '9102',
      value: '9103',
    });
  });

  it('refuses sidecar ports that clash with another container’s, and ports or probes on init containers', () => {
    const spec = withContainers();
    const api = spec.components.find((c) => c.name === 'api')!;
    api.sidecars![0]!.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
    api.initContainers![0]!.ports = [{ name: 'admin', port: 9000, protocol: 'TCP' }];
    api.initContainers![0]!.readinessProbe = { exec: { command: ['true'] } };
    expect(templateSpecProblems('AppTemplate/shop.1.0.0', spec).map(formatProblem)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[1].sidecars[0].ports[0].name: port name "http" is also a port of the main container',
      'AppTemplate/shop.1.0.0: spec.components[1].sidecars[0].ports[0].port: port 8080/TCP is also a port of the main container (one pod, one network namespace)',
      'AppTemplate/shop.1.0.0: spec.components[1].initContainers[0].ports: an init container runs to completion before the pod serves; only sidecars and the main container take ports',
      'AppTemplate/shop.1.0.0: spec.components[1].initContainers[0].readinessProbe: an init container runs to completion before the pod serves; only sidecars and the main container take readinessProbe',
    ]);
  });
});
