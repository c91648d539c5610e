import type { KubeClient, KubeObject } from '../kube/client.js';
import { BundleError } from './errors.js';
import type { Credentials } from './registry-auth.js';

export const PULL_SECRET_TYPE = 'kubernetes.io/dockerconfigjson';
/** On a pull Secret ferry import wrote: the registry its credentials are for. */
export const ANNOTATION_PULL_REGISTRY = 'ferry.dev/registry';

/** The `.dockerconfigjson` of a pull Secret for one registry (what kubectl create secret docker-registry writes). */
export function dockerConfigJson(registry: string, credentials: Credentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({
    auths: { [registry]: { username: credentials.username, password: credentials.password, auth } },
  });
}

export type PullSecretAction = 'created' | 'updated' | 'unchanged' | 'would create' | 'would update';

type SecretObject = KubeObject & { type?: string; data?: Record<string, string> };

/**
 * Creates the pull Secret `namespace/name` for the site registry, or brings an existing one (written
 * by an earlier import, or by hand) to these credentials. Writes nothing when it already holds them.
 * A Secret of that name of another type is refused: the type of a Secret cannot change.
 */
export async function ensurePullSecret(
  kube: Pick<KubeClient, 'get' | 'create' | 'mergePatch'>,
  options: { namespace: string; name: string; registry: string; credentials: Credentials; dryRun?: boolean },
): Promise<PullSecretAction> {
  const { namespace, name, registry, credentials, dryRun } = options;
  const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name };
  const wanted = Buffer.from(dockerConfigJson(registry, credentials)).toString('base64');
  const existing = await kube.get<SecretObject>(ref);
  if (existing && existing.type !== PULL_SECRET_TYPE) {
    throw new BundleError(
      `--pull-secret ${name}: Secret ${namespace}/${name} exists with type ${existing.type ?? 'Opaque'}, not ${PULL_SECRET_TYPE}; choose another name or delete it`,
    );
  }
  const annotations = { [ANNOTATION_PULL_REGISTRY]: registry };
  if (!existing) {
    if (dryRun) return 'would create';
    await kube.create<SecretObject>({
      ...ref,
      metadata: { name, namespace, annotations, labels: { 'app.kubernetes.io/managed-by': 'ferry' } },
      type: PULL_SECRET_TYPE,
      data: { '.dockerconfigjson': wanted },
    });
    return 'created';
  }
  if (sameConfig(existing.data?.['.dockerconfigjson'], wanted)) return 'unchanged';
  if (dryRun) return 'would update';
  await kube.mergePatch(ref, { metadata: { annotations }, data: { '.dockerconfigjson': wanted } });
  return 'updated';
}

function sameConfig(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    const parse = (x: string) => JSON.stringify(JSON.parse(Buffer.from(x, 'base64').toString('utf8')));
    return parse(a) === parse(b);
  } catch {
    return false;
  }
}
