import type { V1ConfigMap, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import type { AppInstall, Publication } from '../../api/index.js';
import { appInstallSchema, appRevisionSchema, revisionName } from '../../api/index.js';
import type { KubeClient, ObjectRef } from '../../kube/client.js';
import { ferryRef } from '../../kube/client.js';
import type { InstallCapture } from '../../model/capture-install.js';
import { captureInstall, installNotPublishable } from '../../model/capture-install.js';
import type { CapturedWorkload } from '../../model/capture-workloads.js';
import { captureWorkloads } from '../../model/capture-workloads.js';
import { LABEL_COMPONENT, LABEL_INSTALL } from '../../model/names.js';
import { decodeSnapshot } from '../../model/snapshot.js';
import { ProblemsFound } from '../output.js';

export interface Captured extends InstallCapture {
  app?: string;
  source: Publication['source'];
  /** One line for people: where it was captured from. */
  from: string;
}

/** Lists built-in objects as @kubernetes/client-node's types (dates stay strings: only names and specs are read). */
async function listAs<T>(client: KubeClient, ref: ObjectRef, labelSelector?: string): Promise<T[]> {
  const list = await client.list(ref, labelSelector ? { labelSelector } : {});
  return list.items as unknown as T[];
}

const core = (kind: string, namespace: string) => ({ apiVersion: 'v1', kind, namespace });
const apps = (kind: string, namespace: string) => ({ apiVersion: 'apps/v1', kind, namespace });

/** The applied, successful revision of a Ready install, with images pinned by the digests its pods report. */
export async function fromInstall(client: KubeClient, namespace: string, name: string): Promise<Captured> {
  const raw = await client.get(ferryRef('AppInstall', namespace, name));
  if (!raw) throw new ProblemsFound(`AppInstall ${namespace}/${name} not found`);
  const install: AppInstall = appInstallSchema.parse(raw);
  const refusal = installNotPublishable(install);
  if (refusal) throw new ProblemsFound(refusal);
  const number = install.status!.revision!;
  const rawRevision = await client.get(ferryRef('AppRevision', namespace, revisionName(name, number)));
  if (!rawRevision)
    throw new ProblemsFound(`AppRevision ${namespace}/${revisionName(name, number)} not found`);
  const revision = appRevisionSchema.parse(rawRevision);
  if (revision.status?.outcome !== 'Succeeded') {
    throw new ProblemsFound(
      `AppRevision ${namespace}/${revision.metadata.name} is ${revision.status?.outcome ?? 'Progressing'}, not Succeeded`,
    );
  }
  const pods = await listAs<V1Pod>(client, core('Pod', namespace), `${LABEL_INSTALL}=${name}`);
  const digests = new Map<string, string>();
  for (const pod of pods) {
    const component = pod.metadata?.labels?.[LABEL_COMPONENT];
    const digest = pod.status?.containerStatuses?.[0]?.imageID?.match(/@(sha256:[a-f0-9]{64})$/)?.[1];
    if (component && digest && !digests.has(component)) digests.set(component, digest);
  }
  const capture = captureInstall(decodeSnapshot(revision.spec.snapshot), digests);
  return {
    ...capture,
    app: install.spec.app,
    source: { kind: 'AppInstall', namespace, install: name, revision: number },
    from: `AppInstall ${namespace}/${name} revision ${number} (${install.spec.app} ${revision.spec.version})`,
  };
}

/** Deployments and StatefulSets selected by label, with the Services selected and what they mount. */
export async function fromWorkloads(
  client: KubeClient,
  namespace: string,
  selector: string,
  depends: Record<string, string[]>,
): Promise<Captured> {
  const [deployments, statefulSets, services, configMaps, claims, pods] = await Promise.all([
    listAs<CapturedWorkload>(client, apps('Deployment', namespace), selector),
    listAs<CapturedWorkload>(client, apps('StatefulSet', namespace), selector),
    listAs<V1Service>(client, core('Service', namespace), selector),
    listAs<V1ConfigMap>(client, core('ConfigMap', namespace)),
    listAs<V1PersistentVolumeClaim>(client, core('PersistentVolumeClaim', namespace)),
    listAs<V1Pod>(client, core('Pod', namespace)),
  ]);
  const workloads = [
    ...deployments.map((d) => ({ ...d, kind: 'Deployment' as const })),
    ...statefulSets.map((s) => ({ ...s, kind: 'StatefulSet' as const })),
  ] as CapturedWorkload[];
  if (!workloads.length)
    throw new ProblemsFound(`no Deployment or StatefulSet in namespace ${namespace} matches ${selector}`);
  const capture = captureWorkloads(
    {
      namespace,
      workloads,
      services,
      configMaps,
      claims,
      pods,
    },
    depends,
  );
  return {
    ...capture,
    source: { kind: 'Workloads', namespace, selector },
    from: `${workloads.length} workload(s) in namespace ${namespace} selected by ${selector}`,
  };
}
