import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node';
import type { AppTemplateSpec, ComponentOverride } from '../api/index.js';
import { appInstallSchema } from '../api/index.js';
import { clone, shopInstall, shopTemplate } from '../testing/fixtures.js';
import { formatProblem } from './problems.js';
import type { HttpRoute, RenderedObject } from './render.js';
import { render } from './render.js';
import { routeTargets, unservedRoutesMessage } from './render-access.js';
import { installProblems, templateSpecProblems } from './validate.js';

const web = (spec: AppTemplateSpec) => spec.components.find((c) => c.name === 'web')!;

function renderWeb(spec: AppTemplateSpec, overrides: ComponentOverride[]): RenderedObject[] {
  const rendered = render({
    install: { name: 'shop', namespace: 'shop', uid: 'u' },
    spec,
    revision: 3,
    parameters: new Map([['DB_PASSWORD', 'x']]),
    overrides,
  });
  return rendered.find((c) => c.name === 'web')!.objects;
}
const byKind = <T>(objects: RenderedObject[], kind: string) => objects.filter((o) => o.kind === kind) as T[];

describe('external access: Service type and external ports', () => {
  it('publishes no external Service for ClusterIP (the default)', () => {
    const objects = renderWeb(shopTemplate('1.0.0').spec, []);
    expect(byKind<V1Service>(objects, 'Service').map((s) => s.metadata!.name)).toEqual(['shop-web']);
  });

  it("publishes only the external ports with the site's type and node ports, the ClusterIP Service unchanged", () => {
    const spec = clone(shopTemplate('1.0.0').spec);
    web(spec).ports!.push({ name: 'admin', port: 9090, protocol: 'TCP' });
    const objects = renderWeb(spec, [
      {
        component: 'web',
        service: {
          type: 'NodePort',
          nodePorts: [{ port: 'http', nodePort: 30080 }],
          annotations: { a: 'b' },
        },
      },
    ]);
    const [internal, external] = byKind<V1Service>(objects, 'Service');
    expect(internal!.spec!.type).toBe('ClusterIP');
    expect(internal!.spec!.ports!.map((p) => p.name)).toEqual(['http', 'admin']);
    expect(external!.metadata!.name).toBe('shop-web-external');
    expect(external!.metadata!.annotations).toEqual({ a: 'b' });
    expect(external!.spec).toMatchObject({
      type: 'NodePort',
      selector: { 'ferry.dev/install': 'shop', 'ferry.dev/component': 'web' },
      ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
    });
  });

  it("takes the template's serviceType when the site says nothing, and the site's when it does", () => {
    const spec = clone(shopTemplate('1.0.0').spec);
    web(spec).serviceType = 'LoadBalancer';
    expect(byKind<V1Service>(renderWeb(spec, []), 'Service')[1]!.spec!.type).toBe('LoadBalancer');
    const site = renderWeb(spec, [{ component: 'web', service: { type: 'ClusterIP' } }]);
    expect(byKind(site, 'Service')).toHaveLength(1);
  });
});

