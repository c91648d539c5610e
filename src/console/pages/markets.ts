import type { KubeObject } from '../../kube/client.js';
import type { Condition } from '../../api/index.js';
import { html } from '../html.js';
import type { PageContext } from '../layout.js';
import { conditionsTable, page, region, stateBadge } from '../layout.js';

type Market = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Scalar and string-list fields, as label/value pairs (the AppMarket schema belongs to its controller). */
function facts(object: Record<string, unknown> | undefined, skip: readonly string[] = []) {
  return Object.entries(object ?? {}).flatMap(([key, value]) => {
    if (skip.includes(key)) return [];
    if (['string', 'number', 'boolean'].includes(typeof value)) return [[key, String(value)] as const];
    if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return [[key, value.length ? value.join(', ') : '—'] as const];
    return [];
  });
}

/** The AppMarkets the cluster syncs: source, sync status and errors (shown only when the kind exists). */
export function marketsPage(ctx: PageContext, markets: readonly Market[], error?: string) {
  const cards = markets.map((m) => {
    const conditions = (m.status?.conditions ?? []) as Condition[];
    const ready = conditions.find((c) => c.type === 'Ready');
    const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
    const state = stalled
      ? 'Failed'
      : ready?.status === 'True'
        ? 'Synced'
        : ready
          ? 'Progressing'
          : 'Pending';
    return html`<article class="app" aria-labelledby="market-${m.metadata?.name}">
      <h2 id="market-${m.metadata?.name}">${m.metadata?.name} ${stateBadge(state)}</h2>
      ${ready ? html`<p>${ready.reason}: ${ready.message}</p>` : ''}
      ${stalled ? html`<div class="error" role="alert"><p>${stalled.reason}: ${stalled.message}</p></div>` : ''}
      <dl class="facts">
        ${[...facts(m.spec), ...facts(m.status, ['observedGeneration'])].map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd>${v}</dd>`,
        )}
      </dl>
      ${conditions.length ? conditionsTable(m.metadata?.name ?? 'the market', conditions) : ''}
    </article>`;
  });
  return page(ctx, {
    title: 'Markets',
    section: 'markets',
    live: '/events?markets=1',
    body: html`<p class="lead">
        App markets this cluster syncs (AppMarkets): new versions arrive as AppTemplates.
      </p>
      ${error ? html`<div class="error" role="alert"><p>${error}</p></div>` : ''}
      ${region('markets', markets.length ? html`${cards}` : html`<p>No AppMarket in the cluster.</p>`)}`,
  });
}
