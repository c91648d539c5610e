import { z } from 'zod';

const posixId = (what: string) => z.int32().min(0).optional().describe(what);

/** Linux capability names as the runtime takes them (NET_BIND_SERVICE), or ALL. */
const capability = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected a capability name such as NET_BIND_SERVICE or ALL')
  .max(64);

/**
 * The component's security settings. Unset fields get the restricted Pod Security defaults
 * (model/security.ts); a template relaxes one only by setting it, and the plan lists every relaxation.
 */
export const podSecurityContextSchema = z
  .object({
    runAsUser: posixId("User id the processes run as; the image's user when omitted."),
    runAsGroup: posixId("Primary group id of the processes; the image's group when omitted."),
    fsGroup: posixId(
      "Group that owns the volumes (made group-writable by the kubelet) and is added to the processes' groups: set it when a non-root image writes to its volumes.",
    ),
    runAsNonRoot: z
      .boolean()
      .optional()
      .describe(
        'Refuse to start a container that would run as uid 0. Default true (restricted); false lets the image run as root and is listed in the plan as a relaxation.',
      ),
    allowPrivilegeEscalation: z
      .boolean()
      .optional()
      .describe(
        'Whether a process may gain more privileges than its parent (setuid binaries). Default false (restricted); true is a relaxation the plan lists.',
      ),
    capabilities: z
      .object({
        add: z
          .array(capability)
          .max(20)
          .meta({ 'x-kubernetes-list-type': 'set' })
          .optional()
          .describe('Capabilities added; anything but NET_BIND_SERVICE is a relaxation the plan lists.'),
        drop: z
          .array(capability)
          .max(50)
          .meta({ 'x-kubernetes-list-type': 'set' })
          .optional()
          .describe('Capabilities dropped. Default [ALL] (restricted); a list without ALL is a relaxation.'),
      })
      .optional()
      .describe('Linux capabilities of every container of the component.'),
    seccompProfile: z
      .enum(['RuntimeDefault', 'Unconfined'])
      .optional()
      .describe(
        'Seccomp profile. Default RuntimeDefault (restricted); Unconfined is a relaxation the plan lists.',
      ),
    readOnlyRootFilesystem: z
      .boolean()
      .optional()
      .describe("Mount the containers' root filesystems read-only (not required by restricted)."),
  })
  .describe(
    "Security of the component's pods and containers (init containers and sidecars too). Pods run under the restricted Pod Security Standard unless the template relaxes a field explicitly: runAsNonRoot true, allowPrivilegeEscalation false, seccomp RuntimeDefault, all capabilities dropped. Template data: follows the template on upgrade and the restored revision on rollback.",
  );

export type PodSecurityContext = z.infer<typeof podSecurityContextSchema>;
