/**
 * A container's settings that map one to one onto a component's: resources, a probe, the rolling
 * update. What has no counterpart in a template is named in `out.uncaptured`.
 */
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import type { Component, Probe } from '../api/index.js';
import type { Capture, CapturedWorkload } from './capture-workloads.js';

export function captureResources(c: V1Container, out: Capture, at: string): Component['resources'] {
  const list = (r: Record<string, unknown> | undefined, what: string) => {
    if (!r) return undefined;
    for (const k of Object.keys(r))
      if (k !== 'cpu' && k !== 'memory') out.uncaptured.push(`${at}: ${what} ${k}`);
    const cpu = r.cpu === undefined ? undefined : String(r.cpu as string);
    const memory = r.memory === undefined ? undefined : String(r.memory as string);
    return cpu || memory ? { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } : undefined;
  };
  const requests = list(c.resources?.requests, 'resource request');
  const limits = list(c.resources?.limits, 'resource limit');
  return requests || limits
    ? { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }
    : undefined;
}

export function captureProbe(
  p: V1Probe | undefined,
  c: V1Container,
  out: Capture,
  at: string,
): Probe | undefined {
  if (!p) return undefined;
  const port = (value: number | string | undefined): number | undefined =>
    typeof value === 'number'
      ? value
      : (c.ports?.find((x) => x.name === value)?.containerPort ?? (Number(value) || undefined));
  const timings = {
    ...(p.initialDelaySeconds !== undefined ? { initialDelaySeconds: p.initialDelaySeconds } : {}),
    ...(p.periodSeconds !== undefined ? { periodSeconds: p.periodSeconds } : {}),
    ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
    ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}),
  };
  if (p.httpGet && port(p.httpGet.port as number | string))
    return {
      httpGet: { path: p.httpGet.path ?? '/', port: port(p.httpGet.port as number | string)! },
      ...timings,
    };
  if (p.tcpSocket && port(p.tcpSocket.port as number | string))
    return { tcpSocket: { port: port(p.tcpSocket.port as number | string)! }, ...timings };
  if (p.exec?.command?.length) return { exec: { command: p.exec.command }, ...timings };
  out.uncaptured.push(`${at} (only httpGet, tcpSocket and exec probes with a known port are captured)`);
  return undefined;
}

export function captureStrategy(w: CapturedWorkload, out: Capture, at: string): Component['updateStrategy'] {
  if (w.kind === 'Deployment') {
    const s = w.spec?.strategy;
    if (s?.type === 'Recreate') out.uncaptured.push(`${at}: strategy Recreate (Ferry rolls components)`);
    const r = s?.rollingUpdate;
    if (!r || (r.maxSurge === undefined && r.maxUnavailable === undefined)) return undefined;
    return {
      ...(r.maxSurge !== undefined ? { maxSurge: r.maxSurge as number | string } : {}),
      ...(r.maxUnavailable !== undefined ? { maxUnavailable: r.maxUnavailable as number | string } : {}),
    };
  }
  const s = w.spec?.updateStrategy;
  if (s?.type === 'OnDelete') out.uncaptured.push(`${at}: updateStrategy OnDelete (Ferry rolls components)`);
  const max = s?.rollingUpdate?.maxUnavailable;
  return max === undefined ? undefined : { maxUnavailable: max as number | string };
}
