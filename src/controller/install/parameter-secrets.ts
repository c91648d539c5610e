import type { AppInstall, AppRevision } from '../../api/index.js';
import { ANNOTATION_PARAMETERS_CHECKSUM, ANNOTATION_PARAMETER_CHECKSUMS } from '../../model/names.js';
import { activeRevision } from '../../model/revisions.js';
import type { ControllerContext } from '../context.js';
import { WaitingError } from '../errors.js';
import type { Rotation } from './decide.js';
import { renderRevision, resolveParameters } from './apply.js';

/**
 * Secret rotation: the components of the last successful revision whose Secret-sourced parameter
 * values are no longer what their workload was rendered with (its parameter-secrets checksum).
 *
 * Cheap when nothing changed: the Secrets are read only when one of them has a resourceVersion (in
 * the operator's metadata-only cache of labelled Secrets) other than at the last check, or the
 * revision changed, or the operator restarted. A workload without the checksum (rendered by an
 * earlier operator version) is never counted as changed.
 */
export async function rotatedComponents(
  ctx: ControllerContext,
  install: AppInstall,
  revisions: readonly AppRevision[],
): Promise<Rotation | undefined> {
  const latest = revisions.at(-1);
  if (!latest || latest.status?.outcome !== 'Succeeded' || activeRevision(revisions)) return undefined;
  const namespace = install.metadata.namespace!;
  const names = [
    ...new Set((install.spec.parameters ?? []).flatMap((p) => p.valueFrom?.secretKeyRef.name ?? [])),
  ].sort();
  if (!names.length) return undefined;
  const versions = names.map(
    (n) => `${n}@${ctx.informers.secrets.get(`${namespace}/${n}`)?.metadata?.resourceVersion ?? '-'}`,
  );
  const fingerprint = `${latest.spec.revision}:${versions.join(',')}`;
  const key = install.metadata.uid ?? `${namespace}/${install.metadata.name}`;
  if (ctx.parameterSecretsChecked.get(key) === fingerprint) return undefined;

  const content = ctx.cache.contentOf(latest);
  let parameters: Map<string, string>;
  try {
    parameters = await resolveParameters(ctx, install, content);
  } catch (error) {
    // A missing Secret or key: nothing to roll now; its re-creation changes the fingerprint.
    if (!(error instanceof WaitingError)) throw error;
    ctx.parameterSecretsChecked.set(key, fingerprint);
    return undefined;
  }
  const rendered = renderRevision(install, latest.spec.revision, content, parameters);
  const changed: string[] = [];
  const changedParameters = new Set<string>();
  for (const [name, component] of rendered) {
    const now = component.objects.at(-1)!.metadata?.annotations ?? {};
    const applied = ctx.cache.workloadOf(namespace, install.metadata.name, name)?.metadata?.annotations ?? {};
    const appliedChecksum = applied[ANNOTATION_PARAMETERS_CHECKSUM];
    if (appliedChecksum === undefined || now[ANNOTATION_PARAMETERS_CHECKSUM] === appliedChecksum) continue;
    changed.push(name);
    for (const parameter of parametersChanged(
      applied[ANNOTATION_PARAMETER_CHECKSUMS],
      now[ANNOTATION_PARAMETER_CHECKSUMS],
    ))
      changedParameters.add(parameter);
  }
  // Remembered only when nothing is to do: a rotation found is looked for again until its revision ran.
  if (!changed.length) ctx.parameterSecretsChecked.set(key, fingerprint);
  return changed.length
    ? { revision: latest.spec.revision, components: changed, parameters: [...changedParameters].sort() }
    : undefined;
}

/**
 * The parameters whose digests differ between two per-parameter checksum annotations. A workload
 * rendered by an operator without that annotation counts every parameter it uses now as changed.
 */
export function parametersChanged(applied: string | undefined, now: string | undefined): string[] {
  const parse = (text: string | undefined): Record<string, string> => {
    try {
      const value: unknown = text ? JSON.parse(text) : {};
      return value && typeof value === 'object' ? (value as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  const before = parse(applied);
  const after = parse(now);
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}
