import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BundleError, RegistryError } from './errors.js';
import { redact } from './registry-refusal.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."` or `Basic realm=...`. */
export function parseChallenge(header: string): Challenge {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (const m of match[2]!.matchAll(pattern)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export const dockerConfigPath = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

const hubAliases = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];

/** Credentials for a registry from docker's config.json (`auths` entries only; no credential helpers). */
export function dockerConfigCredentials(
  registry: string,
  path = dockerConfigPath(),
): Credentials | undefined {
  if (!existsSync(path)) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as DockerConfig;
  } catch (error) {
    throw new BundleError(`${path}: not valid JSON; fix or remove it`, { cause: error });
  }
  const wanted = hubAliases.includes(registry) ? hubAliases : [registry];
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!wanted.includes(key) && !wanted.includes(host)) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

/**
 * Where credentials come from, first match wins: `--username/--password`, the environment
 * (FERRY_REGISTRY_USERNAME / FERRY_REGISTRY_PASSWORD), docker's config.json.
 */
export function resolveCredentials(
  registry: string,
  flags: { username?: string; password?: string },
  env: NodeJS.ProcessEnv = process.env,
): Credentials | undefined {
  if (flags.username !== undefined || flags.password !== undefined) {
    if (!flags.username || flags.password === undefined) {
      throw new BundleError('--username and --password go together');
    }
    return { username: flags.username, password: flags.password };
  }
  if (env.FERRY_REGISTRY_USERNAME && env.FERRY_REGISTRY_PASSWORD !== undefined) {
    return { username: env.FERRY_REGISTRY_USERNAME, password: env.FERRY_REGISTRY_PASSWORD };
  }
  return dockerConfigCredentials(registry, dockerConfigPath(env));
}

export const basicAuthorization = (c: Credentials) =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/**
 * Bearer tokens by the set of scopes they grant (the order of the scopes does not matter). A token is
 * renewed a little before the token service says it expires, so that a long transfer does not start
 * with one about to lapse.
 */
export class TokenCache {
  private readonly tokens = new Map<string, { header: string; expires: number }>();

  private static key(scopes: string[]): string {
    return [...scopes].sort().join(' ');
  }

  /** The Authorization header for these scopes while it is still fresh. */
  get(scopes: string[], now = Date.now()): string | undefined {
    const cached = this.tokens.get(TokenCache.key(scopes));
    return cached && cached.expires > now ? cached.header : undefined;
  }

  /** Keeps `header` for at least 30 s, else until 15 s before `expiresIn` (seconds; 60 if not said). */
  set(scopes: string[], header: string, expiresIn: number | undefined, now = Date.now()): void {
    const lifetime = Math.max(30, (expiresIn ?? 60) - 15) * 1000;
    this.tokens.set(TokenCache.key(scopes), { header, expires: now + lifetime });
  }

  delete(scopes: string[]): void {
    this.tokens.delete(TokenCache.key(scopes));
  }
}

/** A token service's error body in short: its `details`/`errors` messages, else the text. */
function serviceDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { details?: unknown; errors?: { message?: string }[] };
    if (typeof body.details === 'string') return body.details;
    if (body.errors?.length) return body.errors.map((e) => e.message).join('; ');
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 200);
}

/** GETs a URL outside the retry loop (the token service) and returns the status and the text. */
export type TokenServiceGet = (
  url: URL,
  headers: Record<string, string>,
) => Promise<{ status: number | undefined; text: string }>;

/**
 * The authentication state of one registry: the challenge it last answered a 401 with and, for a
 * Bearer challenge, the tokens fetched from its token service.
 */
export class RegistryAuth {
  private readonly tokens = new TokenCache();
  private challenge: Challenge | undefined;

  constructor(
    private readonly registry: string,
    private readonly credentials: Credentials | undefined,
    private readonly userAgent: string,
    private readonly get: TokenServiceGet,
  ) {}

  /** Takes in a 401's `WWW-Authenticate` and, for Bearer, fetches a token for the scopes at once. */
  async learnChallenge(header: string, scopes: string[]): Promise<void> {
    const challenge = parseChallenge(header);
    if (challenge.scheme !== 'bearer' && challenge.scheme !== 'basic') {
      throw new RegistryError(`${this.registry}: unsupported authentication challenge "${header}"`, 401);
    }
    if (challenge.scheme === 'basic' && !this.credentials) {
      throw new RegistryError(
        `${this.registry} asks for a user name and password: pass --username/--password, set FERRY_REGISTRY_USERNAME/PASSWORD, or log in with docker`,
        401,
      );
    }
    this.challenge = challenge;
    if (challenge.scheme === 'bearer') {
      const wanted = [
        ...new Set([...scopes, ...(challenge.params.scope ? challenge.params.scope.split(' ') : [])]),
      ];
      this.tokens.delete(wanted);
      await this.fetchToken(wanted);
    }
  }

  /** The Authorization header for a request that needs `scopes`, once the registry has asked for one. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return basicAuthorization(this.credentials!);
    return this.tokens.get(scopes) ?? this.fetchToken(scopes);
  }

  /** `text` without the password (a server might echo what it was sent). */
  redact(text: string): string {
    return this.credentials
      ? redact(text, this.credentials.password, basicAuthorization(this.credentials))
      : text;
  }

  private async fetchToken(scopes: string[]): Promise<string> {
    const { realm, service } = this.challenge!.params;
    if (!realm) throw new RegistryError(`${this.registry}: Bearer challenge without a realm`, 401);
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { 'User-Agent': this.userAgent };
    if (this.credentials) headers.Authorization = basicAuthorization(this.credentials);
    const { status, text } = await this.get(url, headers);
    if (status !== 200) {
      const service = `the token service ${url.origin}${url.pathname}`;
      const answer = `${status}${text.trim() ? `: ${this.redact(serviceDetail(text))}` : ''}`;
      if ((status === 401 || status === 403) && this.credentials) {
        throw new RegistryError(
          `${this.registry}: ${service} rejected the credentials (${answer}); check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json`,
          status,
        );
      }
      if (status === 401 || status === 403) {
        throw new RegistryError(
          `${this.registry}: ${service} wants credentials (${answer}): pass --username/--password, set FERRY_REGISTRY_USERNAME/PASSWORD, or log in with docker`,
          status,
        );
      }
      throw new RegistryError(`${this.registry}: ${service} answered ${answer}`, status);
    }
    const body = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${this.registry}: token service sent no token`, 401);
    const header = `Bearer ${token}`;
    this.tokens.set(scopes, header, body.expires_in);
    return header;
  }
}
