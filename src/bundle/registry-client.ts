import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable, pipeline } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { DigestVerifier, sha256Digest } from './digest.js';
import { BundleError, RegistryError } from './errors.js';
import { Limiter } from './limiter.js';
import type { ManifestBlob } from './media-types.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { registryEndpoint } from './reference.js';
import type { Credentials } from './registry-auth.js';
import { basicAuthorization, parseChallenge } from './registry-auth.js';

export interface RegistryClientOptions {
  /** Talk HTTP instead of HTTPS: only on explicit request (`--plain-http`). */
  plainHttp?: boolean;
  /** PEM file of extra certificate authorities to trust besides the system ones. */
  caFile?: string;
  credentials?: Credentials;
  /** Attempts after the first on 5xx, 429 and connection resets. */
  retries?: number;
  /** Blob transfers in flight at once. */
  concurrency?: number;
  /** Uploads from a one-shot stream go in chunks of this many bytes (the only bytes held in memory). */
  chunkSize?: number;
  /** First retry delay; doubles on each attempt. */
  backoffMs?: number;
  userAgent?: string;
}

type Body = Buffer | Readable | undefined;

interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Body;
  /** Token scopes the request needs, e.g. `repository:shop/api:pull`. */
  scopes: string[];
  /** false: never resend this request (the caller recovers on its own). */
  retry?: boolean;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    (error instanceof Error && /socket hang up|aborted/.test(error.message))
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readText(res: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    total += (chunk as Buffer).length;
    if (total <= limit) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function drain(res: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    res.on('end', resolve).on('error', () => resolve());
    res.resume();
  });
}

