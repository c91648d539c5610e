import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodSpec,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { Component, ConfigFile, EnvVar, Parameter, Volume } from '../api/index.js';
import { inferDependencies } from './capture-dependencies.js';
import { leftovers } from './capture-leftovers.js';
import { captureProbe, captureResources, captureStrategy } from './capture-settings.js';
import { upperSnake } from './names.js';

export type CapturedWorkload =
  (V1Deployment & { kind: 'Deployment' }) | (V1StatefulSet & { kind: 'StatefulSet' });

/** What runs in a namespace: the selected workloads and Services, and the objects they mount. */
export interface WorkloadObjects {
  namespace: string;
  workloads: CapturedWorkload[];
  services: V1Service[];
  configMaps: V1ConfigMap[];
  claims: V1PersistentVolumeClaim[];
  /** The workloads' pods: their container statuses pin images by digest. */
  pods: V1Pod[];
}

export interface Capture {
  components: Component[];
  parameters: Parameter[];
  /** What ran but is not in the template, one line each, naming the object. */
  uncaptured: string[];
  /** What was changed on the way, e.g. a dependency's host turned into $(DB_HOST). */
  notes: string[];
}

const DIGEST = /@(sha256:[a-f0-9]{64})$/;

/**
 * Turns workloads into template components: the first container of each Deployment/StatefulSet with
 * its ports, env (Secret references become secret parameters, values never copied), mounted ConfigMaps
 * (config files), PVCs and claim templates (volumes), probes, resources and rolling-update settings.
 * Dependencies are the `depends` given plus those inferred where an env value names another
 * component's Service; that host is rewritten to `$(<DEP>_HOST)`, which Ferry injects at the site.
 */
export function captureWorkloads(
  objects: WorkloadObjects,
  depends: Readonly<Record<string, readonly string[]>> = {},
): Capture {
  const out: Capture = { components: [], parameters: [], uncaptured: [], notes: [] };
  const secretParams = new Map<string, string>(); // "secret/key" -> parameter name
  const workloads = [...objects.workloads].sort((a, b) => name(a).localeCompare(name(b)));
  const servicesOf = new Map(workloads.map((w) => [name(w), matchingServices(w, objects.services)]));
  for (const svc of objects.services) {
    const at = `Service/${svc.metadata?.name}`;
    if (![...servicesOf.values()].some((list) => list.includes(svc)))
      out.uncaptured.push(`${at}: selects none of the captured workloads`);
    if (svc.spec?.type && svc.spec.type !== 'ClusterIP')
      out.uncaptured.push(`${at}: type ${svc.spec.type} (Ferry renders ClusterIP Services)`);
    for (const p of svc.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (typeof target === 'number' && target !== p.port)
        out.uncaptured.push(
          `${at}: port ${p.port} -> ${target} (Ferry's Service exposes the container port ${target})`,
        );
    }
  }
  for (const w of workloads) out.components.push(component(w, objects, out, secretParams));
  inferDependencies(out, objects.namespace, servicesOf, depends);
  return out;
}

const name = (w: CapturedWorkload) => w.metadata?.name ?? '';

function matchingServices(w: CapturedWorkload, services: readonly V1Service[]): V1Service[] {
  const labels = w.spec?.template.metadata?.labels ?? {};
  return services.filter((s) => {
    const selector = s.spec?.selector;
    return (
      selector && Object.keys(selector).length && Object.entries(selector).every(([k, v]) => labels[k] === v)
    );
  });
}

function component(
  w: CapturedWorkload,
  objects: WorkloadObjects,
  out: Capture,
  secretParams: Map<string, string>,
): Component {
  const at = `${w.kind}/${name(w)}`;
  const pod: V1PodSpec = w.spec!.template.spec!;
  const [main, ...others] = pod.containers;
  for (const c of others)
    out.uncaptured.push(`${at}: container ${c.name} (only the first container, ${main!.name}, is captured)`);
  for (const c of pod.initContainers ?? []) out.uncaptured.push(`${at}: init container ${c.name}`);
  const container = main!;
  const ports = (container.ports ?? []).map((p) => ({
    name: p.name ?? `port-${p.containerPort}`,
    port: p.containerPort,
    protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP',
  }));
  const result: Component = {
    name: name(w),
    workload: w.kind,
    image: pinnedImage(w, container, objects.pods, out, at),
    replicas: w.spec?.replicas ?? 1,
    ...(container.command ? { command: container.command } : {}),
    ...(container.args ? { args: container.args } : {}),
    ...(ports.length ? { ports } : {}),
  };
  const env = captureEnv(container, objects, out, secretParams, at, name(w));
  if (env.length) result.env = env;
  const { configFiles, volumes } = captureMounts(w, container, objects, out, at);
  if (configFiles.length) result.configFiles = configFiles;
  if (volumes.length) result.volumes = volumes;
  const resources = captureResources(container, out, at);
  if (resources) result.resources = resources;
  const readiness = captureProbe(container.readinessProbe, container, out, `${at} readinessProbe`);
  if (readiness) result.readinessProbe = readiness;
  const liveness = captureProbe(container.livenessProbe, container, out, `${at} livenessProbe`);
  if (liveness) result.livenessProbe = liveness;
  if (container.startupProbe)
    out.uncaptured.push(`${at}: startupProbe (templates have readiness and liveness probes)`);
  const rest = leftovers(pod, container, at);
  out.uncaptured.push(...rest.lines);
  if (rest.shutdownDelay !== undefined) result.shutdownDelaySeconds = rest.shutdownDelay;
  const strategy = captureStrategy(w, out, at);
  if (strategy) result.updateStrategy = strategy;
  return result;
}

