import type { AppTemplateSpec, ComponentOverride } from '../api/index.js';
import type { Problem } from './problems.js';
import { quantityValue } from './quantity.js';

export interface VolumeState {
  effective: AppTemplateSpec;
  overrides: readonly ComponentOverride[];
}

interface Claim {
  size: string;
  storageClassName?: string;
}

/** Size and class of every volume as the PVC gets them: the site's override, else the template's. */
function claims(state: VolumeState): Map<string, Claim> {
  const out = new Map<string, Claim>();
  for (const component of state.effective.components) {
    const override = state.overrides.find((o) => o.component === component.name);
    for (const volume of component.volumes ?? []) {
      const site = override?.volumes?.find((v) => v.name === volume.name);
      const storageClassName = site?.storageClassName ?? volume.storageClassName;
      out.set(`${component.name}/${volume.name}`, {
        size: site?.size ?? volume.size,
        ...(storageClassName ? { storageClassName } : {}),
      });
    }
  }
  return out;
}

/**
 * DESIGN §3 rule 2 for site storage: a volume the current revision has may grow but never shrink, and
 * keeps its storage class (a PVC's class cannot change; Ferry never re-creates one). New volumes take
 * whatever the site says. The field named is the override that asks for the change.
 */
export function volumeChangeProblems(
  object: string,
  current: VolumeState | undefined,
  next: VolumeState,
  siteOverrides: readonly ComponentOverride[] = next.overrides,
): Problem[] {
  if (!current) return [];
  const before = claims(current);
  const problems: Problem[] = [];
  for (const [key, claim] of claims(next)) {
    const was = before.get(key);
    if (!was) continue;
    const [component, volume] = key.split('/') as [string, string];
    const i = siteOverrides.findIndex((o) => o.component === component);
    const j = siteOverrides[i]?.volumes?.findIndex((v) => v.name === volume) ?? -1;
    const at = j >= 0 ? `spec.overrides[${i}].volumes[${j}]` : 'spec.overrides';
    if (quantityValue(claim.size) < quantityValue(was.size)) {
      problems.push({
        object,
        field: `${at}.size`,
        message: `volume "${volume}" of component "${component}" is ${was.size}; ${claim.size} would shrink it, and a PersistentVolumeClaim can only grow`,
      });
    }
    if ((claim.storageClassName ?? '') !== (was.storageClassName ?? '')) {
      problems.push({
        object,
        field: `${at}.storageClassName`,
        message: `volume "${volume}" of component "${component}" exists with storage class ${was.storageClassName ? `"${was.storageClassName}"` : '(cluster default)'}; a PersistentVolumeClaim keeps its class (Ferry never re-creates one): remove the change, or give the data a new volume`,
      });
    }
  }
  return problems;
}