/** Pulls fixed-size chunks out of a stream; the last one may be shorter. */
async function* chunksOf(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(size - filled, chunk.length - offset);
      chunk.copy(buffer, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buffer;
        buffer = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

export interface PushResult {
  /** Bytes sent over the wire (0 when the blob was already there or mounted). */
  bytes: number;
  mountedFrom?: string;
}

/**
 * An OCI distribution API client for one registry. Blobs stream in both directions and are
 * verified against their digest while the bytes flow; nothing holds a layer whole in memory.
 */
export class RegistryClient {
  readonly endpoint: string;
  private readonly base: string;
  private readonly agent: http.Agent;
  private readonly limiter: Limiter;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly chunkSize: number;
  private readonly userAgent: string;
  private readonly tokens = new Map<string, { header: string; expires: number }>();
  private challenge: { scheme: string; params: Record<string, string> } | undefined;

  constructor(
    readonly registry: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.endpoint = registryEndpoint(registry);
    this.base = `${options.plainHttp ? 'http' : 'https'}://${this.endpoint}`;
    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 32 };
    if (options.caFile) {
      let ca: string;
      try {
        ca = readFileSync(options.caFile, 'utf8');
      } catch (error) {
        throw new BundleError(`--ca-file ${options.caFile}: cannot read it`, { cause: error });
      }
      agentOptions.ca = [...rootCertificates, ca];
    }
    this.agent = options.plainHttp ? new http.Agent(agentOptions) : new https.Agent(agentOptions);
    this.limiter = new Limiter(options.concurrency ?? 4);
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
    this.chunkSize = options.chunkSize ?? 16 * 1024 * 1024;
    this.userAgent = options.userAgent ?? 'ferry';
  }

  close(): void {
    this.agent.destroy();
  }

  /** Checks the registry answers the distribution API (and that credentials, if any, work). */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/', { scopes: [] });
    const text = await readText(res);
    if (res.statusCode !== 200) throw this.failure('GET /v2/', res, text);
  }

  // ---- manifests ----

  async getManifest(repository: string, reference: string): Promise<ManifestBlob> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request('GET', path, {
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${repository}:pull`],
    });
    if (res.statusCode !== 200) throw this.failure(`GET ${path}`, res, await readText(res));
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      res.destroy();
      throw new RegistryError(`${this.registry}/${repository}:${reference}: manifest larger than 4 MiB`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res) {
      total += (chunk as Buffer).length;
      if (total > MAX_MANIFEST_BYTES) {
        res.destroy();
        throw new RegistryError(`${this.registry}/${repository}:${reference}: manifest larger than 4 MiB`);
      }
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new BundleError(`manifest digest mismatch: registry sent ${digest}`, {
        entry: `${this.registry}/${repository}@${reference}`,
      });
    }
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    let mediaType = contentType;
    try {
      mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? contentType;
    } catch {
      // parseManifest reports bad JSON with the entry name
    }
    return { digest, mediaType, bytes };
  }

  /** Digest of the manifest a reference names, or undefined when the registry does not have it. */
  async headManifest(repository: string, reference: string): Promise<string | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request('HEAD', path, {
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${repository}:pull`],
    });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw this.failure(`HEAD ${path}`, res, '');
    return (
      String(res.headers['docker-content-digest'] ?? '') || (reference.startsWith('sha256:') ? reference : '')
    );
  }

  async putManifest(repository: string, reference: string, manifest: ManifestBlob): Promise<void> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request('PUT', path, {
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      scopes: [`repository:${repository}:pull,push`],
    });
    const text = await readText(res);
    if (res.statusCode !== 201 && res.statusCode !== 200) throw this.failure(`PUT ${path}`, res, text);
  }

  // ---- blobs ----

  /** Size of the blob in the repository, or undefined when it is not there. */
  async headBlob(repository: string, digest: string): Promise<number | undefined> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const res = await this.request('HEAD', path, { scopes: [`repository:${repository}:pull`] });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw this.failure(`HEAD ${path}`, res, '');
    return Number(res.headers['content-length'] ?? 0);
  }

  /**
   * A stream of the blob's bytes that fails unless they match the digest (and size). A connection
   * reset mid-body resumes with a Range request. Holds one concurrency slot until the stream ends.
   */
  async getBlob(repository: string, digest: string, size?: number): Promise<Readable> {
    const release = await this.limiter.acquire();
    const path = `/v2/${repository}/blobs/${digest}`;
    const pull = [`repository:${repository}:pull`];
    let res: http.IncomingMessage;
    try {
      res = await this.request('GET', path, { scopes: pull });
      if (res.statusCode !== 200) throw this.failure(`GET ${path}`, res, await readText(res));
    } catch (error) {
      release();
      throw error;
    }
    const { retries, backoffMs } = this;
    const resume = async (offset: number) => {
      const answer = await this.request('GET', path, {
        scopes: pull,
        headers: { Range: `bytes=${offset}-` },
      });
      if (answer.statusCode !== 206) {
        throw this.failure(`GET ${path} (resume at ${offset})`, answer, await readText(answer));
      }
      return answer;
    };
    // plain pipes (no async iteration per chunk): several times faster on large layers
    const verifier = new DigestVerifier(digest, size, `${this.registry}/${repository}@${digest}`);
    let offset = 0;
    let attempt = 0;
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      release();
      if (error) verifier.destroy(error);
      else verifier.end();
    };
    const follow = (current: http.IncomingMessage) => {
      current.on('data', (chunk: Buffer) => {
        offset += chunk.length;
        if (!verifier.write(chunk)) {
          current.pause();
          verifier.once('drain', () => current.resume());
        }
      });
      current.on('end', () => finish());
      current.on('error', (error) => {
        if (finished) return;
        if (!isTransient(error) || attempt >= retries) return finish(error);
        sleep(backoffMs * 2 ** attempt++)
          .then(() => resume(offset))
          .then(follow, (e: Error) => finish(e));
      });
    };
    verifier.on('close', () => {
      if (!finished) {
        finished = true;
        release();
        res.destroy();
      }
    });
    follow(res);
    return verifier;
  }

  /** Reads a whole small blob (an image config) into memory, verified. */
  async getSmallBlob(repository: string, digest: string, size: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getBlob(repository, digest, size)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Uploads a blob unless the repository has it. `mountFrom` lists repositories of this registry
   * that may hold it already (a cross-repository mount then moves no bytes). A Buffer goes up in
   * one PUT; a stream goes up in chunks (POST, PATCH..., PUT), each chunk retried on its own.
   */
  async pushBlob(
    repository: string,
    digest: string,
    size: number,
    source: Buffer | Readable,
    options: { mountFrom?: string[]; skipHead?: boolean; onBytes?: (n: number) => void } = {},
  ): Promise<PushResult> {
    return this.limiter.run(async () => {
      const push = `repository:${repository}:pull,push`;
      if (!options.skipHead && (await this.headBlob(repository, digest)) !== undefined) {
        if (source instanceof Readable) source.destroy();
        return { bytes: 0 };
      }
      let location: string | undefined;
      for (const from of options.mountFrom ?? []) {
        if (from === repository) continue;
        const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
        const res = await this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, {
          scopes: [push, `repository:${from}:pull`],
          headers: { 'Content-Length': 0 },
        });
        await drain(res);
        if (res.statusCode === 201) {
          if (source instanceof Readable) source.destroy();
          return { bytes: 0, mountedFrom: from };
        }
        if (res.statusCode === 202) {
          location = String(res.headers.location);
          break;
        }
      }
      location ??= await this.startUpload(repository);
      if (Buffer.isBuffer(source)) {
        await this.finishUpload(repository, location, digest, source);
        return { bytes: source.length };
      }
      return { bytes: await this.uploadChunks(repository, location, digest, size, source, options.onBytes) };
    });
  }

  /** Cross-repository mount: true when the registry linked the blob without moving bytes. */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, {
      scopes: [`repository:${repository}:pull,push`, `repository:${from}:pull`],
      headers: { 'Content-Length': 0 },
    });
    const text = await readText(res);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202 && res.headers.location) {
      await this.request('DELETE', new URL(String(res.headers.location), this.base).toString(), {
        scopes: [`repository:${repository}:pull,push`],
        retry: false,
      })
        .then(drain)
        .catch(() => {});
      return false;
    }
    throw this.failure(`mount ${digest} from ${from} into ${repository}`, res, text);
  }

  private async startUpload(repository: string): Promise<string> {
    const path = `/v2/${repository}/blobs/uploads/`;
    const res = await this.request('POST', path, {
      scopes: [`repository:${repository}:pull,push`],
      headers: { 'Content-Length': 0 },
    });
    const text = await readText(res);
    if (res.statusCode !== 202 || !res.headers.location) throw this.failure(`POST ${path}`, res, text);
    return String(res.headers.location);
  }

  private async finishUpload(
    repository: string,
    location: string,
    digest: string,
    body: Buffer,
  ): Promise<void> {
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const res = await this.request('PUT', url.toString(), {
      scopes: [`repository:${repository}:pull,push`],
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
      body,
    });
    const text = await readText(res);
    if (res.statusCode !== 201) throw this.failure(`PUT blob ${digest} to ${repository}`, res, text);
  }

  private async uploadChunks(
    repository: string,
    firstLocation: string,
    digest: string,
    size: number,
    source: Readable,
    onBytes?: (n: number) => void,
  ): Promise<number> {
    const scopes = [`repository:${repository}:pull,push`];
    let location = firstLocation;
    let offset = 0;
    try {
      for await (const chunk of chunksOf(source, this.chunkSize)) {
        if (offset === 0 && chunk.length >= size) {
          // the whole blob fits one chunk: a monolithic PUT saves a round trip
          await this.finishUpload(repository, location, digest, chunk);
          onBytes?.(chunk.length);
          return chunk.length;
        }
        location = await this.patchChunk(repository, location, offset, chunk, scopes);
        offset += chunk.length;
        onBytes?.(chunk.length);
      }
      await this.finishUpload(repository, location, digest, Buffer.alloc(0));
      return offset;
    } catch (error) {
      source.destroy();
      await this.request('DELETE', new URL(location, this.base).toString(), { scopes, retry: false })
        .then(drain)
        .catch(() => {});
      throw error;
    }
  }

  /** Sends one chunk; after a transient failure asks the registry how far it got and goes on from there. */
  private async patchChunk(
    repository: string,
    location: string,
    offset: number,
    chunk: Buffer,
    scopes: string[],
  ): Promise<string> {
    const end = offset + chunk.length - 1;
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const res = await this.request('PATCH', new URL(location, this.base).toString(), {
          scopes,
          retry: false,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${end}`,
            'Content-Length': chunk.length,
          },
          body: chunk,
        });
        const text = await readText(res);
        if (res.statusCode === 202) return String(res.headers.location ?? location);
        failure = this.failure(`PATCH upload of ${repository}`, res, text);
        if ((res.statusCode ?? 0) < 500 && res.statusCode !== 429) throw failure;
      } catch (error) {
        if (error instanceof RegistryError && error.status !== undefined && error.status < 500) throw error;
        failure = error;
      }
      if (attempt >= this.retries) throw failure;
      await sleep(this.backoffMs * 2 ** attempt);
      const status = await this.request('GET', new URL(location, this.base).toString(), { scopes });
      await drain(status);
      if (status.statusCode !== 204) throw failure;
      const range = /^(?:bytes=)?0-(\d+)$/.exec(String(status.headers.range ?? ''));
      const next = range ? Number(range[1]) + 1 : 0;
      location = String(status.headers.location ?? location);
      if (next === end + 1) return location;
      if (next !== offset) throw failure;
    }
  }

  // ---- transport ----

  private failure(what: string, res: http.IncomingMessage, body: string): RegistryError {
    let detail = body.trim().slice(0, 300);
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
      if (parsed.errors?.length) detail = parsed.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    } catch {
      // not JSON: keep the text
    }
    const hint =
      res.statusCode === 401 || res.statusCode === 403
        ? ' (check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json)'
        : '';
    return new RegistryError(
      `${this.registry}: ${what} answered ${res.statusCode}${detail ? `: ${detail}` : ''}${hint}`,
      res.statusCode,
    );
  }

  private async request(
    method: string,
    pathOrUrl: string,
    options: RequestOptions,
  ): Promise<http.IncomingMessage> {
    let url = new URL(pathOrUrl, this.base);
    const path = pathOrUrl.split('?')[0]!;
    if (path.startsWith('/') && url.pathname !== path)
      // a repository name with dot segments or escapes would reach another repository than named
      throw new RegistryError(
        `${this.registry}: refused to request ${JSON.stringify(path)}: it is not a plain repository path`,
      );
    const replayable = options.retry !== false && !(options.body instanceof Readable);
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string | number> = { 'User-Agent': this.userAgent, ...options.headers };
      const ownHost = url.host === new URL(this.base).host;
      if (ownHost) {
        const authorization = await this.authorization(options.scopes);
        if (authorization) headers.Authorization = authorization;
      }
      let res: http.IncomingMessage;
      try {
        res = await this.send(method, url, headers, options.body);
      } catch (error) {
        if (replayable && isTransient(error) && attempt < this.retries) {
          await sleep(this.backoffMs * 2 ** attempt);
          continue;
        }
        const scheme = this.options.plainHttp ? '' : ' (a plain-HTTP registry needs --plain-http)';
        const tls = /certificate|self.signed|SSL|TLS/i.test((error as Error).message)
          ? ' (a registry with a private CA needs --ca-file)'
          : scheme && /EPROTO|wrong version/i.test(String((error as Error).message))
            ? scheme
            : '';
        throw new RegistryError(
          `${this.registry}: ${method} ${url.pathname}: ${(error as Error).message}${tls}`,
          undefined,
          {
            cause: error,
          },
        );
      }
      const status = res.statusCode ?? 0;
      if (status === 401 && ownHost && !reauthenticated && !(options.body instanceof Readable)) {
        await drain(res);
        await this.learnChallenge(String(res.headers['www-authenticate'] ?? ''), options.scopes);
        reauthenticated = true;
        continue;
      }
      if ((status >= 500 || status === 429) && replayable && attempt < this.retries) {
        await drain(res);
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if (
        [301, 302, 303, 307, 308].includes(status) &&
        (method === 'GET' || method === 'HEAD') &&
        attempt < 10
      ) {
        await drain(res);
        url = new URL(String(res.headers.location), url);
        continue;
      }
      return res;
    }
  }

  private send(
    method: string,
    url: URL,
    headers: Record<string, string | number>,
    body: Body,
  ): Promise<http.IncomingMessage> {
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === new URL(this.base).protocol ? this.agent : undefined;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent, timeout: 300_000 }, resolve);
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      if (body instanceof Readable) {
        pipeline(body, req, (error) => {
          if (error) reject(error);
        });
      } else req.end(body);
    });
  }

  // ---- auth ----

  private async learnChallenge(header: string, scopes: string[]): Promise<void> {
    const challenge = parseChallenge(header);
    if (challenge.scheme !== 'bearer' && challenge.scheme !== 'basic') {
      throw new RegistryError(`${this.registry}: unsupported authentication challenge "${header}"`, 401);
    }
    if (challenge.scheme === 'basic' && !this.options.credentials) {
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
      this.tokens.delete(wanted.sort().join(' '));
      await this.fetchToken(wanted);
    }
  }

  private async authorization(scopes: string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return basicAuthorization(this.options.credentials!);
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.header;
    return this.fetchToken(scopes);
  }

  private async fetchToken(scopes: string[]): Promise<string> {
    const { realm, service } = this.challenge!.params;
    if (!realm) throw new RegistryError(`${this.registry}: Bearer challenge without a realm`, 401);
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { 'User-Agent': this.userAgent };
    if (this.options.credentials) headers.Authorization = basicAuthorization(this.options.credentials);
    const res = await this.send('GET', url, headers, undefined);
    const text = await readText(res);
    if (res.statusCode !== 200) {
      throw new RegistryError(
        `${this.registry}: token service ${url.origin}${url.pathname} answered ${res.statusCode}: ${text.slice(0, 200)} (check the credentials)`,
        res.statusCode,
      );
    }
    const body = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${this.registry}: token service sent no token`, 401);
    const header = `Bearer ${token}`;
    // renew a little early so a long transfer does not start with a token about to expire
    const lifetime = Math.max(30, (body.expires_in ?? 60) - 15) * 1000;
    this.tokens.set([...scopes].sort().join(' '), { header, expires: Date.now() + lifetime });
    return header;
  }
}