function pinnedImage(
  w: CapturedWorkload,
  c: V1Container,
  pods: readonly V1Pod[],
  out: Capture,
  at: string,
): string {
  const image = c.image ?? '';
  if (DIGEST.test(image)) return image;
  const labels = w.spec?.selector.matchLabels ?? {};
  for (const pod of pods) {
    const podLabels = pod.metadata?.labels ?? {};
    if (!Object.entries(labels).every(([k, v]) => podLabels[k] === v)) continue;
    const status = pod.status?.containerStatuses?.find((s) => s.name === c.name && s.image === image);
    const digest = status?.imageID?.match(DIGEST)?.[1];
    if (digest) return `${image}@${digest}`;
  }
  out.notes.push(`${at}: image ${image} is not pinned by digest (no pod reports its digest); export pins it`);
  return image;
}

function captureEnv(
  c: V1Container,
  objects: WorkloadObjects,
  out: Capture,
  secretParams: Map<string, string>,
  at: string,
  componentName: string,
): EnvVar[] {
  const env: EnvVar[] = [];
  for (const ref of c.envFrom ?? []) {
    const cm =
      ref.configMapRef && objects.configMaps.find((m) => m.metadata?.name === ref.configMapRef!.name);
    if (cm)
      for (const [k, v] of Object.entries(cm.data ?? {}))
        env.push({ name: `${ref.prefix ?? ''}${k}`, value: v });
    else
      out.uncaptured.push(
        `${at}: envFrom ${ref.secretRef ? `Secret ${ref.secretRef.name}` : `ConfigMap ${ref.configMapRef?.name} (not found)`}`,
      );
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env.push({ name: e.name, value: e.value ?? '' });
      continue;
    }
    const secretRef = e.valueFrom.secretKeyRef;
    const cmRef = e.valueFrom.configMapKeyRef;
    if (secretRef) {
      const key = `${secretRef.name}/${secretRef.key}`;
      let param = secretParams.get(key);
      if (!param) {
        const base = e.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
        param = [...secretParams.values()].includes(base) ? `${upperSnake(componentName)}_${base}` : base;
        secretParams.set(key, param);
        out.parameters.push({
          name: param,
          description: `Secret value; in the namespace it was published from: Secret ${secretRef.name}, key ${secretRef.key}`,
          required: true,
          secret: true,
        });
      }
      env.push({ name: e.name, value: `\${params.${param}}` });
    } else if (cmRef) {
      const value = objects.configMaps.find((m) => m.metadata?.name === cmRef.name)?.data?.[cmRef.key];
      if (value !== undefined) env.push({ name: e.name, value });
      else
        out.uncaptured.push(`${at}: env ${e.name} from ConfigMap ${cmRef.name} key ${cmRef.key} (not found)`);
    } else {
      out.uncaptured.push(`${at}: env ${e.name} (fieldRef/resourceFieldRef values are not captured)`);
    }
  }
  return env;
}

function captureMounts(
  w: CapturedWorkload,
  c: V1Container,
  objects: WorkloadObjects,
  out: Capture,
  at: string,
): { configFiles: ConfigFile[]; volumes: Volume[] } {
  const configFiles: ConfigFile[] = [];
  const volumes: Volume[] = [];
  const podVolumes = w.spec!.template.spec!.volumes ?? [];
  const claimTemplates = w.kind === 'StatefulSet' ? (w.spec?.volumeClaimTemplates ?? []) : [];
  const addFile = (file: ConfigFile, cm: string) => {
    const taken = configFiles.some((f) => f.name === file.name);
    configFiles.push(taken ? { ...file, name: `${cm}-${file.name}` } : file);
  };
  for (const mount of c.volumeMounts ?? []) {
    const volume = podVolumes.find((v) => v.name === mount.name);
    const template = claimTemplates.find((t) => t.metadata?.name === mount.name);
    const claim = volume?.persistentVolumeClaim
      ? objects.claims.find((p) => p.metadata?.name === volume.persistentVolumeClaim!.claimName)
      : template;
    if (claim) {
      const spec = claim.spec ?? {};
      volumes.push({
        name: mount.name,
        mountPath: mount.mountPath,
        size: String(spec.resources?.requests?.storage ?? claim.status?.capacity?.storage ?? '1Gi'),
        accessModes: (spec.accessModes ?? ['ReadWriteOnce']) as Volume['accessModes'],
        ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
      });
    } else if (volume?.configMap) {
      const cmName = volume.configMap.name ?? '';
      const cm = objects.configMaps.find((m) => m.metadata?.name === cmName);
      if (!cm) {
        out.uncaptured.push(`${at}: volume ${mount.name} mounts ConfigMap ${cmName}, which does not exist`);
        continue;
      }
      for (const key of Object.keys(cm.binaryData ?? {}))
        out.uncaptured.push(`${at}: ConfigMap ${cmName} binaryData ${key} (config files are text)`);
      const items = volume.configMap.items ?? Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
      for (const item of items) {
        const content = cm.data?.[item.key];
        if (content === undefined) continue;
        if (mount.subPath !== undefined && mount.subPath !== item.path) continue;
        const mountPath =
          mount.subPath !== undefined
            ? mount.mountPath
            : `${mount.mountPath.replace(/\/$/, '')}/${item.path}`;
        addFile({ name: item.key, mountPath, content }, cmName);
      }
    } else if (volume?.persistentVolumeClaim) {
      out.uncaptured.push(
        `${at}: volume ${mount.name} mounts PVC ${volume.persistentVolumeClaim.claimName}, which does not exist`,
      );
    } else {
      const kind = volume ? (Object.keys(volume).find((k) => k !== 'name') ?? 'unknown') : 'unknown';
      out.uncaptured.push(
        `${at}: volume ${mount.name} at ${mount.mountPath} (${kind}; templates hold config files and PVCs)`,
      );
    }
  }
  return { configFiles, volumes };
}
