import type { AppInstall, AppRevision } from '../../api/index.js';
import { ANNOTATION_PARAMETERS_CHECKSUM } from '../../model/names.js';
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
  for (const [name, component] of rendered) {
    const workload = component.objects.at(-1)!;
    const applied = ctx.cache.workloadOf(namespace, install.metadata.name, name)?.metadata?.annotations?.[
      ANNOTATION_PARAMETERS_CHECKSUM
    ];
    const now = workload.metadata?.annotations?.[ANNOTATION_PARAMETERS_CHECKSUM];
    if (applied !== undefined && now !== applied) changed.push(name);
  }
  // Remembered only when nothing is to do: a rotation found is looked for again until its revision ran.
  if (!changed.length) ctx.parameterSecretsChecked.set(key, fingerprint);
  return changed.length ? { revision: latest.spec.revision, components: changed } : undefined;
}
