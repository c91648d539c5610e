import { KubeClient } from '../../kube/client.js';

/** parseArgs options of the commands that talk to a cluster. */
export const clusterOptions = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

export const clusterHelp = `Cluster options:
  --kubeconfig FILE      kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS     namespace of the AppInstall (default: the context's, else "default")`;

export function connect(flags: { kubeconfig?: string; namespace?: string }): {
  client: KubeClient;
  namespace: string;
} {
  const client = KubeClient.fromDefault(flags.kubeconfig);
  return { client, namespace: flags.namespace ?? client.contextNamespace ?? 'default' };
}

export const age = (since: string | undefined, now = Date.now()) => {
  if (!since) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
};

/** Lays rows out in aligned columns, as kubectl does. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}
