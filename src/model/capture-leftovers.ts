import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

/** Container fields a template captures (or that capture reads and reports itself). */
const CONTAINER_CAPTURED = new Set([
  'name',
  'image',
  'command',
  'args',
  'ports',
  'env',
  'envFrom',
  'volumeMounts',
  'resources',
  'readinessProbe',
  'livenessProbe',
  'startupProbe',
  'lifecycle',
  // what the API server fills in by default
  'imagePullPolicy',
  'terminationMessagePath',
  'terminationMessagePolicy',
]);
const POD_CAPTURED = new Set([
  'containers',
  'initContainers',
  'volumes',
  'restartPolicy',
  'dnsPolicy',
  'schedulerName',
  'terminationGracePeriodSeconds',
  'enableServiceLinks',
  'preemptionPolicy',
  'priority',
]);

const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === false ||
  (Array.isArray(v) && !v.length) ||
  (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v as object).length);

/**
 * What a workload sets that a template has no place for, one line each (a preStop sleep is the
 * template's shutdownDelaySeconds and is returned as such).
 */
export function leftovers(
  pod: V1PodSpec,
  c: V1Container,
  at: string,
): { lines: string[]; shutdownDelay?: number } {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(pod)) {
    if (POD_CAPTURED.has(key) || empty(value)) continue;
    if ((key === 'serviceAccountName' || key === 'serviceAccount') && value === 'default') continue;
    lines.push(`${at}: pod ${key}`);
  }
  for (const [key, value] of Object.entries(c)) {
    if (!CONTAINER_CAPTURED.has(key) && !empty(value)) lines.push(`${at}: container ${c.name} ${key}`);
  }
  const { preStop, ...otherHooks } = c.lifecycle ?? {};
  const sleep = preStop?.sleep?.seconds;
  if (preStop && sleep === undefined)
    lines.push(`${at}: container ${c.name} lifecycle.preStop (only a sleep is captured)`);
  for (const hook of Object.keys(otherHooks)) lines.push(`${at}: container ${c.name} lifecycle.${hook}`);
  return { lines, ...(sleep !== undefined ? { shutdownDelay: sleep } : {}) };
}
