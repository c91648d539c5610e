import { z } from 'zod';

export const API_GROUP = 'ferry.dev';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Marks a schema as Kubernetes int-or-string; the CRD generator turns it into x-kubernetes-int-or-string. */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

// SemVer 2.0 (semver.org's official pattern) without build metadata: object names cannot hold `+`.
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$';
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$';
export const PARAM_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
// The distribution project's reference grammar (docker/distribution reference/regexp.go), kept
// to what Ferry carries: sha256 digests only. A repository matching it has no empty, "." or ".."
// segment, no scheme, no userinfo and nothing a URL parser would normalise.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
export const REPOSITORY_PATTERN = `^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`;
export const IMAGE_REFERENCE_PATTERN = `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`;
/** Longest repository name distribution accepts. */
export const REPOSITORY_MAX_LENGTH = 255;
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$';

export const dnsLabel = (what: string, maxLength = 63) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .regex(new RegExp(DNS_LABEL_PATTERN), `${what} must be a DNS label (lower-case letters, digits, '-')`);

export const semverString = (what: string) =>
  z
    .string()
    .max(128)
    .regex(
      new RegExp(SEMVER_PATTERN),
      `${what} must be a SemVer 2.0 version such as 1.2.3 (no +build metadata)`,
    );

export const repositoryName = (what: string) =>
  z
    .string()
    .min(1)
    .max(REPOSITORY_MAX_LENGTH)
    .regex(
      new RegExp(REPOSITORY_PATTERN),
      `${what} must be a repository path such as vendor/app (lower-case path components joined by "/"; no "..", no empty segment, no scheme or credentials)`,
    );

export const imageReference = (what: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .regex(
      new RegExp(IMAGE_REFERENCE_PATTERN),
      `${what} must be an image reference such as registry.example.com/vendor/app:1.0[@sha256:<64 hex>]`,
    );

export const intOrString = (description: string) =>
  z
    .union([
      z.int32().min(0),
      z.string().regex(/^[0-9]+%?$/, 'expected an integer or a percentage such as 25%'),
    ])
    .meta({ [INT_OR_STRING]: true, description });

export const quantity = (description: string) =>
  z
    .string()
    .max(64)
    .regex(new RegExp(QUANTITY_PATTERN), 'expected a Kubernetes quantity such as 500m, 1Gi')
    .describe(description);

export const timestamp = (description: string) => z.string().meta({ format: 'date-time', description });

export const conditionSchema = z
  .object({
    type: z
      .string()
      .max(316)
      .describe('Condition type: Ready, Reconciling or Stalled (kstatus), or a kind-specific one.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation this condition was set for.'),
    lastTransitionTime: timestamp('When the status last changed.'),
    reason: z.string().max(1024).describe('CamelCase reason for the last transition.'),
    message: z.string().max(32768).describe('Human-readable details; names the object and field at fault.'),
  })
  .describe('A status condition, as metav1.Condition.');
export type Condition = z.infer<typeof conditionSchema>;

export const conditionsList = () =>
  z
    .array(conditionSchema)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    .describe('Observations of the current state (kstatus: Ready, Reconciling, Stalled).');

export const metadataSchema = z
  .object({
    name: z.string().min(1).max(253).describe('Object name.'),
    namespace: z.string().optional().describe('Namespace, for namespaced kinds.'),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    uid: z.string().optional(),
    generation: z.int().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
    ownerReferences: z.array(z.object({}).loose()).optional(),
  })
  .loose()
  .describe('Standard object metadata.');
export type ObjectMeta = z.infer<typeof metadataSchema>;

/** The printable name of a resource for error messages: Kind/namespace/name. */
export function objectRef(kind: string, meta: { name?: string; namespace?: string }): string {
  return meta.namespace ? `${kind}/${meta.namespace}/${meta.name ?? '?'}` : `${kind}/${meta.name ?? '?'}`;
}
