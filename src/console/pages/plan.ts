import type { ComponentProgress, UpgradePlan } from '../../api/index.js';
import type { Html } from '../html.js';
import { html } from '../html.js';
import { stateBadge } from '../layout.js';
import { plannedHooksView } from './hooks.js';

const CHANGE = {
  Added: 'added',
  Removed: 'not in the new version',
  Changed: 'changed',
  Unchanged: 'unchanged',
};

/** A plan value (JSON-encoded) as text: strings bare, multi-line ones as blocks. */
function value(encoded: string | undefined): Html | string {
  if (encoded === undefined) return '';
  let decoded: unknown = encoded;
  try {
    decoded = JSON.parse(encoded);
  } catch {
    /* shown as it is */
  }
  if (typeof decoded === 'string')
    return decoded.includes('\n')
      ? html`<pre class="value">${decoded}</pre>`
      : html`<code>${JSON.stringify(decoded)}</code>`;
  return html`<code>${JSON.stringify(decoded)}</code>`;
}

/** What happens to a component; one the new version lacks is kept running unless pruned. */
function change(plan: UpgradePlan, c: UpgradePlan['components'][number]): string {
  if (c.change !== 'Removed') return CHANGE[c.change];
  return plan.retained.includes(c.name)
    ? `not in ${plan.toVersion}: kept running`
    : `not in ${plan.toVersion}: deleted (its PVCs are kept)`;
}

/** The key of a not-applied value in the adopt form: component/kind/name. */
export const adoptKey = (n: UpgradePlan['notApplied'][number]) => `${n.component}/${n.kind}/${n.name}`;

export interface PlanOptions {
  /** Show adopt switches (the upgrade waits for approval and the user may write the install). */
  adoptable?: boolean;
  /** Keys of switches on. */
  adopted?: ReadonlySet<string>;
}

