import type { AppMarket, AppMarketStatus } from '../../api/index.js';
import { ConditionType, GROUP_VERSION, Reason } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { canonicalJson } from '../../model/canonical.js';
import { findCondition } from '../../model/conditions.js';
import type { ControllerContext } from '../context.js';
import { reportInvalidObject } from '../invalid-object.js';
import { syncMarket } from './sync.js';

/**
 * Syncs an AppMarket into AppTemplates when it is due (controller/market/schedule.ts) and writes its
 * status once, only when it changed. A suspended market is left alone; a deleted one leaves its
 * AppTemplates (installs may run them).
 */
export async function reconcileMarket(
  ctx: ControllerContext,
  key: string,
): Promise<{ requeueAfterMs?: number } | void> {
  const parsed = ctx.cache.markets.get(key);
  if (!parsed) {
    ctx.marketSchedule.forget(key);
    return;
  }
  if (!parsed.ok) return reportInvalidObject(ctx, parsed.raw, parsed.problem);
  const market = parsed.object;
  if (market.spec.suspend) return;
  const wait = ctx.marketSchedule.waitMs(key, market, ctx.now());
  if (wait > 0) return { requeueAfterMs: wait };

  const log = ctx.log.child({ market: key });
  const result = await syncMarket(ctx, market);
  const delay = ctx.marketSchedule.synced(key, market, result.ok, ctx.now());
  if (result.created.length) {
    log.info({ created: result.created }, `created AppTemplates ${result.created.join(', ')}`);
    await ctx.events.record(
      market as KubeObject,
      'Normal',
      Reason.TemplatesCreated,
      `created AppTemplates ${result.created.join(', ')}`,
    );
  }
  await reportTrouble(ctx, market, result.status, log);
  if (canonicalJson(result.status) !== canonicalJson(market.status ?? {})) {
    await ctx.client.apply(
      {
        apiVersion: GROUP_VERSION,
        kind: 'AppMarket',
        metadata: { name: market.metadata.name },
        status: result.status,
      },
      { subresource: 'status' },
    );
  }
  return { requeueAfterMs: delay };
}

/** A Warning event and a log line when Ready turns False with a new message (not on every retry). */
async function reportTrouble(
  ctx: ControllerContext,
  market: AppMarket,
  status: AppMarketStatus,
  log: ControllerContext['log'],
): Promise<void> {
  const before = findCondition(market.status?.conditions, ConditionType.Ready);
  const now = findCondition(status.conditions, ConditionType.Ready);
  if (!now || now.status === 'True' || (before?.status === now.status && before.message === now.message))
    return;
  log.warn({ reason: now.reason }, now.message);
  await ctx.events.record(market as KubeObject, 'Warning', now.reason, now.message);
}
