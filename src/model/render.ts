import type {
  V1ConfigMap,
  V1Deployment,
  V1Ingress,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PodTemplateSpec,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { Component } from '../api/index.js';
import { GROUP_VERSION } from '../api/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import {
  ANNOTATION_PARAMETERS_CHECKSUM,
  ANNOTATION_PARAMETER_CHECKSUMS,
  ANNOTATION_VOLUME,
  commonLabels,
  configMapName,
  headlessServiceName,
  pvcName,
  secretName,
  selectorLabels,
  serviceName,
  workloadName,
} from './names.js';
import type { HttpRoute } from './render-access.js';
import { externalService, routes } from './render-access.js';
import { configFiles, containerConfigs, environment, parameterSecretsChecksums } from './render-config.js';
import type { ComponentContext, RenderInput } from './render-context.js';
import { metadata } from './render-context.js';
import { podPorts } from './ports.js';
import { podTemplate } from './render-pod.js';

export type { InstallRef, RenderInput } from './render-context.js';
export type { HttpRoute } from './render-access.js';
export { DEFAULT_SHUTDOWN_DELAY_SECONDS } from './render-pod.js';

export type RenderedObject =
  | V1ConfigMap
  | V1Secret
  | V1PersistentVolumeClaim
  | V1Service
  | V1Deployment
  | V1StatefulSet
  | V1Ingress
  | HttpRoute;

export interface RenderedComponent {
  name: string;
  /** In apply order: config, storage, services, routes, then the workload. */
  objects: RenderedObject[];
}

/** Renders every component of the effective spec into its Kubernetes objects. Pure and deterministic. */
export function render(input: RenderInput): RenderedComponent[] {
  return input.spec.components.map((component) => ({
    name: component.name,
    objects: renderComponent(componentContext(input, component)),
  }));
}

/** What rendering one component (or a hook in its environment) needs to know. */
export function componentContext(input: RenderInput, component: Component): ComponentContext {
  const secretParameters = new Set((input.spec.parameters ?? []).filter((p) => p.secret).map((p) => p.name));
  const ownerReferences: V1OwnerReference[] = [
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppInstall',
      name: input.install.name,
      uid: input.install.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  return {
    input,
    component,
    override: input.overrides?.find((o) => o.component === component.name),
    secretParameters,
    labels: commonLabels({
      install: input.install.name,
      app: input.spec.app,
      component: component.name,
      version: input.spec.version,
      revision: input.revision,
    }),
    ownerReferences,
  };
}

function renderComponent(ctx: ComponentContext): RenderedObject[] {
  const configs = containerConfigs(ctx);
  const files = configs.flatMap((c) => configFiles(ctx, c));
  const envVars = configs.flatMap((c) => environment(ctx, c));
  const configData = Object.fromEntries(files.filter((f) => !f.secret).map((f) => [f.key, f.content]));
  const secretData: Record<string, string> = {
    ...Object.fromEntries(files.filter((f) => f.secret).map((f) => [`file.${f.key}`, f.content])),
    ...Object.fromEntries(envVars.filter((e) => e.secret).map((e) => [`env.${e.key}`, e.value])),
  };
  const objects: RenderedObject[] = [];
  if (Object.keys(configData).length) objects.push(configMap(ctx, configData));
  if (Object.keys(secretData).length) objects.push(secret(ctx, secretData));
  objects.push(...(ctx.component.volumes ?? []).map((v) => persistentVolumeClaim(ctx, v)));
  if (podPorts(ctx.component).length) objects.push(service(ctx, false));
  if (ctx.component.workload === 'StatefulSet') objects.push(service(ctx, true));
  const external = externalService(ctx);
  if (external) objects.push(external);
  objects.push(...routes(ctx));
  const checksum = sha256Hex(canonicalJson({ configData, secretData }));
  const applied = workload(ctx, podTemplate(ctx, files, envVars, checksum));
  const secrets = parameterSecretsChecksums(ctx, configs);
  if (secrets)
    applied.metadata!.annotations = {
      [ANNOTATION_PARAMETERS_CHECKSUM]: secrets.all,
      [ANNOTATION_PARAMETER_CHECKSUMS]: canonicalJson(secrets.each),
    };
  objects.push(applied);
  return objects;
}

function configMap(ctx: ComponentContext, data: Record<string, string>): V1ConfigMap {
  const name = configMapName(ctx.input.install.name, ctx.component.name);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(ctx, name), data };
}

function secret(ctx: ComponentContext, data: Record<string, string>): V1Secret {
  const name = secretName(ctx.input.install.name, ctx.component.name);
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: metadata(ctx, name), type: 'Opaque', data: encoded };
}

/** The template's volume with the site's size and storage class (overrides[].volumes). */
function persistentVolumeClaim(ctx: ComponentContext, volume: NonNullable<Component['volumes']>[number]) {
  const name = pvcName(ctx.input.install.name, ctx.component.name, volume.name);
  const site = ctx.override?.volumes?.find((v) => v.name === volume.name);
  const storageClassName = site?.storageClassName ?? volume.storageClassName;
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    // No owner reference: garbage collection must never take data (DESIGN §3 rule 2).
    metadata: { ...metadata(ctx, name, false), annotations: { [ANNOTATION_VOLUME]: volume.name } },
    spec: {
      accessModes: volume.accessModes,
      resources: { requests: { storage: site?.size ?? volume.size } },
      ...(storageClassName ? { storageClassName } : {}),
    },
  };
  return pvc;
}

function service(ctx: ComponentContext, headless: boolean): V1Service {
  const { install } = ctx.input;
  const name = headless
    ? headlessServiceName(install.name, ctx.component.name)
    : serviceName(install.name, ctx.component.name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(ctx, name),
    spec: {
      type: 'ClusterIP',
      ...(headless ? { clusterIP: 'None', publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(install.name, ctx.component.name),
      ports: podPorts(ctx.component).map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: p.protocol,
      })),
    },
  };
}

/** Components with a ReadWriteOnce volume roll one pod at a time with no surge: two pods cannot share it. */
function rollingUpdate(component: Component) {
  const exclusiveVolume = (component.volumes ?? []).some((v) =>
    v.accessModes.some((m) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod'),
  );
  const defaults = exclusiveVolume
    ? { maxSurge: 0, maxUnavailable: 1 }
    : { maxSurge: '25%', maxUnavailable: '25%' };
  return {
    maxSurge: component.updateStrategy?.maxSurge ?? defaults.maxSurge,
    maxUnavailable: component.updateStrategy?.maxUnavailable ?? defaults.maxUnavailable,
  };
}

function workload(ctx: ComponentContext, template: V1PodTemplateSpec): V1Deployment | V1StatefulSet {
  const { install } = ctx.input;
  const component = ctx.component;
  const name = workloadName(install.name, component.name);
  const replicas = ctx.override?.replicas ?? component.replicas;
  const selector = { matchLabels: selectorLabels(install.name, component.name) };
  if (component.workload === 'StatefulSet') {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: metadata(ctx, name),
      spec: {
        replicas,
        selector,
        serviceName: headlessServiceName(install.name, component.name),
        updateStrategy: { type: 'RollingUpdate' },
        template,
      },
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(ctx, name),
    spec: {
      replicas,
      selector,
      strategy: { type: 'RollingUpdate', rollingUpdate: rollingUpdate(component) },
      template,
    },
  };
}
