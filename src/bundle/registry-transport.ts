import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';
import type { Writable } from 'node:stream';
import { Readable, pipeline } from 'node:stream';
import { sleep } from '../util/sleep.js';
import { BundleError, RegistryError } from './errors.js';
import type { Credentials } from './registry-auth.js';
import { RegistryAuth } from './registry-auth.js';
import { explainRefusal } from './registry-refusal.js';

// Not `import http from 'node:http'`: the ESM facade of node:http reads every export, and its
// lazy WebSocket/EventSource getters load undici (about 50 ms of CPU at start-up). https (and
// TLS) load only for a registry that is spoken to over TLS.
const httpModule = () => process.getBuiltinModule('node:http');
const httpsModule = () => process.getBuiltinModule('node:https');
const rootCertificates = () => process.getBuiltinModule('node:tls').rootCertificates;

/**
 * A request body: bytes, a stream, or a writer that writes the body into the request (awaiting
 * each write's flush, so it can reuse its buffers) and settles when it is all written.
 */
export type BodyWriter = (request: Writable) => Promise<void>;
export type Body = Buffer | Readable | BodyWriter | undefined;

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Body;
  /** Token scopes the request needs, e.g. `repository:shop/api:pull`. */
  scopes: string[];
  /** false: never resend this request (the caller recovers on its own). */
  retry?: boolean;
}

export interface TransportOptions {
  plainHttp?: boolean;
  caFile?: string;
  /** PEM certificates to trust besides the system ones, given as text (the operator's CA Secret). */
  caPem?: string;
  credentials?: Credentials;
  retries?: number;
  backoffMs?: number;
  userAgent?: string;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

/** A connection error worth trying again (reset, refused, timed out, DNS hiccup). */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    (error instanceof Error && /socket hang up|aborted/.test(error.message))
  );
}

/** Wait before retry `attempt` (0 for the first retry): `baseMs`, doubling each time. */
export const backoffDelay = (baseMs: number, attempt: number) => baseMs * 2 ** attempt;

export async function readText(res: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    total += (chunk as Buffer).length;
    if (total <= limit) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function drain(res: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    res.on('end', resolve).on('error', () => resolve());
    res.resume();
  });
}

/**
 * The URL of a request: a path resolves against the registry, and must stay the path it says (a
 * repository name with dot segments or escapes would reach another repository than named); an
 * absolute URL (an upload location the registry sent) is taken as it is.
 */
export function requestUrl(base: string, pathOrUrl: string, registry: string): URL {
  const url = new URL(pathOrUrl, base);
  const path = pathOrUrl.split('?')[0]!;
  if (path.startsWith('/') && url.pathname !== path)
    throw new RegistryError(
      `${registry}: refused to request ${JSON.stringify(path)}: it is not a plain repository path`,
    );
  return url;
}

/** What the request loop does with an answer. */
export type AnswerStep = 'reauthenticate' | 'retry' | 'redirect' | 'return';

/**
 * The decision on one answer: a 401 from the registry itself gets one more try with fresh credentials
 * (not with a one-shot stream body); 5xx and 429 are retried while attempts are left and the request
 * may be replayed; GET and HEAD follow up to 10 redirects; anything else goes back to the caller.
 */
export function answerStep(answer: {
  status: number;
  method: string;
  ownHost: boolean;
  reauthenticated: boolean;
  streamBody: boolean;
  replayable: boolean;
  attempt: number;
  retries: number;
}): AnswerStep {
  const { status, method, attempt } = answer;
  if (status === 401 && answer.ownHost && !answer.reauthenticated && !answer.streamBody)
    return 'reauthenticate';
  if ((status >= 500 || status === 429) && answer.replayable && attempt < answer.retries) return 'retry';
  if ([301, 302, 303, 307, 308].includes(status) && (method === 'GET' || method === 'HEAD') && attempt < 10)
    return 'redirect';
  return 'return';
}

/** What to try when a connection failed: TLS trouble wants --ca-file, a plain-HTTP registry --plain-http. */
export function connectionHint(message: string, plainHttp: boolean): string {
  if (/certificate|self.signed|SSL|TLS/i.test(message))
    return ' (a registry with a private CA needs --ca-file)';
  if (!plainHttp && /EPROTO|wrong version/i.test(message))
    return ' (a plain-HTTP registry needs --plain-http)';
  return '';
}

/**
 * HTTP to one registry: keep-alive connections, retries with backoff, the 401 → credentials → retry
 * flow, redirects, and errors that say what the registry answered.
 */
export class RegistryTransport {
  readonly base: string;
  readonly retries: number;
  readonly backoffMs: number;
  private readonly agent: http.Agent;
  private readonly auth: RegistryAuth;
  /** 401/403 answers from the registry: the scopes the request needed and the Authorization it sent. */
  private readonly refusals = new WeakMap<
    http.IncomingMessage,
    { scopes: string[]; authorization?: string }
  >();

