import { createHash } from 'node:crypto';
import type { Condition } from '../api/index.js';
import type { Equivalent } from './equivalent.js';
import type { ShownError } from './errors.js';
import type { Health } from './health.js';
import type { Html } from './html.js';
import { html, path } from './html.js';

/** What every page knows about the session. */
export interface PageContext {
  /** The user the API server sees (SelfSubjectReview). */
  user: string;
  /** The cluster's server URL, for the header. */
  cluster: string;
  csrf: string;
  /** Whether the AppMarket kind exists in the cluster (then Markets is in the menu). */
  markets: boolean;
}

/** Whether the user may do something, and if not why (from a SelfSubjectAccessReview). */
export interface Access {
  allowed: boolean;
  reason?: string;
}

type Section = 'templates' | 'installs' | 'markets';

export function page(
  ctx: PageContext,
  { title, section, live, body }: { title: string; section: Section; live?: string; body: Html },
): string {
  const link = (href: string, label: string, name: Section) =>
    html`<li><a href="${href}" ${name === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Ferry console</title>
<link rel="stylesheet" href="/assets/console.css">
<link rel="icon" href="/assets/ferry.svg" type="image/svg+xml">
<script src="/assets/console.js" defer></script>
</head>
<body${live ? html` data-live="${live}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand"><img src="/assets/ferry.svg" alt="" width="24" height="24"> Ferry console</span>
  <nav aria-label="Main"><ul>
    ${link('/templates', 'Templates', 'templates')}
    ${link('/installs', 'Installs', 'installs')}
    ${ctx.markets ? link('/markets', 'Markets', 'markets') : ''}
  </ul></nav>
  <span class="who">Signed in as <strong>${ctx.user}</strong> on <span class="mono">${ctx.cluster}</span></span>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<p class="live-status" role="status" aria-live="polite" id="live-status"></p>
</body>
</html>
`.text;
}

/** A form posting to the console, with its CSRF field. */
export const postForm = (ctx: PageContext, action: string, content: Html, label?: string, id?: string) =>
  html`<form
    method="post"
    action="${action}"
    ${label ? html` aria-label="${label}"` : ''}${id ? html` id="${id}"` : ''}
  >
    <input type="hidden" name="_csrf" value="${ctx.csrf}" />
    ${content}
  </form>`;

/** A submit button that is disabled, with the reason next to it, when RBAC does not allow it. */
export function submit(
  label: string,
  access: Access,
  { name, value }: { name?: string; value?: string } = {},
) {
  const attrs = html`${name ? html` name="${name}"` : ''}${value ? html` value="${value}"` : ''}`;
  if (access.allowed) return html`<button type="submit" class="primary" ${attrs}>${label}</button>`;
  const id = `why-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return html`<button type="submit" class="primary" disabled aria-describedby="${id}" ${attrs}>
      ${label}
    </button>
    <span class="denied" id="${id}">Not allowed: ${access.reason ?? 'your RBAC does not allow it'}</span>`;
}

export function errorPanel(error: ShownError | undefined) {
  if (!error) return '';
  return html`<div class="error" role="alert">
    <h2>${error.title}</h2>
    <p>${error.message}</p>
    ${
      error.fields.length
        ? html`<ul class="fields">
            ${error.fields.map((f) => html`<li><code class="field">${f.field}</code>: ${f.message}</li>`)}
          </ul>`
        : ''
    }
  </div>`;
}

export function notice(text: string | undefined) {
  return text ? html`<div class="notice" role="status">${text}</div>` : '';
}

export function equivalent(what: string, eq: Equivalent) {
  return html`<details class="equivalent" open>
    <summary>${what}: the equivalent <code>ferry</code> command and YAML</summary>
    <p class="label">Command</p>
    <pre class="command"><code>${eq.command}</code></pre>
    <p class="label">YAML (commit it to your GitOps repository instead of clicking)</p>
    <pre class="yaml"><code>${eq.yaml}</code></pre>
  </details>`;
}

const HEALTH_TEXT: Record<Health, string> = {
  Current: 'Ready',
  InProgress: 'In progress',
  Failed: 'Failed',
  Unknown: 'Unknown',
};

export const healthBadge = (h: Health, message?: string) =>
  html`<span class="badge health-${h.toLowerCase()}" ${message ? html` title="${message}"` : ''}
    >${HEALTH_TEXT[h]}</span
  >`;

/** A state word (Ready, Progressing, Failed, Succeeded, Retained…) as a coloured badge. */
/** kstatus conditions as a table: type, status, reason, message, and since when. */
export function conditionsTable(of: string, conditions: readonly Condition[]) {
  return html`<table>
    <caption class="sr-only">
      Conditions of ${of}
    </caption>
    <thead>
      <tr>
        <th scope="col">Type</th>
        <th scope="col">Status</th>
        <th scope="col">Reason</th>
        <th scope="col">Message</th>
        <th scope="col">Since</th>
      </tr>
    </thead>
    <tbody>
      ${conditions.map(
        (c) =>
          html`<tr>
            <td>${c.type}</td>
            <td>${c.status}</td>
            <td>${c.reason}</td>
            <td>${c.message}</td>
            <td>${c.lastTransitionTime}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export const stateBadge = (state: string) =>
  html`<span class="badge state-${state.toLowerCase()}">${state}</span>`;

export const installPath = (namespace: string, name: string, ...rest: string[]) =>
  path('installs', namespace, name, ...rest);

export function breadcrumbs(items: readonly [string, string?][]) {
  return html`<nav aria-label="Breadcrumb" class="crumbs">
    <ol>
      ${items.map(([label, href]) =>
        href ? html`<li><a href="${href}">${label}</a></li>` : html`<li aria-current="page">${label}</li>`,
      )}
    </ol>
  </nav>`;
}

/**
 * A part of a page that live updates replace: the client swaps it when its data-version (a digest
 * of its content) changes, so what the user typed or switched elsewhere stays.
 */
export function region(id: string, content: Html) {
  const version = createHash('sha256').update(content.text).digest('hex').slice(0, 16);
  return html`<div data-region id="${id}" data-version="${version}">${content}</div>`;
}
