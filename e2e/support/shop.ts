/* eslint-disable @typescript-eslint/no-explicit-any -- test helpers read arbitrary object fields */
import { join } from 'node:path';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef, resourcePath } from '../../src/kube/client.js';
import type { WaitOptions } from './world.js';
import { describeState, fatal, notYet, readManifests, repoRoot, waitFor } from './world.js';

export type Workload = (V1Deployment | V1StatefulSet) & KubeObject;
export type Obj = KubeObject & { spec?: any; status?: any };

/** The example shop template of a version, renamed to `app` so each suite has its own versions. */
export function shopTemplate(version: '1.0.0' | '2.0.0', app: string, edit?: (spec: any) => void): Obj {
  const [template] = readManifests(join(repoRoot, 'examples', 'shop', `shop-${version}.yaml`)) as Obj[];
  template!.metadata!.name = `${app}.${version}`;
  template!.spec.app = app;
  edit?.(template!.spec);
  return template!;
}

/** A copy of a template spec published under another version. */
export function asVersion(template: Obj, version: string, edit?: (spec: any) => void): Obj {
  const copy = structuredClone(template);
  copy.spec.version = version;
  copy.metadata!.name = `${copy.spec.app}.${version}`;
  edit?.(copy.spec);
  return copy;
}

export function shopInstall(
  namespace: string,
  app: string,
  version = '1.0.0',
  extra: Record<string, unknown> = {},
): Obj {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppInstall',
    metadata: { name: 'shop', namespace },
    spec: {
      app,
      version,
      parameters: [
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'db-password' } } },
        { name: 'PUBLIC_URL', value: 'https://shop.customer.example' },
      ],
      ...extra,
    },
  };
}

export async function createShopSecret(client: KubeClient, namespace: string): Promise<void> {
  await client.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-secrets', namespace },
    data: { 'db-password': Buffer.from('s3cret-pw').toString('base64') },
  });
}

export const installRef = (namespace: string, name = 'shop') => ferryRef('AppInstall', namespace, name);

export async function getInstall(client: KubeClient, namespace: string, name = 'shop'): Promise<Obj> {
  return (await client.get<Obj>(installRef(namespace, name)))!;
}

const condition = (o: Obj | undefined, type: string) =>
  (
    o?.status?.conditions as { type: string; status: string; reason: string; message: string }[] | undefined
  )?.find((c) => c.type === type);
export { condition };

/** Waits until the install is Ready at `revision` (and its status reflects the latest generation). */
export function waitReady(
  client: KubeClient,
  namespace: string,
  revision: number,
  timeoutMs = 90_000,
  name = 'shop',
  options: Omit<WaitOptions, 'timeoutMs'> = {},
) {
  return waitFor(
    `AppInstall ${namespace}/${name} Ready at revision ${revision}`,
    async () => {
      const install = await getInstall(client, namespace, name);
      const ready = condition(install, 'Ready');
      if (
        ready?.status === 'True' &&
        install.status?.revision === revision &&
        install.status?.observedGeneration === install.metadata?.generation
      )
        return install;
      return notYet(installSummary(install));
    },
    { timeoutMs, ...options },
  );
}

/** What a person would look at to see where an install is. */
export const installSummary = (install: Obj | undefined) => ({
  generation: install?.metadata?.generation,
  observedGeneration: install?.status?.observedGeneration,
  version: install?.status?.version,
  revision: install?.status?.revision,
  operation: install?.status?.operation,
  conditions: (install?.status?.conditions ?? []).map(
    (c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message}`,
  ),
  components: (install?.status?.components ?? []).map(
    (c: any) => `${c.name}:${c.state}:${c.updatedReplicas}/${c.availableReplicas}/${c.desiredReplicas}`,
  ),
});

const FINAL_PHASES = ['Succeeded', 'Failed', 'RolledBack'];

/**
 * Waits until an AppUpgrade or AppRollback reaches `phase`, and gives up at once when it ends in
 * another final phase; returns the request. Progress is its status changing.
 */
export function waitPhase(
  client: KubeClient,
  kind: 'AppUpgrade' | 'AppRollback',
  namespace: string,
  name: string,
  phase: string,
  options: WaitOptions = {},
): Promise<Obj> {
  return waitFor(
    `${kind} ${namespace}/${name} ${phase}`,
    async () => {
      const request = await client.get<Obj>(ferryRef(kind, namespace, name));
      const status = request?.status;
      if (status?.phase === phase) return request!;
      const seen = {
        phase: status?.phase,
        message: status?.message,
        revision: status?.revision,
        components: (status?.components ?? []).map((c: any) => `${c.name}:${c.state}`),
      };
      if (FINAL_PHASES.includes(status?.phase)) fatal(`it ended ${describeState(seen)}`);
      return notYet(seen);
    },
    { timeoutMs: 120_000, ...options },
  );
}

export async function workload(
  client: KubeClient,
  namespace: string,
  component: string,
): Promise<Workload | undefined> {
  for (const kind of ['Deployment', 'StatefulSet']) {
    const found = await client.get<Workload>({
      apiVersion: 'apps/v1',
      kind,
      namespace,
      name: `shop-${component}`,
    });
    if (found) return found;
  }
  return undefined;
}

export const envOf = (w: Workload | undefined) =>
  Object.fromEntries(
    (w?.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [
      e.name,
      e.value ?? `<from ${e.valueFrom?.secretKeyRef?.name}>`,
    ]),
  );
export const imageOf = (w: Workload | undefined) => w?.spec?.template.spec?.containers[0]?.image;

export async function revisions(client: KubeClient, namespace: string): Promise<Obj[]> {
  const list = await client.list<Obj>(ferryRef('AppRevision', namespace));
  return list.items.sort((a, b) => a.spec.revision - b.spec.revision);
}

/** Applies a manifest as a person would with kubectl (its own field manager, not the operator's). */
export function userApply(client: KubeClient, object: KubeObject) {
  return client.request('PATCH', pathOf(object), {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'kubectl', force: true },
  });
}

/** The object's REST path, by the kind → plural table the client uses. */
const pathOf = (o: KubeObject) =>
  resourcePath({
    apiVersion: o.apiVersion!,
    kind: o.kind!,
    namespace: o.metadata?.namespace,
    name: o.metadata!.name,
  });
