/**
 * Why a registry refused a request, in words: which scope the credentials lack and what the token
 * service granted instead. The token is decoded, not verified: it only feeds the message, and the
 * message never holds the token or the password.
 */

/** One resource and its actions, as in a token scope (`repository:market/shop:pull,push`). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Parses `type:name:actions`; the name may hold colons (the last one starts the actions). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first || last === scope.length - 1) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(','),
  };
}

export const formatScope = (a: Access) => `${a.type}:${a.name}:${a.actions.join(',')}`;

/** The `access` claim of a Bearer JWT, or undefined when the header is no JWT (an opaque token). */
export function grantedAccess(authorization: string | undefined): Access[] | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { access?: unknown };
    if (claims.access === undefined || claims.access === null) return [];
    if (!Array.isArray(claims.access)) return undefined;
    return (claims.access as Partial<Access>[])
      .filter((a) => typeof a?.type === 'string' && typeof a.name === 'string' && Array.isArray(a.actions))
      .map((a) => ({ type: a.type!, name: a.name!, actions: a.actions!.map(String) }));
  } catch {
    return undefined;
  }
}

/** The actions each requested scope asked for and the grant lacks (a granted `*` covers all). */
export function missingAccess(requested: string[], granted: Access[]): Access[] {
  const missing: Access[] = [];
  for (const scope of requested) {
    const wanted = parseScope(scope);
    if (!wanted) continue;
    const have = new Set(
      granted.filter((g) => g.type === wanted.type && g.name === wanted.name).flatMap((g) => g.actions),
    );
    const lacking = wanted.actions.filter((a) => !have.has(a) && !have.has('*'));
    if (lacking.length) missing.push({ ...wanted, actions: lacking });
  }
  return missing;
}

/** What was being done, for the start of the message: `push to reg/market/shop`. */
export function operation(registry: string, missing: Access): string {
  if (missing.type === 'registry' && missing.name === 'catalog') return `listing the catalog of ${registry}`;
  if (missing.type !== 'repository') return `${missing.actions.join(',')} on ${formatScope(missing)}`;
  const where = `${registry}/${missing.name}`;
  if (missing.actions.includes('push')) return `push to ${where}`;
  if (missing.actions.includes('delete')) return `delete in ${where}`;
  if (missing.actions.includes('pull')) return `pull from ${where}`;
  return `${missing.actions.join(',')} on ${where}`;
}

const CREDENTIAL_HINT =
  'pass --username/--password, set FERRY_REGISTRY_USERNAME/PASSWORD, or log in with docker';

/**
 * The message for a 401/403 answer to a request that needed `scopes` and was sent with
 * `authorization`; undefined when there is nothing better to say than the registry's own answer
 * (no token to read, or a token that does hold every scope asked for).
 *
 *   push to reg/market/other refused: the credentials for reg lack "repository:market/other:push"
 *   (the token server granted "pull"; POST /v2/market/other/blobs/uploads/ answered 401)
 */
export function explainRefusal(refusal: {
  registry: string;
  what: string;
  status: number;
  scopes: string[];
  authorization: string | undefined;
  hasCredentials: boolean;
}): string | undefined {
  const { registry, what, status, scopes, authorization, hasCredentials } = refusal;
  const answered = `${what} answered ${status}`;
  if (/^Basic\s/i.test(authorization ?? '')) {
    return status === 401
      ? `${registry}: the registry rejected the credentials (${answered}); check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json`
      : undefined;
  }
  const granted = grantedAccess(authorization);
  if (!granted) return undefined;
  const missing = missingAccess(scopes, granted);
  if (!missing.length) return undefined;
  const lacked = missing.map((m) => JSON.stringify(formatScope(m))).join(', ');
  const resources = new Set(scopes.map((s) => parseScope(s)).map((a) => a && `${a.type}:${a.name}`));
  let gave: string;
  if (resources.size === 1) {
    const first = missing[0]!;
    const actions = granted
      .filter((g) => g.type === first.type && g.name === first.name)
      .flatMap((g) => g.actions);
    gave = actions.length ? JSON.stringify(actions.join(',')) : 'nothing';
  } else {
    gave = granted.length ? granted.map((g) => JSON.stringify(formatScope(g))).join(', ') : 'nothing';
  }
  const who = hasCredentials
    ? `the credentials for ${registry} lack`
    : `anonymous access to ${registry} lacks`;
  const hint = hasCredentials ? '' : `; ${CREDENTIAL_HINT}`;
  return `${operation(registry, missing[0]!)} refused: ${who} ${lacked} (the token server granted ${gave}; ${answered})${hint}`;
}

/** Replaces the password (and the Basic credentials that carry it) in a text from a server. */
export function redact(text: string, password: string | undefined, basic?: string): string {
  let out = text;
  for (const secret of [basic?.replace(/^Basic\s+/i, ''), password]) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
