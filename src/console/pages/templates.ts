import type { AppTemplate, AppTemplateSpec } from '../../api/index.js';
import type { AppListing } from '../../cli/commands/templates.js';
import type { Equivalent } from '../equivalent.js';
import type { ShownError } from '../errors.js';
import type { Html } from '../html.js';
import { html, path, safeImageSource } from '../html.js';
import type { Access, PageContext } from '../layout.js';
import { breadcrumbs, equivalent, errorPanel, page, postForm, submit } from '../layout.js';

export function appIcon(app: string, icon: string | undefined, size = 48): Html {
  const src = safeImageSource(icon);
  return src
    ? html`<img class="icon" src="${src}" alt="" width="${size}" height="${size}" />`
    : html`<span class="icon placeholder" aria-hidden="true">${app.slice(0, 1).toUpperCase()}</span>`;
}

/** Every app the cluster offers: icon, details, versions with origin and release notes, where installed. */
export function templatesPage(
  ctx: PageContext,
  listing: readonly AppListing[],
  icons: ReadonlyMap<string, string>,
) {
  const apps = listing.map(
    (a) =>
      html`<article class="app" aria-labelledby="app-${a.app}">
        <header>
          ${appIcon(a.app, icons.get(a.app))}
          <div>
            <h2 id="app-${a.app}">${a.displayName ?? a.app} <span class="muted mono">${a.app}</span></h2>
            ${a.description ? html`<p>${a.description}</p>` : ''}
            ${a.categories?.length ? html`<p class="muted">Categories: ${a.categories.join(', ')}</p>` : ''}
            ${
              a.maintainers?.length
                ? html`<p class="muted">
                    Maintained by
                    ${a.maintainers.map((m) => (m.email ? `${m.name} <${m.email}>` : m.name)).join(', ')}
                  </p>`
                : ''
            }
          </div>
          <a
            class="button primary"
            href="${path('templates', a.app, 'install')}?version=${encodeURIComponent(a.versions[0]!.version)}"
            >Install ${a.displayName ?? a.app}…</a
          >
        </header>
        <table>
          <caption class="sr-only">
            Versions of ${a.app}
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Origin</th>
              <th scope="col">Published by</th>
              <th scope="col">Installed in</th>
              <th scope="col">Release notes</th>
            </tr>
          </thead>
          <tbody>
            ${a.versions.map(
              (v) =>
                html`<tr>
                  <td>
                    <a href="${path('templates', a.app, 'install')}?version=${encodeURIComponent(v.version)}"
                      >${v.version}</a
                    >
                  </td>
                  <td>${v.origin}</td>
                  <td>${v.publication?.publishedBy ?? '—'}</td>
                  <td>
                    ${v.installedIn.length ? v.installedIn.map((i) => html`<a href="${path('installs', ...i.split('/'))}">${i}</a> `) : '—'}
                  </td>
                  <td>
                    ${v.releaseNotes ? html`<pre class="notes">${v.releaseNotes}</pre>` : html`<span class="muted">none</span>`}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </article>`,
  );
  return page(ctx, {
    title: 'Templates',
    section: 'templates',
    body: html`<p class="lead">Applications this cluster offers (AppTemplates). Choose one to install it.</p>
      ${listing.length ? apps : html`<p>No AppTemplates in the cluster. <code>ferry import</code> adds them from an offline package.</p>`}`,
  });
}

/** The Secrets of the namespace with their keys, or why they could not be listed. */
export type SecretChoices =
  { ok: true; secrets: { name: string; keys: string[] }[] } | { ok: false; reason: string };

export interface InstallForm {
  template: AppTemplateSpec;
  versions: readonly string[];
  namespace: string;
  name: string;
  /** Values given so far (by parameter name): plain values, and SECRET/KEY for secret ones. */
  given: ReadonlyMap<string, string>;
  secrets: SecretChoices;
  access: Access;
  equivalent: Equivalent;
  error?: ShownError;
}

/** The install form generated from the template's parameters; secret ones pick a Secret key from a list. */
export function installPage(ctx: PageContext, form: InstallForm, icon?: string) {
  const t = form.template;
  const params = (t.parameters ?? []).map((p) => {
    const id = `param-${p.name}`;
    const hint = p.description ? html`<span class="hint" id="${id}-hint">${p.description}</span>` : '';
    const describedBy = p.description ? html` aria-describedby="${id}-hint"` : '';
    const label = html`<label for="${id}"
      >${p.name}${p.required ? html` <span class="req">(required)</span>` : ''}${
        p.secret
          ? html` <span class="muted">(secret: choose a key of a Secret in ${form.namespace})</span>`
          : ''
      }</label
    >`;
    if (p.secret) {
      const chosen = form.given.get(p.name) ?? '';
      const control = form.secrets.ok
        ? html`<select id="${id}" name="secret:${p.name}" ${describedBy}${p.required ? ' required' : ''}>
              <option value="">— choose a Secret key —</option>
              ${form.secrets.secrets.flatMap((s) =>
                s.keys.map((k) => {
                  const v = `${s.name}/${k}`;
                  return html`<option value="${v}" ${v === chosen ? ' selected' : ''}>
                    ${s.name} / ${k}
                  </option>`;
                }),
              )}</select
            >${form.secrets.secrets.length ? '' : html`<span class="hint">No Secret in ${form.namespace}: create one first (kubectl create secret generic …).</span>`}`
        : html`<select id="${id}" name="secret:${p.name}" disabled${describedBy}>
              <option>Secrets cannot be listed</option>
            </select>
            <span class="denied">${form.secrets.reason}</span>`;
      return html`<div class="field">${label}${control}${hint}</div>`;
    }
    const value = form.given.get(p.name) ?? p.default ?? '';
    return html`<div class="field">
      ${label}<input
        id="${id}"
        name="param:${p.name}"
        value="${value}"
        ${p.required ? ' required' : ''}${describedBy}
      />${hint}
    </div>`;
  });
  const versionChoice = html`<form
    method="get"
    action="${path('templates', t.app, 'install')}"
    class="inline"
    aria-label="Version and namespace"
  >
    <div class="field">
      <label for="version">Version</label
      ><select id="version" name="version">
        ${form.versions.map((v) => html`<option${v === t.version ? ' selected' : ''}>${v}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="ns">Namespace</label><input id="ns" name="ns" value="${form.namespace}" required />
    </div>
    <button type="submit">Use this version and namespace</button>
  </form>`;
  const body = html`${breadcrumbs([['Templates', '/templates'], [`Install ${t.displayName ?? t.app}`]])}
    <div class="app-head">
      ${appIcon(t.app, icon)}
      <div>
        <h2>${t.displayName ?? t.app} ${t.version}</h2>
        ${t.description ? html`<p>${t.description}</p>` : ''}
      </div>
    </div>
    ${
      t.releaseNotes
        ? html`<details>
            <summary>Release notes of ${t.version}</summary>
            <pre class="notes">${t.releaseNotes}</pre>
          </details>`
        : ''
    }
    ${versionChoice} ${errorPanel(form.error)}
    ${postForm(
      ctx,
      path('templates', t.app, 'install'),
      html`<input type="hidden" name="version" value="${t.version}" /><input
          type="hidden"
          name="ns"
          value="${form.namespace}"
        />
        <fieldset>
          <legend>Install ${t.app} ${t.version} into namespace ${form.namespace}</legend>
          <div class="field">
            <label for="name">AppInstall name</label
            ><input id="name" name="name" value="${form.name}" required />
          </div>
          ${params.length ? params : html`<p>This version declares no parameters.</p>`}
        </fieldset>
        <div class="actions">
          <button type="submit" name="intent" value="preview" formnovalidate>Show YAML and command</button>
          ${submit('Install', form.access, { name: 'intent', value: 'install' })}
        </div>`,
      'Install form',
    )}
    ${equivalent('Install', form.equivalent)}`;
  return page(ctx, { title: `Install ${t.displayName ?? t.app}`, section: 'templates', body });
}

/** The icon of each app: its highest version's (the listing's order). */
export function iconsOf(
  templates: readonly AppTemplate[],
  listing: readonly AppListing[],
): Map<string, string> {
  const icons = new Map<string, string>();
  for (const a of listing) {
    const top = templates.find((t) => t.spec.app === a.app && t.spec.version === a.versions[0]?.version);
    if (top?.spec.icon) icons.set(a.app, top.spec.icon);
  }
  return icons;
}
