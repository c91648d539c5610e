import { z } from 'zod';
import { dnsLabel, metadataSchema, semverString, timestamp } from './common.js';
import { hookProgressSchema } from './hooks.js';
import { componentProgressSchema } from './progress.js';

export const REVISION_CAUSES = ['Install', 'Upgrade', 'Rollback', 'ConfigChange', 'ParameterChange'] as const;

export const snapshotSchema = z
  .object({
    encoding: z.enum(['json', 'gzip+base64']).describe('json, or gzip-compressed JSON in base64 when large.'),
    data: z
      .string()
      .max(1048576)
      .describe('The snapshot: template spec, parameters, overrides, resolved config.'),
    sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .describe('sha256 of the uncompressed JSON.'),
  })
  .describe('Everything needed to re-create this state without the AppTemplate object.');

export const appRevisionSpecSchema = z
  .object({
    install: dnsLabel('install', 63).describe('The AppInstall this revision belongs to.'),
    revision: z.int32().min(1).describe('Revision number, increasing per install.'),
    app: dnsLabel('app', 63).describe('Application name.'),
    version: semverString('version').describe('Template version applied.'),
    cause: z
      .enum(REVISION_CAUSES)
      .describe(
        'Install, Upgrade, Rollback, ConfigChange (spec parameters or overrides changed) or ParameterChange (the content of a parameter Secret changed; same spec).',
      ),
    causeRef: z
      .object({
        kind: z.enum(['AppInstall', 'AppUpgrade', 'AppRollback']).describe('Kind of the object.'),
        name: z.string().describe('Its name.'),
        uid: z
          .string()
          .optional()
          .describe('Its uid, so a re-created object of the same name is not confused with it.'),
      })
      .optional()
      .describe('The object whose change produced this revision.'),
    restoredRevision: z
      .int32()
      .optional()
      .describe('For a rollback: the revision whose snapshot was restored.'),
    changedParameters: z
      .array(z.string())
      .optional()
      .describe(
        'For a ParameterChange: the parameters whose Secret content changed (names only, never values). Absent for other causes.',
      ),
    images: z
      .array(
        z.object({
          component: z.string().describe('Component name.'),
          image: z.string().describe('Its image reference.'),
        }),
      )
      .describe('Component images of this revision, for people.'),
    inputsDigest: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .describe('sha256 of the inputs (version, parameters, overrides, components) that produced it.'),
    snapshot: snapshotSchema,
  })
  .meta({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec is immutable' }] })
  .describe('An immutable record of one applied change.');

export const appRevisionStatusSchema = z
  .object({
    outcome: z
      .enum(['Progressing', 'Succeeded', 'Failed', 'Superseded'])
      .describe('Progressing while rolling out, then Succeeded, Failed, or Superseded by a later change.'),
    startedAt: timestamp('When applying started.'),
    finishedAt: timestamp('When it ended.').optional(),
    message: z.string().optional().describe('Why it failed, if it did.'),
    reason: z
      .string()
      .optional()
      .describe('CamelCase reason of a failure, e.g. ProgressDeadlineExceeded, HookFailed or InvalidSpec.'),
    components: z
      .array(componentProgressSchema)
      .optional()
      .describe('Rollout progress per component, in dependency order.'),
    hooks: z
      .array(hookProgressSchema)
      .optional()
      .describe(
        "The hook Jobs this revision runs, in the order they run, with each one's exit status and log tail; absent when it runs none.",
      ),
  })
  .describe('How applying this revision went.');

export const appRevisionSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppRevision'),
  metadata: metadataSchema,
  spec: appRevisionSpecSchema,
  status: appRevisionStatusSchema.optional(),
});

export type RevisionCause = (typeof REVISION_CAUSES)[number];
export type Snapshot = z.infer<typeof snapshotSchema>;
export type AppRevisionSpec = z.infer<typeof appRevisionSpecSchema>;
export type AppRevisionStatus = z.infer<typeof appRevisionStatusSchema>;
export type AppRevision = z.infer<typeof appRevisionSchema>;

/** AppRevision object name: `<install>-r<N>`. */
export const revisionName = (install: string, revision: number) => `${install}-r${revision}`;
