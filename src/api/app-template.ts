import { z } from 'zod';
import { PARAM_NAME_PATTERN, conditionsList, dnsLabel, metadataSchema, semverString } from './common.js';
import { iconSchema, maintainerSchema, publicationSchema } from './app-details.js';
import { componentExtrasShape } from './component-extras.js';
import {
  configFileSchema,
  envVarSchema,
  listMap,
  portSchema,
  probeSchema,
  resourcesSchema,
  updateStrategySchema,
  volumeSchema,
} from './component-parts.js';
import { hookSchema } from './hooks.js';
import { podSecurityContextSchema } from './security.js';

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
    ...componentExtrasShape,
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
    hooks: z
      .array(hookSchema)
      .max(50)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Jobs that run at points of the rollout (before or after a component's level), in this order within one point; shown in plans. Template data: an upgrade runs the new version's hooks, a rollback the restored version's Rollback hooks.",
      ),
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

export type Component = z.infer<typeof componentSchema>;
export type Parameter = z.infer<typeof parameterSchema>;
export type AppTemplateSpec = z.infer<typeof appTemplateSpecSchema>;
export type AppTemplateStatus = z.infer<typeof appTemplateStatusSchema>;
export type AppTemplate = z.infer<typeof appTemplateSchema>;

/** The object name an AppTemplate must have: `<app>.<version>`. */
export const templateName = (app: string, version: string) => `${app}.${version}`;
