import type { AppInstall, ComponentOverride } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError } from '../../kube/client.js';
import {
  LABEL_COMPONENT,
  LABEL_INSTALL,
  LABEL_PARAMETER_SECRET,
  configMapName,
  externalServiceName,
  headlessServiceName,
  secretName,
  serviceName,
  workloadName,
} from '../../model/names.js';
import { resolveParameterValues } from '../../model/params.js';
import type { RenderInput, RenderedComponent, RenderedObject } from '../../model/render.js';
import { render } from '../../model/render.js';
import { GATEWAY_API_VERSION, INGRESS_API_VERSION } from '../../model/render-access.js';
import type { RevisionContent } from '../../model/snapshot.js';
import type { ControllerContext, Workload } from '../context.js';
import { StallingError, WaitingError } from '../errors.js';
import { Reason } from '../../api/index.js';

/**
 * Parameter values for rendering a revision: values it recorded, Secret references read now, and for
 * secret values given in plain (never stored in revisions) the install's current value.
 */
export async function resolveParameters(
  ctx: ControllerContext,
  install: AppInstall,
  content: RevisionContent,
): Promise<Map<string, string>> {
  const namespace = install.metadata.namespace!;
  const provided = new Map<string, string>();
  for (const p of content.parameters) {
    if ('redacted' in p) {
      const current = install.spec.parameters?.find((c) => c.name === p.name)?.value;
      if (current !== undefined) provided.set(p.name, current);
    } else if (p.value !== undefined) {
      provided.set(p.name, p.value);
    } else if (p.valueFrom) {
      provided.set(p.name, await readSecretKey(ctx, namespace, p.name, p.valueFrom.secretKeyRef));
    }
  }
  return resolveParameterValues(content.effective.parameters ?? [], provided);
}

/** Reads every Secret the install's parameters refer to, so a change never starts without them. */
export async function checkParameterSecrets(ctx: ControllerContext, install: AppInstall): Promise<void> {
  for (const p of install.spec.parameters ?? []) {
    if (p.valueFrom) await readSecretKey(ctx, install.metadata.namespace!, p.name, p.valueFrom.secretKeyRef);
  }
}

/** A change never starts while a pull Secret the install names is missing: its pods could not pull. */
export async function checkPullSecrets(ctx: ControllerContext, install: AppInstall): Promise<void> {
  const namespace = install.metadata.namespace!;
  for (const [i, { name }] of (install.spec.imagePullSecrets ?? []).entries()) {
    if (!(await ctx.client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name }))) {
      throw new WaitingError(
        Reason.ImagePullSecretNotFound,
        `spec.imagePullSecrets[${i}]: Secret ${namespace}/${name} not found (ferry import --pull-secret ${name} creates it)`,
        15_000,
      );
    }
  }
}

async function readSecretKey(
  ctx: ControllerContext,
  namespace: string,
  parameter: string,
  ref: { name: string; key: string },
): Promise<string> {
  const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace,
    name: ref.name,
  });
  const where = `spec.parameters[${parameter}].valueFrom.secretKeyRef`;
  if (!secret) {
    throw new WaitingError(
      Reason.ParameterSecretNotFound,
      `${where}: Secret ${namespace}/${ref.name} not found`,
      15_000,
    );
  }
  const encoded = secret.data?.[ref.key];
  if (encoded === undefined) {
    throw new WaitingError(
      Reason.ParameterSecretNotFound,
      `${where}: Secret ${namespace}/${ref.name} has no key "${ref.key}"`,
      15_000,
    );
  }
  if (secret.metadata?.labels?.[LABEL_PARAMETER_SECRET] !== 'true') {
    // Marks it for the operator's Secret watch (which selects this label), so a rotation is seen.
    await ctx.client.mergePatch(
      { apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name },
      { metadata: { labels: { [LABEL_PARAMETER_SECRET]: 'true' } } },
    );
  }
  return Buffer.from(encoded, 'base64').toString('utf8');
}

export function renderInput(
  install: AppInstall,
  revision: number,
  content: RevisionContent,
  parameters: Map<string, string>,
): RenderInput {
  return {
    install: {
      name: install.metadata.name,
      namespace: install.metadata.namespace!,
      uid: install.metadata.uid!,
    },
    spec: content.effective,
    revision,
    parameters,
    overrides: content.overrides as ComponentOverride[],
    imagePullSecrets: content.imagePullSecrets,
    secretSourced: new Set(
      content.parameters.flatMap((p) => ('valueFrom' in p && p.valueFrom ? [p.name] : [])),
    ),
  };
}

export function renderRevision(
  install: AppInstall,
  revision: number,
  content: RevisionContent,
  parameters: Map<string, string>,
): Map<string, RenderedComponent> {
  const components = render(renderInput(install, revision, content, parameters));
  return new Map(components.map((c) => [c.name, c]));
}

