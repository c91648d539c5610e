import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Credentials } from './credentials.js';
import { loadCredentials } from './credentials.js';

/** The one field manager Ferry applies with (server-side apply). */
export const FIELD_MANAGER = 'ferry-operator';

import type { ObjectRef } from './ref.js';
export type { ObjectRef } from './ref.js';
export { ferryRef } from './ref.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    ownerReferences?: unknown[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A Kubernetes API error, with the server's Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
  get notFound() {
    return this.status === 404;
  }
  get conflict() {
    return this.status === 409;
  }
  get gone() {
    return this.status === 410;
  }
  get invalid() {
    return this.status === 422;
  }
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  Ingress: 'ingresses',
  HTTPRoute: 'httproutes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  PersistentVolume: 'persistentvolumes',
  Pod: 'pods',
  Node: 'nodes',
  Event: 'events',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  ReplicaSet: 'replicasets',
  ControllerRevision: 'controllerrevisions',
  Job: 'jobs',
  Lease: 'leases',
  CustomResourceDefinition: 'customresourcedefinitions',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  AppTemplate: 'apptemplates',
  AppInstall: 'appinstalls',
  AppRevision: 'apprevisions',
  AppUpgrade: 'appupgrades',
  AppRollback: 'approllbacks',
  AppMarket: 'appmarkets',
};
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'PersistentVolume',
  'Node',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'AppTemplate',
  'AppMarket',
]);

/** REST path of a kind (collection when ref.name is absent). */
export function resourcePath(ref: ObjectRef): string {
  const plural = PLURALS[ref.kind];
  if (!plural) throw new Error(`unknown kind ${ref.kind}`);
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns =
    !CLUSTER_SCOPED.has(ref.kind) && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
  return `${base}${ns}/${plural}${name}`;
}

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

  /** From KUBECONFIG / ~/.kube/config, or in-cluster service account when running in a pod. */
  /** The API server's URL, as the credentials name it. */
  get apiServer(): string {
    return this.credentials.server;
  }

  /** The namespace of the kubeconfig's current context (or the pod's), if any. */
  get contextNamespace(): string | undefined {
    return this.credentials.namespace;
  }

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
    let buffer = '';
    try {
      for await (const chunk of res) {
        buffer += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; reason?: string; message?: string };
            this.onApiError?.(status.code ?? 500, 'WATCH', path);
            throw new KubeApiError(
              status.code ?? 500,
              status.reason ?? 'Unknown',
              status.message ?? 'watch error',
            );
          }
          onEvent(event);
        }
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

function refOf(obj: KubeObject): ObjectRef {
  if (!obj.apiVersion || !obj.kind) throw new Error('object without apiVersion/kind');
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
  };
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string, method: string, path: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
    return new KubeApiError(
      status,
      s.reason ?? 'Unknown',
      s.message ?? `${method} ${path}: HTTP ${status}`,
      s.details,
    );
  } catch {
    return new KubeApiError(status, 'Unknown', `${method} ${path}: HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
