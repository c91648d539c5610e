/**
 * Turns what was read from a market into what the cluster is offered: each version admitted (and
 * made into its AppTemplate) or refused with the reason, and each app with its one publisher.
 */
import type { SyncedApp } from '../model/market-status.js';
import type { OfferedVersion } from '../model/market-sync.js';
import type { TrustPolicy } from './admit.js';
import { admitVersion, appPublisher, marketTemplate } from './admit.js';
import type { MarketLocation } from './format.js';
import type { MarketRead } from './read.js';

export interface Offer {
  apps: SyncedApp[];
  versions: OfferedVersion[];
}

/**
 * @param remembered the publisher each app had in the AppMarket's status: once known, an app takes
 *   versions from that publisher only, whatever the market's binding says later.
 */
export function offerFromMarket(input: {
  market: string;
  location: MarketLocation;
  read: MarketRead;
  remembered: ReadonlyMap<string, string>;
  policy: TrustPolicy;
}): Offer {
  const offer: Offer = { apps: [], versions: [] };
  for (const app of input.read.apps) {
    const decided = appPublisher(app.name, input.remembered.get(app.name), app.binding);
    let publisher = decided.publisher;
    const problems = [app.error, decided.problem].filter((p): p is string => !!p);
    for (const v of app.versions) {
      const { version, digest } = v;
      if (v.state === 'known') offer.versions.push({ app: app.name, version, digest });
      else if (v.state === 'invalid')
        offer.versions.push({ app: app.name, version, digest, problem: v.problem });
      else {
        const admission = admitVersion({ ...v.read, digest }, publisher, input.policy);
        if (!admission.ok) {
          offer.versions.push({ app: app.name, version, digest, problem: admission.problem });
          continue;
        }
        publisher ??= admission.publisher;
        offer.versions.push({
          app: app.name,
          version,
          digest,
          template: marketTemplate({
            market: input.market,
            location: input.location,
            template: v.read.template,
            images: v.read.images,
            digest,
            publisher: admission.publisher,
          }),
        });
      }
    }
    offer.apps.push({
      name: app.name,
      listed: app.listed,
      ...(publisher ? { publisher } : {}),
      ...(problems.length ? { error: problems.join('; ') } : {}),
    });
  }
  return offer;
}
