import { parseArgs } from 'node:util';
import type { AppInstall } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterHelp, clusterOptions, connect, table } from './cluster-args.js';

export const statusHelp = `Usage: ferry status INSTALL [-n NS] [--kubeconfig FILE]

Shows an installed application: version and revision, readiness and why, each component's
rollout, the change in progress, retained components and the upgrades available.

${clusterHelp}`;

export async function statusCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: clusterOptions, allowPositionals: true });
  const name = positionals[0];
  if (!name) throw new UsageError('name the AppInstall: ferry status INSTALL');
  const { client, namespace } = connect(values);
  try {
    const install = await client.get<AppInstall & { apiVersion: string; kind: string }>(
      ferryRef('AppInstall', namespace, name),
    );
    if (!install) throw new ProblemsFound(`AppInstall ${namespace}/${name} not found`);
    output.out(formatStatus(install));
  } finally {
    client.close();
  }
}

export function formatStatus(install: AppInstall): string {
  const s = install.status ?? {};
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const stalled = s.conditions?.find((c) => c.type === 'Stalled');
  const lines = [
    `AppInstall ${install.metadata.namespace}/${install.metadata.name}: ${install.spec.app}`,
    `  desired version:   ${install.spec.version}`,
    `  installed version: ${s.version ?? '-'} (revision ${s.revision ?? '-'})`,
    `  ready:             ${ready ? `${ready.status} (${ready.reason}) ${ready.message}` : 'unknown'}`,
  ];
  if (stalled?.status === 'True') lines.push(`  stalled:           ${stalled.reason}: ${stalled.message}`);
  if (s.operation) {
    lines.push(
      `  in progress:       ${s.operation.kind} as revision ${s.operation.revision}${s.operation.name ? ` (${s.operation.name})` : ''}`,
    );
  }
  lines.push(
    `  upgrades:          ${s.availableUpgrades?.length ? s.availableUpgrades.map((v) => upgradeWithOrigin(v, s.availableUpgradeOrigins)).join(', ') : 'none available'}`,
  );
  if (s.retainedComponents?.length)
    lines.push(`  retained:          ${s.retainedComponents.join(', ')} (kept running; not in ${s.version})`);
  if (s.components?.length) {
    lines.push(
      '',
      table([
        ['COMPONENT', 'KIND', 'STATE', 'UPDATED', 'AVAILABLE', 'IMAGE', 'MESSAGE'],
        ...s.components.map((c) => [
          c.name,
          c.workload,
          c.state,
          `${c.updatedReplicas}/${c.desiredReplicas}`,
          `${c.availableReplicas}/${c.desiredReplicas}`,
          c.image,
          c.message ?? '',
        ]),
      ]),
    );
  }
  return lines.join('\n');
}

/** `2.0.0 (market acme)`, `1.1.0 (import)`: an available version and where it comes from. */
function upgradeWithOrigin(
  version: string,
  origins: { version: string; origin: string; market?: string }[] | undefined,
): string {
  const o = origins?.find((x) => x.version === version);
  if (!o) return version;
  return `${version} (${o.market ? `market ${o.market}` : o.origin})`;
}
