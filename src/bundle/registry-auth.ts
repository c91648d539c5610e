import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BundleError } from './errors.js';

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
