import { existsSync, readFileSync, statSync } from 'node:fs';
import type https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import * as yaml from 'js-yaml';

/**
 * Where requests go and how they authenticate: TLS material and an Authorization header added to
 * each request's options.
 */
export interface Credentials {
  server: string;
  /** The current context's namespace, if it names one. */
  namespace?: string;
  apply(options: https.RequestOptions): Promise<void>;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A projected service-account token is rotated by the kubelet; read it again at most this often. */
const TOKEN_REREAD_MS = 60_000;

interface NamedEntry<T> {
  name: string;
  value: T;
}
interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}
interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
}
interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** One kubeconfig file, its relative paths resolved against its directory. */
interface ConfigFile {
  path: string;
  currentContext?: string;
  clusters: NamedEntry<ClusterEntry>[];
  users: NamedEntry<UserEntry>[];
  contexts: NamedEntry<ContextEntry>[];
}

/**
 * Loads credentials the way kubectl does: --kubeconfig, else $KUBECONFIG (files joined by the path
 * delimiter, the first definition of a name wins), else ~/.kube/config, else the pod's service account.
 * Client certificates, bearer tokens (inline or a file) and basic auth are read here; a user with an
 * exec plugin or an auth provider is handed to @kubernetes/client-node's KubeConfig, loaded only
 * then: it weighs ~80 MiB of memory and ~0.6 s of start-up (it imports the whole generated API),
 * which the operator and the CLI otherwise never pay.
 */
export function loadCredentials(kubeconfigPath?: string): Credentials {
  const paths = kubeconfigPath
    ? [kubeconfigPath]
    : process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(homedir(), '.kube', 'config')].filter((p) => existsSync(p));
  if (!paths.length) {
    if (process.env.KUBERNETES_SERVICE_HOST) return inCluster();
    throw new Error(
      'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account',
    );
  }
  return fromFiles(paths.filter((p) => kubeconfigPath || existsSync(p)).map(readConfigFile), kubeconfigPath);
}

function readConfigFile(path: string): ConfigFile {
  let doc: Record<string, unknown>;
  try {
    doc = (yaml.load(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`kubeconfig ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const entries = <T>(key: string, field: string): NamedEntry<T>[] =>
    ((doc[key] ?? []) as { name?: string; [k: string]: unknown }[])
      .filter((e) => e && typeof e.name === 'string')
      .map((e) => ({ name: e.name!, value: (e[field] ?? {}) as T }));
  return {
    path,
    currentContext: typeof doc['current-context'] === 'string' ? doc['current-context'] : undefined,
    clusters: entries<ClusterEntry>('clusters', 'cluster'),
    users: entries<UserEntry>('users', 'user'),
    contexts: entries<ContextEntry>('contexts', 'context'),
  };
}

function fromFiles(files: ConfigFile[], kubeconfigPath: string | undefined): Credentials {
  const where = files.map((f) => f.path).join(delimiter) || '(none)';
  const contextName = files.find((f) => f.currentContext)?.currentContext;
  if (!contextName) throw new Error(`kubeconfig ${where}: no current-context`);
  const find = <T>(kind: 'clusters' | 'users' | 'contexts', name: string) => {
    for (const file of files) {
      const entry = file[kind].find((e) => e.name === name);
      if (entry) return { value: entry.value as T, dir: dirname(file.path) };
    }
    return undefined;
  };
  const context = find<ContextEntry>('contexts', contextName)?.value;
  if (!context?.cluster) throw new Error(`kubeconfig ${where}: context "${contextName}" names no cluster`);
  const cluster = find<ClusterEntry>('clusters', context.cluster);
  if (!cluster)
    throw new Error(
      `kubeconfig ${where}: context "${contextName}" names cluster "${context.cluster}", which is not defined`,
    );
  if (!cluster.value.server)
    throw new Error(`kubeconfig ${where}: cluster "${context.cluster}" has no server`);
  const user = context.user ? find<UserEntry>('users', context.user) : undefined;
  const u = user?.value ?? {};
  const namespace = context.namespace ? { namespace: context.namespace } : {};
  if (u.exec || u['auth-provider'])
    return { ...viaKubeConfig(cluster.value.server, kubeconfigPath), ...namespace };

  const file = (dir: string, p: string) => readFileSync(isAbsolute(p) ? p : join(dir, p));
  const data = (b64: string) => Buffer.from(b64, 'base64');
  const c = cluster.value;
  const tls: https.RequestOptions = {};
  if (c['certificate-authority-data']) tls.ca = data(c['certificate-authority-data']);
  else if (c['certificate-authority']) tls.ca = file(cluster.dir, c['certificate-authority']);
  if (c['insecure-skip-tls-verify']) tls.rejectUnauthorized = false;
  if (c['tls-server-name']) tls.servername = c['tls-server-name'];
  if (u['client-certificate-data']) tls.cert = data(u['client-certificate-data']);
  else if (u['client-certificate']) tls.cert = file(user!.dir, u['client-certificate']);
  if (u['client-key-data']) tls.key = data(u['client-key-data']);
  else if (u['client-key']) tls.key = file(user!.dir, u['client-key']);
  const token = u.token
    ? () => u.token!
    : u.tokenFile
      ? rereadEvery(isAbsolute(u.tokenFile) ? u.tokenFile : join(user!.dir, u.tokenFile))
      : undefined;
  const basic =
    u.username !== undefined
      ? Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64')
      : undefined;
  return {
    server: c.server!,
    ...namespace,
    apply: async (options) => {
      Object.assign(options, tls);
      const authorization = token ? `Bearer ${token()}` : basic ? `Basic ${basic}` : undefined;
      if (authorization) options.headers = { ...options.headers, Authorization: authorization };
    },
  };
}

/** The pod's service account: the API server's in-cluster address, its CA and the (rotated) token. */
function inCluster(): Credentials {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ca = readFileSync(join(SERVICE_ACCOUNT, 'ca.crt'));
  const token = rereadEvery(join(SERVICE_ACCOUNT, 'token'));
  const namespaceFile = join(SERVICE_ACCOUNT, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...(existsSync(namespaceFile) ? { namespace: readFileSync(namespaceFile, 'utf8').trim() } : {}),
    apply: async (options) => {
      options.ca = ca;
      options.headers = { ...options.headers, Authorization: `Bearer ${token()}` };
    },
  };
}

/** A token file's content, read again when it changed and at most every TOKEN_REREAD_MS. */
function rereadEvery(path: string): () => string {
  let token = '';
  let readAt = -Infinity;
  let mtime = -1;
  return () => {
    const now = Date.now();
    if (now - readAt >= TOKEN_REREAD_MS) {
      readAt = now;
      const changed = statSync(path).mtimeMs;
      if (changed !== mtime) {
        mtime = changed;
        token = readFileSync(path, 'utf8').trim();
      }
    }
    return token;
  };
}

/** Exec plugins and auth providers: @kubernetes/client-node's KubeConfig, imported on first use. */
function viaKubeConfig(server: string, kubeconfigPath: string | undefined): Credentials {
  let loaded: Promise<{ applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }> | undefined;
  const load = async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else config.loadFromDefault();
    return config;
  };
  return {
    server,
    apply: async (options) => {
      loaded ??= load();
      await (await loaded).applyToHTTPSOptions(options);
    },
  };
}
