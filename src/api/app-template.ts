import { z } from 'zod';
import {
  ENV_NAME_PATTERN,
  PARAM_NAME_PATTERN,
  conditionsList,
  dnsLabel,
  intOrString,
  metadataSchema,
  quantity,
  semverString,
} from './common.js';
import { iconSchema, maintainerSchema, publicationSchema } from './app-details.js';

const listMap = (...keys: string[]) => ({
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
});

export const envVarSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(256)
      .regex(new RegExp(ENV_NAME_PATTERN))
      .describe('Environment variable name.'),
    value: z
      .string()
      .max(65536)
      .describe('Value; may reference install parameters as ${params.NAME}. Preserved across upgrades.'),
  })
  .describe('An environment variable with its default value.');

export const portSchema = z
  .object({
    name: dnsLabel('port name', 15).describe('Port name, unique within the component (IANA service name).'),
    port: z.int32().min(1).max(65535).describe('Container port, also exposed by the component Service.'),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP').describe('Transport protocol.'),
  })
  .describe('A port the component listens on.');

export const configFileSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/, "config file name must consist of letters, digits, '-', '_' or '.'")
      .refine((n) => n !== '.' && n !== '..', 'config file name cannot be . or ..')
      .describe('Name, unique within the component; also the ConfigMap key.'),
    mountPath: z
      .string()
      .regex(/^\/.*[^/]$/, 'mountPath must be an absolute file path')
      .describe('Absolute path of the file inside the container.'),
    content: z
      .string()
      .max(262144)
      .describe('File content; may reference ${params.NAME}. Preserved across upgrades once installed.'),
  })
  .describe('A configuration file, rendered into a ConfigMap and mounted as a single file.');

export const volumeSchema = z
  .object({
    name: dnsLabel('volume name', 40).describe(
      'Volume name, unique within the component; part of the PVC name.',
    ),
    mountPath: z
      .string()
      .regex(/^\//, 'mountPath must be an absolute path')
      .describe('Absolute directory path inside the container.'),
    size: quantity('Requested storage, e.g. 10Gi. Never shrunk by an upgrade.'),
    accessModes: z
      .array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']))
      .min(1)
      .default(['ReadWriteOnce'])
      .describe('PVC access modes.'),
    storageClassName: z.string().optional().describe('Storage class; the cluster default when omitted.'),
  })
  .describe('Persistent storage, rendered as a PersistentVolumeClaim that Ferry never deletes implicitly.');

export const resourceListSchema = z
  .object({
    cpu: quantity('CPU, e.g. 250m.').optional(),
    memory: quantity('Memory, e.g. 256Mi.').optional(),
  })
  .describe('Amounts of compute resources.');

export const resourcesSchema = z
  .object({
    requests: resourceListSchema.optional().describe('Minimum resources the scheduler reserves.'),
    limits: resourceListSchema.optional().describe('Maximum resources the container may use.'),
  })
  .describe('Compute resources of the component container.');

export const probeSchema = z
  .object({
    httpGet: z
      .object({
        path: z.string().default('/').describe('HTTP path.'),
        port: z.int32().min(1).max(65535).describe('Container port number.'),
      })
      .optional()
      .describe('Probe by HTTP GET.'),
    tcpSocket: z
      .object({ port: z.int32().min(1).max(65535).describe('Container port number.') })
      .optional()
      .describe('Probe by opening a TCP connection.'),
    exec: z
      .object({ command: z.array(z.string()).min(1).describe('Command run in the container.') })
      .optional()
      .describe('Probe by running a command.'),
    initialDelaySeconds: z.int32().min(0).optional().describe('Seconds before the first probe.'),
    periodSeconds: z.int32().min(1).optional().describe('Seconds between probes.'),
    timeoutSeconds: z.int32().min(1).optional().describe('Seconds before a probe times out.'),
    failureThreshold: z.int32().min(1).optional().describe('Failures before the probe is considered failed.'),
  })
  .refine(
    (p) => [p.httpGet, p.tcpSocket, p.exec].filter((x) => x !== undefined).length === 1,
    'exactly one of httpGet, tcpSocket or exec must be set',
  )
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.httpGet), has(self.tcpSocket), has(self.exec)].filter(x, x).size() == 1',
        message: 'exactly one of httpGet, tcpSocket or exec must be set',
      },
    ],
  })
  .describe('A container probe: exactly one of httpGet, tcpSocket, exec.');

export const updateStrategySchema = z
  .object({
    maxSurge: intOrString(
      'Pods above the desired count during a rolling update (Deployment only).',
    ).optional(),
    maxUnavailable: intOrString('Pods that may be unavailable during a rolling update.').optional(),
  })
  .describe('RollingUpdate parameters of the component workload.');

const posixId = (what: string) => z.int32().min(0).optional().describe(what);

export const podSecurityContextSchema = z
  .object({
    runAsUser: posixId("User id the processes run as; the image's user when omitted."),
    runAsGroup: posixId("Primary group id of the processes; the image's group when omitted."),
    fsGroup: posixId(
      "Group that owns the volumes (made group-writable by the kubelet) and is added to the processes' groups: set it when a non-root image writes to its volumes.",
    ),
    runAsNonRoot: z.boolean().optional().describe('Refuse to start a container that would run as uid 0.'),
  })
  .describe('Pod security context of the component: which user and groups its processes run as.');

