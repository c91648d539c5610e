import { z } from 'zod';
import { conditionsList, dnsLabel, metadataSchema, semverString, timestamp } from './common.js';
import { upgradePlanSchema } from './plan.js';
import { componentProgressSchema } from './progress.js';

export const UPGRADE_PHASES = [
  'Pending',
  'Planned',
  'WaitingForApproval',
  'Progressing',
  'Succeeded',
  'Failed',
  'RolledBack',
] as const;

const sameOptional = (f: string) =>
  `has(self.${f}) == has(oldSelf.${f}) && (!has(self.${f}) || self.${f} == oldSelf.${f})`;

export const appUpgradeSpecSchema = z
  .object({
    install: dnsLabel('install', 63).describe('Name of the AppInstall in this namespace.'),
    toVersion: semverString('toVersion')
      .optional()
      .describe('Target version; default: the highest available by SemVer.'),
    approval: z
      .enum(['Automatic', 'Manual'])
      .default('Automatic')
      .describe('Manual: compute the plan and wait for spec.approved.'),
    approved: z
      .boolean()
      .default(false)
      .describe('Set to true to start a Manual upgrade; cannot be withdrawn.'),
    allowDowngrade: z.boolean().default(false).describe('Allow a lower target version.'),
    includePrereleases: z.boolean().default(false).describe('Consider pre-releases for the default target.'),
    components: z
      .array(dnsLabel('component', 40))
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe('Upgrade only these components; the others keep their current configuration.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: [
          'self.install == oldSelf.install',
          'self.approval == oldSelf.approval',
          'self.allowDowngrade == oldSelf.allowDowngrade',
          'self.includePrereleases == oldSelf.includePrereleases',
          sameOptional('toVersion'),
          sameOptional('components'),
        ].join(' && '),
        message: 'spec is immutable except spec.approved',
      },
      { rule: '!oldSelf.approved || self.approved', message: 'spec.approved cannot be withdrawn' },
    ],
  })
  .describe('A request to move an install to another version.');

export const appUpgradeStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The generation last reconciled.'),
    conditions: conditionsList().optional(),
    queuedAt: z
      .string()
      .optional()
      .describe(
        'When the operator first saw this request (RFC 3339, microseconds); pending requests of an install start in this order, which is their creation order.',
      ),
    phase: z.enum(UPGRADE_PHASES).optional().describe('Where the upgrade is.'),
    message: z.string().optional().describe('Details of the phase.'),
    fromVersion: z.string().optional().describe('Version before.'),
    toVersion: z.string().optional().describe('Resolved target version.'),
    fromRevision: z.int32().optional().describe('Revision before.'),
    revision: z.int32().optional().describe('The AppRevision this upgrade produced.'),
    plan: upgradePlanSchema.optional(),
    components: z.array(componentProgressSchema).optional().describe('Per-component progress.'),
    startedAt: timestamp('When execution started.').optional(),
    finishedAt: timestamp('When it ended.').optional(),
  })
  .describe('Observed state of an upgrade.');

export const appUpgradeSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppUpgrade'),
  metadata: metadataSchema,
  spec: appUpgradeSpecSchema,
  status: appUpgradeStatusSchema.optional(),
});

export type UpgradePhase = (typeof UPGRADE_PHASES)[number];
export type AppUpgradeSpec = z.infer<typeof appUpgradeSpecSchema>;
export type AppUpgradeStatus = z.infer<typeof appUpgradeStatusSchema>;
export type AppUpgrade = z.infer<typeof appUpgradeSchema>;
