import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { UpgradePlan } from '../../api/index.js';
import { GROUP_VERSION } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import { formatPlan } from '../format-plan.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterHelp, clusterOptions, connect } from './cluster-args.js';
import { follow } from './follow.js';

export const rollbackHelp = `Usage: ferry rollback INSTALL [--to-revision N] [--prune-added-components] [-n NS] [--kubeconfig FILE]

Creates an AppRollback that re-applies a recorded revision (default: the previous successful
one) as a new revision, shows what it changes and follows it live. Components added after
that revision keep running (and are listed) unless --prune-added-components; PVCs are never
deleted. Exits 0 when it succeeded.

${clusterHelp}`;

export async function rollbackCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      'to-revision': { type: 'string' },
      'prune-added-components': { type: 'boolean', default: false },
    },
  });
  const install = positionals[0];
  if (!install) throw new UsageError('name the AppInstall: ferry rollback INSTALL');
  const toRevision = values['to-revision'] === undefined ? undefined : Number(values['to-revision']);
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 1)) {
    throw new UsageError('--to-revision must be a positive integer');
  }
  const { client, namespace } = connect(values);
  try {
    const name = `${install}-rollback-${randomBytes(3).toString('hex')}`;
    const ref = ferryRef('AppRollback', namespace, name);
    await client.create({
      apiVersion: GROUP_VERSION,
      kind: 'AppRollback',
      metadata: { name, namespace },
      spec: {
        install,
        ...(toRevision ? { toRevision } : {}),
        pruneAddedComponents: values['prune-added-components'],
      },
    });
    output.out(`created AppRollback ${namespace}/${name}`);
    const rollback = await client.get<{ apiVersion: string; kind: string; status?: { plan?: UpgradePlan } }>(
      ref,
    );
    if (rollback?.status?.plan) output.out(`\n${formatPlan(rollback.status.plan, `Rollback ${install}`)}\n`);
    const final = await follow(client, ref, output);
    if (final !== 'Succeeded') throw new ProblemsFound(`rollback ${final}`);
  } finally {
    client.close();
  }
}
