import { z } from 'zod';
import { conditionsList, dnsLabel, metadataSchema, semverString, timestamp } from './common.js';
import { REVISION_CAUSES } from './app-revision.js';
import { resourcesSchema } from './component-parts.js';
import { siteConfigFilesSchema, siteEnvSchema, siteOverrideShape } from './site-overrides.js';

const listMap = (...keys: string[]) => ({
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
});

export const parameterValueSchema = z
  .object({
    name: z.string().min(1).max(128).describe('Name of a parameter the template declares.'),
    value: z.string().optional().describe('The value. Prefer valueFrom for secrets.'),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({
            name: dnsLabel('secret name', 253).describe('Secret in the install namespace.'),
            key: z.string().min(1).describe('Key in the Secret.'),
          })
          .describe('Read the value from a key of a Secret in the same namespace.'),
      })
      .optional()
      .describe('Where to read the value from.'),
  })
  .refine(
    (p) => (p.value === undefined) !== (p.valueFrom === undefined),
    'exactly one of value or valueFrom must be set',
  )
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.value) != has(self.valueFrom)',
        message: 'exactly one of value or valueFrom must be set',
      },
    ],
  })
  .describe('A value for one template parameter.');

export const componentOverrideSchema = z
  .object({
    component: dnsLabel('component', 40).describe('Name of a component of the template.'),
    replicas: z.int32().min(0).optional().describe('Replica count instead of the template default.'),
    env: siteEnvSchema.optional().describe('Environment values set by the site admin.'),
    configFiles: siteConfigFilesSchema.optional().describe('Config file contents set by the site admin.'),
    resources: resourcesSchema.optional().describe('Compute resources instead of the template default.'),
    ...siteOverrideShape,
  })
  .describe(
    'Site configuration of one component. It lives in the AppInstall, so it survives every upgrade and rollback; a revision records the overrides it applied.',
  );

export const upgradePolicySchema = z
  .object({
    autoRollback: z
      .boolean()
      .default(false)
      .describe('Roll back to the previous revision on its own when an upgrade fails.'),
    progressDeadlineSeconds: z
      .int32()
      .min(10)
      .default(600)
      .describe('Seconds one component may take to roll out before the upgrade fails.'),
    maxParallelComponents: z
      .int32()
      .min(1)
      .max(50)
      .default(4)
      .describe('Components of one dependency level updated at the same time.'),
    track: z
      .enum(['patch', 'minor'])
      .optional()
      .describe(
        'Propose upgrades on its own: when an AppTemplate of a newer version in this range appears (patch: same major.minor; minor: same major; pre-releases only with spec.includePrereleases), the operator creates an AppUpgrade named <install>-track-<version> (Manual approval unless autoApprove). One per target version, and only while the install is idle and its last revision succeeded; a tracked AppUpgrade not yet approved is deleted when a higher version in range appears. A setting of the AppInstall: it survives upgrades and rollbacks (a rollback does not re-propose the version it left: that AppUpgrade still exists). With GitOps, change spec.version in git instead: on an install that carries an Argo CD or Flux mark, autoApprove is ignored and proposals are previews only.',
      ),
    autoApprove: z
      .boolean()
      .default(false)
      .describe(
        'With track: create the proposed AppUpgrade approved (Automatic), so it starts at once (ignored on GitOps-managed installs). A setting of the AppInstall: survives upgrades and rollbacks.',
      ),
  })
  .describe('How upgrades and rollbacks of this install proceed.');

export const appInstallSpecSchema = z
  .object({
    app: dnsLabel('app', 63).describe('Application name (spec.app of its AppTemplates).'),
    version: semverString('version').describe('Desired version; changing it is an upgrade (GitOps).'),
    parameters: z
      .array(parameterValueSchema)
      .meta(listMap('name'))
      .optional()
      .describe('Values for the template parameters.'),
    overrides: z
      .array(componentOverrideSchema)
      .max(100)
      .meta(listMap('component'))
      .optional()
      .describe(
        'Site configuration per component: env, config files, replicas, resources, storage, scheduling, external access, extra containers.',
      ),
    imagePullSecrets: z
      .array(
        z
          .object({ name: dnsLabel('secret name', 253).describe('A Secret in the install namespace.') })
          .describe('A pull Secret (kubernetes.io/dockerconfigjson) for the site registry.'),
      )
      .max(10)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Pull Secrets every pod of the install uses (pod spec imagePullSecrets), e.g. the one ferry import --pull-secret created for the site registry. A site decision: it survives upgrades and rollbacks (a rollback keeps the install's current list); changing it is a ConfigChange revision that rolls every component. A Secret that does not exist makes the change wait (ImagePullSecretNotFound).",
      ),
    upgradePolicy: upgradePolicySchema.prefault({}),
    historyLimit: z
      .int32()
      .min(1)
      .max(100)
      .default(10)
      .describe('AppRevisions kept; the current one always is.'),
    volumeDeletionPolicy: z
      .enum(['Retain', 'Delete'])
      .default('Retain')
      .describe('Whether PVCs are deleted with the AppInstall.'),
    includePrereleases: z
      .boolean()
      .default(false)
      .describe('List pre-release versions in status.availableUpgrades.'),
  })
  .describe('Desired state of an installed application.');

