/**
 * One sync of an AppMarket: credentials from the operator's namespace, the market read (new versions
 * only), versions admitted, the plan (model/market-sync.ts), the new AppTemplates created. Returns the
 * status to write; a market that cannot be reached yields a status that keeps what was synced.
 */
import type { AppMarket, AppMarketStatus, AppTemplate } from '../../api/index.js';
import { ANNOTATION_MARKET_DIGEST, LABEL_MARKET, Reason } from '../../api/index.js';
import { BundleError, RegistryError } from '../../bundle/errors.js';
import type { RegistryClientOptions } from '../../bundle/registry-client.js';
import { RegistryClient } from '../../bundle/registry-client.js';
import { KubeApiError } from '../../kube/client.js';
import { trustedFingerprints } from '../../market/admit.js';
import type { MarketLocation } from '../../market/format.js';
import { parseMarketUrl } from '../../market/format.js';
import { offerFromMarket } from '../../market/offer.js';
import { readMarket } from '../../market/read.js';
import { MarketStore } from '../../market/store.js';
import { failedMarketStatus, syncedMarketStatus } from '../../model/market-status.js';
import { planMarketSync } from '../../model/market-sync.js';
import type { ControllerContext } from '../context.js';
import type { SecretObject } from './credentials.js';
import { MarketSecretError, caFromSecret, credentialsFromSecret } from './credentials.js';

export interface SyncResult {
  status: AppMarketStatus;
  ok: boolean;
  created: string[];
}

class InvalidMarketSpec extends Error {}

async function registryOptions(
  ctx: ControllerContext,
  market: AppMarket,
  registry: string,
): Promise<RegistryClientOptions> {
  const { spec } = market;
  const secret = (name: string) =>
    ctx.client.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace: ctx.namespace, name });
  const options: RegistryClientOptions = {
    plainHttp: spec.plainHttp,
    retries: 2,
    userAgent: 'ferry-operator',
  };
  if (spec.secretRef)
    options.credentials = credentialsFromSecret(
      await secret(spec.secretRef.name),
      ctx.namespace,
      spec.secretRef.name,
      registry,
    );
  if (spec.caSecretRef)
    options.caPem = caFromSecret(await secret(spec.caSecretRef.name), ctx.namespace, spec.caSecretRef);
  return options;
}

function location(market: AppMarket): MarketLocation {
  try {
    return parseMarketUrl(market.spec.url);
  } catch (error) {
    throw new InvalidMarketSpec(`spec.url: ${(error as Error).message}`);
  }
}

/** The market's AppTemplates in the cache, by name, and the digests of this market's own copies. */
function clusterTemplates(ctx: ControllerContext, name: string) {
  const existing = new Map<string, AppTemplate>();
  const known = new Map<string, string>();
  for (const t of ctx.cache.templates.valid()) {
    existing.set(t.metadata.name, t);
    const digest = t.metadata.annotations?.[ANNOTATION_MARKET_DIGEST];
    if (t.metadata.labels?.[LABEL_MARKET] === name && digest)
      known.set(`${t.spec.app}@${t.spec.version}`, digest);
  }
  return { existing, known };
}

async function createTemplates(ctx: ControllerContext, templates: AppTemplate[]): Promise<string[]> {
  const created: string[] = [];
  for (const template of templates) {
    try {
      await ctx.client.create(template);
      created.push(template.metadata.name);
    } catch (error) {
      // Created meanwhile (by someone else, or the cache lagged): the next sync compares it.
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }
  return created;
}

/** Why a whole sync failed, in status terms; undefined for errors the queue retries as they are. */
function failure(
  error: unknown,
  market: AppMarket,
): { reason: string; message: string; stalled: boolean } | undefined {
  const url = market.spec.url;
  if (error instanceof InvalidMarketSpec)
    return { reason: Reason.InvalidSpec, message: error.message, stalled: true };
  if (error instanceof MarketSecretError)
    return { reason: Reason.MarketSecretInvalid, message: error.message, stalled: true };
  if (error instanceof RegistryError) {
    // Drop the CLI's hint about flags: here the credentials come from spec.secretRef.
    const detail = error.message.replace(/ \(check --username.*\)$/, '');
    if (error.status === 401 || error.status === 403) {
      const secret = market.spec.secretRef
        ? `the credentials of Secret ${market.spec.secretRef.name}`
        : 'anonymous access (no spec.secretRef)';
      return {
        reason: Reason.MarketCredentialsRejected,
        message: `${url}: the registry refused ${secret}: ${detail}`,
        stalled: true,
      };
    }
    return { reason: Reason.MarketUnreachable, message: `${url}: ${detail}`, stalled: false };
  }
  if (error instanceof BundleError)
    return { reason: Reason.MarketInvalid, message: `${url}: ${error.message}`, stalled: true };
  return undefined;
}

export async function syncMarket(ctx: ControllerContext, market: AppMarket): Promise<SyncResult> {
  const name = market.metadata.name;
  const previous = market.status ?? {};
  const generation = market.metadata.generation;
  const now = ctx.now();
  try {
    const where = location(market);
    const trust = trustedFingerprints(market.spec.trustedKeys ?? []);
    if (trust.problems.length) throw new InvalidMarketSpec(`spec.${trust.problems.join('; spec.')}`);
    const client = new RegistryClient(where.registry, await registryOptions(ctx, market, where.registry));
    const { existing, known } = clusterTemplates(ctx, name);
    let read;
    try {
      read = await readMarket(new MarketStore(client, where), market.spec.apps, known);
    } finally {
      client.close();
    }
    const requireSignatures = trust.fingerprints.length > 0 || !!read.index?.requireSignatures;
    const offer = offerFromMarket({
      market: name,
      location: where,
      read,
      remembered: new Map((previous.apps ?? []).flatMap((a) => (a.publisher ? [[a.name, a.publisher]] : []))),
      policy: {
        trusted: trust.fingerprints,
        requireSignatures,
        requiredBy: trust.fingerprints.length ? 'spec.trustedKeys' : "the market's index",
      },
    });
    const plan = planMarketSync(name, offer.versions, existing);
    const created = await createTemplates(ctx, plan.create);
    const status = syncedMarketStatus({
      previous,
      url: market.spec.url,
      apps: offer.apps,
      plan,
      generation,
      now,
    });
    return { status, ok: true, created };
  } catch (error) {
    const why = failure(error, market);
    if (!why) throw error;
    return { status: failedMarketStatus({ previous, ...why, generation, now }), ok: false, created: [] };
  }
}
