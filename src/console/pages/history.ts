import type {
  AppInstall,
  AppRevision,
  AppRollback,
  AppUpgrade,
  HookProgress,
  UpgradePlan,
} from '../../api/index.js';
import type { Equivalent } from '../equivalent.js';
import type { ShownError } from '../errors.js';
import { html, path } from '../html.js';
import type { Access, PageContext } from '../layout.js';
import {
  breadcrumbs,
  equivalent,
  errorPanel,
  installPath,
  page,
  postForm,
  region,
  stateBadge,
  submit,
} from '../layout.js';
import { hookRunsView } from './hooks.js';
import { planView, progressView } from './plan.js';

const by = (r: AppRevision) =>
  r.spec.causeRef && r.spec.causeRef.kind !== 'AppInstall'
    ? `${r.spec.causeRef.kind} ${r.spec.causeRef.name}`
    : 'the AppInstall spec';

/** The recorded revisions, newest first, each with a way back; and the requests that made them. */
export function historyPage(
  ctx: PageContext,
  install: AppInstall,
  revisions: readonly AppRevision[],
  requests: { upgrades: readonly AppUpgrade[]; rollbacks: readonly AppRollback[] },
) {
  const ns = install.metadata.namespace!;
  const name = install.metadata.name;
  const sorted = [...revisions].sort((a, b) => b.spec.revision - a.spec.revision);
  const latest = sorted[0]?.spec.revision;
  const rows = sorted.map(
    (r) =>
      html`<tr>
          <td>${r.spec.revision}</td>
          <td>${r.spec.version}</td>
          <td>
            ${r.spec.cause}${
              r.spec.restoredRevision !== undefined
                ? html` <span class="muted">of revision ${r.spec.restoredRevision}</span>`
                : ''
            }${r.metadata.annotations?.['ferry.dev/auto-rollback-of'] ? html` <span class="muted">(automatic)</span>` : ''}${
              r.spec.changedParameters?.length
                ? html` <span class="muted">of ${r.spec.changedParameters.join(', ')}</span>`
                : ''
            }
          </td>
          <td>${stateBadge(r.status?.outcome ?? 'Progressing')}</td>
          <td>${by(r)}</td>
          <td>${r.status?.startedAt ?? '—'}</td>
          <td>${r.status?.finishedAt ?? '—'}</td>
          <td>${r.status?.message ?? ''}</td>
          <td>
            ${
              r.spec.revision !== latest
                ? html`<a class="button" href="${installPath(ns, name, 'rollback')}?to=${r.spec.revision}"
                    >Roll back to revision ${r.spec.revision}…</a
                  >`
                : html`<span class="muted">current</span>`
            }
          </td>
        </tr>
        ${
          r.status?.hooks?.length
            ? html`<tr class="revision-hooks">
                <td></td>
                <td colspan="8">${hookRunsView(r.status.hooks)}</td>
              </tr>`
            : ''
        }`,
  );
  const body = html`${breadcrumbs([['Installs', '/installs'], [`${ns}/${name}`, installPath(ns, name)], ['History']])}
    <p class="lead">
      Each change is a revision. Rolling back restores a revision as a new one; you see what it changes before
      anything happens.
    </p>
    ${region(
      'history-table',
      html`<table>
          <caption class="sr-only">
            Revisions of ${name}
          </caption>
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Version</th>
              <th scope="col">Cause</th>
              <th scope="col">Outcome</th>
              <th scope="col">By</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Details</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>
        <h2>Requests</h2>
        ${
          requests.upgrades.length || requests.rollbacks.length
            ? html`<ul>
                ${requests.upgrades.map(
                  (u) =>
                    html`<li>
                      AppUpgrade
                      <a href="${path('upgrades', ns, u.metadata.name)}">${u.metadata.name}</a>
                      ${stateBadge(u.status?.phase ?? 'Pending')}
                      <span class="muted">${u.status?.message ?? ''}</span>
                    </li>`,
                )}${requests.rollbacks.map(
                  (r) =>
                    html`<li>
                      AppRollback
                      <a href="${path('rollbacks', ns, r.metadata.name)}">${r.metadata.name}</a>
                      ${stateBadge(r.status?.phase ?? 'Pending')}
                      <span class="muted">${r.status?.message ?? ''}</span>
                    </li>`,
                )}
              </ul>`
            : html`<p class="muted">No AppUpgrade or AppRollback of ${name}.</p>`
        }`,
    )}`;
  return page(ctx, {
    title: `History of ${name}`,
    section: 'installs',
    live: `/events?ns=${encodeURIComponent(ns)}`,
    body,
  });
}

