/**
 * Reads what a cluster syncs from a market: the index, the selected apps, their publisher bindings
 * and versions. A version the cluster already holds (same manifest digest) costs one HEAD request;
 * only new ones are read whole. Registry failures (unreachable, credentials refused, 5xx) end the read
 * — the caller keeps what it synced before —, while a version that is not a valid Ferry artifact is
 * reported for that version alone.
 */
import { BundleError, RegistryError } from '../bundle/errors.js';
import type { MarketIndex, PublisherBinding } from './format.js';
import { selectApps } from './admit.js';
import type { MarketStore, MarketVersion } from './store.js';

export type ReadVersion =
  | { app: string; version: string; digest: string; state: 'known' }
  | { app: string; version: string; digest: string; state: 'read'; read: MarketVersion }
  | { app: string; version: string; digest: string; state: 'invalid'; problem: string };

export interface ReadApp {
  name: string;
  listed: boolean;
  binding?: PublisherBinding;
  /** Oldest first. */
  versions: ReadVersion[];
  /** The app itself could not be read (e.g. an invalid publisher binding). */
  error?: string;
}

export interface MarketRead {
  index?: MarketIndex;
  apps: ReadApp[];
}

/** A problem with what the market holds (not with reaching it): reported, never retried harder. */
const isContentProblem = (error: unknown) =>
  error instanceof BundleError || (error instanceof RegistryError && error.status === 404);

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * @param known manifest digests of versions the cluster already holds from this market, by
 *   `app@version`: those are not read again.
 */
export async function readMarket(
  store: MarketStore,
  patterns: readonly string[] | undefined,
  known: ReadonlyMap<string, string>,
): Promise<MarketRead> {
  const index = await store.readIndex();
  const apps: ReadApp[] = [];
  for (const { name, listed } of selectApps(patterns, index)) {
    const app: ReadApp = { name, listed, versions: [] };
    apps.push(app);
    try {
      app.binding = await store.readPublisher(name);
    } catch (error) {
      if (!isContentProblem(error)) throw error;
      app.error = message(error);
      continue;
    }
    for (const version of await store.versions(name)) {
      const digest = await store.versionDigest(name, version);
      if (!digest) continue; // deleted since the tag list
      if (known.get(`${name}@${version}`) === digest) {
        app.versions.push({ app: name, version, digest, state: 'known' });
        continue;
      }
      try {
        const read = await store.readVersion(name, version);
        if (read) app.versions.push({ app: name, version, digest: read.digest, state: 'read', read });
      } catch (error) {
        if (!isContentProblem(error)) throw error;
        app.versions.push({ app: name, version, digest, state: 'invalid', problem: message(error) });
      }
    }
  }
  return { index, apps };
}