export const componentStatusSchema = z
  .object({
    name: z.string().describe('Component name.'),
    workload: z.enum(['Deployment', 'StatefulSet']).describe('Workload kind.'),
    image: z.string().describe('Image of the applied workload.'),
    state: z
      .enum(['Pending', 'Progressing', 'Ready', 'Failed', 'Retained'])
      .describe('Rollout state; Retained means kept from an earlier version but no longer in the template.'),
    desiredReplicas: z.int32().describe('spec.replicas of the workload.'),
    updatedReplicas: z.int32().describe('Pods at the current revision.'),
    availableReplicas: z.int32().describe('Available pods.'),
    message: z.string().optional().describe('Why the component is not Ready.'),
  })
  .describe('Rollout state of one component.');

export const historyEntrySchema = z
  .object({
    revision: z.int32().describe('Revision number.'),
    version: z.string().describe('Template version.'),
    cause: z.enum(REVISION_CAUSES).describe('What produced it.'),
    outcome: z.enum(['Progressing', 'Succeeded', 'Failed', 'Superseded']).describe('How it ended.'),
    startedAt: timestamp('When it started.'),
    finishedAt: timestamp('When it ended.').optional(),
  })
  .describe('Summary of one AppRevision.');

export const appInstallStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The generation last reconciled.'),
    conditions: conditionsList().optional(),
    version: z.string().optional().describe('Version actually installed.'),
    revision: z.int32().optional().describe('Number of the AppRevision currently applied.'),
    lastAppliedSpecDigest: z
      .string()
      .optional()
      .describe('sha256 of the spec inputs (version, parameters, overrides) last turned into a revision.'),
    components: z.array(componentStatusSchema).optional().describe('Per-component rollout state.'),
    retainedComponents: z
      .array(z.string())
      .optional()
      .describe('Components kept running although the applied version does not have them.'),
    availableUpgrades: z
      .array(z.string())
      .optional()
      .describe('Newer versions of the app present, by SemVer.'),
    availableUpgradeOrigins: z
      .array(
        z
          .object({
            version: z.string().describe('A version of availableUpgrades.'),
            origin: z
              .enum(['market', 'import', 'publish', 'manual'])
              .describe(
                'Where its AppTemplate came from (its ferry.dev/origin label; manual when it has none, e.g. kubectl apply).',
              ),
            market: z
              .string()
              .optional()
              .describe('The AppMarket that offers it (the ferry.dev/market label), when origin is market.'),
          })
          .describe('Where one available upgrade comes from.'),
      )
      .meta(listMap('version'))
      .optional()
      .describe(
        'Where each of availableUpgrades comes from (same order): the AppMarket that offers it, or import/publish.',
      ),
    history: z.array(historyEntrySchema).optional().describe('The last revisions, newest first.'),
    operation: z
      .object({
        kind: z.enum(REVISION_CAUSES).describe('What is in progress.'),
        name: z.string().optional().describe('The AppUpgrade or AppRollback driving it.'),
        revision: z.int32().describe('The AppRevision being applied.'),
      })
      .optional()
      .describe('The change in progress, if any; one at a time per install.'),
  })
  .describe('Observed state of an installed application.');

export const appInstallSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppInstall'),
  metadata: metadataSchema,
  spec: appInstallSpecSchema,
  status: appInstallStatusSchema.optional(),
});

export type ParameterValue = z.infer<typeof parameterValueSchema>;
export type ComponentOverride = z.infer<typeof componentOverrideSchema>;
export type UpgradePolicy = z.infer<typeof upgradePolicySchema>;
export type AppInstallSpec = z.infer<typeof appInstallSpecSchema>;
export type AppInstallStatus = z.infer<typeof appInstallStatusSchema>;
export type ComponentStatus = z.infer<typeof componentStatusSchema>;
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type AppInstall = z.infer<typeof appInstallSchema>;
