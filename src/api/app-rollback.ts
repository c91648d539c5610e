import { z } from 'zod';
import { conditionsList, dnsLabel, metadataSchema, timestamp } from './common.js';
import { componentProgressSchema } from './progress.js';
import { upgradePlanSchema } from './plan.js';

export const ROLLBACK_PHASES = ['Pending', 'Progressing', 'Succeeded', 'Failed'] as const;

export const appRollbackSpecSchema = z
  .object({
    install: dnsLabel('install', 63).describe('Name of the AppInstall in this namespace.'),
    toRevision: z
      .int32()
      .min(1)
      .optional()
      .describe('Revision to restore; default: the previous successful one.'),
    pruneAddedComponents: z
      .boolean()
      .default(false)
      .describe('Delete components that revision did not have (their PVCs are still kept).'),
  })
  .meta({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec is immutable' }] })
  .describe('A request to restore an earlier revision of an install.');

export const appRollbackStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The generation last reconciled.'),
    conditions: conditionsList().optional(),
    queuedAt: z
      .string()
      .optional()
      .describe(
        'When the operator first saw this request (RFC 3339, microseconds); pending requests of an install start in this order, which is their creation order.',
      ),
    phase: z.enum(ROLLBACK_PHASES).optional().describe('Where the rollback is.'),
    message: z.string().optional().describe('Details of the phase.'),
    toRevision: z.int32().optional().describe('Resolved revision being restored.'),
    fromRevision: z.int32().optional().describe('Revision before.'),
    revision: z.int32().optional().describe('The new AppRevision this rollback produced.'),
    plan: upgradePlanSchema.optional(),
    components: z.array(componentProgressSchema).optional().describe('Per-component progress.'),
    retainedComponents: z
      .array(z.string())
      .optional()
      .describe('Components kept although the restored revision lacks them.'),
    prunedComponents: z
      .array(z.string())
      .optional()
      .describe('Components deleted because pruning was asked for.'),
    startedAt: timestamp('When execution started.').optional(),
    finishedAt: timestamp('When it ended.').optional(),
  })
  .describe('Observed state of a rollback.');

export const appRollbackSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppRollback'),
  metadata: metadataSchema,
  spec: appRollbackSpecSchema,
  status: appRollbackStatusSchema.optional(),
});

export type RollbackPhase = (typeof ROLLBACK_PHASES)[number];
export type AppRollbackSpec = z.infer<typeof appRollbackSpecSchema>;
export type AppRollbackStatus = z.infer<typeof appRollbackStatusSchema>;
export type AppRollback = z.infer<typeof appRollbackSchema>;
