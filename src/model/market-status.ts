/** The status of an AppMarket after a sync, or after a sync that could not reach the market. */
import semver from 'semver';
import type { AppMarketStatus, Condition, MarketAppStatus, MarketVersionStatus } from '../api/index.js';
import { ConditionType, MARKET_STATUS_APPS, MARKET_STATUS_VERSIONS, Reason } from '../api/index.js';
import { removeCondition, setCondition } from './conditions.js';
import type { MarketSyncPlan } from './market-sync.js';
import { rfc3339 } from './time.js';

export interface SyncedApp {
  name: string;
  listed: boolean;
  publisher?: string;
  /** A problem with the app itself (not one version). */
  error?: string;
}

const cap = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function appStatus(app: SyncedApp, plan: MarketSyncPlan): MarketAppStatus {
  const outcomes = plan.outcomes
    .filter((o) => o.offered.app === app.name)
    .sort((a, b) => semver.rcompare(a.offered.version, b.offered.version));
  const versions: MarketVersionStatus[] = outcomes.slice(0, MARKET_STATUS_VERSIONS).map((o) => ({
    version: o.offered.version,
    digest: o.offered.digest,
    ...(o.action === 'create'
      ? { template: o.template.metadata.name }
      : o.action === 'unchanged'
        ? { template: o.template }
        : { problem: cap(o.problem, 2048) }),
  }));
  const problems = outcomes.filter((o) => o.action === 'conflict' || o.action === 'refused');
  const errors = [
    ...(app.error ? [app.error] : []),
    ...problems.map((o) => `${o.offered.version}: ${'problem' in o ? o.problem : ''}`),
  ];
  return {
    name: app.name,
    listed: app.listed,
    ...(app.publisher ? { publisher: app.publisher } : {}),
    ...(versions.length ? { versions } : {}),
    ...(errors.length ? { error: cap(errors.join('; '), 4096) } : {}),
  };
}

function withConditions(
  conditions: Condition[],
  set: [type: string, status: 'True' | 'False', reason: string, message: string][],
  remove: string[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  let list = conditions;
  for (const type of remove) list = removeCondition(list, type);
  for (const [type, status, reason, message] of set)
    list = setCondition(list, { type, status, reason, message: cap(message, 32768) }, generation, now);
  return list;
}

/** The status after a sync that reached the market: every app, each version's outcome, the summary. */
export function syncedMarketStatus(input: {
  previous: AppMarketStatus;
  url: string;
  apps: readonly SyncedApp[];
  plan: MarketSyncPlan;
  generation: number | undefined;
  now: Date;
}): AppMarketStatus {
  const { plan, generation, now } = input;
  const apps = [...input.apps]
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MARKET_STATUS_APPS)
    .map((a) => appStatus(a, plan));
  const synced = plan.create.length + plan.unchanged.length;
  const troubled = input.apps.filter((a) => a.error).length;
  const notSynced = plan.conflicts.length + plan.refused.length;
  const parts = [
    `${input.url}: ${plural(input.apps.length, 'app')}, ${plural(synced, 'version')} synced`,
    ...(plan.refused.length ? [`${plural(plan.refused.length, 'version')} refused`] : []),
    ...(plan.conflicts.length ? [`${plural(plan.conflicts.length, 'conflict')}`] : []),
    ...(troubled ? [`${plural(troubled, 'app')} with errors`] : []),
  ];
  const message = parts.join('; ');
  const ok = notSynced === 0 && troubled === 0;
  const conditions = ok
    ? withConditions(
        input.previous.conditions ?? [],
        [[ConditionType.Ready, 'True', Reason.MarketSynced, message]],
        [ConditionType.Stalled, ConditionType.Reconciling],
        generation,
        now,
      )
    : withConditions(
        input.previous.conditions ?? [],
        [
          [ConditionType.Ready, 'False', Reason.VersionsNotSynced, `${message}: see status.apps`],
          [ConditionType.Stalled, 'True', Reason.VersionsNotSynced, `${message}: see status.apps`],
        ],
        [ConditionType.Reconciling],
        generation,
        now,
      );
  return {
    observedGeneration: generation,
    conditions,
    lastSyncTime: rfc3339(now),
    message: cap(message, 4096),
    ...(apps.length ? { apps } : {}),
  };
}

/**
 * The status after a sync that failed as a whole (market unreachable, credentials refused, Secret
 * missing): what was synced and reported before stays; Ready=False says why; Reconciling while it
 * is retried by itself, Stalled when someone must change something first.
 */
export function failedMarketStatus(input: {
  previous: AppMarketStatus;
  reason: string;
  message: string;
  stalled: boolean;
  generation: number | undefined;
  now: Date;
}): AppMarketStatus {
  const { previous, reason, generation, now } = input;
  const kept = previous.lastSyncTime
    ? ` AppTemplates synced before stay (last successful sync ${previous.lastSyncTime}).`
    : '';
  const message = `${input.message}.${kept}`;
  return {
    ...previous,
    observedGeneration: generation,
    message: cap(message, 4096),
    conditions: withConditions(
      previous.conditions ?? [],
      [
        [ConditionType.Ready, 'False', reason, message],
        [input.stalled ? ConditionType.Stalled : ConditionType.Reconciling, 'True', reason, message],
      ],
      [input.stalled ? ConditionType.Reconciling : ConditionType.Stalled],
      generation,
      now,
    ),
  };
}
