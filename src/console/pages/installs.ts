import type { AppInstall, AppUpgrade } from '../../api/index.js';
import { health } from '../health.js';
import { html, path } from '../html.js';
import type { PageContext } from '../layout.js';
import {
  breadcrumbs,
  conditionsTable,
  healthBadge,
  installPath,
  page,
  region,
  stateBadge,
} from '../layout.js';

/** Every install the user can see: app, versions, kstatus health, components ready, change in progress. */
export function installsPage(ctx: PageContext, installs: readonly AppInstall[], scope: string) {
  const rows = installs.map((i) => {
    const h = health(i);
    const components = i.status?.components ?? [];
    return html`<tr>
      <td><a href="${installPath(i.metadata.namespace!, i.metadata.name)}">${i.metadata.name}</a></td>
      <td>${i.metadata.namespace}</td>
      <td>${i.spec.app}</td>
      <td>
        ${i.status?.version ?? '—'}${
          i.status?.version !== i.spec.version
            ? html` <span class="muted">(wants ${i.spec.version})</span>`
            : ''
        }
      </td>
      <td>${healthBadge(h.health, h.message)}</td>
      <td>${components.filter((c) => c.state === 'Ready').length}/${components.length}</td>
      <td>
        ${i.status?.operation ? `${i.status.operation.kind} (revision ${i.status.operation.revision})` : '—'}
      </td>
      <td>${i.status?.availableUpgrades?.length ? i.status.availableUpgrades.join(', ') : '—'}</td>
    </tr>`;
  });
  return page(ctx, {
    title: 'Installs',
    section: 'installs',
    live: '/events',
    body: html`<p class="lead">Installed applications (AppInstalls) ${scope}.</p>
      ${region(
        'installs-table',
        installs.length
          ? html`<table>
              <caption class="sr-only">
                Installs
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Namespace</th>
                  <th scope="col">App</th>
                  <th scope="col">Version</th>
                  <th scope="col">Health</th>
                  <th scope="col">Components ready</th>
                  <th scope="col">In progress</th>
                  <th scope="col">Upgrades available</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
          : html`<p>No AppInstalls. Install one from <a href="/templates">Templates</a>.</p>`,
      )}`,
  });
}

/** One install: health and why, components with state and images, retained ones, the change in progress. */
export function installPage(ctx: PageContext, install: AppInstall, upgrades: readonly AppUpgrade[]) {
  const ns = install.metadata.namespace!;
  const name = install.metadata.name;
  const s = install.status ?? {};
  const h = health(install);
  const conditions = s.conditions ?? [];
  const open = upgrades.filter((u) => !['Succeeded', 'Failed', 'RolledBack'].includes(u.status?.phase ?? ''));
  const body = html`${breadcrumbs([['Installs', '/installs'], [`${ns}/${name}`]])}
    <p class="actions">
      <a class="button primary" href="${installPath(ns, name, 'upgrade')}">Upgrade…</a>
      <a class="button" href="${installPath(ns, name, 'history')}">History and rollback</a>
    </p>
    ${region(
      'install-status',
      html`<dl class="facts">
          <dt>App</dt>
          <dd>${install.spec.app}</dd>
          <dt>Installed version</dt>
          <dd>${s.version ?? '—'} (revision ${s.revision ?? '—'})</dd>
          <dt>Desired version</dt>
          <dd>${install.spec.version}</dd>
          <dt>Health</dt>
          <dd>${healthBadge(h.health)} <span class="muted">${h.message}</span></dd>
          <dt>In progress</dt>
          <dd>
            ${
              s.operation
                ? html`${s.operation.kind} as revision
                  ${s.operation.revision}${
                    s.operation.name
                      ? html` (<a
                            href="${path(s.operation.kind === 'Rollback' ? 'rollbacks' : 'upgrades', ns, s.operation.name)}"
                            >${s.operation.name}</a
                          >)`
                      : ''
                  }`
                : 'nothing'
            }
          </dd>
          <dt>Upgrades available</dt>
          <dd>${s.availableUpgrades?.length ? s.availableUpgrades.join(', ') : 'none'}</dd>
          <dt>Retained components</dt>
          <dd>
            ${
              s.retainedComponents?.length
                ? html`${s.retainedComponents.join(', ')}
                    <span class="muted">(kept running; not in ${s.version})</span>`
                : 'none'
            }
          </dd>
        </dl>
        ${
          open.length
            ? html`<p>
                Upgrade requests waiting:
                ${open.map(
                  (u) =>
                    html`<a href="${path('upgrades', ns, u.metadata.name)}">${u.metadata.name}</a>
                      (${u.status?.phase ?? 'new'}) `,
                )}
              </p>`
            : ''
        }
        <h2>Components</h2>
        ${
          s.components?.length
            ? html`<table>
                <caption class="sr-only">
                  Components of ${name}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Component</th>
                    <th scope="col">Kind</th>
                    <th scope="col">State</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Available</th>
                    <th scope="col">Image</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  ${s.components.map(
                    (c) =>
                      html`<tr>
                        <td>${c.name}</td>
                        <td>${c.workload}</td>
                        <td>${stateBadge(c.state)}</td>
                        <td>${c.updatedReplicas}/${c.desiredReplicas}</td>
                        <td>${c.availableReplicas}/${c.desiredReplicas}</td>
                        <td><code class="image">${c.image}</code></td>
                        <td>${c.message ?? ''}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="muted">No components reported yet.</p>`
        }
        <h2>Conditions</h2>
        ${conditionsTable(name, conditions)}`,
    )}`;
  return page(ctx, {
    title: `${install.spec.app}: ${name}`,
    section: 'installs',
    live: `/events?ns=${encodeURIComponent(ns)}`,
    body,
  });
}
