import type { AppTemplateSpec, Component, ExtraContainer, Hook } from '../api/index.js';

/** One place a template uses an image: a component's main container, init container, sidecar, or a hook. */
export interface ImageUse {
  /** For messages: `component api`, `init container wait-db of component api`, `hook migrate`. */
  where: string;
  image: string;
}

/** Every image use of a template spec, in spec order. */
export function imageUses(spec: Pick<AppTemplateSpec, 'components' | 'hooks'>): ImageUse[] {
  const extra = (c: Component, kind: string, list: ExtraContainer[] | undefined) =>
    (list ?? []).map((x) => ({ where: `${kind} ${x.name} of component ${c.name}`, image: x.image }));
  return [
    ...spec.components.flatMap((c) => [
      { where: `component ${c.name}`, image: c.image },
      ...extra(c, 'init container', c.initContainers),
      ...extra(c, 'sidecar', c.sidecars),
    ]),
    ...(spec.hooks ?? []).map((h) => ({ where: `hook ${h.name}`, image: h.image })),
  ];
}

/** Every image a template spec uses (components, init containers, sidecars, hooks), each once, in order. */
export const specImages = (spec: Pick<AppTemplateSpec, 'components' | 'hooks'>): string[] => [
  ...new Set(imageUses(spec).map((u) => u.image)),
];

/** The spec with every image reference replaced by `map(ref)`; the rest is left as it is. */
export function mapImages<T extends Pick<AppTemplateSpec, 'components' | 'hooks'>>(
  spec: T,
  map: (ref: string) => string,
): T {
  const extras = (list: ExtraContainer[] | undefined) =>
    list && list.map((x) => ({ ...x, image: map(x.image) }));
  return {
    ...spec,
    components: spec.components.map((c) => ({
      ...c,
      image: map(c.image),
      ...(c.initContainers ? { initContainers: extras(c.initContainers) } : {}),
      ...(c.sidecars ? { sidecars: extras(c.sidecars) } : {}),
    })),
    ...(spec.hooks ? { hooks: spec.hooks.map((h: Hook) => ({ ...h, image: map(h.image) })) } : {}),
  };
}
