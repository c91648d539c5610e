import { z } from 'zod';
import { dnsLabel } from './common.js';
import {
  configFileSchema,
  envVarSchema,
  listMap,
  portSchema,
  probeSchema,
  resourcesSchema,
} from './component-parts.js';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

export const routeSchema = z
  .object({
    name: dnsLabel('route name', 20).describe(
      'Route name, unique within the component; the site refers to it in overrides[].routes and it ends the object name <install>-<component>-<route>.',
    ),
    port: dnsLabel('port name', 15).describe('Name of the component port the route sends traffic to.'),
    path: z
      .string()
      .max(1024)
      .regex(/^\/[^\s]*$/, 'path must start with / and hold no spaces')
      .default('/')
      .describe('URL path the route matches.'),
    pathType: z
      .enum(['Prefix', 'Exact'])
      .default('Prefix')
      .describe('Prefix (the path and everything below it) or Exact.'),
  })
  .describe(
    "An HTTP route to one of the component's ports. The template gives its shape (port, path) and it follows the template on upgrade; the site gives host names, TLS secret, class and kind (Ingress or HTTPRoute) in overrides[].routes, which survive upgrades and rollbacks.",
  );

const volumeMountSchema = z
  .object({
    volume: dnsLabel('volume name', 40).describe('Name of a volume of the component.'),
    mountPath: z
      .string()
      .regex(/^\//, 'mountPath must be an absolute path')
      .describe('Absolute directory path inside this container.'),
    readOnly: z.boolean().optional().describe('Mount it read-only.'),
  })
  .describe("A mount of one of the component's persistent volumes.");

export const extraContainerSchema = z
  .object({
    name: dnsLabel('container name', 40).describe(
      'Container name, unique in the pod (not the component name, nor another container of it).',
    ),
    image: z.string().min(1).max(1024).describe('Container image; pin by digest.'),
    command: z.array(z.string()).optional().describe('Entrypoint override; may reference ${params.NAME}.'),
    args: z.array(z.string()).optional().describe('Arguments; may reference ${params.NAME}.'),
    env: z
      .array(envVarSchema)
      .max(100)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Environment variables with defaults. Preserved across upgrades like the main container's: installed values stay, new ones come with the template's default.",
      ),
    configFiles: z
      .array(configFileSchema)
      .max(50)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Configuration files (in the component's ConfigMap as <container>.<name>). Contents preserved across upgrades like the main container's.",
      ),
    resources: resourcesSchema.optional(),
    volumeMounts: z
      .array(volumeMountSchema)
      .max(20)
      .meta(listMap('volume'))
      .optional()
      .describe("The component's persistent volumes this container mounts too."),
    ports: z
      .array(portSchema)
      .max(20)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Sidecars only: ports it listens on (e.g. a metrics exporter or an auth proxy). The component's Services expose them beside the main container's; names and numbers are unique in the pod, and routes may name them. Follows the template on upgrade.",
      ),
    readinessProbe: probeSchema
      .optional()
      .describe('Sidecars only: readiness probe; the pod is Ready only when it passes too.'),
    livenessProbe: probeSchema
      .optional()
      .describe('Sidecars only: liveness probe (the kubelet restarts it).'),
  })
  .describe(
    "An extra container of the component's pods: an init container, or a sidecar (a native sidecar: restartPolicy Always, started before the main container and stopped after it). Image, command and mounts follow the template on upgrade; env values and config file contents are preserved.",
  );

export const componentExtrasShape = {
  serviceType: z
    .enum(SERVICE_TYPES)
    .optional()
    .describe(
      'How the external ports (ports[].external) are published: ClusterIP (default; inside the cluster only, routes still reach them), NodePort or LoadBalancer (an extra Service <install>-<component>-external). The site decides in overrides[].service.type, which wins across upgrades and rollbacks.',
    ),
  routes: z
    .array(routeSchema)
    .max(20)
    .meta(listMap('name'))
    .optional()
    .describe(
      'HTTP routes into the component, rendered as Ingress (default) or Gateway API HTTPRoute when the cluster serves that API; otherwise the install is not Ready (reason RouteAPIUnavailable).',
    ),
  initContainers: z
    .array(extraContainerSchema)
    .max(10)
    .meta(listMap('name'))
    .optional()
    .describe('Containers that run to completion, in order, before the sidecars and the main container.'),
  sidecars: z
    .array(extraContainerSchema)
    .max(10)
    .meta(listMap('name'))
    .optional()
    .describe(
      'Containers that run beside the main container for the life of the pod (native sidecars, started first).',
    ),
};

export type Route = z.infer<typeof routeSchema>;
export type ExtraContainer = z.infer<typeof extraContainerSchema>;
export type ServiceType = (typeof SERVICE_TYPES)[number];
