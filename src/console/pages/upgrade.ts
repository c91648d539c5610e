import type { AppInstall, AppUpgrade, HookProgress } from '../../api/index.js';
import type { Equivalent } from '../equivalent.js';
import type { ShownError } from '../errors.js';
import { html, path } from '../html.js';
import type { Access, PageContext } from '../layout.js';
import {
  breadcrumbs,
  equivalent,
  errorPanel,
  installPath,
  notice,
  page,
  postForm,
  region,
  stateBadge,
  submit,
} from '../layout.js';
import { hookRunsView } from './hooks.js';
import { planView, progressView } from './plan.js';

export interface UpgradeChoice {
  /** Versions above the installed one, highest first, with their release notes. */
  versions: readonly { version: string; notes?: string }[];
  chosen?: string;
  /** Name the AppUpgrade will get (shown in the equivalent command, then used). */
  name: string;
  upgrades: readonly AppUpgrade[];
  access: Access;
  equivalent?: Equivalent;
  error?: ShownError;
}

/** Pick a version; "Preview the plan" creates a Manual AppUpgrade, which only plans until approved. */
export function upgradeChoosePage(ctx: PageContext, install: AppInstall, choice: UpgradeChoice) {
  const ns = install.metadata.namespace!;
  const name = install.metadata.name;
  const installed = install.status?.version ?? install.spec.version;
  const body = html`${breadcrumbs([['Installs', '/installs'], [`${ns}/${name}`, installPath(ns, name)], ['Upgrade']])}
    <p>Installed: <strong>${install.spec.app} ${installed}</strong>.</p>
    ${errorPanel(choice.error)}
    ${
      choice.versions.length
        ? postForm(
            ctx,
            installPath(ns, name, 'upgrade'),
            html`<input type="hidden" name="name" value="${choice.name}" />
              <fieldset>
                <legend>Version to upgrade to</legend>
                ${choice.versions.map(
                  (v, i) =>
                    html`<div class="choice">
                      <input
                        type="radio"
                        name="to"
                        id="to-${i}"
                        value="${v.version}"
                        ${(choice.chosen ?? choice.versions[0]!.version) === v.version ? ' checked' : ''}
                      />
                      <label for="to-${i}">${v.version}</label
                      >${v.notes ? html`<pre class="notes">${v.notes}</pre>` : ''}
                    </div>`,
                )}
              </fieldset>
              <p class="hint">
                Previewing creates an AppUpgrade with approval Manual: the operator computes its plan and
                changes nothing until you approve it.
              </p>
              <div class="actions">${submit('Preview the plan', choice.access)}</div>`,
            'Choose a version',
          )
        : html`<p>No version above ${installed} is in the cluster.</p>`
    }
    ${choice.equivalent ? equivalent('Preview', choice.equivalent) : ''}
    ${
      choice.upgrades.length
        ? html`<h2>Upgrade requests of ${name}</h2>
            <ul>
              ${choice.upgrades.map(
                (u) =>
                  html`<li>
                    <a href="${path('upgrades', ns, u.metadata.name)}">${u.metadata.name}</a> to
                    ${u.status?.toVersion ?? u.spec.toVersion ?? 'latest'}
                    ${stateBadge(u.status?.phase ?? 'Pending')}
                  </li>`,
              )}
            </ul>`
        : ''
    }`;
  return page(ctx, { title: `Upgrade ${name}`, section: 'installs', body });
}

export interface UpgradeView {
  upgrade: AppUpgrade;
  /** The hook Jobs of the revision the upgrade produced, once it started. */
  hooks?: readonly HookProgress[];
  /** Release notes of the versions the upgrade passes. */
  notes: readonly { version: string; notes: string }[];
  approve: Access;
  /** Adopting writes overrides into the AppInstall. */
  adopt: Access;
  equivalent: Equivalent;
  error?: ShownError;
  message?: string;
}

/** The plan of an AppUpgrade, its not-applied values with adopt switches, approval, then live progress. */
export function upgradePage(ctx: PageContext, view: UpgradeView) {
  const u = view.upgrade;
  const ns = u.metadata.namespace!;
  const s = u.status ?? {};
  const waiting = s.phase === 'WaitingForApproval' && !u.spec.approved;
  const phase = html`<p>
    Phase ${stateBadge(s.phase ?? 'Pending')} <span class="muted">${s.message ?? ''}</span>
  </p>`;
  const approval = html`${
    waiting
      ? postForm(
          ctx,
          path('upgrades', ns, u.metadata.name, 'approve'),
          html`<p>
              Approving starts the rollout, level by
              level.${
                s.plan?.notApplied.some((n) => n.kind !== 'Volume')
                  ? ' Values switched to “adopt” are written into the AppInstall as overrides first.'
                  : ''
              }
            </p>
            <div class="actions">${submit('Approve and start the upgrade', view.approve)}</div>`,
          'Approve',
          'approve-form',
        )
      : u.spec.approved || u.spec.approval !== 'Manual'
        ? html`<p>Approved.</p>`
        : ''
  }`;
  const body = html`${breadcrumbs([
    ['Installs', '/installs'],
    [`${ns}/${u.spec.install}`, installPath(ns, u.spec.install)],
    ['Upgrade', installPath(ns, u.spec.install, 'upgrade')],
    [u.metadata.name],
  ])}
  ${notice(view.message)} ${errorPanel(view.error)} ${region('upgrade-phase', phase)}
  ${region(
    'upgrade-progress',
    waiting
      ? html``
      : html`<h2>Progress</h2>
          ${progressView(s.components, s.plan?.levels)}${hookRunsView(view.hooks)}${
            s.finishedAt ? html`<p>Finished at ${s.finishedAt}.</p>` : ''
          }`,
  )}
  ${region(
    'upgrade-plan',
    s.plan
      ? html`${planView(s.plan, { adoptable: waiting && view.adopt.allowed })}
        ${
          view.notes.length
            ? html`<h3>Release notes</h3>
                ${view.notes.map(
                  (n) =>
                    html`<h4>${n.version}</h4>
                      <pre class="notes">${n.notes}</pre>`,
                )}`
            : ''
        }${waiting && !view.adopt.allowed ? html`<p class="denied">Adopting values is not allowed: ${view.adopt.reason}</p>` : ''}`
      : html`<p>The operator is computing the plan…</p>`,
  )}
  ${region('upgrade-approve', approval)}
  ${region('upgrade-equivalent', equivalent('Approve', view.equivalent))}`;
  return page(ctx, {
    title: `Upgrade ${u.spec.install}${s.toVersion ? ` to ${s.toVersion}` : ''}`,
    section: 'installs',
    live: `/events?ns=${encodeURIComponent(ns)}`,
    body,
  });
}
