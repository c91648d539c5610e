import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { PodSecurityContext } from '../api/index.js';

/** Capabilities the restricted Pod Security Standard lets a container add. */
const RESTRICTED_ADDS = new Set(['NET_BIND_SERVICE']);

/**
 * The pod-level security context: the template's ids and fsGroup, plus the restricted defaults
 * (runAsNonRoot, seccomp RuntimeDefault) unless the template relaxes them explicitly.
 */
export function podSecurityContext(sc: PodSecurityContext = {}): V1PodSecurityContext {
  return {
    ...(sc.runAsUser !== undefined ? { runAsUser: sc.runAsUser } : {}),
    ...(sc.runAsGroup !== undefined ? { runAsGroup: sc.runAsGroup } : {}),
    ...(sc.fsGroup !== undefined ? { fsGroup: sc.fsGroup } : {}),
    runAsNonRoot: sc.runAsNonRoot ?? true,
    seccompProfile: { type: sc.seccompProfile ?? 'RuntimeDefault' },
  };
}

/** The container-level security context, the same for the main container, init containers and sidecars. */
export function containerSecurityContext(sc: PodSecurityContext = {}): V1SecurityContext {
  const add = sc.capabilities?.add;
  return {
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? false,
    capabilities: { drop: sc.capabilities?.drop ?? ['ALL'], ...(add?.length ? { add } : {}) },
    ...(sc.readOnlyRootFilesystem !== undefined ? { readOnlyRootFilesystem: sc.readOnlyRootFilesystem } : {}),
  };
}

/**
 * What a template relaxes of the restricted Pod Security Standard, one readable item each (empty:
 * the component runs restricted). Shown in plans so the admin sees it before anything is applied.
 */
export function securityRelaxations(sc: PodSecurityContext = {}): string[] {
  const out: string[] = [];
  if (sc.runAsNonRoot === false) out.push('runAsNonRoot=false (may run as root)');
  if (sc.runAsUser === 0) out.push('runAsUser=0 (root)');
  if (sc.allowPrivilegeEscalation === true) out.push('allowPrivilegeEscalation=true');
  if (sc.seccompProfile === 'Unconfined') out.push('seccompProfile=Unconfined');
  const drop = sc.capabilities?.drop;
  if (drop && !drop.includes('ALL')) out.push(`capabilities.drop=[${drop.join(',')}] (not ALL)`);
  const extra = (sc.capabilities?.add ?? []).filter((c) => !RESTRICTED_ADDS.has(c));
  if (extra.length) out.push(`capabilities.add=[${extra.join(',')}]`);
  return out;
}
