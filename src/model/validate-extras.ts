import type { Component, ComponentOverride } from '../api/index.js';
import { podPorts } from './ports.js';
import type { Problem } from './problems.js';

const names = (list: readonly { name: string }[] | undefined) => (list ?? []).map((i) => i.name);
const listed = (list: readonly string[]) => list.join(', ') || 'none';

function duplicateNames(list: readonly string[]): Map<string, number> {
  const seen = new Set<string>();
  const dups = new Map<string, number>();
  list.forEach((name, i) => {
    if (seen.has(name) && !dups.has(name)) dups.set(name, i);
    seen.add(name);
  });
  return dups;
}

/** Template checks of routes, external ports and init containers / sidecars that a schema cannot express. */
export function componentExtrasProblems(object: string, at: string, component: Component): Problem[] {
  const problems: Problem[] = [];
  const push = (field: string, message: string) =>
    problems.push({ object, field: `${at}.${field}`, message });
  const ports = names(podPorts(component));
  (component.routes ?? []).forEach((route, i) => {
    if (!ports.includes(route.port))
      push(`routes[${i}].port`, `no port named "${route.port}"; the component has: ${listed(ports)}`);
  });
  for (const [name, i] of duplicateNames(names(component.routes)))
    push(`routes[${i}].name`, `duplicate route name "${name}"`);
  if ((component.serviceType ?? 'ClusterIP') !== 'ClusterIP' && !podPorts(component).some((p) => p.external))
    push('serviceType', `${component.serviceType} publishes external ports, and no port has external: true`);

  const extras = [
    ...(component.initContainers ?? []).map((c, i) => ({ c, field: `initContainers[${i}]` })),
    ...(component.sidecars ?? []).map((c, i) => ({ c, field: `sidecars[${i}]` })),
  ];
  const containerNames = [component.name, ...extras.map((e) => e.c.name)];
  for (const [name, i] of duplicateNames(containerNames)) {
    push(
      `${extras[i - 1]!.field}.name`,
      `container name "${name}" is used twice in the pod (the main container is named after the component)`,
    );
  }
  problems.push(...sidecarPortProblems(object, at, component));
  (component.initContainers ?? []).forEach((c, i) => {
    for (const field of ['ports', 'readinessProbe', 'livenessProbe'] as const)
      if (c[field] !== undefined)
        push(
          `initContainers[${i}].${field}`,
          `an init container runs to completion before the pod serves; only sidecars and the main container take ${field}`,
        );
  });
  const volumes = names(component.volumes);
  const keys = new Map((component.configFiles ?? []).map((f) => [f.name, 'the main container']));
  for (const { c, field } of extras) {
    for (const [name, i] of duplicateNames(names(c.env)))
      push(`${field}.env[${i}].name`, `duplicate env name "${name}"`);
    for (const [name, i] of duplicateNames(names(c.configFiles)))
      push(`${field}.configFiles[${i}].name`, `duplicate config file name "${name}"`);
    (c.volumeMounts ?? []).forEach((m, i) => {
      if (!volumes.includes(m.volume))
        push(
          `${field}.volumeMounts[${i}].volume`,
          `no volume named "${m.volume}"; the component has: ${listed(volumes)}`,
        );
    });
    const mounts = [
      ...(c.configFiles ?? []).map((f) => f.mountPath),
      ...(c.volumeMounts ?? []).map((m) => m.mountPath),
    ];
    for (const [path] of duplicateNames(mounts)) push(field, `mountPath "${path}" is used twice`);
    (c.configFiles ?? []).forEach((f, i) => {
      const key = `${c.name}.${f.name}`;
      const other = keys.get(key);
      if (other)
        push(
          `${field}.configFiles[${i}].name`,
          `ConfigMap key "${key}" is also a config file of ${other}; rename one`,
        );
      keys.set(key, `container ${c.name}`);
    });
  }
  return problems;
}

/** Install checks of the site's routes, service, volumes and container overrides against the component. */
export function overrideExtrasProblems(
  object: string,
  at: string,
  override: ComponentOverride,
  component: Component,
): Problem[] {
  const problems: Problem[] = [];
  const push = (field: string, message: string) =>
    problems.push({ object, field: `${at}.${field}`, message });
  const has = (what: string, list: string[]) => `component "${component.name}" has ${what}: ${listed(list)}`;
  const routes = names(component.routes);
  (override.routes ?? []).forEach((r, i) => {
    if (!routes.includes(r.name)) push(`routes[${i}].name`, `no route "${r.name}"; ${has('routes', routes)}`);
  });
  const external = podPorts(component)
    .filter((p) => p.external)
    .map((p) => p.name);
  const type = override.service?.type ?? component.serviceType ?? 'ClusterIP';
  if (override.service?.type && type !== 'ClusterIP' && !external.length)
    push(
      'service.type',
      `${type} publishes external ports; ${has('no port with external: true, ports', names(podPorts(component)))}`,
    );
  (override.service?.nodePorts ?? []).forEach((n, i) => {
    if (!external.includes(n.port))
      push(
        `service.nodePorts[${i}].port`,
        `no external port "${n.port}"; ${has('external ports', external)}`,
      );
  });
  const volumes = names(component.volumes);
  (override.volumes ?? []).forEach((v, i) => {
    if (!volumes.includes(v.name))
      push(`volumes[${i}].name`, `no volume "${v.name}"; ${has('volumes', volumes)}`);
  });
  const containers = [...(component.initContainers ?? []), ...(component.sidecars ?? [])];
  (override.containers ?? []).forEach((c, i) => {
    const container = containers.find((x) => x.name === c.name);
    if (!container) {
      push(
        `containers[${i}].name`,
        `no init container or sidecar "${c.name}"; ${has('extra containers', names(containers))}`,
      );
      return;
    }
    const files = names(container.configFiles);
    (c.configFiles ?? []).forEach((f, j) => {
      if (!files.includes(f.name))
        push(
          `containers[${i}].configFiles[${j}].name`,
          `container "${c.name}" has no config file "${f.name}"; it has: ${listed(files)}`,
        );
    });
  });
  return problems;
}

/** Sidecar ports share the pod and its Services with the main container's: names and numbers once. */
function sidecarPortProblems(object: string, at: string, component: Component): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  const where = (c: string) => (c === component.name ? 'the main container' : `sidecar ${c}`);
  for (const p of component.ports ?? []) {
    seen.set(`name:${p.name}`, component.name);
    seen.set(`port:${p.port}/${p.protocol}`, component.name);
  }
  (component.sidecars ?? []).forEach((c, i) => {
    (c.ports ?? []).forEach((p, j) => {
      const field = `${at}.sidecars[${i}].ports[${j}]`;
      const byName = seen.get(`name:${p.name}`);
      if (byName !== undefined)
        problems.push({
          object,
          field: `${field}.name`,
          message: `port name "${p.name}" is also a port of ${where(byName)}`,
        });
      const byNumber = seen.get(`port:${p.port}/${p.protocol}`);
      if (byNumber !== undefined)
        problems.push({
          object,
          field: `${field}.port`,
          message: `port ${p.port}/${p.protocol} is also a port of ${where(byNumber)} (one pod, one network namespace)`,
        });
      seen.set(`name:${p.name}`, c.name);
      seen.set(`port:${p.port}/${p.protocol}`, c.name);
    });
  });
  return problems;
}