export interface RollbackPreview {
  toRevision: number;
  prune: boolean;
  /** What the rollback would change, computed as the operator will (model/requests.ts), or why it cannot. */
  plan: { ok: true; plan: UpgradePlan } | { ok: false; message: string };
  name: string;
  access: Access;
  equivalent: Equivalent;
  error?: ShownError;
}

/** What rolling back to a revision changes, with the prune-added switch, before anything is created. */
export function rollbackPreviewPage(ctx: PageContext, install: AppInstall, preview: RollbackPreview) {
  const ns = install.metadata.namespace!;
  const name = install.metadata.name;
  const body = html`${breadcrumbs([
      ['Installs', '/installs'],
      [`${ns}/${name}`, installPath(ns, name)],
      ['History', installPath(ns, name, 'history')],
      [`Roll back to revision ${preview.toRevision}`],
    ])}
    <p class="lead">Preview: nothing has changed yet.</p>
    <form
      method="get"
      action="${installPath(ns, name, 'rollback')}"
      aria-label="Rollback options"
      class="inline"
    >
      <input type="hidden" name="to" value="${preview.toRevision}" />
      <p class="switch">
        <input
          type="checkbox"
          role="switch"
          id="prune"
          name="prune"
          value="on"
          data-autosubmit${preview.prune ? ' checked' : ''}
        />
        <label for="prune"
          >Prune added components: delete components revision ${preview.toRevision} did not have (their PVCs
          are kept)</label
        >
      </p>
      <button type="submit" class="js-hidden">Update the preview</button>
    </form>
    ${errorPanel(preview.error)}
    ${
      preview.plan.ok
        ? planView(preview.plan.plan)
        : html`<div class="error" role="alert">
            <h2>This rollback cannot be made</h2>
            <p>${preview.plan.message}</p>
          </div>`
    }
    ${postForm(
      ctx,
      installPath(ns, name, 'rollback'),
      html`<input type="hidden" name="to" value="${preview.toRevision}" /><input
          type="hidden"
          name="name"
          value="${preview.name}"
        />
        <input type="hidden" name="prune" value="${preview.prune ? 'on' : ''}" />
        <div class="actions">
          ${submit(`Roll back to revision ${preview.toRevision}`, preview.plan.ok ? preview.access : { allowed: false, reason: preview.plan.message })}
          <a href="${installPath(ns, name, 'history')}">Cancel</a>
        </div>`,
      'Roll back',
    )}
    ${equivalent('Roll back', preview.equivalent)}`;
  return page(ctx, {
    title: `Roll back ${name} to revision ${preview.toRevision}`,
    section: 'installs',
    body,
  });
}

/** A rollback under way or done: its plan, progress level by level, retained or pruned components. */
export function rollbackPage(ctx: PageContext, rollback: AppRollback, hooks?: readonly HookProgress[]) {
  const ns = rollback.metadata.namespace!;
  const s = rollback.status ?? {};
  const body = html`${breadcrumbs([
    ['Installs', '/installs'],
    [`${ns}/${rollback.spec.install}`, installPath(ns, rollback.spec.install)],
    ['History', installPath(ns, rollback.spec.install, 'history')],
    [rollback.metadata.name],
  ])}
  ${region(
    'rollback-status',
    html`<p>Phase ${stateBadge(s.phase ?? 'Pending')} <span class="muted">${s.message ?? ''}</span></p>
      ${s.retainedComponents?.length ? html`<p>Kept running (added after revision ${s.toRevision}): ${s.retainedComponents.join(', ')}</p>` : ''}
      ${s.prunedComponents?.length ? html`<p>Pruned: ${s.prunedComponents.join(', ')}</p>` : ''}
      <h2>Progress</h2>
      ${progressView(s.components, s.plan?.levels)} ${hookRunsView(hooks)} ${s.plan ? planView(s.plan) : ''}`,
  )}`;
  return page(ctx, {
    title: `Roll back ${rollback.spec.install}${s.toRevision ? ` to revision ${s.toRevision}` : ''}`,
    section: 'installs',
    live: `/events?ns=${encodeURIComponent(ns)}`,
    body,
  });
}
