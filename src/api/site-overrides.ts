import { z } from 'zod';
import { dnsLabel, quantity } from './common.js';
import { SERVICE_TYPES } from './component-extras.js';
import { listMap, resourcesSchema } from './component-parts.js';
import { affinitySchema, tolerationSchema, topologySpreadSchema } from './scheduling.js';

const annotations = (what: string) =>
  z.record(z.string(), z.string().max(4096)).optional().describe(`Annotations of the ${what}.`);

export const siteEnvSchema = z
  .array(
    z.object({
      name: z.string().min(1).max(256).describe('Environment variable name.'),
      value: z.string().max(65536).describe('Value set by the site; wins over the template and any upgrade.'),
    }),
  )
  .meta(listMap('name'));

export const siteConfigFilesSchema = z
  .array(
    z.object({
      name: z.string().min(1).max(63).describe('Name of a config file of the component.'),
      content: z.string().max(262144).describe('File content set by the site; wins over the template.'),
    }),
  )
  .meta(listMap('name'));

export const siteServiceSchema = z
  .object({
    type: z
      .enum(SERVICE_TYPES)
      .optional()
      .describe(
        "How the component's external ports are published: ClusterIP (no external Service), NodePort or LoadBalancer. Instead of the template's serviceType.",
      ),
    nodePorts: z
      .array(
        z.object({
          port: dnsLabel('port name', 15).describe('Name of an external port of the component.'),
          nodePort: z.int32().min(1).max(65535).describe("Node port (in the cluster's node port range)."),
        }),
      )
      .max(20)
      .meta(listMap('port'))
      .optional()
      .describe('Fixed node ports for NodePort and LoadBalancer; allocated by the cluster when omitted.'),
    annotations: annotations('external Service (e.g. a load balancer address pool)'),
  })
  .describe('Site choice of how the external ports are published. Kept across upgrades and rollbacks.');

const HOST_PATTERN = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const siteRouteSchema = z
  .object({
    name: dnsLabel('route name', 20).describe('Name of a route of the component (template routes[].name).'),
    kind: z
      .enum(['Ingress', 'HTTPRoute'])
      .default('Ingress')
      .describe(
        'Render the route as a networking.k8s.io/v1 Ingress or a gateway.networking.k8s.io/v1 HTTPRoute.',
      ),
    hosts: z
      .array(
        z
          .string()
          .max(253)
          .regex(
            new RegExp(HOST_PATTERN),
            'host must be a DNS name such as shop.example.com (or *.example.com)',
          ),
      )
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe('Host names the route answers; every host when omitted.'),
    tlsSecretName: dnsLabel('secret name', 253)
      .optional()
      .describe(
        'Ingress only: Secret (kubernetes.io/tls) in the install namespace that terminates TLS for the hosts.',
      ),
    className: z
      .string()
      .max(253)
      .optional()
      .describe("Ingress only: the IngressClass; the cluster's default class when omitted."),
    gateway: z
      .object({
        name: z.string().min(1).max(253).describe('Gateway name.'),
        namespace: z
          .string()
          .max(63)
          .optional()
          .describe('Gateway namespace; the install namespace when omitted.'),
        sectionName: z.string().max(253).optional().describe('Listener of the Gateway.'),
      })
      .optional()
      .describe(
        'HTTPRoute only (required there): the Gateway it attaches to; TLS is configured on its listener.',
      ),
    annotations: annotations('Ingress or HTTPRoute'),
  })
  .refine((r) => r.kind === 'HTTPRoute' || r.gateway === undefined, 'gateway is only for kind HTTPRoute')
  .refine(
    (r) => r.kind !== 'HTTPRoute' || r.gateway !== undefined,
    'kind HTTPRoute needs gateway (its parent)',
  )
  .refine(
    (r) => r.kind === 'Ingress' || (r.tlsSecretName === undefined && r.className === undefined),
    'tlsSecretName and className are only for kind Ingress (an HTTPRoute gets TLS from its Gateway listener)',
  )
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.kind == 'HTTPRoute' || !has(self.gateway)",
        message: 'gateway is only for kind HTTPRoute',
      },
      {
        rule: "self.kind != 'HTTPRoute' || has(self.gateway)",
        message: 'kind HTTPRoute needs gateway (its parent)',
      },
      {
        rule: "self.kind == 'Ingress' || (!has(self.tlsSecretName) && !has(self.className))",
        message:
          'tlsSecretName and className are only for kind Ingress (an HTTPRoute gets TLS from its Gateway listener)',
      },
    ],
  })
  .describe(
    'Site settings of one template route: kind, hosts, TLS secret, class or Gateway. Kept across upgrades and rollbacks; the route shape (port, path) follows the template.',
  );

export const VOLUME_SHRINK_MESSAGE =
  'volume size may only grow: a PersistentVolumeClaim cannot shrink (Ferry never re-creates one)';

export const siteVolumeSchema = z
  .object({
    name: dnsLabel('volume name', 40).describe('Name of a volume of the component.'),
    size: quantity(
      'Requested storage instead of the template size. May only grow (refused at admission and in the plan); growing needs a storage class that allows volume expansion.',
    ).optional(),
    storageClassName: z
      .string()
      .max(253)
      .optional()
      .describe(
        "Storage class instead of the template's. Decides the class when the PVC is created; changing it for an existing volume is refused (a PVC's class cannot change).",
      ),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!has(oldSelf.size) || !has(self.size) || quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0',
        message: VOLUME_SHRINK_MESSAGE,
      },
    ],
  })
  .describe('Site storage of one volume. Kept across upgrades and rollbacks.');

export const siteContainerSchema = z
  .object({
    name: dnsLabel('container name', 40).describe('Name of an init container or sidecar of the component.'),
    env: siteEnvSchema.optional().describe('Environment values set by the site admin.'),
    configFiles: siteConfigFilesSchema.optional().describe('Config file contents set by the site admin.'),
    resources: resourcesSchema.optional().describe('Compute resources instead of the template default.'),
  })
  .describe('Site configuration of one init container or sidecar, as for the main container.');

/** The AppInstall override fields of issue 14: external access, storage, scheduling, extra containers. */
export const siteOverrideShape = {
  service: siteServiceSchema.optional(),
  routes: z
    .array(siteRouteSchema)
    .max(20)
    .meta(listMap('name'))
    .optional()
    .describe('Site settings of the template routes (hosts, TLS, class, kind).'),
  volumes: z
    .array(siteVolumeSchema)
    .max(20)
    .meta(listMap('name'))
    .optional()
    .describe('Storage class and size per volume.'),
  containers: z
    .array(siteContainerSchema)
    .max(20)
    .meta(listMap('name'))
    .optional()
    .describe('Env, config files and resources of init containers and sidecars.'),
  nodeSelector: z
    .record(z.string(), z.string().max(63))
    .optional()
    .describe('Node labels the pods must match. Kept across upgrades and rollbacks.'),
  tolerations: z
    .array(tolerationSchema)
    .max(20)
    .optional()
    .describe('Taints the pods tolerate. Kept across upgrades and rollbacks.'),
  affinity: affinitySchema.optional(),
  topologySpreadConstraints: z
    .array(topologySpreadSchema)
    .max(10)
    .optional()
    .describe('How the pods spread over zones or nodes. Kept across upgrades and rollbacks.'),
};
