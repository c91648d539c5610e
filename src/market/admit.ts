/**
 * What a cluster accepts from a market, decided without I/O: which apps an AppMarket syncs, which
 * versions it admits (signatures, trusted keys, the app's one publisher), and the AppTemplate a
 * version becomes (its images where the market keeps them).
 */
import { createPublicKey } from 'node:crypto';
import type { AppTemplate } from '../api/index.js';
import {
  ANNOTATION_MARKET_DIGEST,
  ANNOTATION_MARKET_PUBLISHER,
  GROUP_VERSION,
  LABEL_MARKET,
  LABEL_ORIGIN,
  templateName,
} from '../api/index.js';
import { keyFingerprint } from '../bundle/package-format.js';
import type { MarketIndex, MarketLocation, MarketSignature } from './format.js';
import { checkSignature, imageRepository, listedApps } from './format.js';
import { mapImages } from '../model/images.js';

const GLOB = /[*?]/;

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The apps an AppMarket syncs: every listed app when `patterns` is empty; globs match listed apps;
 * an exact name is synced whether listed or not ("pushed but unlisted versions are installable by name").
 */
export function selectApps(
  patterns: readonly string[] | undefined,
  index: MarketIndex | undefined,
): { name: string; listed: boolean }[] {
  const listed = new Set(index ? listedApps(index) : []);
  const names = new Set<string>();
  if (!patterns?.length) for (const app of listed) names.add(app);
  for (const pattern of patterns ?? []) {
    if (!GLOB.test(pattern)) names.add(pattern);
    else {
      const re = globToRegExp(pattern);
      for (const app of listed) if (re.test(app)) names.add(app);
    }
  }
  return [...names].sort().map((name) => ({ name, listed: listed.has(name) }));
}

/** Fingerprints of PEM public keys (spec.trustedKeys); a key that does not parse is a problem. */
export function trustedFingerprints(pems: readonly string[]): { fingerprints: string[]; problems: string[] } {
  const fingerprints: string[] = [];
  const problems: string[] = [];
  pems.forEach((pem, i) => {
    try {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') problems.push(`trustedKeys[${i}] is not an ed25519 key`);
      else fingerprints.push(keyFingerprint(key));
    } catch {
      problems.push(`trustedKeys[${i}] is not a PEM public key`);
    }
  });
  return { fingerprints, problems };
}

export interface TrustPolicy {
  /** Fingerprints of spec.trustedKeys; empty: any valid signature (when signatures are required). */
  trusted: readonly string[];
  /** spec.trustedKeys given, or the market's index requires signatures. */
  requireSignatures: boolean;
  /** Why signatures are required, for messages. */
  requiredBy: string;
}

export interface VersionToAdmit {
  app: string;
  version: string;
  digest: string;
  signature?: MarketSignature;
}

export type Admission = { ok: true; publisher?: string } | { ok: false; problem: string };

/**
 * Whether a version may become an AppTemplate: its signature (if any) must be for exactly this
 * version and verify; it must be signed by the app's publisher once that is known; and with a trust
 * policy, signed by a trusted key.
 */
export function admitVersion(
  v: VersionToAdmit,
  appPublisher: string | undefined,
  policy: TrustPolicy,
): Admission {
  if (!v.signature) {
    if (policy.requireSignatures)
      return { ok: false, problem: `refused: unsigned, and ${policy.requiredBy} requires signatures` };
    if (appPublisher)
      return {
        ok: false,
        problem: `refused: unsigned, but ${v.app}'s publisher is ${appPublisher}: an app never gets a version from another publisher`,
      };
    return { ok: true };
  }
  const check = checkSignature(v.signature, v.app, v.version, v.digest);
  if ('problem' in check) return { ok: false, problem: `refused: ${check.problem}` };
  if (appPublisher && check.publisher !== appPublisher)
    return {
      ok: false,
      problem: `refused: signed by ${check.publisher}, but ${v.app}'s publisher is ${appPublisher}: an app never gets a version from another publisher`,
    };
  if (policy.trusted.length && !policy.trusted.includes(check.publisher))
    return {
      ok: false,
      problem: `refused: signed by ${check.publisher}, which spec.trustedKeys does not hold`,
    };
  return { ok: true, publisher: check.publisher };
}

/**
 * The AppTemplate a market version becomes: the vendor's image names replaced by where the market
 * keeps each image (`registry/prefix/app/repository@digest`), labelled with its market, annotated
 * with the version's manifest digest and its publisher.
 */
export function marketTemplate(input: {
  market: string;
  location: MarketLocation;
  template: AppTemplate;
  images: readonly { ref: string; repository: string; digest: string }[];
  digest: string;
  publisher?: string;
}): AppTemplate {
  const { template, location } = input;
  const { app, version } = template.spec;
  const where = new Map(
    input.images.map((i) => [
      i.ref,
      `${location.registry}/${imageRepository(location, app, i.repository)}@${i.digest}`,
    ]),
  );
  return {
    apiVersion: GROUP_VERSION as 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: {
      name: templateName(app, version),
      labels: { [LABEL_ORIGIN]: 'market', [LABEL_MARKET]: input.market },
      annotations: {
        [ANNOTATION_MARKET_DIGEST]: input.digest,
        ...(input.publisher ? { [ANNOTATION_MARKET_PUBLISHER]: input.publisher } : {}),
      },
    },
    spec: mapImages(template.spec, (ref) => where.get(ref) ?? ref),
  };
}

/** Which publisher an app has, and what the market says that disagrees. */
export function appPublisher(
  app: string,
  remembered: string | undefined,
  binding: { publisher: string } | undefined,
): { publisher?: string; problem?: string } {
  if (remembered && binding && binding.publisher !== remembered)
    return {
      publisher: remembered,
      problem: `the market now binds ${app} to publisher ${binding.publisher}, but this cluster synced it from ${remembered}: versions by any other publisher are refused`,
    };
  return { publisher: remembered ?? binding?.publisher };
}
