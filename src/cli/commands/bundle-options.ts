import type { KubeClient } from '../../kube/client.js';
import { BundleError, RegistryError } from '../../bundle/errors.js';
import type { Progress } from '../../bundle/progress.js';
import { streamProgress } from '../../bundle/progress.js';
import { resolveCredentials } from '../../bundle/registry-auth.js';
import { RegistryClient } from '../../bundle/registry-client.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';

/** parseArgs options every command that talks to a registry takes. */
export const registryOptions = {
  'plain-http': { type: 'boolean' },
  'ca-file': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  concurrency: { type: 'string' },
} as const;

export const registryHelp = `Registry options:
  --plain-http           talk HTTP, not HTTPS (only for registries without TLS)
  --ca-file PEM          trust this CA besides the system ones
  --username U --password P
                         credentials; otherwise FERRY_REGISTRY_USERNAME/FERRY_REGISTRY_PASSWORD,
                         then docker's config.json ($DOCKER_CONFIG or ~/.docker)
  --concurrency N        blob transfers at once (default 4)`;

export interface RegistryFlags {
  'plain-http'?: boolean;
  'ca-file'?: string;
  username?: string;
  password?: string;
  concurrency?: string;
}

/** One client per registry host, created on first use, all with the same flags. */
export function registryClients(flags: RegistryFlags): {
  clientFor: (registry: string) => RegistryClient;
  closeAll(): void;
} {
  const clients = new Map<string, RegistryClient>();
  const concurrency = flags.concurrency ? Number(flags.concurrency) : 4;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError('--concurrency must be a positive integer');
  return {
    clientFor(registry) {
      let client = clients.get(registry);
      if (!client) {
        client = new RegistryClient(registry, {
          plainHttp: flags['plain-http'],
          caFile: flags['ca-file'],
          credentials: resolveCredentials(registry, { username: flags.username, password: flags.password }),
          concurrency,
        });
        clients.set(registry, client);
      }
      return client;
    },
    closeAll() {
      for (const client of clients.values()) client.close();
    },
  };
}

/**
 * A KubeClient from --kubeconfig or $KUBECONFIG; undefined when neither is given. The Kubernetes
 * client is loaded only then: verify and inspect never pay its memory.
 */
export async function optionalKube(kubeconfig: string | undefined): Promise<KubeClient | undefined> {
  if (!kubeconfig && !process.env.KUBECONFIG) return undefined;
  const { KubeClient } = await import('../../kube/client.js');
  return KubeClient.fromDefault(kubeconfig);
}

export const progressFor = (quiet: boolean | undefined): Progress | undefined =>
  quiet ? undefined : streamProgress();

/** Turns the errors of bundle work into one readable line (exit 1) instead of a stack trace. */
export function bundleCommand(run: (args: string[], output: Output) => Promise<void>) {
  return async (args: string[], output: Output): Promise<void> => {
    try {
      await run(args, output);
    } catch (error) {
      if (
        error instanceof BundleError ||
        error instanceof RegistryError ||
        (error as Error).name === 'KubeApiError'
      ) {
        throw new ProblemsFound((error as Error).message, { cause: error });
      }
      throw error;
    }
  };
}