const ROUTE_KINDS = new Set(['Ingress', 'HTTPRoute']);

/** What a component's pods read when they start: applied before the workload. */
const POD_INPUTS = new Set(['ConfigMap', 'Secret', 'PersistentVolumeClaim']);

/**
 * Applies a component's objects and returns the applied workload: first what its pods read
 * (ConfigMaps, Secrets, PVCs), then the workload with its Services and routes — each group's
 * requests at once, so a component costs two round trips, not one per object. A route whose API the
 * cluster does not serve is left out (the install status says so; it is applied once the API
 * appears); Services and routes the component no longer renders are deleted.
 */
export async function applyComponent(
  ctx: ControllerContext,
  component: RenderedComponent,
): Promise<Workload> {
  let workload: Workload | undefined;
  const applyOne = async (object: RenderedComponent['objects'][number]) => {
    if (ROUTE_KINDS.has(object.kind!) && !(await ctx.apis.serves(object.apiVersion!, object.kind!))) return;
    try {
      const applied = await ctx.client.apply(object as KubeObject);
      if (object.kind === 'Deployment' || object.kind === 'StatefulSet') workload = applied as Workload;
    } catch (error) {
      if (error instanceof KubeApiError && (error.invalid || error.status === 400)) {
        throw new StallingError(
          Reason.InvalidSpec,
          `${object.kind} ${object.metadata?.name} of component ${component.name} was refused by the API server: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  };
  const inputs = component.objects.filter((o) => POD_INPUTS.has(o.kind!));
  const rest = component.objects.filter((o) => !POD_INPUTS.has(o.kind!));
  for (const group of [inputs, rest]) {
    // all of a group settle before an error is thrown: no request is left running unawaited
    const results = await Promise.allSettled(group.map(applyOne));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  await deleteOtherWorkloadKind(ctx, workload!);
  const labels = workload!.metadata!.labels!;
  await deleteUnrendered(
    ctx,
    workload!.metadata!.namespace!,
    labels[LABEL_INSTALL]!,
    labels[LABEL_COMPONENT]!,
    component.objects,
  );
  return workload!;
}

/**
 * Deletes the component's Services, Ingresses and HTTPRoutes (found by label) not in `keep`: a route
 * dropped or moved to the other kind, the external Service of a component back to ClusterIP.
 */
async function deleteUnrendered(
  ctx: ControllerContext,
  namespace: string,
  install: string,
  component: string,
  keep: readonly RenderedObject[] = [],
): Promise<void> {
  const labelSelector = `${LABEL_INSTALL}=${install},${LABEL_COMPONENT}=${component}`;
  const kinds = [
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: INGRESS_API_VERSION, kind: 'Ingress' },
    { apiVersion: GATEWAY_API_VERSION, kind: 'HTTPRoute' },
  ];
  for (const ref of kinds) {
    if (ref.kind !== 'Service' && !(await ctx.apis.serves(ref.apiVersion, ref.kind))) continue;
    const rendered = new Set(keep.filter((o) => o.kind === ref.kind).map((o) => o.metadata!.name));
    const existing = await ctx.client.list<KubeObject>({ ...ref, namespace }, { labelSelector });
    for (const object of existing.items) {
      const name = object.metadata!.name!;
      if (!rendered.has(name)) await ctx.client.delete({ ...ref, namespace, name });
    }
  }
}

/** A component whose workload kind changed between versions must not keep its old workload running. */
async function deleteOtherWorkloadKind(ctx: ControllerContext, workload: Workload): Promise<void> {
  const other = workload.kind === 'Deployment' ? 'StatefulSet' : 'Deployment';
  const informer = other === 'Deployment' ? ctx.informers.deployments : ctx.informers.statefulsets;
  const key = `${workload.metadata!.namespace}/${workload.metadata!.name}`;
  if (informer.get(key)) {
    await ctx.client.delete({
      apiVersion: 'apps/v1',
      kind: other,
      namespace: workload.metadata!.namespace,
      name: workload.metadata!.name,
    });
  }
}

/** Deletes a component's objects except its PVCs (data is never deleted implicitly). */
export async function deleteComponent(
  ctx: ControllerContext,
  namespace: string,
  install: string,
  component: string,
): Promise<void> {
  const refs = [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: workloadName(install, component) },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', name: workloadName(install, component) },
    { apiVersion: 'v1', kind: 'Service', name: serviceName(install, component) },
    { apiVersion: 'v1', kind: 'Service', name: headlessServiceName(install, component) },
    { apiVersion: 'v1', kind: 'Service', name: externalServiceName(install, component) },
    { apiVersion: 'v1', kind: 'ConfigMap', name: configMapName(install, component) },
    { apiVersion: 'v1', kind: 'Secret', name: secretName(install, component) },
  ];
  for (const ref of refs) await ctx.client.delete({ ...ref, namespace });
  await deleteUnrendered(ctx, namespace, install, component);
}
