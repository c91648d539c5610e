import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1PodAffinityTerm,
  V1PodTemplateSpec,
  V1Probe,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Affinity, Component, ExtraContainer, Probe, Resources } from '../api/index.js';
import { ANNOTATION_CONFIG_CHECKSUM, configMapName, pvcName, secretName, selectorLabels } from './names.js';
import { substituteParameters } from './params.js';
import { podPorts } from './ports.js';
import type { RenderedEnv, RenderedFile } from './render-config.js';
import type { ComponentContext } from './render-context.js';
import { containerSecurityContext, podSecurityContext } from './security.js';

/**
 * Endpoints of a stopping pod are removed while it is already being stopped; until every node's
 * proxy has caught up, requests still reach it. A short preStop sleep keeps it serving meanwhile, so
 * a rolling update drops no request.
 */
export const DEFAULT_SHUTDOWN_DELAY_SECONDS = 5;
const shutdownDelay = (component: Component) =>
  component.shutdownDelaySeconds ?? (podPorts(component).length ? DEFAULT_SHUTDOWN_DELAY_SECONDS : 0);

export function podTemplate(
  ctx: ComponentContext,
  files: RenderedFile[],
  envVars: RenderedEnv[],
  checksum: string,
): V1PodTemplateSpec {
  const { install } = ctx.input;
  const component = ctx.component;
  const volumes: V1Volume[] = [];
  if (files.some((f) => !f.secret)) {
    volumes.push({ name: 'config', configMap: { name: configMapName(install.name, component.name) } });
  }
  if (files.some((f) => f.secret)) {
    volumes.push({ name: 'secret-config', secret: { secretName: secretName(install.name, component.name) } });
  }
  for (const v of component.volumes ?? []) {
    volumes.push({
      name: `data-${v.name}`,
      persistentVolumeClaim: { claimName: pvcName(install.name, component.name, v.name) },
    });
  }
  const delay = shutdownDelay(component);
  const main: V1Container = {
    ...container(ctx, component.name, component, files, envVars),
    ...served(component),
    ...(delay ? { lifecycle: { preStop: { sleep: { seconds: delay } } } } : {}),
  };
  const extra = (c: ExtraContainer, sidecar: boolean): V1Container => ({
    ...container(ctx, c.name, c, files, envVars),
    ...(sidecar ? { restartPolicy: 'Always', ...served(c) } : {}),
  });
  // Native sidecars are init containers with restartPolicy Always: listed first, they run before the
  // init containers and the main container start, and stop after the main container.
  const initContainers = [
    ...(component.sidecars ?? []).map((c) => extra(c, true)),
    ...(component.initContainers ?? []).map((c) => extra(c, false)),
  ];
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
      securityContext: podSecurityContext(component.securityContext),
      ...scheduling(ctx),
      ...(ctx.input.imagePullSecrets?.length
        ? { imagePullSecrets: ctx.input.imagePullSecrets.map((name) => ({ name })) }
        : {}),
      ...(initContainers.length ? { initContainers } : {}),
      containers: [main],
      ...(volumes.length ? { volumes } : {}),
      // The grace period counts the preStop sleep: leave the app its usual 30 s after it.
      ...(delay > 0 ? { terminationGracePeriodSeconds: delay + 30 } : {}),
    },
  };
}

interface ContainerSource {
  image: string;
  command?: string[];
  args?: string[];
  resources?: Resources;
  volumes?: Component['volumes'];
  volumeMounts?: ExtraContainer['volumeMounts'];
}