  constructor(
    readonly registry: string,
    endpoint: string,
    private readonly options: TransportOptions = {},
  ) {
    this.base = `${options.plainHttp ? 'http' : 'https'}://${endpoint}`;
    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 32 };
    if (options.caFile) {
      let ca: string;
      try {
        ca = readFileSync(options.caFile, 'utf8');
      } catch (error) {
        throw new BundleError(`--ca-file ${options.caFile}: cannot read it`, { cause: error });
      }
      agentOptions.ca = [...rootCertificates(), ca];
    }
    if (options.caPem)
      agentOptions.ca = [...((agentOptions.ca as string[]) ?? rootCertificates()), options.caPem];
    this.agent = options.plainHttp
      ? new (httpModule().Agent)(agentOptions)
      : new (httpsModule().Agent)(agentOptions);
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
    const userAgent = options.userAgent ?? 'ferry';
    this.auth = new RegistryAuth(registry, options.credentials, userAgent, async (url, headers) => {
      const res = await this.send('GET', url, headers, undefined);
      return { status: res.statusCode, text: await readText(res) };
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** An upload location (relative or absolute) as an absolute URL. */
  resolve(location: string): string {
    return new URL(location, this.base).toString();
  }

  /**
   * The error for an answer the caller did not expect. A refusal (401/403) says which scope the
   * credentials lack, or that the registry rejected them, when that can be told.
   */
  failure(what: string, res: http.IncomingMessage, body: string): RegistryError {
    const refusal = this.refusals.get(res);
    const explained =
      refusal &&
      explainRefusal({
        registry: this.registry,
        what,
        status: res.statusCode!,
        scopes: refusal.scopes,
        authorization: refusal.authorization,
        hasCredentials: !!this.options.credentials,
      });
    if (explained) return new RegistryError(explained, res.statusCode);
    let detail = body.trim().slice(0, 300);
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
      if (parsed.errors?.length) detail = parsed.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    } catch {
      // not JSON: keep the text
    }
    detail = this.auth.redact(detail);
    const hint =
      res.statusCode === 401 || res.statusCode === 403
        ? ' (check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json)'
        : '';
    return new RegistryError(
      `${this.registry}: ${what} answered ${res.statusCode}${detail ? `: ${detail}` : ''}${hint}`,
      res.statusCode,
    );
  }

  async request(method: string, pathOrUrl: string, options: RequestOptions): Promise<http.IncomingMessage> {
    let url = requestUrl(this.base, pathOrUrl, this.registry);
    const streamBody = options.body instanceof Readable || typeof options.body === 'function';
    const replayable = options.retry !== false && !streamBody;
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string | number> = {
        'User-Agent': this.options.userAgent ?? 'ferry',
        ...options.headers,
      };
      const ownHost = url.host === new URL(this.base).host;
      if (ownHost) {
        const authorization = await this.auth.authorization(options.scopes);
        if (authorization) headers.Authorization = authorization;
      }
      let res: http.IncomingMessage;
      try {
        res = await this.send(method, url, headers, options.body);
      } catch (error) {
        if (replayable && isTransient(error) && attempt < this.retries) {
          await sleep(backoffDelay(this.backoffMs, attempt));
          continue;
        }
        const message = (error as Error).message;
        throw new RegistryError(
          `${this.registry}: ${method} ${url.pathname}: ${message}${connectionHint(String(message), !!this.options.plainHttp)}`,
          undefined,
          { cause: error },
        );
      }
      const step = answerStep({
        status: res.statusCode ?? 0,
        method,
        ownHost,
        reauthenticated,
        streamBody,
        replayable,
        attempt,
        retries: this.retries,
      });
      if (step === 'return') {
        if (ownHost && (res.statusCode === 401 || res.statusCode === 403)) {
          const authorization = headers.Authorization as string | undefined;
          this.refusals.set(res, { scopes: options.scopes, authorization });
        }
        return res;
      }
      await drain(res);
      if (step === 'reauthenticate') {
        await this.auth.learnChallenge(String(res.headers['www-authenticate'] ?? ''), options.scopes);
        reauthenticated = true;
      } else if (step === 'retry') await sleep(backoffDelay(this.backoffMs, attempt));
      else url = new URL(String(res.headers.location), url);
    }
  }

  send(method: string, url: URL, headers: Record<string, string | number>, body: Body) {
    const transport = url.protocol === 'https:' ? httpsModule() : httpModule();
    const agent = url.protocol === new URL(this.base).protocol ? this.agent : undefined;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent, timeout: 300_000 }, resolve);
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      if (typeof body === 'function') {
        body(req).then(
          () => req.end(),
          (error: Error) => req.destroy(error),
        );
      } else if (body instanceof Readable) {
        pipeline(body, req, (error) => {
          if (error) reject(error);
        });
      } else req.end(body);
    });
  }
}
