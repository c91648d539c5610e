/**
 * An AppMarket's registry credentials and CA, from Secrets in the operator's own namespace (the
 * AppMarket names no namespace, so it cannot point the operator at anyone else's Secrets). A
 * credentials Secret must opt in with the label ferry.dev/market-credentials=true: whoever may create
 * AppMarkets chooses the registry the credentials are presented to. Values never leave this module
 * except inside the registry client; messages name Secrets and keys, never contents.
 */
import type { AppMarketSpec } from '../../api/index.js';
import { LABEL_MARKET_CREDENTIALS } from '../../api/index.js';
import type { Credentials } from '../../bundle/registry-auth.js';
import type { KubeObject } from '../../kube/client.js';

export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** A Secret that cannot be used; the message names it and says why. */
export class MarketSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MarketSecretError';
  }
}

const decode = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

/** The entry of a docker config.json for `registry` (host[:port]); `auth` or username/password. */
function dockerConfigEntry(json: string, registry: string, where: string): Credentials | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(json) as typeof config;
  } catch {
    throw new MarketSecretError(`${where}: .dockerconfigjson is not JSON`);
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (host !== registry) continue;
    if (entry.username && entry.password !== undefined)
      return { username: entry.username, password: entry.password };
    const decoded = decode(entry.auth) ?? '';
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** Credentials for `registry` from a Secret (pure: the Secret already read). */
export function credentialsFromSecret(
  secret: SecretObject | undefined,
  namespace: string,
  name: string,
  registry: string,
): Credentials {
  const where = `Secret ${namespace}/${name}`;
  if (!secret) throw new MarketSecretError(`${where} (spec.secretRef) does not exist`);
  if (secret.metadata?.labels?.[LABEL_MARKET_CREDENTIALS] !== 'true')
    throw new MarketSecretError(
      `${where} is not labelled ${LABEL_MARKET_CREDENTIALS}=true: only Secrets meant for markets are presented to a market's registry`,
    );
  const data = secret.data ?? {};
  if (secret.type === 'kubernetes.io/dockerconfigjson') {
    const found = dockerConfigEntry(decode(data['.dockerconfigjson']) ?? '{}', registry, where);
    if (!found) throw new MarketSecretError(`${where} holds no credentials for ${registry}`);
    return found;
  }
  if (secret.type === 'kubernetes.io/basic-auth') {
    const username = decode(data.username);
    const password = decode(data.password);
    if (!username || password === undefined)
      throw new MarketSecretError(`${where} lacks the keys username and password`);
    return { username, password };
  }
  throw new MarketSecretError(
    `${where} is of type ${secret.type ?? 'Opaque'}: expected kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth`,
  );
}

export function caFromSecret(
  secret: SecretObject | undefined,
  namespace: string,
  ref: NonNullable<AppMarketSpec['caSecretRef']>,
): string {
  const where = `Secret ${namespace}/${ref.name}`;
  if (!secret) throw new MarketSecretError(`${where} (spec.caSecretRef) does not exist`);
  const pem = decode(secret.data?.[ref.key]);
  if (!pem?.includes('-----BEGIN CERTIFICATE-----'))
    throw new MarketSecretError(`${where} has no PEM certificate under key ${ref.key}`);
  return pem;
}
