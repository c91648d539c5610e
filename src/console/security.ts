import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What keeps the console to the person who started it: a random token in the URL it prints
 * (exchanged for a cookie on first load), Host and Origin checks against DNS rebinding and other
 * sites, and a per-server CSRF token in every form. Pure: the server passes the request's headers.
 */
export interface Secrets {
  /** The access token (URL, then cookie). */
  token: string;
  /** Hidden field of every form; a write without it is refused. */
  csrf: string;
}

export const newSecrets = (): Secrets => ({
  token: randomBytes(24).toString('base64url'),
  csrf: randomBytes(24).toString('base64url'),
});

/** Cookies are not port-isolated: the name carries the port so two consoles never mix them. */
export const cookieName = (port: number) => `ferry_console_${port}`;

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The names this server answers to; any other Host is a rebinding attempt (a foreign name → 127.0.0.1). */
export const allowedHosts = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`];

export interface RequestFacts {
  method: string;
  host?: string;
  origin?: string;
  secFetchSite?: string;
  cookie?: string;
  /** ?token= of the URL (first load). */
  queryToken?: string;
  contentType?: string;
}

export type Verdict =
  | { ok: true; /** the token came in the URL: set the cookie and redirect to drop it */ fromUrl: boolean }
  | { ok: false; status: 400 | 401 | 403; message: string };

/** Whether a request may be served at all (the CSRF field of writes is checked with the form). */
export function admit(request: RequestFacts, port: number, secrets: Secrets): Verdict {
  if (!request.host || !allowedHosts(port).includes(request.host.toLowerCase()))
    return { ok: false, status: 403, message: `unexpected Host ${request.host ?? '(none)'}` };
  const write = !['GET', 'HEAD'].includes(request.method);
  if (request.origin !== undefined && !allowedHosts(port).some((h) => request.origin === `http://${h}`))
    return { ok: false, status: 403, message: `cross-origin request from ${request.origin}` };
  if (write) {
    if (request.origin === undefined && request.secFetchSite !== 'same-origin')
      return { ok: false, status: 403, message: 'a write must come from the console itself' };
    if (request.secFetchSite !== undefined && !['same-origin', 'none'].includes(request.secFetchSite))
      return { ok: false, status: 403, message: `cross-site write (${request.secFetchSite})` };
    if (!request.contentType?.startsWith('application/x-www-form-urlencoded'))
      return { ok: false, status: 400, message: 'writes are form posts' };
  }
  if (sameSecret(parseCookies(request.cookie).get(cookieName(port)), secrets.token))
    return { ok: true, fromUrl: false };
  if (!write && sameSecret(request.queryToken, secrets.token)) return { ok: true, fromUrl: true };
  return {
    ok: false,
    status: 401,
    message: 'open the console through the URL ferry console printed (it carries the access token)',
  };
}

/** Headers on every answer: nothing loads from elsewhere, nothing frames the console, nothing is cached. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with form posts
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
