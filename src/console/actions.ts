import { GROUP_VERSION } from '../api/index.js';
import { ferryRef } from '../kube/client.js';
import { adoptOverrides } from './adopt.js';
import * as cluster from './cluster.js';
import { showError } from './errors.js';
import { installForm } from './forms.js';
import { path } from './html.js';
import { rollbackPreviewRoute, upgradeChooseRoute, upgradeRoute } from './routes.js';
import type { Answer, Session } from './session.js';
import { NotFound } from './session.js';

/** The writes, each with the user's credentials: the API server's RBAC and validation decide. */

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function installAction(s: Session, app: string, form: URLSearchParams): Promise<Answer> {
  const given = new Map<string, string>();
  for (const [key, value] of form) {
    if (key.startsWith('param:')) given.set(key.slice(6), value);
    if (key.startsWith('secret:')) given.set(key.slice(7), value);
  }
  const intent = form.get('intent') === 'install' ? 'install' : 'preview';
  return installForm(
    s,
    app,
    form.get('version') ?? undefined,
    form.get('ns') || s.namespace,
    form.get('name') || app,
    given,
    intent,
  );
}

export async function upgradeAction(
  s: Session,
  ns: string,
  install: string,
  form: URLSearchParams,
): Promise<Answer> {
  const to = form.get('to') ?? '';
  const name = form.get('name') ?? '';
  try {
    if (!NAME.test(name)) throw new Error(`"${name}" is not a valid object name`);
    await s.client.create({
      apiVersion: GROUP_VERSION,
      kind: 'AppUpgrade',
      metadata: { name, namespace: ns },
      spec: { install, toVersion: to, approval: 'Manual' },
    });
    return { redirect: path('upgrades', ns, name) };
  } catch (error) {
    return upgradeChooseRoute(s, ns, install, { to, error: showError('Preview the upgrade', error) });
  }
}

/** Adopts the switched-on values (overrides in the AppInstall), then approves the AppUpgrade. */
export async function approveAction(
  s: Session,
  ns: string,
  name: string,
  form: URLSearchParams,
): Promise<Answer> {
  const upgrade = await cluster.upgrade(s.client, ns, name);
  if (!upgrade) throw new NotFound(`AppUpgrade ${ns}/${name} not found`);
  const keys = new Set(form.getAll('adopt'));
  let adopted = false;
  try {
    if (keys.size && upgrade.status?.plan) {
      const install = await cluster.install(s.client, ns, upgrade.spec.install);
      if (!install) throw new NotFound(`AppInstall ${ns}/${upgrade.spec.install} not found`);
      const result = adoptOverrides(install.spec.overrides ?? [], upgrade.status.plan.notApplied, keys);
      if (result.adopted.length) {
        // the resourceVersion makes the patch fail rather than overwrite someone else's change
        await s.client.mergePatch(ferryRef('AppInstall', ns, install.metadata.name), {
          metadata: { resourceVersion: install.metadata.resourceVersion },
          spec: { overrides: result.overrides },
        });
        adopted = true;
      }
    }
    await s.client.mergePatch(ferryRef('AppUpgrade', ns, name), { spec: { approved: true } });
    return { redirect: `${path('upgrades', ns, name)}?done=${adopted ? 'adopted' : 'approved'}` };
  } catch (error) {
    return upgradeRoute(s, ns, name, {
      error: showError(adopted ? 'Approve (the values were adopted)' : 'Approve', error),
    });
  }
}

export async function rollbackAction(
  s: Session,
  ns: string,
  install: string,
  form: URLSearchParams,
): Promise<Answer> {
  const toRevision = Number(form.get('to'));
  const prune = form.get('prune') === 'on';
  const name = form.get('name') ?? '';
  try {
    if (!NAME.test(name)) throw new Error(`"${name}" is not a valid object name`);
    await s.client.create({
      apiVersion: GROUP_VERSION,
      kind: 'AppRollback',
      metadata: { name, namespace: ns },
      spec: { install, toRevision, pruneAddedComponents: prune },
    });
    return { redirect: path('rollbacks', ns, name) };
  } catch (error) {
    const query = new URLSearchParams({ to: String(toRevision), name, ...(prune ? { prune: 'on' } : {}) });
    return rollbackPreviewRoute(s, ns, install, query, showError('Roll back', error));
  }
}
