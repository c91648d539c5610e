import type { V1Ingress, V1Service } from '@kubernetes/client-node';
import type { Component, ComponentOverride, Route, ServiceType } from '../api/index.js';
import type { ComponentContext } from './render-context.js';
import { metadata } from './render-context.js';
import { externalServiceName, routeName, selectorLabels, serviceName } from './names.js';
import { podPorts } from './ports.js';

export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const INGRESS_API_VERSION = 'networking.k8s.io/v1';

/** A Gateway API HTTPRoute (the client library has no type for it). */
export interface HttpRoute {
  apiVersion: typeof GATEWAY_API_VERSION;
  kind: 'HTTPRoute';
  metadata: ReturnType<typeof metadata> & { annotations?: Record<string, string> };
  spec: {
    parentRefs: { group: string; kind: 'Gateway'; name: string; namespace?: string; sectionName?: string }[];
    hostnames?: string[];
    rules: {
      matches: { path: { type: 'PathPrefix' | 'Exact'; value: string } }[];
      backendRefs: { name: string; port: number }[];
    }[];
  };
}

/** The service type of a component's external ports: the site's choice, else the template's. */
export const serviceTypeOf = (ctx: Pick<ComponentContext, 'component' | 'override'>): ServiceType =>
  ctx.override?.service?.type ?? ctx.component.serviceType ?? 'ClusterIP';

/**
 * The Service that publishes a component's external ports as NodePort or LoadBalancer; none for
 * ClusterIP. It is separate from the component's ClusterIP Service, so in-cluster addresses never
 * change when the site changes how the app is reached from outside.
 */
export function externalService(ctx: ComponentContext): V1Service | undefined {
  const type = serviceTypeOf(ctx);
  const ports = podPorts(ctx.component).filter((p) => p.external);
  if (type === 'ClusterIP' || !ports.length) return undefined;
  const { install } = ctx.input;
  const service = ctx.override?.service;
  const annotations = service?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...metadata(ctx, externalServiceName(install.name, ctx.component.name)),
      ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      type,
      selector: selectorLabels(install.name, ctx.component.name),
      ports: ports.map((p) => {
        const nodePort = service?.nodePorts?.find((n) => n.port === p.name)?.nodePort;
        return {
          name: p.name,
          port: p.port,
          targetPort: p.port,
          protocol: p.protocol,
          ...(nodePort ? { nodePort } : {}),
        };
      }),
    },
  };
}

/** Every template route of the component as the site wants it: an Ingress or an HTTPRoute. */
export function routes(ctx: ComponentContext): (V1Ingress | HttpRoute)[] {
  return (ctx.component.routes ?? []).map((route) => {
    const site = ctx.override?.routes?.find((r) => r.name === route.name);
    return site?.kind === 'HTTPRoute' ? httpRoute(ctx, route) : ingress(ctx, route);
  });
}

function routeMetadata(ctx: ComponentContext, route: Route) {
  const annotations = ctx.override?.routes?.find((r) => r.name === route.name)?.annotations;
  return {
    ...metadata(ctx, routeName(ctx.input.install.name, ctx.component.name, route.name)),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

function ingress(ctx: ComponentContext, route: Route): V1Ingress {
  const site = ctx.override?.routes?.find((r) => r.name === route.name);
  const hosts = site?.hosts ?? [];
  const http = {
    paths: [
      {
        path: route.path,
        pathType: route.pathType,
        backend: {
          service: {
            name: serviceName(ctx.input.install.name, ctx.component.name),
            port: { name: route.port },
          },
        },
      },
    ],
  };
  return {
    apiVersion: INGRESS_API_VERSION,
    kind: 'Ingress',
    metadata: routeMetadata(ctx, route),
    spec: {
      ...(site?.className ? { ingressClassName: site.className } : {}),
      rules: hosts.length ? hosts.map((host) => ({ host, http })) : [{ http }],
      ...(site?.tlsSecretName
        ? { tls: [{ ...(hosts.length ? { hosts } : {}), secretName: site.tlsSecretName }] }
        : {}),
    },
  };
}

function httpRoute(ctx: ComponentContext, route: Route): HttpRoute {
  const site = ctx.override!.routes!.find((r) => r.name === route.name)!;
  const gateway = site.gateway!;
  const port = podPorts(ctx.component).find((p) => p.name === route.port)!;
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'HTTPRoute',
    metadata: routeMetadata(ctx, route),
    spec: {
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: gateway.name,
          ...(gateway.namespace ? { namespace: gateway.namespace } : {}),
          ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}),
        },
      ],
      ...(site.hosts?.length ? { hostnames: site.hosts } : {}),
      rules: [
        {
          matches: [
            { path: { type: route.pathType === 'Exact' ? 'Exact' : 'PathPrefix', value: route.path } },
          ],
          backendRefs: [{ name: serviceName(ctx.input.install.name, ctx.component.name), port: port.port }],
        },
      ],
    },
  };
}

export interface RouteTarget {
  component: string;
  route: string;
  kind: 'Ingress' | 'HTTPRoute';
  apiVersion: string;
  /** Object name. */
  name: string;
}

/** Every route an applied state renders, with the API it needs. */
export function routeTargets(
  install: string,
  spec: { components: readonly Component[] },
  overrides: readonly ComponentOverride[],
): RouteTarget[] {
  return spec.components.flatMap((component) =>
    (component.routes ?? []).map((route) => {
      const site = overrides
        .find((o) => o.component === component.name)
        ?.routes?.find((r) => r.name === route.name);
      const kind = site?.kind === 'HTTPRoute' ? 'HTTPRoute' : 'Ingress';
      return {
        component: component.name,
        route: route.name,
        kind,
        apiVersion: kind === 'HTTPRoute' ? GATEWAY_API_VERSION : INGRESS_API_VERSION,
        name: routeName(install, component.name, route.name),
      };
    }),
  );
}

/** The status message for routes the cluster cannot take (RouteAPIUnavailable). */
export function unservedRoutesMessage(unserved: readonly RouteTarget[]): string {
  const list = unserved.map((r) => `${r.component}/${r.route} (${r.kind})`).join(', ');
  const needs = [...new Set(unserved.map((r) => `${r.apiVersion} ${r.kind}`))].join(' and ');
  const hint = unserved.some((r) => r.kind === 'HTTPRoute')
    ? 'install the Gateway API CRDs, or set overrides[].routes[].kind: Ingress'
    : 'enable the Ingress API';
  return `route${unserved.length > 1 ? 's' : ''} ${list} not rendered: the cluster does not serve ${needs}; ${hint}. The workloads run; the routes are applied as soon as the API is served`;
}
