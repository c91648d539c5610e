import type { z } from 'zod';
import type { AppInstall, AppRevision, AppRollback, AppTemplate, AppUpgrade } from '../api/index.js';
import {
  GROUP_VERSION,
  appInstallSchema,
  appRevisionSchema,
  appRollbackSchema,
  appUpgradeSchema,
  revisionName,
} from '../api/index.js';
import { clusterTemplates } from '../cli/commands/cluster-templates.js';
import { installRevisions } from '../cli/commands/install-revisions.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { KubeApiError, ferryRef } from '../kube/client.js';
import type { Access } from './layout.js';
import type { SecretChoices } from './pages/templates.js';

/** Reads for the console, all with the user's own credentials: what RBAC hides stays hidden. */

const parsed = <T>(schema: z.ZodType<T>, items: readonly KubeObject[]): T[] =>
  items.flatMap((o) => {
    const result = schema.safeParse(o);
    return result.success ? [result.data] : [];
  });

export const templates = (client: KubeClient, app?: string): Promise<AppTemplate[]> =>
  clusterTemplates(client, { out: () => undefined, err: () => undefined }, app);

/** Whether the AppMarket kind is served (another part of Ferry adds it): asked of API discovery. */
export async function hasMarkets(client: KubeClient): Promise<boolean> {
  try {
    const list = await client.request<{ resources?: { name: string }[] }>('GET', `/apis/${GROUP_VERSION}`);
    return (list.resources ?? []).some((r) => r.name === 'appmarkets');
  } catch {
    return false;
  }
}

/** A SelfSubjectAccessReview: may the user `verb` the Ferry `resource` (in `namespace`)? */
export async function access(
  client: KubeClient,
  user: string,
  verb: string,
  resource: string,
  namespace?: string,
  group = 'ferry.dev',
): Promise<Access> {
  try {
    const review = await client.request<{ status?: { allowed?: boolean; reason?: string } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { group, resource, verb, namespace } },
        },
      },
    );
    if (review.status?.allowed) return { allowed: true };
    return {
      allowed: false,
      reason: `${user} may not ${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ''}${
        review.status?.reason ? ` (${review.status.reason})` : ''
      }`,
    };
  } catch (error) {
    return { allowed: false, reason: `access could not be checked: ${(error as Error).message}` };
  }
}

/** The Secrets of a namespace by name and key (values are read by the list but never kept or shown). */
export async function secretChoices(client: KubeClient, namespace: string): Promise<SecretChoices> {
  try {
    const list = await client.list<KubeObject & { data?: Record<string, string>; type?: string }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
    });
    return {
      ok: true,
      secrets: list.items
        .filter((s) => s.type !== 'kubernetes.io/service-account-token')
        .map((s) => ({ name: s.metadata!.name!, keys: Object.keys(s.data ?? {}).sort() }))
        .filter((s) => s.keys.length)
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  } catch (error) {
    return { ok: false, reason: error instanceof KubeApiError ? error.message : String(error) };
  }
}

/** Installs of every namespace when the user may list them cluster-wide, else of `fallback`. */
export async function installs(
  client: KubeClient,
  fallback: string,
  namespace?: string,
): Promise<{ items: AppInstall[]; scope: string }> {
  if (!namespace) {
    try {
      const all = await client.list(ferryRef('AppInstall'));
      return { items: sortByName(parsed(appInstallSchema, all.items)), scope: 'in every namespace' };
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 403)) throw error;
    }
  }
  const ns = namespace ?? fallback;
  const list = await client.list(ferryRef('AppInstall', ns));
  return { items: sortByName(parsed(appInstallSchema, list.items)), scope: `in namespace ${ns}` };
}

const sortByName = (items: AppInstall[]) =>
  items.sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );

export async function install(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<AppInstall | undefined> {
  const object = await client.get(ferryRef('AppInstall', namespace, name));
  return object ? appInstallSchema.parse(object) : undefined;
}

/** Revisions of this incarnation of the install (owned by its uid), oldest first. */
export const revisions = installRevisions;

/**
 * The revision a request produced (status.revision), if it still exists and belongs to that install;
 * undefined before the request started, or when the user may not read revisions.
 */
export async function producedRevision(
  client: KubeClient,
  namespace: string,
  install: string,
  revision: number | undefined,
): Promise<AppRevision | undefined> {
  if (revision === undefined) return undefined;
  try {
    const object = await client.get(ferryRef('AppRevision', namespace, revisionName(install, revision)));
    const parsedRevision = object ? appRevisionSchema.safeParse(object) : undefined;
    return parsedRevision?.success && parsedRevision.data.spec.install === install
      ? parsedRevision.data
      : undefined;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 403) return undefined;
    throw error;
  }
}

/** AppUpgrades and AppRollbacks naming the install, newest first. */
export async function requests(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<{ upgrades: AppUpgrade[]; rollbacks: AppRollback[] }> {
  const [upgrades, rollbacks] = await Promise.all([
    client.list(ferryRef('AppUpgrade', namespace)),
    client.list(ferryRef('AppRollback', namespace)),
  ]);
  const newest = <T extends { metadata: { creationTimestamp?: string; name: string } }>(a: T, b: T) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
    b.metadata.name.localeCompare(a.metadata.name);
  return {
    upgrades: parsed(appUpgradeSchema, upgrades.items)
      .filter((u) => u.spec.install === name)
      .sort(newest),
    rollbacks: parsed(appRollbackSchema, rollbacks.items)
      .filter((r) => r.spec.install === name)
      .sort(newest),
  };
}

export async function upgrade(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<AppUpgrade | undefined> {
  const object = await client.get(ferryRef('AppUpgrade', namespace, name));
  return object ? appUpgradeSchema.parse(object) : undefined;
}

export async function rollback(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<AppRollback | undefined> {
  const object = await client.get(ferryRef('AppRollback', namespace, name));
  return object ? appRollbackSchema.parse(object) : undefined;
}

export async function markets(client: KubeClient): Promise<KubeObject[]> {
  return (await client.list(ferryRef('AppMarket'))).items;
}