export const componentSchema = z
  .object({
    name: dnsLabel('component name', 40).describe(
      'Component name, unique in the template (DNS label, <= 40).',
    ),
    workload: z.enum(['Deployment', 'StatefulSet']).default('Deployment').describe('Workload kind.'),
    image: z
      .string()
      .min(1)
      .max(1024)
      .describe('Container image reference; pin by digest (name@sha256:...) for reproducible upgrades.'),
    replicas: z.int32().min(0).default(1).describe('Desired number of pods.'),
    command: z.array(z.string()).optional().describe('Entrypoint override.'),
    args: z.array(z.string()).optional().describe('Arguments to the entrypoint.'),
    ports: z.array(portSchema).meta(listMap('name')).optional().describe('Ports; a Service exposes them.'),
    env: z
      .array(envVarSchema)
      .meta(listMap('name'))
      .optional()
      .describe('Environment variables with defaults.'),
    configFiles: z
      .array(configFileSchema)
      .meta(listMap('name'))
      .optional()
      .describe('Configuration files, rendered into a ConfigMap.'),
    volumes: z
      .array(volumeSchema)
      .meta(listMap('name'))
      .optional()
      .describe('Persistent volumes, rendered into PVCs.'),
    dependsOn: z
      .array(dnsLabel('dependency name', 40))
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe(
        'Components this one needs; they roll out first and their <NAME>_HOST/<NAME>_PORT are injected.',
      ),
    resources: resourcesSchema.optional(),
    readinessProbe: probeSchema.optional().describe('Readiness probe.'),
    livenessProbe: probeSchema.optional().describe('Liveness probe.'),
    updateStrategy: updateStrategySchema.optional(),
    securityContext: podSecurityContextSchema.optional(),
    shutdownDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .optional()
      .describe(
        'Seconds a stopping pod keeps serving (preStop sleep) so Services stop sending it requests first; default 5 for components with ports, 0 turns it off.',
      ),
  })
  .describe('One component of the application: a workload with its ports, config, storage and dependencies.');

export const parameterSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(new RegExp(PARAM_NAME_PATTERN), 'parameter name must match [A-Za-z_][A-Za-z0-9_]*')
      .describe('Parameter name, referenced as ${params.NAME}.'),
    description: z.string().max(4096).optional().describe('What the parameter is for.'),
    default: z.string().optional().describe('Value used when the install does not set one.'),
    required: z.boolean().default(false).describe('The install must set a value (or a default must exist).'),
    secret: z
      .boolean()
      .default(false)
      .describe('The value is sensitive: rendered into a Secret, never logged, never stored in revisions.'),
  })
  .describe('An install-time value declared by the template.');

export const appTemplateSpecSchema = z
  .object({
    app: dnsLabel('app', 63).describe('Application name (DNS label); all versions of one app share it.'),
    version: semverString('version').describe('SemVer 2.0 version of this template (no +build metadata).'),
    displayName: z.string().max(256).optional().describe('Human-readable application name.'),
    description: z.string().max(8192).optional().describe('What the application is and does.'),
    icon: iconSchema.optional(),
    categories: z
      .array(dnsLabel('category', 63))
      .max(20)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe('Categories the application is listed under, e.g. database, monitoring (DNS labels).'),
    maintainers: z
      .array(maintainerSchema)
      .max(20)
      .meta(listMap('name'))
      .optional()
      .describe('Who maintains the application.'),
    releaseNotes: z
      .string()
      .max(16384)
      .optional()
      .describe('What changed in this version; shown in upgrade previews.'),
    publication: publicationSchema.optional(),
    components: z
      .array(componentSchema)
      .min(1)
      .max(100)
      .meta(listMap('name'))
      .describe('The components of the application.'),
    parameters: z
      .array(parameterSchema)
      .meta(listMap('name'))
      .optional()
      .describe('Install-time parameters the template declares.'),
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'spec is immutable: publish a new version instead' },
    ],
  })
  .describe('One published version of an application. Immutable.');

export const appTemplateStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The generation last validated.'),
    conditions: conditionsList().optional(),
    images: z.array(z.string()).optional().describe('Every container image the template uses.'),
    contentDigest: z.string().optional().describe('sha256 of the canonical JSON of the spec.'),
  })
  .describe('Observed state of an AppTemplate.');

export const appTemplateSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppTemplate'),
  metadata: metadataSchema,
  spec: appTemplateSpecSchema,
  status: appTemplateStatusSchema.optional(),
});

export type EnvVar = z.infer<typeof envVarSchema>;
export type Port = z.infer<typeof portSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
export type Volume = z.infer<typeof volumeSchema>;
export type Resources = z.infer<typeof resourcesSchema>;
export type Probe = z.infer<typeof probeSchema>;
export type PodSecurityContext = z.infer<typeof podSecurityContextSchema>;
export type Component = z.infer<typeof componentSchema>;
export type Parameter = z.infer<typeof parameterSchema>;
export type AppTemplateSpec = z.infer<typeof appTemplateSpecSchema>;
export type AppTemplateStatus = z.infer<typeof appTemplateStatusSchema>;
export type AppTemplate = z.infer<typeof appTemplateSchema>;

/** The object name an AppTemplate must have: `<app>.<version>`. */
export const templateName = (app: string, version: string) => `${app}.${version}`;
