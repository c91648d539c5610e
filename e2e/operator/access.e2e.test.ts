/* eslint-disable @typescript-eslint/no-explicit-any -- reading arbitrary object fields */
/**
 * Issue 14, items 1, 3 and 4 on a real control plane: the site publishes web through an Ingress and
 * a NodePort, puts the database on its storage class with more room, schedules api by its rules;
 * api carries an init container and a sidecar. The route moves to an HTTPRoute while the Gateway API
 * is absent (not Ready, RouteAPIUnavailable, the workloads run), and is rendered once the CRD is
 * installed. A change that would shrink the volume is refused; an upgrade keeps every site value;
 * going back to ClusterIP deletes the external Service.
 */
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  condition,
  createShopSecret,
  getInstall,
  installSummary,
  shopInstall,
  shopTemplate,
  userApply,
  waitReady,
  workload,
} from '../support/shop.js';
import {
  OperatorProcess,
  createNamespace,
  kube,
  notYet,
  readManifests,
  repoRoot,
  waitFor,
} from '../support/world.js';

const APP = 'shop-access';
const NODE_PORT = 31080;
const CLASS = 'site-fast';
const HTTPROUTE_CRD = 'httproutes.gateway.networking.k8s.io';
const PVS = [0, 1, 2].map((i) => `ferry-e2e-access-pv-${process.pid}-${i}`);

/** api of both versions gets a migration init container and a log-shipping sidecar. */
const withContainers = (version: '1.0.0' | '2.0.0') => (spec: any) => {
  const api = spec.components.find((c: any) => c.name === 'api');
  api.initContainers = [{ name: 'migrate', image: api.image, command: ['/api', 'migrate'] }];
  api.sidecars = [
    {
      name: 'shipper',
      image: `registry.example.com/shop/shipper:${version}`,
      env: [
        { name: 'SHIP_FORMAT', value: version === '1.0.0' ? 'json' : 'logfmt' },
        { name: 'SHIP_LEVEL', value: 'info' },
      ],
    },
  ];
};

const crdRef = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  name: HTTPROUTE_CRD,
};