/** The plan as a per-component diff, the rollout order, kept site values and retained components. */
export function planView(plan: UpgradePlan, { adoptable = false, adopted = new Set() }: PlanOptions = {}) {
  const components = plan.components.map(
    (c) =>
      html`<li class="component change-${c.change.toLowerCase()}">
        <h4>
          <span class="sym" aria-hidden="true"
            >${{ Added: '+', Removed: '−', Changed: '~', Unchanged: '=' }[c.change]}</span
          >
          <span class="name">${c.name}</span> <span class="change">${change(plan, c)}</span>${
            c.level !== undefined ? html` <span class="muted">level ${c.level + 1}</span>` : ''
          }
        </h4>
        ${
          c.fromImage !== c.toImage && (c.fromImage || c.toImage)
            ? html`<p class="images">
                image
                ${c.fromImage ? html`<code>${c.fromImage}</code>` : ''}${
                  c.fromImage && c.toImage ? html` → ` : ''
                }${c.toImage ? html`<code>${c.toImage}</code>` : ''}
              </p>`
            : ''
        }
        ${
          c.change === 'Changed' && c.patch?.length
            ? html`<table class="diff">
                <caption class="sr-only">
                  Changes to ${c.name}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">change</th>
                    <th scope="col">field</th>
                    <th scope="col">before</th>
                    <th scope="col">after</th>
                  </tr>
                </thead>
                <tbody>
                  ${c.patch.map(
                    (op) =>
                      html`<tr class="op-${op.op}">
                        <td>${op.op}</td>
                        <td><code>${op.path}</code></td>
                        <td class="before">${value(op.previous)}</td>
                        <td class="after">${value(op.value)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : ''
        }
      </li>`,
  );
  return html`<section class="plan" aria-labelledby="plan-title">
    <h2 id="plan-title">Plan: ${plan.fromVersion} → ${plan.toVersion}</h2>
    <h3>Rollout order (dependencies first)</h3>
    <ol class="levels">
      ${plan.levels.map((names) => html`<li>${names.join(', ')}</li>`)}
    </ol>
    <h3>Components</h3>
    <ul class="components">
      ${components}
    </ul>
    ${plannedHooksView(plan.hooks)} ${notApplied(plan, adoptable, adopted)}
    ${
      plan.retained.length
        ? html`<h3>Retained</h3>
            <p>
              Not in ${plan.toVersion}, kept running (nothing that holds data is deleted implicitly):
              <strong>${plan.retained.join(', ')}</strong>
            </p>`
        : ''
    }
  </section>`;
}

function notApplied(plan: UpgradePlan, adoptable: boolean, adopted: ReadonlySet<string>) {
  if (!plan.notApplied.length)
    return html`<h3>Not applied</h3>
      <p>Nothing: no site value differs from the new template.</p>`;
  return html`<h3>Not applied: site values kept</h3>
    <p>
      The install keeps these values; the new template proposes
      others.${
        adoptable
          ? ' Switch one on to adopt the template’s value: it is written into the AppInstall as an override.'
          : ''
      }
    </p>
    <ul class="not-applied">
      ${plan.notApplied.map((n, i) => {
        const key = adoptKey(n);
        const canAdopt = adoptable && n.kind !== 'Volume';
        return html`<li>
          <h4>${n.component} <span class="muted">${n.kind}</span> <code>${n.name}</code></h4>
          <div class="kept-template">
            <div>
              <p class="label">kept</p>
              ${block(n.installed)}
            </div>
            <div>
              <p class="label">template</p>
              ${block(n.template)}
            </div>
          </div>
          ${
            canAdopt
              ? html`<p class="adopt">
                  <input
                    type="checkbox"
                    role="switch"
                    form="approve-form"
                    name="adopt"
                    value="${key}"
                    id="adopt-${i}"
                    ${adopted.has(key) ? ' checked' : ''}
                  />
                  <label for="adopt-${i}">Adopt the template’s value for ${n.component} ${n.name}</label>
                </p>`
              : n.kind === 'Volume' && adoptable
                ? html`<p class="muted">A volume cannot be overridden; change the PVC by hand if needed.</p>`
                : ''
          }
        </li>`;
      })}
    </ul>`;
}

const block = (text: string) =>
  text.includes('\n')
    ? html`<pre class="value">${text}</pre>`
    : html`<pre class="value">${JSON.stringify(text)}</pre>`;

/** Rollout progress level by level, as the request's status reports it. */
export function progressView(
  components: readonly ComponentProgress[] | undefined,
  levels?: readonly string[][],
) {
  const byLevel = new Map<number, ComponentProgress[]>();
  for (const c of components ?? []) byLevel.set(c.level, [...(byLevel.get(c.level) ?? []), c]);
  const count = Math.max(byLevel.size ? Math.max(...byLevel.keys()) + 1 : 0, levels?.length ?? 0);
  if (!count) return html`<p class="muted">No progress yet.</p>`;
  const rows = Array.from({ length: count }, (_, level) => {
    const items =
      byLevel.get(level) ??
      (levels?.[level] ?? []).map((name) => ({ name, level, state: 'Pending' as const }));
    const states = items.map((c) => c.state);
    const state = states.every((s) => s === 'Ready' || s === 'Skipped')
      ? 'Ready'
      : states.includes('Failed')
        ? 'Failed'
        : states.some((s) => s !== 'Pending')
          ? 'Progressing'
          : 'Pending';
    return html`<li class="level level-${state.toLowerCase()}">
      <h4>Level ${level + 1} ${stateBadge(state)}</h4>
      <ul>
        ${items.map(
          (c) =>
            html`<li>
              <span class="name">${c.name}</span> ${stateBadge(c.state)}${
                'message' in c && c.message ? html` <span class="muted">${c.message}</span>` : ''
              }
            </li>`,
        )}
      </ul>
    </li>`;
  });
  return html`<ol class="progress" aria-label="Rollout progress by level">
    ${rows}
  </ol>`;
}
