import { z } from 'zod';
import { timestamp } from './common.js';

export const componentProgressSchema = z
  .object({
    name: z.string().describe('Component name.'),
    level: z.int32().describe('Dependency level.'),
    state: z.enum(['Pending', 'Progressing', 'Ready', 'Failed', 'Skipped']).describe('Rollout state.'),
    startedAt: timestamp('When its rollout started.').optional(),
    finishedAt: timestamp('When it finished.').optional(),
    message: z.string().optional().describe('Details.'),
  })
  .describe('Progress of one component.');

export type ComponentProgress = z.infer<typeof componentProgressSchema>;
