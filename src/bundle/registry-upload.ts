import type { Readable } from 'node:stream';
import { sleep } from '../util/sleep.js';
import { BundleError, RegistryError } from './errors.js';
import type { BodyWriter, RegistryTransport } from './registry-transport.js';
import { backoffDelay, drain, readText } from './registry-transport.js';

/** A blob whose bytes are at the registry in an upload not yet committed. */
export interface StagedBlob {
  /** PUT ?digest=: the registry checks the digest and the repository holds the blob. */
  commit(): Promise<void>;
  /** Drops the upload (best effort). */
  cancel(): Promise<void>;
}

/** Pulls fixed-size chunks out of a stream; the last one may be shorter. */
export async function* chunksOf(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
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

/**
 * After a PATCH of bytes `offset…end` failed, the registry's upload status says how far it got:
 * `sent` when it holds the whole chunk, `resend` when it holds exactly what came before the chunk,
 * `fail` for anything else (a status other than 204, or a range the upload cannot go on from).
 */
export function resumeAfterStatus(
  statusCode: number | undefined,
  range: string,
  offset: number,
  end: number,
): 'sent' | 'resend' | 'fail' {
  if (statusCode !== 204) return 'fail';
  const match = /^(?:bytes=)?0-(\d+)$/.exec(range);
  const next = match ? Number(match[1]) + 1 : 0;
  if (next === end + 1) return 'sent';
  return next === offset ? 'resend' : 'fail';
}

export const mountQuery = (digest: string, from: string) =>
  `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;

/** Blob uploads to one registry: cross-repository mounts, one PUT for a Buffer, chunks for a stream. */
export class BlobUploader {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly chunkSize: number,
  ) {}

  /**
   * Tries each of `mountFrom` (a mount moves no bytes), else uploads `source`: a Buffer in one PUT, a
   * stream in chunks (POST, PATCH..., PUT), each chunk retried on its own. Returns the bytes sent.
   */
  async upload(
    repository: string,
    digest: string,
    size: number,
    source: Buffer | Readable,
    options: { mountFrom?: string[]; onBytes?: (n: number) => void } = {},
  ): Promise<{ bytes: number; mountedFrom?: string }> {
    const push = `repository:${repository}:pull,push`;
    let location: string | undefined;
    for (const from of options.mountFrom ?? []) {
      if (from === repository) continue;
      const res = await this.transport.request(
        'POST',
        `/v2/${repository}/blobs/uploads/?${mountQuery(digest, from)}`,
        {
          scopes: [push, `repository:${from}:pull`],
          headers: { 'Content-Length': 0 },
        },
      );
      await drain(res);
      if (res.statusCode === 201) {
        if (!Buffer.isBuffer(source)) source.destroy();
        return { bytes: 0, mountedFrom: from };
      }
      if (res.statusCode === 202) {
        location = String(res.headers.location);
        break;
      }
    }
    location ??= await this.start(repository);
    if (Buffer.isBuffer(source)) {
      await this.finish(repository, location, digest, source);
      return { bytes: source.length };
    }
    return { bytes: await this.chunks(repository, location, digest, size, source, options.onBytes) };
  }

  /** Cross-repository mount: true when the registry linked the blob without moving bytes. */
  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    const res = await this.transport.request(
      'POST',
      `/v2/${repository}/blobs/uploads/?${mountQuery(digest, from)}`,
      {
        scopes: [`repository:${repository}:pull,push`, `repository:${from}:pull`],
        headers: { 'Content-Length': 0 },
      },
    );
    const text = await readText(res);
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202 && res.headers.location) {
      await this.cancel(String(res.headers.location), [`repository:${repository}:pull,push`]);
      return false;
    }
    throw this.transport.failure(`mount ${digest} from ${from} into ${repository}`, res, text);
  }

  /**
   * Streams a blob into a new upload of `repository` (POST, then one PATCH of all its bytes) and
   * leaves it uncommitted: no repository holds the blob until `commit` (PUT ?digest=), and
   * `cancel` drops it. `body` makes the writer of the bytes, which fails unless they match the digest; after a
   * connection failure the upload starts over with a fresh writer. A writer that failed with a
   * BundleError (the bytes do not match) is not retried: that error is thrown.
   */
  async stage(repository: string, digest: string, size: number, body: () => BodyWriter): Promise<StagedBlob> {
    const scopes = [`repository:${repository}:pull,push`];
    for (let attempt = 0; ; attempt++) {
      // made first: a `body` that throws leaves nothing at the registry
      const writer = body();
      let sourceError: unknown;
      const watched: BodyWriter = (request) =>
        writer(request).catch((error: unknown) => {
          sourceError ??= error;
          throw error;
        });
      const location = await this.start(repository);
      let failure: unknown;
      try {
        const res = await this.transport.request('PATCH', this.transport.resolve(location), {
          scopes,
          retry: false,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
          body: watched,
        });
        const text = await readText(res);
        if (sourceError) throw sourceError;
        if (res.statusCode === 202) {
          const next = String(res.headers.location ?? location);
          return {
            commit: () => this.finish(repository, next, digest, Buffer.alloc(0)),
            cancel: () => this.cancel(next, scopes),
          };
        }
        failure = this.transport.failure(`PATCH upload of ${repository}`, res, text);
        if ((res.statusCode ?? 0) < 500 && res.statusCode !== 429) throw failure;
      } catch (error) {
        failure = sourceError ?? error;
        if (
          failure instanceof BundleError ||
          (failure instanceof RegistryError && (failure.status ?? 500) < 500)
        ) {
          await this.cancel(location, scopes);
          throw failure;
        }
      }
      await this.cancel(location, scopes);
      if (attempt >= this.transport.retries) throw failure;
      await sleep(backoffDelay(this.transport.backoffMs, attempt));
    }
  }

  private cancel(location: string, scopes: string[]): Promise<void> {
    return this.transport
      .request('DELETE', this.transport.resolve(location), { scopes, retry: false })
      .then(drain)
      .catch(() => {});
  }

  private async start(repository: string): Promise<string> {
    const path = `/v2/${repository}/blobs/uploads/`;
    const res = await this.transport.request('POST', path, {
      scopes: [`repository:${repository}:pull,push`],
      headers: { 'Content-Length': 0 },
    });
    const text = await readText(res);
    if (res.statusCode !== 202 || !res.headers.location)
      throw this.transport.failure(`POST ${path}`, res, text);
    return String(res.headers.location);
  }

  private async finish(repository: string, location: string, digest: string, body: Buffer): Promise<void> {
    const url = new URL(this.transport.resolve(location));
    url.searchParams.set('digest', digest);
    const res = await this.transport.request('PUT', url.toString(), {
      scopes: [`repository:${repository}:pull,push`],
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
      body,
    });
    const text = await readText(res);
    if (res.statusCode !== 201)
      throw this.transport.failure(`PUT blob ${digest} to ${repository}`, res, text);
  }

  private async chunks(
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
          await this.finish(repository, location, digest, chunk);
          onBytes?.(chunk.length);
          return chunk.length;
        }
        location = await this.patchChunk(repository, location, offset, chunk, scopes);
        offset += chunk.length;
        onBytes?.(chunk.length);
      }
      await this.finish(repository, location, digest, Buffer.alloc(0));
      return offset;
    } catch (error) {
      source.destroy();
      await this.cancel(location, scopes);
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
    const { transport } = this;
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const res = await transport.request('PATCH', transport.resolve(location), {
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
        failure = transport.failure(`PATCH upload of ${repository}`, res, text);
        if ((res.statusCode ?? 0) < 500 && res.statusCode !== 429) throw failure;
      } catch (error) {
        if (error instanceof RegistryError && error.status !== undefined && error.status < 500) throw error;
        failure = error;
      }
      if (attempt >= transport.retries) throw failure;
      await sleep(backoffDelay(transport.backoffMs, attempt));
      const status = await transport.request('GET', transport.resolve(location), { scopes });
      await drain(status);
      const resume = resumeAfterStatus(status.statusCode, String(status.headers.range ?? ''), offset, end);
      if (resume === 'fail') throw failure;
      location = String(status.headers.location ?? location);
      if (resume === 'sent') return location;
    }
  }
}
