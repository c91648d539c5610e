import { z } from 'zod';
import { dnsLabel, timestamp } from './common.js';
import { envVarSchema, listMap, resourcesSchema } from './component-parts.js';

export const HOOK_PHASES = ['Pre', 'Post'] as const;
export const HOOK_CAUSES = ['Install', 'Upgrade', 'Rollback', 'ConfigChange'] as const;
export const DEFAULT_HOOK_CAUSES = ['Install', 'Upgrade'] as const;
export const DEFAULT_HOOK_DEADLINE_SECONDS = 600;

export const hookSchema = z
  .object({
    name: dnsLabel('hook name', 30).describe(
      'Hook name, unique in the template; its Job is named <install>-r<revision>-<hook>, so it runs at most once per revision (a restarted operator finds the Job again by that name).',
    ),
    component: dnsLabel('component name', 40).describe(
      "The component whose dependency level the hook belongs to. The hook's container gets that component's environment (injected <DEP>_HOST/_PORT, template env with the install's preserved values and overrides, parameter Secrets) and config files, as the revision renders them.",
    ),
    phase: z
      .enum(HOOK_PHASES)
      .describe(
        "Pre: runs before the component's level is applied (e.g. a database migration before api rolls); Post: runs after every component of that level has rolled out, before the next level.",
      ),
    causes: z
      .array(z.enum(HOOK_CAUSES))
      .min(1)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .default([...DEFAULT_HOOK_CAUSES])
      .describe(
        'Which changes run the hook (default Install and Upgrade): Install (the first revision), Upgrade (a move to this version), Rollback (a rollback that restores a revision of this version, automatic ones included), ConfigChange (new parameters or overrides, same version; also a rotated parameter Secret, whose revision has cause ParameterChange). A partial upgrade runs only the hooks of the components it upgrades.',
      ),
    image: z
      .string()
      .min(1)
      .max(1024)
      .describe(
        'Container image of the Job; pin by digest. Exported and imported with the template like component images.',
      ),
    command: z.array(z.string()).optional().describe('Entrypoint override; may reference ${params.NAME}.'),
    args: z.array(z.string()).optional().describe('Arguments; may reference ${params.NAME}.'),
    env: z
      .array(envVarSchema)
      .max(100)
      .meta(listMap('name'))
      .optional()
      .describe(
        "Extra environment variables (may reference ${params.NAME}); they win over the component's. Template data: follow the template on upgrade, the restored revision on rollback.",
      ),
    componentEnv: z
      .boolean()
      .default(true)
      .describe("Give the hook the component's environment and config files (default true)."),
    resources: resourcesSchema.optional(),
    backoffLimit: z
      .int32()
      .min(0)
      .max(10)
      .default(0)
      .describe('Retries of a failed pod before the Job (and the change) fails; default 0.'),
    activeDeadlineSeconds: z
      .int32()
      .min(1)
      .max(86400)
      .default(DEFAULT_HOOK_DEADLINE_SECONDS)
      .describe(
        'Seconds the Job may run, retries included (default 600); when they are over the Job fails with DeadlineExceeded and so does the change.',
      ),
  })
  .describe(
    "A Job that runs once per revision at a point of the rollout. A Job that fails or misses its deadline fails the change (reason HookFailed or HookDeadlineExceeded), and with upgradePolicy.autoRollback the operator rolls back, running the restored version's Rollback hooks. The Job is owned by its AppRevision: kept (with its pod and log) as long as the revision, deleted with it by historyLimit.",
  );

export const hookProgressSchema = z
  .object({
    name: z.string().describe('Hook name.'),
    component: z.string().describe('Its component.'),
    phase: z.enum(HOOK_PHASES).describe('Pre or Post.'),
    level: z.int32().describe('Dependency level of its component (0 first).'),
    job: z.string().describe('Name of its Job (deterministic: <install>-r<revision>-<hook>).'),
    state: z
      .enum(['Pending', 'Running', 'Succeeded', 'Failed'])
      .describe(
        'Pending until its point of the rollout, Running while its Job runs, then Succeeded or Failed.',
      ),
    startedAt: timestamp('When its Job was created.').optional(),
    finishedAt: timestamp('When its Job ended.').optional(),
    exitCode: z.int32().optional().describe("Exit code of the Job's last pod, when the node reported one."),
    log: z
      .string()
      .max(4096)
      .optional()
      .describe(
        'The tail of the last pod\'s log (at most 20 lines, 2 KiB), or "no log" when the node returned none.',
      ),
    message: z.string().optional().describe('What it waits for, or why it failed.'),
  })
  .describe('Progress of one hook of a revision.');

export const planHookSchema = z
  .object({
    name: z.string().describe('Hook name.'),
    component: z.string().describe('Its component.'),
    phase: z.enum(HOOK_PHASES).describe("Pre (before the component's level) or Post (after it)."),
    level: z.int32().describe('Dependency level of its component (0 first).'),
    image: z.string().describe('Image of the Job.'),
  })
  .describe('A hook Job the change will run.');

export type Hook = z.infer<typeof hookSchema>;
export type HookPhase = (typeof HOOK_PHASES)[number];
export type HookProgress = z.infer<typeof hookProgressSchema>;
export type PlanHook = z.infer<typeof planHookSchema>;
