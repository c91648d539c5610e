import type { KubeObject } from '../kube/client.js';
import { LABEL_HOOK_INSTALL } from '../model/names.js';
import type { Workload } from './context.js';

/**
 * What the informers keep of each object (applied before it is cached). The API server sends
 * metadata.managedFields (often the largest part of a small object) and kubectl's last-applied copy
 * of the whole object; the controllers read neither, except the one slice of a workload's
 * managedFields that field-drift.ts reads. Dropping them is most of what an informer cache grows by
 * per object (measured in bench/operator/RESULTS.md).
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Metadata = NonNullable<KubeObject['metadata']> & { managedFields?: unknown[] };

function slimMetadata(metadata: Metadata | undefined, managedFields?: unknown[]): Metadata | undefined {
  if (!metadata) return metadata;
  const { managedFields: _dropped, ...rest } = metadata;
  if (rest.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _copy, ...annotations } = rest.annotations;
    rest.annotations = annotations;
  }
  return managedFields?.length ? { ...rest, managedFields } : rest;
}

/** Ferry's own kinds (and anything else cached whole): without managedFields and last-applied. */
export function slimObject<T extends KubeObject>(object: T): T {
  return { ...object, metadata: slimMetadata(object.metadata as Metadata) };
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

type Fields = Record<string, unknown> | undefined;
const child = (f: Fields, key: string) => f?.[key] as Fields;

/**
 * Deployments and StatefulSets: managedFields cut down to what field-drift.ts reads (the managers of
 * spec.template.spec.containers / initContainers, entries of the main resource only), and the pod
 * template cut down to its containers' names and images (what the install status shows). The rest of
 * the spec and the whole status stay: rollouts are judged on them.
 */
export function slimWorkload(workload: Workload): Workload {
  const entries = ((workload.metadata as Metadata | undefined)?.managedFields ?? []) as ManagedFieldsEntry[];
  const managedFields = entries
    .filter((e) => !e.subresource)
    .map((e) => {
      const podSpec = child(child(child(e.fieldsV1, 'f:spec'), 'f:template'), 'f:spec');
      const kept: Record<string, unknown> = {};
      for (const list of ['f:containers', 'f:initContainers'])
        if (podSpec?.[list] !== undefined) kept[list] = podSpec[list];
      return {
        manager: e.manager,
        operation: e.operation,
        fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': kept } } },
      };
    });
  const spec = workload.spec;
  const template = spec?.template;
  return {
    ...workload,
    metadata: slimMetadata(workload.metadata as Metadata, managedFields),
    ...(spec
      ? {
          spec: {
            ...spec,
            template: {
              ...(template?.metadata ? { metadata: template.metadata } : {}),
              spec: {
                containers: (template?.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image })),
                ...(template?.spec?.initContainers
                  ? {
                      initContainers: template.spec.initContainers.map((c) => ({
                        name: c.name,
                        image: c.image,
                      })),
                    }
                  : {}),
              },
            },
          },
        }
      : {}),
  } as Workload;
}

/** What the Secret cache keeps of a Secret: no annotations (kubectl's last-applied copy holds its data). */
export const secretVersion = (s: KubeObject): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: s.metadata?.name,
    namespace: s.metadata?.namespace,
    uid: s.metadata?.uid,
    resourceVersion: s.metadata?.resourceVersion,
  },
});

/** What the hook Job and pod caches keep: which install to wake. */
export const hookObject = ({ apiVersion, kind, metadata: m }: KubeObject): KubeObject => ({
  apiVersion,
  kind,
  metadata: {
    ...secretVersion({ metadata: m }).metadata,
    labels: { [LABEL_HOOK_INSTALL]: m?.labels?.[LABEL_HOOK_INSTALL] ?? '' },
  },
});
