import { REPOSITORY_MAX_LENGTH, REPOSITORY_PATTERN } from '../api/index.js';
import { BundleError } from './errors.js';

/** A parsed image reference: registry host, repository path, tag and/or digest. */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const REPOSITORY = new RegExp(REPOSITORY_PATTERN);
/** A registry host as a reference names it: DNS name or [IPv6], optional port. */
const REGISTRY_HOST =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/;

/** True when `repository` is a valid repository path (distribution's grammar and length). */
export const isRepositoryName = (repository: string) =>
  repository.length <= REPOSITORY_MAX_LENGTH && REPOSITORY.test(repository);
const TAG = /^[\w][\w.-]{0,127}$/;

/** Parses `[registry/]repository[:tag][@sha256:...]` the way docker does (docker.io/library default). */
export function parseReference(ref: string): ImageReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest))
      throw new BundleError(`image "${ref}": bad digest "${digest}"`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new BundleError(`image "${ref}": bad tag "${tag}"`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry: string;
  let repository: string;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  } else {
    registry = DOCKER_HUB;
    repository = slash >= 0 ? rest : `library/${rest}`;
  }
  if (!REPOSITORY.test(repository))
    throw new BundleError(`image "${ref}": bad repository name "${repository}"`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host the distribution API of a registry name answers on. */
export const registryEndpoint = (registry: string) =>
  registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;

/**
 * `host[:port][/prefix]` of the site registry, as `--registry` takes it. Credentials in it are
 * refused without echoing them: they would end up in image references, templates and logs.
 */
export function parseRegistryTarget(target: string): { registry: string; prefix: string } {
  const trimmed = target.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const registry = slash >= 0 ? trimmed.slice(0, slash) : trimmed;
  const prefix = slash >= 0 ? trimmed.slice(slash + 1) : '';
  if (trimmed.includes('@')) {
    throw new BundleError(
      `--registry must not hold credentials (user:password@host): give the host alone, and the credentials with --username and FERRY_REGISTRY_PASSWORD (or docker's config.json); see --help`,
    );
  }
  if (!REGISTRY_HOST.test(registry))
    throw new BundleError(`--registry ${JSON.stringify(target)}: expected host[:port][/prefix]`);
  if (prefix && !isRepositoryName(prefix))
    throw new BundleError(
      `--registry ${JSON.stringify(target)}: the prefix ${JSON.stringify(prefix)} is not a repository path (lower-case path components joined by "/")`,
    );
  return { registry, prefix };
}