describe('external access: routes', () => {
  it('renders a template route without site settings as an Ingress for every host', () => {
    const [ingress] = byKind<V1Ingress>(renderWeb(shopTemplate('1.0.0').spec, []), 'Ingress');
    expect(ingress!.metadata!.name).toBe('shop-web-public');
    expect(ingress!.metadata!.labels!['ferry.dev/revision']).toBe('3');
    expect(ingress!.spec).toEqual({
      rules: [
        {
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'shop-web', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
  });

  it("renders the site's hosts, TLS secret and class into the Ingress", () => {
    const objects = renderWeb(shopTemplate('1.0.0').spec, [
      {
        component: 'web',
        routes: [
          {
            name: 'public',
            kind: 'Ingress',
            hosts: ['a.example', 'b.example'],
            tlsSecretName: 't',
            className: 'nginx',
          },
        ],
      },
    ]);
    const [ingress] = byKind<V1Ingress>(objects, 'Ingress');
    expect(ingress!.spec!.ingressClassName).toBe('nginx');
    expect(ingress!.spec!.rules!.map((r) => r.host)).toEqual(['a.example', 'b.example']);
    expect(ingress!.spec!.tls).toEqual([{ hosts: ['a.example', 'b.example'], secretName: 't' }]);
  });

  it('renders an HTTPRoute attached to the Gateway the site names, with the port number as backend', () => {
    const spec = clone(shopTemplate('1.0.0').spec);
    web(spec).routes = [{ name: 'public', port: 'http', path: '/shop', pathType: 'Exact' }];
    const objects = renderWeb(spec, [
      {
        component: 'web',
        routes: [
          {
            name: 'public',
            kind: 'HTTPRoute',
            hosts: ['shop.example'],
            gateway: { name: 'edge', namespace: 'infra', sectionName: 'https' },
          },
        ],
      },
    ]);
    expect(byKind(objects, 'Ingress')).toEqual([]);
    const [route] = byKind<HttpRoute>(objects, 'HTTPRoute');
    expect(route!.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route!.spec).toEqual({
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: 'edge',
          namespace: 'infra',
          sectionName: 'https',
        },
      ],
      hostnames: ['shop.example'],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/shop' } }],
          backendRefs: [{ name: 'shop-web', port: 8080 }],
        },
      ],
    });
    // The workload stays last, so routes exist before pods are replaced.
    expect(objects.at(-1)!.kind).toBe('Deployment');
    expect((objects.at(-1) as V1Deployment).spec!.template.spec!.containers[0]!.name).toBe('web');
  });

  it('names the routes whose API is missing and what to do', () => {
    const spec = shopTemplate('1.0.0').spec;
    const targets = routeTargets('shop', spec, [
      { component: 'web', routes: [{ name: 'public', kind: 'HTTPRoute', gateway: { name: 'edge' } }] },
    ]);
    expect(targets).toEqual([
      {
        component: 'web',
        route: 'public',
        kind: 'HTTPRoute',
        apiVersion: 'gateway.networking.k8s.io/v1',
        name: 'shop-web-public',
      },
    ]);
    expect(unservedRoutesMessage(targets)).toBe(
      'route web/public (HTTPRoute) not rendered: the cluster does not serve gateway.networking.k8s.io/v1 HTTPRoute; install the Gateway API CRDs, or set overrides[].routes[].kind: Ingress. The workloads run; the routes are applied as soon as the API is served',
    );
  });
});

describe('external access: validation', () => {
  const object = 'AppInstall/shop/shop';

  it('refuses a route to a port the component lacks, and NodePort without external ports', () => {
    const spec = clone(shopTemplate('1.0.0').spec);
    web(spec).routes = [{ name: 'public', port: 'https', path: '/', pathType: 'Prefix' }];
    web(spec).ports![0]!.external = false;
    web(spec).serviceType = 'NodePort';
    expect(templateSpecProblems('AppTemplate/shop.1.0.0', spec).map(formatProblem)).toEqual([
      'AppTemplate/shop.1.0.0: spec.components[2].routes[0].port: no port named "https"; the component has: http',
      'AppTemplate/shop.1.0.0: spec.components[2].serviceType: NodePort publishes external ports, and no port has external: true',
    ]);
  });

  it("refuses site settings for routes, node ports and volumes the component doesn't have", () => {
    const install = shopInstall().spec;
    install.overrides = [
      {
        component: 'web',
        routes: [{ name: 'admin', kind: 'Ingress' }],
        service: { type: 'NodePort', nodePorts: [{ port: 'metrics', nodePort: 30000 }] },
        volumes: [{ name: 'cache', size: '1Gi' }],
      },
    ];
    install.parameters = [{ name: 'DB_PASSWORD', value: 'x' }];
    expect(installProblems(object, 'shop', install, shopTemplate('1.0.0').spec).map(formatProblem)).toEqual([
      'AppInstall/shop/shop: spec.overrides[0].routes[0].name: no route "admin"; component "web" has routes: public',
      'AppInstall/shop/shop: spec.overrides[0].service.nodePorts[0].port: no external port "metrics"; component "web" has external ports: http',
      'AppInstall/shop/shop: spec.overrides[0].volumes[0].name: no volume "cache"; component "web" has volumes: none',
    ]);
  });

  it('refuses an HTTPRoute without a gateway and TLS settings on an HTTPRoute, in the schema (as CEL does)', () => {
    const install = clone(shopInstall());
    install.spec.overrides = [
      { component: 'web', routes: [{ name: 'public', kind: 'HTTPRoute', tlsSecretName: 'tls' }] },
    ] as ComponentOverride[];
    const result = appInstallSchema.safeParse(install);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message)).toEqual([
      'kind HTTPRoute needs gateway (its parent)',
      'tlsSecretName and className are only for kind Ingress (an HTTPRoute gets TLS from its Gateway listener)',
    ]);
  });
});
