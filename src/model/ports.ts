import type { Component, Port } from '../api/index.js';

/**
 * Every port of a component's pods: the main container's, then each sidecar's. The component's
 * Services, its external Service and its routes use them all; the address dependents get
 * (<DEP>_PORT) stays the main container's first port.
 */
export const podPorts = (component: Component): Port[] => [
  ...(component.ports ?? []),
  ...(component.sidecars ?? []).flatMap((s) => s.ports ?? []),
];
