import { randomBytes } from 'node:crypto';
import semver from 'semver';
import type { AppRollback } from '../api/index.js';
import { listApps } from '../cli/commands/templates.js';
import { notesBetween } from '../model/publish.js';
import { planRollbackRequest } from '../model/requests.js';
import type { RevisionContent } from '../model/snapshot.js';
import { decodeSnapshot } from '../model/snapshot.js';
import * as cluster from './cluster.js';
import { approveEquivalent, installForm } from './forms.js';
import {
  rollbackCommand,
  rollbackManifest,
  toYaml,
  upgradeManifest,
  upgradePreviewCommand,
} from './equivalent.js';
import type { ShownError } from './errors.js';
import { installPage, installsPage } from './pages/installs.js';
import { historyPage, rollbackPage, rollbackPreviewPage } from './pages/history.js';
import { marketsPage } from './pages/markets.js';
import { iconsOf, templatesPage } from './pages/templates.js';
import { upgradeChoosePage, upgradePage } from './pages/upgrade.js';
import type { Answer, Session } from './session.js';
import { DONE, NotFound } from './session.js';

/** The pages, each read with the user's credentials when it is asked for. */

export async function templatesRoute(s: Session): Promise<Answer> {
  const templates = await cluster.templates(s.client);
  const { items } = await cluster.installs(s.client, s.namespace);
  const installed = new Map<string, string[]>();
  for (const i of items) {
    const key = `${i.spec.app}@${i.status?.version ?? i.spec.version}`;
    installed.set(key, [...(installed.get(key) ?? []), `${i.metadata.namespace}/${i.metadata.name}`]);
  }
  const listing = listApps(templates, installed);
  return { html: templatesPage(s.page, listing, iconsOf(templates, listing)) };
}

export async function installFormRoute(s: Session, app: string, query: URLSearchParams): Promise<Answer> {
  const namespace = query.get('ns') || s.namespace;
  return installForm(s, app, query.get('version') ?? undefined, namespace, app, new Map());
}

export async function installsRoute(s: Session, query: URLSearchParams): Promise<Answer> {
  const { items, scope } = await cluster.installs(s.client, s.namespace, query.get('ns') || undefined);
  return { html: installsPage(s.page, items, scope) };
}

async function mustInstall(s: Session, ns: string, name: string) {
  const found = await cluster.install(s.client, ns, name);
  if (!found) throw new NotFound(`AppInstall ${ns}/${name} not found (or not visible to ${s.page.user})`);
  return found;
}

export async function installRoute(s: Session, ns: string, name: string): Promise<Answer> {
  const install = await mustInstall(s, ns, name);
  const { upgrades } = await cluster.requests(s.client, ns, name);
  return { html: installPage(s.page, install, upgrades) };
}

export async function upgradeChooseRoute(
  s: Session,
  ns: string,
  name: string,
  given: { to?: string; name?: string; error?: ShownError } = {},
): Promise<Answer> {
  const install = await mustInstall(s, ns, name);
  const installed = install.status?.version ?? install.spec.version;
  const [templates, { upgrades }, access] = await Promise.all([
    cluster.templates(s.client, install.spec.app),
    cluster.requests(s.client, ns, name),
    cluster.access(s.client, s.page.user, 'create', 'appupgrades', ns),
  ]);
  const versions = templates
    .filter((t) => semver.gt(t.spec.version, installed))
    .sort((a, b) => semver.rcompare(a.spec.version, b.spec.version))
    .map((t) => ({ version: t.spec.version, notes: t.spec.releaseNotes }));
  const upgradeName = given.name ?? `${name}-upgrade-${randomBytes(2).toString('hex')}`;
  const to = given.to ?? versions[0]?.version;
  return {
    status: given.error ? 422 : 200,
    html: upgradeChoosePage(s.page, install, {
      versions,
      chosen: to,
      name: upgradeName,
      upgrades,
      access,
      error: given.error,
      equivalent: to
        ? {
            command: upgradePreviewCommand(name, ns, to, upgradeName),
            yaml: toYaml(upgradeManifest(ns, upgradeName, name, to, false)),
          }
        : undefined,
    }),
  };
}

