import type { V1Container, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './names.js';
import type { RenderedComponent } from './render.js';

/** One entry of metadata.managedFields, as the API server returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/** The containers of a rendered workload with the env names Ferry sets on each. */
export type RenderedFields = Map<string, { list: 'containers' | 'initContainers'; env: string[] }>;

/** Container and env names of each component's rendered workload (parameter values do not matter). */
export function renderedFields(components: Iterable<RenderedComponent>): Map<string, RenderedFields> {
  const out = new Map<string, RenderedFields>();
  for (const component of components) {
    const workload = component.objects.at(-1) as V1Deployment | V1StatefulSet;
    const spec = workload.spec!.template.spec!;
    const fields: RenderedFields = new Map();
    const add = (list: 'containers' | 'initContainers', c: V1Container) =>
      // An empty value is dropped on the way to the API server (omitempty): nothing to own there.
      fields.set(c.name, {
        list,
        env: (c.env ?? []).filter((e) => e.value || e.valueFrom).map((e) => e.name),
      });
    for (const c of spec.containers) add('containers', c);
    for (const c of spec.initContainers ?? []) add('initContainers', c);
    out.set(component.name, fields);
  }
  return out;
}

type Fields = Record<string, unknown>;
const child = (f: unknown, key: string): Fields | undefined =>
  f && typeof f === 'object' ? ((f as Fields)[key] as Fields | undefined) : undefined;
const nameKey = (name: string) => `k:${JSON.stringify({ name })}`;

/**
 * Field-level drift: the image and env entries Ferry applies to a workload's containers that Ferry's
 * field manager no longer owns — someone changed them (kubectl set image / set env / edit take
 * ownership of what they change) or removed them. Each as a path, with the managers that own it now.
 * Without an apply entry of Ferry's (an object Ferry never applied) nothing can be told: none.
 */
export function lostFields(
  managedFields: readonly ManagedFieldsEntry[] | undefined,
  rendered: RenderedFields,
): string[] {
  const entries = (managedFields ?? []).filter((e) => !e.subresource);
  const ours = entries.find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply');
  if (!ours) return [];
  const containerFields = (entry: ManagedFieldsEntry, list: string, container: string) =>
    child(
      child(child(child(child(entry.fieldsV1, 'f:spec'), 'f:template'), 'f:spec'), `f:${list}`),
      nameKey(container),
    );
  const lost: string[] = [];
  const owners = (has: (e: ManagedFieldsEntry) => boolean) => {
    const others = entries.filter((e) => e !== ours && has(e)).map((e) => e.manager ?? '?');
    return others.length ? ` (now set by ${[...new Set(others)].join(', ')})` : ' (removed)';
  };
  for (const [name, { list, env }] of rendered) {
    const mine = containerFields(ours, list, name);
    const path = `spec.template.spec.${list}[${name}]`;
    if (!child(mine, 'f:image'))
      lost.push(`${path}.image${owners((e) => !!child(containerFields(e, list, name), 'f:image'))}`);
    for (const variable of env) {
      const item = (e: ManagedFieldsEntry) =>
        child(child(containerFields(e, list, name), 'f:env'), nameKey(variable));
      // An update of the value moves only f:value (or f:valueFrom) to its manager; the item stays.
      const setsValue = (e: ManagedFieldsEntry) =>
        !!(child(item(e), 'f:value') ?? child(item(e), 'f:valueFrom'));
      if (!setsValue(ours)) lost.push(`${path}.env[${variable}]${owners(setsValue)}`);
    }
  }
  return lost;
}
