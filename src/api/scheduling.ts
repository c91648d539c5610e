import { z } from 'zod';

const labelKey = z.string().min(1).max(317).describe('Label key.');
const labelValues = z.array(z.string().max(63)).max(50).optional().describe('Values.');
const labelMap = z.record(z.string(), z.string().max(63));

const labelSelectorSchema = z
  .object({
    matchLabels: labelMap.optional().describe('Labels the pods must have.'),
    matchExpressions: z
      .array(
        z.object({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('Operator.'),
          values: labelValues,
        }),
      )
      .max(20)
      .optional()
      .describe('Set-based requirements.'),
  })
  .describe("A label selector over pods; omitted, it selects this component's own pods.");

const nodeSelectorTermSchema = z
  .object({
    matchExpressions: z
      .array(
        z.object({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']).describe('Operator.'),
          values: labelValues,
        }),
      )
      .max(20)
      .optional()
      .describe('Requirements on node labels.'),
    matchFields: z
      .array(
        z.object({
          key: z.string().min(1).max(63).describe('Node field, e.g. metadata.name.'),
          operator: z.enum(['In', 'NotIn']).describe('Operator.'),
          values: labelValues,
        }),
      )
      .max(5)
      .optional()
      .describe('Requirements on node fields.'),
  })
  .describe('Node requirements, ANDed.');

const podAffinityTermSchema = z
  .object({
    labelSelector: labelSelectorSchema.optional(),
    topologyKey: z
      .string()
      .min(1)
      .max(317)
      .describe('Node label that defines the domain, e.g. kubernetes.io/hostname.'),
    namespaces: z
      .array(z.string().max(63))
      .max(20)
      .optional()
      .describe('Namespaces; the install namespace when omitted.'),
  })
  .describe('Pods (by labels) in a topology domain.');

const weight = z.int32().min(1).max(100).describe('Weight, 1-100.');
const preferences = <T extends z.ZodType>(item: T) =>
  z.array(item).max(20).optional().describe('Preferences the scheduler tries to meet, by weight.');

const podAffinitySchema = z
  .object({
    requiredDuringSchedulingIgnoredDuringExecution: z
      .array(podAffinityTermSchema)
      .max(20)
      .optional()
      .describe('Terms that must hold.'),
    preferredDuringSchedulingIgnoredDuringExecution: preferences(
      z.object({ weight, podAffinityTerm: podAffinityTermSchema }),
    ),
  })
  .describe('Pod (anti-)affinity.');

export const affinitySchema = z
  .object({
    nodeAffinity: z
      .object({
        requiredDuringSchedulingIgnoredDuringExecution: z
          .object({
            nodeSelectorTerms: z.array(nodeSelectorTermSchema).min(1).max(20).describe('Terms, ORed.'),
          })
          .optional()
          .describe('Nodes the pods must run on.'),
        preferredDuringSchedulingIgnoredDuringExecution: preferences(
          z.object({ weight, preference: nodeSelectorTermSchema }),
        ),
      })
      .optional()
      .describe('Which nodes the pods go to.'),
    podAffinity: podAffinitySchema.optional(),
    podAntiAffinity: podAffinitySchema.optional(),
  })
  .describe(
    "Scheduling affinity of the component's pods (as the Kubernetes Pod field; a pod-affinity term without labelSelector means this component's pods). Site data: kept across upgrades and rollbacks.",
  );

export const tolerationSchema = z
  .object({
    key: z.string().max(317).optional().describe('Taint key; empty with Exists tolerates everything.'),
    operator: z.enum(['Exists', 'Equal']).default('Equal').describe('Exists or Equal.'),
    value: z.string().max(63).optional().describe('Taint value, for Equal.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('Taint effect; all effects when omitted.'),
    tolerationSeconds: z.int().min(0).optional().describe('For NoExecute: how long the pod stays.'),
  })
  .describe('A taint the pods tolerate.');

export const topologySpreadSchema = z
  .object({
    maxSkew: z.int32().min(1).describe('Largest allowed difference in pod counts between domains.'),
    topologyKey: z.string().min(1).max(317).describe('Node label that defines the domains.'),
    whenUnsatisfiable: z
      .enum(['DoNotSchedule', 'ScheduleAnyway'])
      .default('DoNotSchedule')
      .describe('DoNotSchedule or ScheduleAnyway.'),
    labelSelector: labelSelectorSchema.optional(),
    minDomains: z.int32().min(1).optional().describe('Minimum number of eligible domains.'),
  })
  .describe(
    "How the component's pods spread over topology domains (labelSelector: its own pods when omitted).",
  );

export type Affinity = z.infer<typeof affinitySchema>;
export type Toleration = z.infer<typeof tolerationSchema>;
export type TopologySpread = z.infer<typeof topologySpreadSchema>;