describe('external access, site storage and scheduling, extra containers', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  let pvcUid: string;

  const site = (
    route: Record<string, unknown>,
    service: Record<string, unknown> = {
      type: 'NodePort',
      nodePorts: [{ port: 'http', nodePort: NODE_PORT }],
    },
    dbVolume: unknown[] = [{ name: 'data', size: '20Gi', storageClassName: CLASS }],
  ) => [
    { component: 'web', routes: [{ name: 'public', hosts: ['shop.site.example'], ...route }], service },
    { component: 'db', volumes: dbVolume },
    {
      component: 'api',
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'site.example/dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
      containers: [{ name: 'shipper', env: [{ name: 'SHIP_LEVEL', value: 'debug' }] }],
    },
  ];
  const ingressRoute = { kind: 'Ingress', tlsSecretName: 'shop-tls', className: 'site-nginx' };
  const gatewayRoute = { kind: 'HTTPRoute', gateway: { name: 'edge', sectionName: 'https' } };

  const get = (apiVersion: string, kind: string, name: string) =>
    client.get<Obj>({ apiVersion, kind, namespace: ns, name });
  const ingress = () => get('networking.k8s.io/v1', 'Ingress', 'shop-web-public');
  const httpRoute = () => get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'shop-web-public');
  const externalService = () => get('v1', 'Service', 'shop-web-external');
  const pvc = () => get('v1', 'PersistentVolumeClaim', 'shop-db-data');

  beforeAll(async () => {
    client = kube();
    // "API absent" first: this world must not serve HTTPRoute yet.
    await client.delete(crdRef);
    await waitFor('no HTTPRoute CRD', async () => !(await client.get(crdRef)));
    for (const name of PVS) {
      await client.request('POST', '/api/v1/persistentvolumes', {
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name, labels: { 'ferry.dev/e2e': 'true' } },
          spec: {
            capacity: { storage: '100Gi' },
            accessModes: ['ReadWriteOnce'],
            storageClassName: CLASS,
            persistentVolumeReclaimPolicy: 'Delete',
            hostPath: { path: `/tmp/${name}` },
          },
        },
      });
    }
    await userApply(client, shopTemplate('1.0.0', APP, withContainers('1.0.0')));
    await userApply(client, shopTemplate('2.0.0', APP, withContainers('2.0.0')));
    ns = await createNamespace(client, 'access');
    await createShopSecret(client, ns);
    operator = await OperatorProcess.start();
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    await OperatorProcess.killAll();
    expect(operator.errors()).toEqual([]);
    await client.delete(crdRef);
    for (const name of PVS)
      await client.request('DELETE', `/api/v1/persistentvolumes/${name}`).catch(() => undefined);
    client.close();
  });

  it("installs with the site's Ingress, NodePort, storage class, size and scheduling, under restricted Pod Security", async () => {
    await userApply(client, shopInstall(ns, APP, '1.0.0', { overrides: site(ingressRoute) }));
    await waitReady(client, ns, 1);

    const route = await ingress();
    expect(route!.metadata!.labels!['ferry.dev/revision']).toBe('1');
    expect(route!.spec).toEqual({
      ingressClassName: 'site-nginx',
      rules: [
        {
          host: 'shop.site.example',
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
      tls: [{ hosts: ['shop.site.example'], secretName: 'shop-tls' }],
    });
    const external = await externalService();
    expect(external!.spec.type).toBe('NodePort');
    expect(external!.spec.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP', nodePort: NODE_PORT },
    ]);
    expect((await get('v1', 'Service', 'shop-web'))!.spec.type).toBe('ClusterIP');

    const claim = await pvc();
    expect(claim!.spec.storageClassName).toBe(CLASS);
    expect(claim!.spec.resources.requests.storage).toBe('20Gi');
    await waitFor('PVC bound to a site-fast volume', async () => {
      const c = await pvc();
      return c?.status?.phase === 'Bound' && PVS.includes(c.spec.volumeName) ? c : notYet(c?.status);
    });
    pvcUid = claim!.metadata!.uid!;

    const api = (await workload(client, ns, 'api'))!.spec!.template.spec!;
    expect(api.nodeSelector).toEqual({ type: 'kwok' });
    expect(api.tolerations).toEqual([
      { key: 'site.example/dedicated', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(api.topologySpreadConstraints![0]!.labelSelector).toEqual({
      matchLabels: { 'ferry.dev/install': 'shop', 'ferry.dev/component': 'api' },
    });
    expect(api.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(api.initContainers!.map((c) => [c.name, c.restartPolicy ?? 'none'])).toEqual([
      ['shipper', 'Always'],
      ['migrate', 'none'],
    ]);
    expect(api.initContainers![0]!.env).toEqual([
      { name: 'SHIP_FORMAT', value: 'json' },
      { name: 'SHIP_LEVEL', value: 'debug' },
    ]);
    for (const c of [...api.containers, ...api.initContainers!])
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // Pods really ran through the init containers and sidecars (KWOK) and were scheduled by the rules.
    const pods = await client.list<Obj>(
      { apiVersion: 'v1', kind: 'Pod', namespace: ns },
      { labelSelector: 'ferry.dev/component=api' },
    );
    expect(pods.items.length).toBeGreaterThanOrEqual(3);
    for (const pod of pods.items) expect(pod.spec.nodeName).toMatch(/./);
  });

  it('moves the route to an HTTPRoute while the Gateway API is absent: not Ready, RouteAPIUnavailable, the workloads run', async () => {
    await userApply(client, shopInstall(ns, APP, '1.0.0', { overrides: site(gatewayRoute) }));
    const install = await waitFor('install at revision 2, not Ready for the missing route API', async () => {
      const i = await getInstall(client, ns);
      const ready = condition(i, 'Ready');
      return i.status?.revision === 2 && ready?.reason === 'RouteAPIUnavailable'
        ? i
        : notYet(installSummary(i));
    });
    expect(condition(install, 'Ready')!.status).toBe('False');
    expect(condition(install, 'Stalled')).toMatchObject({ status: 'True', reason: 'RouteAPIUnavailable' });
    expect(condition(install, 'Ready')!.message).toContain(
      'route web/public (HTTPRoute) not rendered: the cluster does not serve gateway.networking.k8s.io/v1 HTTPRoute; install the Gateway API CRDs',
    );
    expect(install.status.components.map((c: any) => c.state)).toEqual(['Ready', 'Ready', 'Ready']);
    expect(await ingress()).toBeUndefined();
  });

  it('renders the HTTPRoute once the Gateway API CRD is installed, and becomes Ready', async () => {
    const [crd] = readManifests(join(repoRoot, 'e2e', 'gateway-api', 'httproutes.yaml')) as KubeObject[];
    await userApply(client, crd!);
    await waitFor('HTTPRoute CRD Established', async () => {
      const c = await client.get<Obj>(crdRef);
      return c?.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True');
    });
    const route = await waitFor(
      'HTTPRoute shop-web-public',
      async () =>
        (await httpRoute().catch(() => undefined)) ?? notYet(installSummary(await getInstall(client, ns))),
      { timeoutMs: 120_000 },
    );
    expect(route.metadata!.labels!['ferry.dev/revision']).toBe('2');
    expect(route.spec).toMatchObject({
      parentRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', sectionName: 'https' },
      ],
      hostnames: ['shop.site.example'],
      rules: [{ backendRefs: [{ name: 'shop-web', port: 8080 }] }],
    });
    await waitReady(client, ns, 2);
  });

  it('refuses a change that would shrink the volume, with the reason, and applies nothing', async () => {
    // Without the override the template's 10Gi (and no class) would apply to the 20Gi site-fast claim.
    await userApply(client, shopInstall(ns, APP, '1.0.0', { overrides: site(gatewayRoute, undefined, []) }));
    const install = await waitFor('install stalled on the volume change', async () => {
      const i = await getInstall(client, ns);
      return condition(i, 'Stalled')?.reason === 'VolumeChangeRefused' ? i : notYet(installSummary(i));
    });
    expect(condition(install, 'Stalled')!.message).toContain(
      'volume "data" of component "db" is 20Gi; 10Gi would shrink it, and a PersistentVolumeClaim can only grow',
    );
    expect(install.status.revision).toBe(2);
    expect((await pvc())!.spec.resources.requests.storage).toBe('20Gi');
  });

  it('upgrades to 2.0.0 keeping every site value, and the sidecar env the install already had', async () => {
    await userApply(client, shopInstall(ns, APP, '2.0.0', { overrides: site(gatewayRoute) }));
    await waitReady(client, ns, 3, 120_000);
    const route = await httpRoute();
    expect(route!.metadata!.labels!['ferry.dev/revision']).toBe('3');
    expect(route!.spec.hostnames).toEqual(['shop.site.example']);
    expect((await externalService())!.spec.ports[0].nodePort).toBe(NODE_PORT);
    const claim = await pvc();
    expect(claim!.metadata!.uid).toBe(pvcUid);
    expect(claim!.spec.storageClassName).toBe(CLASS);
    const api = (await workload(client, ns, 'api'))!.spec!.template.spec!;
    expect(api.containers[0]!.image).toBe('registry.example.com/shop/api:2.0.0');
    expect(api.nodeSelector).toEqual({ type: 'kwok' });
    const shipper = api.initContainers!.find((c) => c.name === 'shipper')!;
    expect(shipper.image).toBe('registry.example.com/shop/shipper:2.0.0');
    // SHIP_FORMAT was installed as json: preserved (the plan lists logfmt as not applied); SHIP_LEVEL is the site's.
    expect(shipper.env).toEqual([
      { name: 'SHIP_FORMAT', value: 'json' },
      { name: 'SHIP_LEVEL', value: 'debug' },
    ]);
  });

  it('deletes the external Service when the site goes back to ClusterIP', async () => {
    await userApply(
      client,
      shopInstall(ns, APP, '2.0.0', { overrides: site(gatewayRoute, { type: 'ClusterIP' }) }),
    );
    await waitReady(client, ns, 4);
    expect(await externalService()).toBeUndefined();
    expect(await get('v1', 'Service', 'shop-web')).toBeDefined();
    expect(await httpRoute()).toBeDefined();
  });
});
