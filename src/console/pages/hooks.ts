import type { HookProgress, PlanHook } from '../../api/index.js';
import { html } from '../html.js';
import { stateBadge } from '../layout.js';

/** Where in the rollout a hook runs, as people say it. */
const point = (h: { phase: string; level: number }) =>
  `${h.phase === 'Pre' ? 'before' : 'after'} level ${h.level + 1}`;

/** The hook Jobs a plan will run, in the order they run. */
export function plannedHooksView(hooks: readonly PlanHook[] | undefined) {
  if (!hooks?.length) return '';
  return html`<h3>Hook Jobs (in the order they run)</h3>
    <ol class="hooks">
      ${hooks.map(
        (h) =>
          html`<li>
            <span class="name">${h.name}</span> <span class="muted">${point(h)} (${h.component})</span>
            <code>${h.image}</code>
          </li>`,
      )}
    </ol>`;
}

/** The hook Jobs a revision ran or runs: state, exit code, Job name and the tail of its log. */
export function hookRunsView(hooks: readonly HookProgress[] | undefined) {
  if (!hooks?.length) return '';
  return html`<table class="hooks">
    <caption>
      Hook Jobs
    </caption>
    <thead>
      <tr>
        <th scope="col">Hook</th>
        <th scope="col">When</th>
        <th scope="col">State</th>
        <th scope="col">Exit code</th>
        <th scope="col">Job</th>
        <th scope="col">Log (tail)</th>
      </tr>
    </thead>
    <tbody>
      ${hooks.map(
        (h) =>
          html`<tr>
            <td class="name">${h.name}</td>
            <td>${point(h)} (${h.component})</td>
            <td>${stateBadge(h.state)}${h.message ? html` <span class="muted">${h.message}</span>` : ''}</td>
            <td>${h.exitCode ?? '—'}</td>
            <td><code>${h.job}</code></td>
            <td>
              ${
                h.log
                  ? html`<details>
                      <summary>${h.log.split('\n').filter(Boolean).length} lines</summary>
                      <pre class="log">${h.log}</pre>
                    </details>`
                  : '—'
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
