import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PodSecurityContext,
  V1PodTemplateSpec,
  V1Probe,
  V1Secret,
  V1Service,
  V1StatefulSet,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type {
  AppTemplateSpec,
  Component,
  ComponentOverride,
  PodSecurityContext,
  Probe,
  Resources,
} from '../api/index.js';
import { GROUP_VERSION } from '../api/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import {
  ANNOTATION_CONFIG_CHECKSUM,
  ANNOTATION_VOLUME,
  commonLabels,
  configMapName,
  headlessServiceName,
  pvcName,
  secretName,
  selectorLabels,
  serviceName,
  upperSnake,
  workloadName,
} from './names.js';
import { parameterReferences, substituteParameters } from './params.js';

export interface InstallRef {
  name: string;
  namespace: string;
  uid: string;
}

export interface RenderInput {
  install: InstallRef;
  /** The effective spec: the template with preserved site values merged in. */
  spec: AppTemplateSpec;
  revision: number;
  /** Resolved parameter values, defaults included. */
  parameters: ReadonlyMap<string, string>;
  overrides?: readonly ComponentOverride[];
}

export type RenderedObject =
  V1ConfigMap | V1Secret | V1PersistentVolumeClaim | V1Service | V1Deployment | V1StatefulSet;

export interface RenderedComponent {
  name: string;
  /** In apply order: config, storage, services, then the workload. */
  objects: RenderedObject[];
}

interface ComponentContext {
  input: RenderInput;
  component: Component;
  override: ComponentOverride | undefined;
  secretParameters: ReadonlySet<string>;
  labels: Record<string, string>;
  ownerReferences: V1OwnerReference[];
}

/** Renders every component of the effective spec into its Kubernetes objects. Pure and deterministic. */
export function render(input: RenderInput): RenderedComponent[] {
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
  return input.spec.components.map((component) => {
    const context: ComponentContext = {
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
    return { name: component.name, objects: renderComponent(context) };
  });
}

function renderComponent(ctx: ComponentContext): RenderedObject[] {
  const files = configFiles(ctx);
  const envVars = environment(ctx);
  const configData = Object.fromEntries(files.filter((f) => !f.secret).map((f) => [f.name, f.content]));
  const secretData: Record<string, string> = {
    ...Object.fromEntries(files.filter((f) => f.secret).map((f) => [`file.${f.name}`, f.content])),
    ...Object.fromEntries(envVars.filter((e) => e.secret).map((e) => [`env.${e.name}`, e.value])),
  };
  const objects: RenderedObject[] = [];
  if (Object.keys(configData).length) objects.push(configMap(ctx, configData));
  if (Object.keys(secretData).length) objects.push(secret(ctx, secretData));
  objects.push(...(ctx.component.volumes ?? []).map((v) => persistentVolumeClaim(ctx, v)));
  if (ctx.component.ports?.length) objects.push(service(ctx, false));
  if (ctx.component.workload === 'StatefulSet') objects.push(service(ctx, true));
  const checksum = sha256Hex(canonicalJson({ configData, secretData }));
  objects.push(workload(ctx, podTemplate(ctx, files, envVars, checksum)));
  return objects;
}

function metadata(ctx: ComponentContext, name: string, owned = true) {
  return {
    name,
    namespace: ctx.input.install.namespace,
    labels: ctx.labels,
    ...(owned ? { ownerReferences: ctx.ownerReferences } : {}),
  };
}

const usesSecret = (ctx: ComponentContext, text: string) =>
  parameterReferences(text).some((name) => ctx.secretParameters.has(name));

interface RenderedFile {
  name: string;
  mountPath: string;
  content: string;
  secret: boolean;
}

function configFiles(ctx: ComponentContext): RenderedFile[] {
  return (ctx.component.configFiles ?? []).map((file) => {
    const text = ctx.override?.configFiles?.find((f) => f.name === file.name)?.content ?? file.content;
    return {
      name: file.name,
      mountPath: file.mountPath,
      content: substituteParameters(text, ctx.input.parameters),
      secret: usesSecret(ctx, text),
    };
  });
}

interface RenderedEnv {
  name: string;
  value: string;
  secret: boolean;
}

/** Injected dependency addresses, then template values, then site overrides; later wins. */
function environment(ctx: ComponentContext): RenderedEnv[] {
  const { install, spec } = ctx.input;
  const merged = new Map<string, string>();
  for (const dep of ctx.component.dependsOn ?? []) {
    const target = spec.components.find((c) => c.name === dep);
    const port = target?.ports?.[0];
    if (!port) continue; // a dependency without ports orders the rollout but has no address
    merged.set(`${upperSnake(dep)}_HOST`, `${serviceName(install.name, dep)}.${install.namespace}.svc`);
    merged.set(`${upperSnake(dep)}_PORT`, String(port.port));
  }
  for (const env of ctx.component.env ?? []) merged.set(env.name, env.value);
  for (const env of ctx.override?.env ?? []) merged.set(env.name, env.value);
  return [...merged].map(([name, text]) => ({
    name,
    value: substituteParameters(text, ctx.input.parameters),
    secret: usesSecret(ctx, text),
  }));
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

function persistentVolumeClaim(ctx: ComponentContext, volume: NonNullable<Component['volumes']>[number]) {
  const name = pvcName(ctx.input.install.name, ctx.component.name, volume.name);
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    // No owner reference: garbage collection must never take data (DESIGN §3 rule 2).
    metadata: { ...metadata(ctx, name, false), annotations: { [ANNOTATION_VOLUME]: volume.name } },
    spec: {
      accessModes: volume.accessModes,
      resources: { requests: { storage: volume.size } },
      ...(volume.storageClassName ? { storageClassName: volume.storageClassName } : {}),
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
      ports: (ctx.component.ports ?? []).map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: p.protocol,
      })),
    },
  };
}

