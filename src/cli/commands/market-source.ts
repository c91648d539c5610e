import type { KeyObject } from 'node:crypto';
import type { AppTemplate } from '../../api/index.js';
import { BundleError } from '../../bundle/errors.js';
import { keyFingerprint } from '../../bundle/package-format.js';
import { checkSignature, imageRepository } from '../../market/format.js';
import type { MarketVersion } from '../../market/store.js';
import type { RegistryFlags } from './bundle-options.js';
import type { MarketTarget } from './market-target.js';
import { openMarket } from './market-target.js';

/** Templates read from a market (`ferry export --from-market`), and where their images are there. */
export interface MarketSource {
  template(app: string, version: string): Promise<AppTemplate>;
  /** A template image's location in the market: REGISTRY/PREFIX/APP/<repository>@<digest>. */
  locate(ref: string): string;
  close(): void;
}

/**
 * With trusted keys, every version read must carry a valid market signature by one of them; the
 * versions keep the vendor's image names, and the images are pulled from the market by digest.
 */
export async function openMarketSource(
  market: string,
  flags: RegistryFlags & { kubeconfig?: string },
  keys: KeyObject[],
): Promise<MarketSource> {
  const target: MarketTarget = await openMarket(market, flags);
  const where = new Map<string, string>();
  const trusted = new Set(keys.map(keyFingerprint));
  const check = (v: MarketVersion) => {
    if (!trusted.size) return;
    const result = v.signature ? checkSignature(v.signature, v.app, v.version, v.digest) : undefined;
    if (!result)
      throw new BundleError(
        `${target.store.url}/${v.app}:${v.version} is not signed; trusted keys require a signature`,
      );
    if ('problem' in result)
      throw new BundleError(`${target.store.url}/${v.app}:${v.version}: ${result.problem}`);
    if (!trusted.has(result.publisher))
      throw new BundleError(
        `${target.store.url}/${v.app}:${v.version} is signed by ${result.publisher}, which is not a trusted key`,
      );
  };
  return {
    async template(app, version) {
      const v = await target.store.readVersion(app, version);
      if (!v) throw new BundleError(`${target.store.url} has no ${app}:${version}`);
      check(v);
      for (const image of v.images) {
        const located = `${target.location.registry}/${imageRepository(target.location, app, image.repository)}@${image.digest}`;
        const known = where.get(image.ref);
        if (known && known !== located)
          throw new BundleError(`${image.ref} is ${known} in one version and ${located} in another`);
        where.set(image.ref, located);
      }
      return v.template;
    },
    locate(ref) {
      const located = where.get(ref);
      if (!located) throw new BundleError(`${ref} is in no version read from ${target.store.url}`);
      return located;
    },
    close: () => target.close(),
  };
}
