import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { hasMarkets } from '../../console/cluster.js';
import { startConsole } from '../../console/server.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { connect } from './cluster-args.js';
import { whoAmI } from './cluster-templates.js';

export const consoleHelp = `Usage: ferry console [--kubeconfig FILE] [--port PORT] [--open]

Serves a web console on 127.0.0.1 for site admins: the apps the cluster offers and an install
form, installs with their health and components, upgrades with their plan (adopt kept values,
approve, follow level by level), history with rollback previews, and app markets when the
cluster has them. It acts with your kubeconfig's credentials: what your RBAC forbids is shown
disabled, and the API server refuses it anyway. Every action shows its ferry command and YAML.

The URL it prints carries a random access token (exchanged for a cookie on first load); keep it
to yourself. Nothing is loaded from the network: every asset ships with ferry.

  --kubeconfig FILE   kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --port PORT         port on 127.0.0.1 (default: any free port)
  --open              open the URL in the desktop's browser (xdg-open)`;

export async function consoleCommand(args: string[], output: Output): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string', default: '0' },
      open: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
  const { client, namespace } = connect({ kubeconfig: values.kubeconfig });
  const [user, markets] = await Promise.all([whoAmI(client), hasMarkets(client)]);
  const server = await startConsole(
    {
      client,
      namespace,
      page: { user, cluster: client.apiServer, csrf: '', markets },
    },
    port,
  );
  output.out(`Ferry console for ${user}: ${server.url}`);
  output.out('Press Ctrl-C to stop.');
  if (values.open) {
    const child = spawn('xdg-open', [server.url], { stdio: 'ignore', detached: true });
    child.on('error', () => output.err('could not run xdg-open; open the URL above yourself'));
    child.unref();
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  client.close();
}