function podTemplate(
  ctx: ComponentContext,
  files: RenderedFile[],
  envVars: RenderedEnv[],
  checksum: string,
): V1PodTemplateSpec {
  const { install } = ctx.input;
  const component = ctx.component;
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  if (files.some((f) => !f.secret)) {
    volumes.push({ name: 'config', configMap: { name: configMapName(install.name, component.name) } });
  }
  if (files.some((f) => f.secret)) {
    volumes.push({ name: 'secret-config', secret: { secretName: secretName(install.name, component.name) } });
  }
  for (const f of files) {
    const source = f.secret ? 'secret-config' : 'config';
    mounts.push({
      name: source,
      mountPath: f.mountPath,
      subPath: f.secret ? `file.${f.name}` : f.name,
      readOnly: true,
    });
  }
  for (const v of component.volumes ?? []) {
    volumes.push({
      name: `data-${v.name}`,
      persistentVolumeClaim: { claimName: pvcName(install.name, component.name, v.name) },
    });
    mounts.push({ name: `data-${v.name}`, mountPath: v.mountPath });
  }
  const env: V1EnvVar[] = envVars.map((e) =>
    e.secret
      ? {
          name: e.name,
          valueFrom: {
            secretKeyRef: { name: secretName(install.name, component.name), key: `env.${e.name}` },
          },
        }
      : { name: e.name, value: e.value },
  );
  const resources = ctx.override?.resources ?? component.resources;
  const delay = shutdownDelay(component);
  const container: V1Container = {
    name: component.name,
    image: component.image,
    imagePullPolicy: 'IfNotPresent',
    ...(component.command
      ? { command: component.command.map((c) => substituteParameters(c, ctx.input.parameters)) }
      : {}),
    ...(component.args
      ? { args: component.args.map((a) => substituteParameters(a, ctx.input.parameters)) }
      : {}),
    ...(component.ports?.length
      ? { ports: component.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) }
      : {}),
    ...(env.length ? { env } : {}),
    ...(resources ? { resources: containerResources(resources) } : {}),
    ...(component.readinessProbe ? { readinessProbe: probe(component.readinessProbe) } : {}),
    ...(component.livenessProbe ? { livenessProbe: probe(component.livenessProbe) } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    ...(delay ? { lifecycle: { preStop: { sleep: { seconds: delay } } } } : {}),
  };
  return {
    metadata: {
      labels: {
        ...selectorLabels(install.name, component.name),
        'app.kubernetes.io/name': component.name,
        'app.kubernetes.io/instance': install.name,
        'app.kubernetes.io/part-of': ctx.input.spec.app,
      },
      annotations: { [ANNOTATION_CONFIG_CHECKSUM]: checksum },
    },
    spec: {
      enableServiceLinks: false,
      ...(component.securityContext
        ? { securityContext: podSecurityContext(component.securityContext) }
        : {}),
      containers: [container],
      ...(volumes.length ? { volumes } : {}),
      // The grace period counts the preStop sleep: leave the app its usual 30 s after it.
      ...(delay > 0 ? { terminationGracePeriodSeconds: delay + 30 } : {}),
    },
  };
}

/** Only the fields the template sets, so an unset one stays the image's (or the cluster's) choice. */
function podSecurityContext(context: PodSecurityContext): V1PodSecurityContext {
  return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
}

function containerResources(resources: Resources) {
  const pick = (list: Resources['requests']) =>
    list ? Object.fromEntries(Object.entries(list).filter(([, v]) => v !== undefined)) : undefined;
  const requests = pick(resources.requests);
  const limits = pick(resources.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function probe(p: Probe): V1Probe {
  return {
    ...(p.httpGet ? { httpGet: { path: p.httpGet.path, port: p.httpGet.port } } : {}),
    ...(p.tcpSocket ? { tcpSocket: { port: p.tcpSocket.port } } : {}),
    ...(p.exec ? { exec: { command: p.exec.command } } : {}),
    ...(p.initialDelaySeconds !== undefined ? { initialDelaySeconds: p.initialDelaySeconds } : {}),
    ...(p.periodSeconds !== undefined ? { periodSeconds: p.periodSeconds } : {}),
    ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
    ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}),
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

/**
 * Endpoints of a stopping pod are removed while it is already being stopped; until every node's
 * proxy has caught up, requests still reach it. A short preStop sleep keeps it serving meanwhile, so
 * a rolling update drops no request.
 */
export const DEFAULT_SHUTDOWN_DELAY_SECONDS = 5;
const shutdownDelay = (component: Component) =>
  component.shutdownDelaySeconds ?? (component.ports?.length ? DEFAULT_SHUTDOWN_DELAY_SECONDS : 0);
