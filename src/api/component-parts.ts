import { z } from 'zod';
import { ENV_NAME_PATTERN, dnsLabel, intOrString, quantity } from './common.js';

export const listMap = (...keys: string[]) => ({
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
    external: z
      .boolean()
      .optional()
      .describe(
        'The vendor allows reaching this port from outside the cluster: when the service type is NodePort or LoadBalancer, the Service <install>-<component>-external publishes it. Follows the template on upgrade.',
      ),
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

export type EnvVar = z.infer<typeof envVarSchema>;
export type Port = z.infer<typeof portSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
export type Volume = z.infer<typeof volumeSchema>;
export type Resources = z.infer<typeof resourcesSchema>;
export type Probe = z.infer<typeof probeSchema>;
