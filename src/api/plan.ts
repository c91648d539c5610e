import { z } from 'zod';
import { planHookSchema } from './hooks.js';

export const jsonPatchOpSchema = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']).describe('RFC 6902 operation.'),
    path: z.string().describe('JSON pointer into the component configuration.'),
    from: z.string().optional().describe('Source pointer for move and copy.'),
    value: z.string().optional().describe('The new value, JSON-encoded.'),
    previous: z.string().optional().describe('For replace and remove: the value before, JSON-encoded.'),
  })
  .describe('One JSON patch operation.');

export const componentChangeSchema = z
  .object({
    name: z.string().describe('Component name.'),
    change: z.enum(['Added', 'Removed', 'Changed', 'Unchanged']).describe('What the upgrade does to it.'),
    level: z.int32().optional().describe('Dependency level (0 first) at which it rolls out.'),
    fromImage: z.string().optional().describe('Image before.'),
    toImage: z.string().optional().describe('Image after.'),
    patch: z.array(jsonPatchOpSchema).optional().describe('Field-level diff of the component configuration.'),
    securityRelaxations: z
      .array(z.string())
      .optional()
      .describe(
        'What the component relaxes of the restricted Pod Security defaults after the change (e.g. runAsNonRoot=false); absent when it runs restricted.',
      ),
  })
  .describe('The planned change of one component.');

export const notAppliedSchema = z
  .object({
    component: z.string().describe('Component name.'),
    container: z
      .string()
      .optional()
      .describe('For an init container or sidecar: its name (the main container when omitted).'),
    kind: z.enum(['Env', 'ConfigFile', 'Volume']).describe('What kind of site configuration it is.'),
    name: z.string().describe('Env var, config file or volume name.'),
    installed: z
      .string()
      .describe('The value the install keeps (a template string; secret parameter values never appear).'),
    template: z.string().describe('The value the new template proposes.'),
  })
  .describe('A template change that is not applied because the value is preserved site configuration.');

export const upgradePlanSchema = z
  .object({
    fromVersion: z.string().describe('Version installed before.'),
    toVersion: z.string().describe('Version after.'),
    levels: z
      .array(z.array(z.string()))
      .describe('Rollout order: components of one level roll out together, after all earlier levels.'),
    components: z.array(componentChangeSchema).describe('Every component and its change.'),
    notApplied: z
      .array(notAppliedSchema)
      .describe('Template changes kept out because they are site configuration.'),
    retained: z
      .array(z.string())
      .describe('Components the new version drops that keep running (nothing is deleted implicitly).'),
    hooks: z
      .array(planHookSchema)
      .optional()
      .describe(
        'Hook Jobs the change runs, in the order they run (by level; Pre before and Post after their level); absent when none.',
      ),
  })
  .describe('What an upgrade or rollback will change, computed before anything is applied.');

export type JsonPatchOp = z.infer<typeof jsonPatchOpSchema>;
export type ComponentChange = z.infer<typeof componentChangeSchema>;
export type NotApplied = z.infer<typeof notAppliedSchema>;
export type UpgradePlan = z.infer<typeof upgradePlanSchema>;