export async function upgradeRoute(
  s: Session,
  ns: string,
  name: string,
  given: { done?: string; error?: ShownError } = {},
): Promise<Answer> {
  const upgrade = await cluster.upgrade(s.client, ns, name);
  if (!upgrade) throw new NotFound(`AppUpgrade ${ns}/${name} not found`);
  const install = await cluster.install(s.client, ns, upgrade.spec.install);
  const [templates, approve, adopt, revision] = await Promise.all([
    install ? cluster.templates(s.client, install.spec.app) : [],
    cluster.access(s.client, s.page.user, 'patch', 'appupgrades', ns),
    cluster.access(s.client, s.page.user, 'patch', 'appinstalls', ns),
    cluster.producedRevision(s.client, ns, upgrade.spec.install, upgrade.status?.revision),
  ]);
  const plan = upgrade.status?.plan;
  const notes = plan
    ? notesBetween(
        templates.map((t) => t.spec),
        plan.fromVersion,
        plan.toVersion,
      )
    : [];
  return {
    status: given.error ? 422 : 200,
    html: upgradePage(s.page, {
      upgrade,
      hooks: revision?.status?.hooks,
      notes,
      approve,
      adopt,
      error: given.error,
      message: given.done ? DONE[given.done] : undefined,
      equivalent: approveEquivalent(upgrade, install),
    }),
  };
}

export async function historyRoute(s: Session, ns: string, name: string): Promise<Answer> {
  const install = await mustInstall(s, ns, name);
  const [revisions, requests] = await Promise.all([
    cluster.revisions(s.client, install),
    cluster.requests(s.client, ns, name),
  ]);
  return { html: historyPage(s.page, install, revisions, requests) };
}

export async function rollbackPreviewRoute(
  s: Session,
  ns: string,
  name: string,
  query: URLSearchParams,
  error?: ShownError,
): Promise<Answer> {
  const install = await mustInstall(s, ns, name);
  const toRevision = Number(query.get('to'));
  if (!Number.isInteger(toRevision) || toRevision < 1)
    throw new NotFound('choose a revision from the history');
  const prune = query.get('prune') === 'on';
  const rollbackName = query.get('name') || `${name}-rollback-${randomBytes(3).toString('hex')}`;
  const [revisions, access] = await Promise.all([
    cluster.revisions(s.client, install),
    cluster.access(s.client, s.page.user, 'create', 'approllbacks', ns),
  ]);
  const request = {
    metadata: { name: rollbackName, namespace: ns },
    spec: { install: name, toRevision, pruneAddedComponents: prune },
  } as AppRollback;
  const decoded = new Map<number, RevisionContent>();
  const planned = planRollbackRequest(install, revisions, request, (r) => {
    if (!decoded.has(r.spec.revision)) decoded.set(r.spec.revision, decodeSnapshot(r.spec.snapshot));
    return decoded.get(r.spec.revision)!;
  });
  return {
    status: error ? 422 : 200,
    html: rollbackPreviewPage(s.page, install, {
      toRevision,
      prune,
      name: rollbackName,
      access,
      error,
      plan: planned.ok ? { ok: true, plan: planned.draft.plan } : { ok: false, message: planned.message },
      equivalent: {
        command: rollbackCommand(name, ns, toRevision, prune),
        yaml: toYaml(rollbackManifest(ns, rollbackName, name, toRevision, prune)),
      },
    }),
  };
}

export async function rollbackRoute(s: Session, ns: string, name: string): Promise<Answer> {
  const rollback = await cluster.rollback(s.client, ns, name);
  if (!rollback) throw new NotFound(`AppRollback ${ns}/${name} not found`);
  const revision = await cluster.producedRevision(
    s.client,
    ns,
    rollback.spec.install,
    rollback.status?.revision,
  );
  return { html: rollbackPage(s.page, rollback, revision?.status?.hooks) };
}

export async function marketsRoute(s: Session): Promise<Answer> {
  if (!s.page.markets) throw new NotFound('this cluster has no AppMarket kind');
  try {
    return { html: marketsPage(s.page, (await cluster.markets(s.client)) as never) };
  } catch (error) {
    return { html: marketsPage(s.page, [], (error as Error).message) };
  }
}
