import type { V1Service } from '@kubernetes/client-node';
import type { Component } from '../api/index.js';
import { upperSnake } from './names.js';

/**
 * Adds `depends` and the dependencies env values reveal: a value naming another component's Service
 * (name, name.ns, name.ns.svc, name.ns.svc.cluster.local) depends on it, and that host becomes
 * `$(<DEP>_HOST)`, the variable Ferry injects at the site (Kubernetes expands it in env values).
 */
export function inferDependencies(
  out: { components: Component[]; notes: string[] },
  namespace: string,
  servicesOf: ReadonlyMap<string, V1Service[]>,
  depends: Readonly<Record<string, readonly string[]>>,
): void {
  const hosts = out.components.flatMap((target) =>
    (servicesOf.get(target.name) ?? []).flatMap((svc) => {
      const n = svc.metadata!.name!;
      return [`${n}.${namespace}.svc.cluster.local`, `${n}.${namespace}.svc`, `${n}.${namespace}`, n].map(
        (host) => ({ host, target }),
      );
    }),
  );
  for (const c of out.components) {
    const deps = new Set(depends[c.name] ?? []);
    for (const env of c.env ?? []) {
      for (const { host, target } of hosts) {
        if (target.name === c.name) continue;
        const pattern = new RegExp(
          `(?<![A-Za-z0-9.-])${host.replace(/\./g, '\\.')}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`,
          'g',
        );
        if (!pattern.test(env.value)) continue;
        deps.add(target.name);
        if (target.ports?.length) {
          const rewritten = env.value.replace(pattern, `$(${upperSnake(target.name)}_HOST)`);
          out.notes.push(
            `${c.name}: env ${env.name} names Service ${host}: depends on ${target.name}; "${env.value}" -> "${rewritten}"`,
          );
          env.value = rewritten;
        } else {
          out.notes.push(`${c.name}: env ${env.name} names Service ${host}: depends on ${target.name}`);
        }
      }
    }
    if (deps.size) c.dependsOn = [...deps].sort();
  }
}
