import type http from 'node:http';
import { Readable } from 'node:stream';
import { sleep } from '../util/sleep.js';
import { DigestVerifier, sha256Digest } from './digest.js';
import { BundleError, RegistryError } from './errors.js';
import { bytesMoved } from './garbage.js';
import { Limiter } from './limiter.js';
import type { ManifestBlob } from './media-types.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { registryEndpoint } from './reference.js';
import type { Credentials } from './registry-auth.js';
import type { StagedBlob } from './registry-upload.js';
import { BlobUploader } from './registry-upload.js';
import type { BodyWriter } from './registry-transport.js';
import { RegistryTransport, backoffDelay, drain, isTransient, readText } from './registry-transport.js';

export { isTransient } from './registry-transport.js';

export interface RegistryClientOptions {
  /** Talk HTTP instead of HTTPS: only on explicit request (`--plain-http`). */
  plainHttp?: boolean;
  /** PEM file of extra certificate authorities to trust besides the system ones. */
  caFile?: string;
  /** PEM certificates to trust besides the system ones, as text. */
  caPem?: string;
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

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface PushResult {
  /** Bytes sent over the wire (0 when the blob was already there or mounted). */
  bytes: number;
  mountedFrom?: string;
}

/**
 * An OCI distribution API client for one registry: the verbs (manifests, blobs). Blobs stream in both
 * directions and are verified against their digest while the bytes flow; nothing holds a layer whole
 * in memory. HTTP, retries and authentication are registry-transport.ts's; uploads registry-upload.ts's.
 */
export class RegistryClient {
  readonly endpoint: string;
  private readonly transport: RegistryTransport;
  private readonly uploader: BlobUploader;
  private readonly limiter: Limiter;

  constructor(
    readonly registry: string,
    options: RegistryClientOptions = {},
  ) {
    this.endpoint = registryEndpoint(registry);
    this.transport = new RegistryTransport(registry, this.endpoint, options);
    this.uploader = new BlobUploader(this.transport, options.chunkSize ?? 16 * 1024 * 1024);
    this.limiter = new Limiter(options.concurrency ?? 4);
  }

  close(): void {
    this.transport.close();
  }

  /** Checks the registry answers the distribution API (and that credentials, if any, work). */
  async ping(): Promise<void> {
    const res = await this.transport.request('GET', '/v2/', { scopes: [] });
    const text = await readText(res);
    if (res.statusCode !== 200) throw this.transport.failure('GET /v2/', res, text);
  }

  // ---- manifests ----

  async getManifest(repository: string, reference: string): Promise<ManifestBlob> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.transport.request('GET', path, {
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${repository}:pull`],
    });
    if (res.statusCode !== 200) throw this.transport.failure(`GET ${path}`, res, await readText(res));
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
    const res = await this.transport.request('HEAD', path, {
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${repository}:pull`],
    });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw this.transport.failure(`HEAD ${path}`, res, '');
    return (
      String(res.headers['docker-content-digest'] ?? '') || (reference.startsWith('sha256:') ? reference : '')
    );
  }

  async putManifest(repository: string, reference: string, manifest: ManifestBlob): Promise<void> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.transport.request('PUT', path, {
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      scopes: [`repository:${repository}:pull,push`],
    });
    const text = await readText(res);
    if (res.statusCode !== 201 && res.statusCode !== 200)
      throw this.transport.failure(`PUT ${path}`, res, text);
  }

  /** Every tag of a repository, following the registry's pages; [] when the repository does not exist. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const res = await this.transport.request('GET', path, { scopes: [`repository:${repository}:pull`] });
      const text = await readText(res, MAX_MANIFEST_BYTES);
      if (res.statusCode === 404) return [];
      if (res.statusCode !== 200) throw this.transport.failure(`GET ${path}`, res, text);
      let page: { tags?: string[] | null };
      try {
        page = JSON.parse(text) as typeof page;
      } catch (error) {
        throw new RegistryError(`${this.registry}/${repository}: tag list is not JSON`, 200, {
          cause: error,
        });
      }
      tags.push(...(page.tags ?? []));
      // Link: </v2/<name>/tags/list?last=...&n=...>; rel="next" — only ever a path on this registry
      const next = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
      path = next?.startsWith(`/v2/${repository}/tags/list?`) ? next : undefined;
    }
    return tags;
  }

  // ---- blobs ----

  /** Size of the blob in the repository, or undefined when it is not there. */
  async headBlob(repository: string, digest: string): Promise<number | undefined> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const res = await this.transport.request('HEAD', path, { scopes: [`repository:${repository}:pull`] });
    await drain(res);
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw this.transport.failure(`HEAD ${path}`, res, '');
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
      res = await this.transport.request('GET', path, { scopes: pull });
      if (res.statusCode !== 200) throw this.transport.failure(`GET ${path}`, res, await readText(res));
    } catch (error) {
      release();
      throw error;
    }
    const { retries, backoffMs } = this.transport;
    const resume = async (offset: number) => {
      const answer = await this.transport.request('GET', path, {
        scopes: pull,
        headers: { Range: `bytes=${offset}-` },
      });
      if (answer.statusCode !== 206) {
        throw this.transport.failure(`GET ${path} (resume at ${offset})`, answer, await readText(answer));
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
        bytesMoved(chunk.length);
        if (!verifier.write(chunk)) {
          current.pause();
          verifier.once('drain', () => current.resume());
        }
      });
      current.on('end', () => finish());
      current.on('error', (error) => {
        if (finished) return;
        if (!isTransient(error) || attempt >= retries) return finish(error);
        sleep(backoffDelay(backoffMs, attempt++))
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
      if (!options.skipHead && (await this.headBlob(repository, digest)) !== undefined) {
        if (source instanceof Readable) source.destroy();
        return { bytes: 0 };
      }
      return this.uploader.upload(repository, digest, size, source, options);
    });
  }

  /**
   * Streams a blob's bytes into an upload of `repository` without committing it (see
   * BlobUploader.stage): nothing holds the blob until `commit()`. Holds a concurrency slot while
   * the bytes move.
   */
  stageBlob(repository: string, digest: string, size: number, body: () => BodyWriter): Promise<StagedBlob> {
    return this.limiter.run(() => this.uploader.stage(repository, digest, size, body));
  }

  /** Cross-repository mount: true when the registry linked the blob without moving bytes. */
  mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    return this.uploader.mount(repository, digest, from);
  }
}
