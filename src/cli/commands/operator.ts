import { parseArgs } from 'node:util';
import { Manager } from '../../controller/manager.js';
import { createLogger } from '../../controller/runtime/logger.js';
import { KubeClient } from '../../kube/client.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';

export const operatorHelp = `Usage: ferry operator [--kubeconfig FILE] [--workers N] [--max-rollouts N]
                      [--resync SECONDS] [--probe-address HOST:PORT] [--leader-elect] [--leader-election-namespace NS]
                      [--namespace NS]

Runs the Ferry operator against the current kubeconfig (or the in-cluster service account):
reconciles AppTemplates, AppInstalls, AppUpgrades and AppRollbacks, and syncs AppMarkets into
AppTemplates (their credentials and CA Secrets are read from --namespace, default $POD_NAMESPACE or
ferry-system). Serves /healthz, /readyz and
/metrics on --probe-address (default 0.0.0.0:8081). Logs JSON lines (FERRY_LOG_LEVEL=debug for more).
Stops gracefully on SIGTERM or SIGINT.

--max-rollouts N (default 32; 0: no limit): how many installs roll out at once. A change of a whole
fleet starts N rollouts; the others wait (Ready False, reason WaitingForRolloutSlot) and start as
rollouts end; a freed slot goes to the waiting namespace holding the fewest. Automatic rollbacks
never wait.`;

export async function operatorCommand(args: string[], _output: Output): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      workers: { type: 'string', default: '16' },
      'max-rollouts': { type: 'string', default: '32' },
      resync: { type: 'string', default: '600' },
      'probe-address': { type: 'string', default: '0.0.0.0:8081' },
      'leader-elect': { type: 'boolean', default: false },
      namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'ferry-system' },
      'leader-election-namespace': { type: 'string' },
    },
  });
  const workers = Number(values.workers);
  const maxRollouts = Number(values['max-rollouts']);
  const resync = Number(values.resync);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError('--workers must be a positive integer');
  if (!Number.isInteger(maxRollouts) || maxRollouts < 0)
    throw new UsageError('--max-rollouts must be a whole number (0: no limit)');
  if (!Number.isFinite(resync) || resync < 0) throw new UsageError('--resync must be a number of seconds');

  const log = createLogger();
  const manager = new Manager(KubeClient.fromDefault(values.kubeconfig), log, {
    workers,
    maxRollouts,
    resyncMs: resync * 1000,
    probeAddress: values['probe-address'],
    namespace: values.namespace,
    ...(values['leader-elect']
      ? { leaderElection: { namespace: values['leader-election-namespace'] ?? values.namespace } }
      : {}),
  });
  const stopped = new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void manager.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await manager.start();
  log.info({ workers, maxRollouts, resyncSeconds: resync }, 'operator started');
  await stopped;
}
