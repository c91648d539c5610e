import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Credentials } from './credentials.js';
import { loadCredentials } from './credentials.js';
import { KubeApiError, apiError } from './errors.js';
import type { ObjectRef } from './ref.js';
import { resourcePath } from './ref.js';
import type { KubeObject, KubeList } from './objects.js';
import { refOf } from './objects.js';
import type { WatchEvent } from './watch-stream.js';
import { watchError, watchEvents } from './watch-stream.js';
export type { KubeObject, KubeList } from './objects.js';
export type { WatchEvent } from './watch-stream.js';
export type { ObjectRef } from './ref.js';
export { ferryRef, resourcePath } from './ref.js';
export { KubeApiError } from './errors.js';

/** The one field manager Ferry applies with (server-side apply). */
export const FIELD_MANAGER = 'ferry-operator';

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Metadata only (PartialObjectMetadata): the server never sends the objects' other fields. */
  metadataOnly?: boolean;
}

const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA_ONLY_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * A thin client over the Kubernetes REST API. Credentials come from credentials.ts (kubeconfig,
 * in-cluster; exec plugins through @kubernetes/client-node); requests are plain HTTP so server-side
 * apply, status subresources and watch streams behave exactly as the API server defines them.
 */
export class KubeClient {
  private readonly server: URL;
  private readonly agent: http.Agent;
  /** Called once per write request (POST, PUT, PATCH, DELETE), e.g. to count them. */
  onWrite?: (method: string, path: string) => void;
  /** Called once per request the server answers with an error status (≥ 400), e.g. to count them. */
  onApiError?: (status: number, method: string, path: string) => void;

  constructor(
    private readonly credentials: Credentials,
    private readonly userAgent = 'ferry',
  ) {
    this.server = new URL(credentials.server);
    const options = { keepAlive: true, maxSockets: 64 };
    this.agent = this.server.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /** The API server's URL, as the credentials name it. */
  get apiServer(): string {
    return this.credentials.server;
  }

  /** The namespace of the kubeconfig's current context (or the pod's), if any. */
  get contextNamespace(): string | undefined {
    return this.credentials.namespace;
  }

  /** From KUBECONFIG / ~/.kube/config, or in-cluster service account when running in a pod. */
  static fromDefault(kubeconfigPath?: string): KubeClient {
    return new KubeClient(loadCredentials(kubeconfigPath));
  }

  /** From a KubeConfig object of @kubernetes/client-node (tests build token configs this way). */
  static fromKubeConfig(config: KubeConfig): KubeClient {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const namespace = config.getContextObject(config.getCurrentContext())?.namespace;
    return new KubeClient({
      server: cluster.server,
      ...(namespace ? { namespace } : {}),
      apply: (o) => config.applyToHTTPSOptions(o),
    });
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await readBody(res);
    if ((res.statusCode ?? 0) >= 400) {
      this.onApiError?.(res.statusCode ?? 0, method, path);
      throw apiError(res.statusCode ?? 0, text, method, path);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(ref));
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(
    ref: ObjectRef,
    query: { labelSelector?: string; fieldSelector?: string; limit?: number; metadataOnly?: boolean } = {},
  ): Promise<KubeList<T>> {
    const { metadataOnly, ...selectors } = query;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.request<KubeList<T>>('GET', resourcePath(ref), {
        query: { ...selectors, limit: query.limit ?? 500, continue: cont },
        metadataOnly,
      });
      items.push(...(page.items ?? [])); // an empty PartialObjectMetadataList has items: null
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  create<T extends KubeObject>(obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath({ ...refOf(obj), name: undefined }), { body: obj });
  }

  /** Server-side apply under Ferry's field manager; a no-op apply writes nothing. */
  apply<T extends KubeObject>(obj: T, { force = true, subresource = '' } = {}): Promise<T> {
    return this.request<T>('PATCH', resourcePath(refOf(obj)) + (subresource ? `/${subresource}` : ''), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force },
    });
  }

  mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown, subresource = ''): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref) + (subresource ? `/${subresource}` : ''), {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  jsonPatch<T extends KubeObject>(ref: ObjectRef, patch: unknown[], subresource = ''): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref) + (subresource ? `/${subresource}` : ''), {
      body: patch,
      contentType: 'application/json-patch+json',
    });
  }

  replace<T extends KubeObject>(obj: T, subresource = ''): Promise<T> {
    return this.request<T>('PUT', resourcePath(refOf(obj)) + (subresource ? `/${subresource}` : ''), {
      body: obj,
    });
  }

  /**
   * The tail of a pod's log (its first container's), as text; undefined when the pod or its log is not
   * there (e.g. a node that runs no containers answers with an error).
   */
  async podLog(
    namespace: string,
    name: string,
    { tailLines = 20, limitBytes = 2048 }: { tailLines?: number; limitBytes?: number } = {},
  ): Promise<string | undefined> {
    const path = `${resourcePath({ apiVersion: 'v1', kind: 'Pod', namespace, name })}/log`;
    const res = await this.send('GET', path, {
      query: { tailLines, limitBytes },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await readBody(res);
    if ((res.statusCode ?? 0) >= 400) {
      this.onApiError?.(res.statusCode ?? 0, 'GET', path);
      return undefined;
    }
    return text;
  }

  /** Deletes; true when it existed. Background propagation unless told otherwise. */
  async delete(ref: ObjectRef, propagationPolicy = 'Background'): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath(ref), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.notFound) return false;
      throw error;
    }
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts, or an ERROR event
   * arrives (thrown as KubeApiError: 410 Gone means relist). Resolves when the stream ends.
   */
  async watch<T extends KubeObject>(
    ref: ObjectRef,
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    options: {
      labelSelector?: string;
      signal?: AbortSignal;
      timeoutSeconds?: number;
      metadataOnly?: boolean;
    } = {},
  ): Promise<void> {
    // One object is watched through its collection with a field selector; the path form is not a watch.
    const path = resourcePath({ ...ref, name: undefined });
    const res = await this.send('GET', path, {
      query: {
        watch: true,
        resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: options.labelSelector,
        fieldSelector: ref.name ? `metadata.name=${ref.name}` : undefined,
        timeoutSeconds: options.timeoutSeconds ?? 300,
      },
      signal: options.signal,
      metadataOnly: options.metadataOnly,
    });
    if ((res.statusCode ?? 0) >= 400) {
      this.onApiError?.(res.statusCode ?? 0, 'WATCH', path);
      throw apiError(res.statusCode ?? 0, await readBody(res), 'WATCH', resourcePath(ref));
    }
    try {
      for await (const event of watchEvents<T>(res)) {
        if (event.type === 'ERROR') {
          const error = watchError(event);
          this.onApiError?.(error.status, 'WATCH', path);
          throw error;
        }
        onEvent(event);
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    if (method !== 'GET') this.onWrite?.(method, path);
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const requestOptions: https.RequestOptions = {
      method,
      agent: this.agent,
      headers: {
        Accept: options.metadataOnly
          ? options.query?.watch
            ? METADATA_ONLY_WATCH
            : METADATA_ONLY
          : 'application/json',
        'User-Agent': this.userAgent,
        ...(body !== undefined
          ? {
              'Content-Type': options.contentType ?? 'application/json',
              'Content-Length': Buffer.byteLength(body),
            }
          : {}),
      },
      signal: options.signal,
    };
    await this.credentials.apply(requestOptions);
    requestOptions.agent = this.agent;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, requestOptions, resolve);
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