/** What every container has: image, command, env, config file and volume mounts, resources, security. */
export function container(
  ctx: ComponentContext,
  name: string,
  source: ContainerSource,
  files: RenderedFile[],
  envVars: RenderedEnv[],
): V1Container {
  const { install, parameters } = ctx.input;
  const component = ctx.component;
  const main = name === component.name;
  const mounts: V1VolumeMount[] = files
    .filter((f) => f.container === name)
    .map((f) => ({
      name: f.secret ? 'secret-config' : 'config',
      mountPath: f.mountPath,
      subPath: f.secret ? `file.${f.key}` : f.key,
      readOnly: true,
    }));
  for (const v of source.volumes ?? []) mounts.push({ name: `data-${v.name}`, mountPath: v.mountPath });
  for (const m of source.volumeMounts ?? []) {
    mounts.push({
      name: `data-${m.volume}`,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true } : {}),
    });
  }
  const env: V1EnvVar[] = envVars
    .filter((e) => e.container === name)
    .map((e) =>
      e.secret
        ? {
            name: e.name,
            valueFrom: {
              secretKeyRef: { name: secretName(install.name, component.name), key: `env.${e.key}` },
            },
          }
        : { name: e.name, value: e.value },
    );
  const site = main
    ? ctx.override?.resources
    : ctx.override?.containers?.find((c) => c.name === name)?.resources;
  const resources = site ?? source.resources;
  return {
    name,
    image: source.image,
    imagePullPolicy: 'IfNotPresent',
    ...(source.command ? { command: source.command.map((c) => substituteParameters(c, parameters)) } : {}),
    ...(source.args ? { args: source.args.map((a) => substituteParameters(a, parameters)) } : {}),
    ...(env.length ? { env } : {}),
    ...(resources ? { resources: containerResources(resources) } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    securityContext: containerSecurityContext(component.securityContext),
  };
}

/** The site's scheduling rules; a pod term or spread without labelSelector means this component's pods. */
function scheduling(ctx: ComponentContext) {
  const o = ctx.override;
  const own = { matchLabels: selectorLabels(ctx.input.install.name, ctx.component.name) };
  return {
    ...(o?.nodeSelector && Object.keys(o.nodeSelector).length ? { nodeSelector: o.nodeSelector } : {}),
    ...(o?.tolerations?.length ? { tolerations: o.tolerations } : {}),
    ...(o?.affinity ? { affinity: affinity(o.affinity, own) } : {}),
    ...(o?.topologySpreadConstraints?.length
      ? {
          topologySpreadConstraints: o.topologySpreadConstraints.map((t): V1TopologySpreadConstraint => ({
            ...t,
            labelSelector: t.labelSelector ?? own,
          })),
        }
      : {}),
  };
}

function affinity(a: Affinity, own: { matchLabels: Record<string, string> }): V1Affinity {
  const term = (t: V1PodAffinityTerm): V1PodAffinityTerm => ({ ...t, labelSelector: t.labelSelector ?? own });
  const pods = (p: Affinity['podAffinity']) =>
    p && {
      ...(p.requiredDuringSchedulingIgnoredDuringExecution
        ? {
            requiredDuringSchedulingIgnoredDuringExecution:
              p.requiredDuringSchedulingIgnoredDuringExecution.map(term),
          }
        : {}),
      ...(p.preferredDuringSchedulingIgnoredDuringExecution
        ? {
            preferredDuringSchedulingIgnoredDuringExecution:
              p.preferredDuringSchedulingIgnoredDuringExecution.map((w) => ({
                weight: w.weight,
                podAffinityTerm: term(w.podAffinityTerm),
              })),
          }
        : {}),
    };
  return {
    ...(a.nodeAffinity ? { nodeAffinity: a.nodeAffinity } : {}),
    ...(a.podAffinity ? { podAffinity: pods(a.podAffinity) } : {}),
    ...(a.podAntiAffinity ? { podAntiAffinity: pods(a.podAntiAffinity) } : {}),
  };
}

export function containerResources(resources: Resources) {
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

/** A container's ports and probes (the main container's, or a sidecar's). */
function served(c: Pick<Component, 'ports' | 'readinessProbe' | 'livenessProbe'>): Partial<V1Container> {
  return {
    ...(c.ports?.length
      ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) }
      : {}),
    ...(c.readinessProbe ? { readinessProbe: probe(c.readinessProbe) } : {}),
    ...(c.livenessProbe ? { livenessProbe: probe(c.livenessProbe) } : {}),
  };
}
