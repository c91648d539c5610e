/**
 * What syncing a market changes in the cluster, decided without I/O: for each version the market
 * offers, create its AppTemplate, leave the one already there, or report a conflict (a template of
 * the same name with other content is never replaced) or a refusal. Also when the next sync is due.
 */
import type { AppTemplate } from '../api/index.js';
import {
  ANNOTATION_MARKET_DIGEST,
  DURATION_PATTERN,
  LABEL_MARKET,
  LABEL_ORIGIN,
  templateName,
} from '../api/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/** One version as the market offers it, after admission. */
export interface OfferedVersion {
  app: string;
  version: string;
  /** The version's manifest digest in the market. */
  digest: string;
  /** The AppTemplate it becomes (admitted and read); absent when refused or already held. */
  template?: AppTemplate;
  /** Why it is not admitted (signature, publisher, invalid artifact). */
  problem?: string;
}

export type VersionOutcome =
  | { action: 'create'; offered: OfferedVersion; template: AppTemplate }
  | { action: 'unchanged'; offered: OfferedVersion; template: string }
  | {
      action: 'conflict';
      offered: OfferedVersion;
      template: string;
      /** The content digest of the cluster's template (status.contentDigest or computed from its spec). */
      clusterDigest: string;
      problem: string;
    }
  | { action: 'refused'; offered: OfferedVersion; problem: string };

export interface MarketSyncPlan {
  create: AppTemplate[];
  conflicts: Extract<VersionOutcome, { action: 'conflict' }>[];
  unchanged: Extract<VersionOutcome, { action: 'unchanged' }>[];
  refused: Extract<VersionOutcome, { action: 'refused' }>[];
  /** Every offered version's outcome, in the order offered. */
  outcomes: VersionOutcome[];
}

/** sha256 of a template spec's canonical JSON: what AppTemplate status.contentDigest holds. */
export const templateContentDigest = (t: AppTemplate) =>
  t.status?.contentDigest ?? `sha256:${sha256Hex(canonicalJson(t.spec))}`;

/** True when the cluster's template is this market's copy of exactly this version. */
const fromThisMarket = (t: AppTemplate, market: string, digest: string) =>
  t.metadata.labels?.[LABEL_MARKET] === market &&
  t.metadata.annotations?.[ANNOTATION_MARKET_DIGEST] === digest;

function describeOrigin(t: AppTemplate): string {
  const labels = t.metadata.labels ?? {};
  if (labels[LABEL_MARKET]) return `from AppMarket ${labels[LABEL_MARKET]}`;
  return labels[LABEL_ORIGIN] ? `origin ${labels[LABEL_ORIGIN]}` : 'created outside Ferry';
}

/**
 * @param existing the cluster's AppTemplates by name
 */
export function planMarketSync(
  market: string,
  offered: readonly OfferedVersion[],
  existing: ReadonlyMap<string, AppTemplate>,
): MarketSyncPlan {
  const plan: MarketSyncPlan = { create: [], conflicts: [], unchanged: [], refused: [], outcomes: [] };
  for (const o of offered) {
    const name = templateName(o.app, o.version);
    const current = existing.get(name);
    let outcome: VersionOutcome;
    if (
      current &&
      (fromThisMarket(current, market, o.digest) ||
        (o.template && canonicalJson(o.template.spec) === canonicalJson(current.spec)))
    ) {
      outcome = { action: 'unchanged', offered: o, template: name };
      plan.unchanged.push(outcome);
    } else if (o.problem || !o.template) {
      outcome = { action: 'refused', offered: o, problem: o.problem ?? 'not read from the market' };
      plan.refused.push(outcome);
    } else if (current) {
      const clusterDigest = templateContentDigest(current);
      outcome = {
        action: 'conflict',
        offered: o,
        template: name,
        clusterDigest,
        problem:
          `conflict: AppTemplate ${name} already exists with other content (${describeOrigin(current)}) and is left alone: ` +
          `the market's version has manifest digest ${o.digest}, the cluster's template has content digest ${clusterDigest} (status.contentDigest)`,
      };
      plan.conflicts.push(outcome);
    } else {
      outcome = { action: 'create', offered: o, template: o.template };
      plan.create.push(o.template);
    }
    plan.outcomes.push(outcome);
  }
  return plan;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10m`, `1h30m`, `45s` in milliseconds (at least one second); undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.max(1000, Math.round(ms));
}

/** The delay before retrying a market that failed `failures` times in a row: 5 s doubling, at most the interval. */
export const retryDelayMs = (failures: number, intervalMs: number) =>
  Math.min(intervalMs, 5000 * 2 ** Math.max(0, failures - 1), 5 * 60_000);
