import { BundleError } from '../../bundle/errors.js';
import { ferryRef } from '../../kube/ref.js';
import type { MarketLocation } from '../../market/format.js';
import { parseMarketUrl } from '../../market/format.js';
import { MarketStore } from '../../market/store.js';
import { UsageError } from '../output.js';
import type { RegistryFlags } from './bundle-options.js';
import { optionalKube, registryClients } from './bundle-options.js';

export interface MarketTarget {
  location: MarketLocation;
  /** The AppMarket it was named by, if it was. */
  name?: string;
  store: MarketStore;
  close(): void;
}

/** `--market NAME|REGISTRY/PREFIX`: a URL has a dot, colon or slash; a bare name is an AppMarket. */
export async function openMarket(
  market: string | undefined,
  flags: RegistryFlags & { kubeconfig?: string },
): Promise<MarketTarget> {
  if (!market) throw new UsageError('--market NAME|REGISTRY/PREFIX is required');
  let location: MarketLocation;
  let name: string | undefined;
  let plainHttp = flags['plain-http'];
  if (/[./:]/.test(market)) location = parseMarketUrl(market);
  else {
    const kube = await optionalKube(flags.kubeconfig);
    if (!kube)
      throw new UsageError(
        `--market ${market}: a name is an AppMarket of a cluster (--kubeconfig or KUBECONFIG); or give REGISTRY/PREFIX`,
      );
    try {
      const object = await kube.get<{ spec?: { url?: string; plainHttp?: boolean } }>(
        ferryRef('AppMarket', undefined, market),
      );
      if (!object?.spec?.url) throw new BundleError(`AppMarket ${market} not found in the cluster`);
      location = parseMarketUrl(object.spec.url);
      plainHttp ||= object.spec.plainHttp;
      name = market;
    } finally {
      kube.close();
    }
  }
  const { clientFor, closeAll } = registryClients({ ...flags, 'plain-http': plainHttp });
  return { location, name, store: new MarketStore(clientFor(location.registry), location), close: closeAll };
}
