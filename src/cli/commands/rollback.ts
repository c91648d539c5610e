import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AppRollback, UpgradePlan } from '../../api/index.js';
import { GROUP_VERSION, appInstallSchema } from '../../api/index.js';
import type { KubeClient } from '../../kube/client.js';
import { ferryRef } from '../../kube/client.js';
import { planRollbackRequest } from '../../model/requests.js';
import { decodeSnapshot } from '../../model/snapshot.js';
import { formatPlan } from '../format-plan.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterHelp, clusterOptions, connect } from './cluster-args.js';
import { follow } from './follow.js';
import { installRevisions } from './install-revisions.js';

export const rollbackHelp = `Usage: ferry rollback INSTALL [--to-revision N] [--prune-added-components] [--preview] [-n NS] [--kubeconfig FILE]

Creates an AppRollback that re-applies a recorded revision (default: the previous successful
one) as a new revision, shows what it changes and follows it live. Components added after
that revision keep running (and are listed) unless --prune-added-components; PVCs are never
deleted. Exits 0 when it succeeded.

  --preview   only show what the rollback would change (computed from the recorded revisions
              as the operator will); create nothing

${clusterHelp}`;

export async function rollbackCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      'to-revision': { type: 'string' },
      'prune-added-components': { type: 'boolean', default: false },
      preview: { type: 'boolean', default: false },
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
    if (values.preview) {
      const prune = values['prune-added-components'];
      const plan = await previewRollback(client, namespace, install, toRevision, prune);
      output.out(`${formatPlan(plan, `Rollback ${install}`)}\n`);
      const flags = [
        ...(toRevision ? [`--to-revision ${toRevision}`] : []),
        ...(prune ? ['--prune-added-components'] : []),
      ];
      output.out(
        `Preview only. To carry it out: ferry rollback ${install} -n ${namespace} ${flags.join(' ')}`.trimEnd(),
      );
      return;
    }
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

/** What an AppRollback would change, planned from the install's recorded revisions as the operator does. */
async function previewRollback(
  client: KubeClient,
  namespace: string,
  install: string,
  toRevision: number | undefined,
  pruneAddedComponents: boolean,
): Promise<UpgradePlan> {
  const raw = await client.get(ferryRef('AppInstall', namespace, install));
  if (!raw) throw new ProblemsFound(`AppInstall ${namespace}/${install} not found`);
  const object = appInstallSchema.parse(raw);
  const revisions = await installRevisions(client, object);
  const request = {
    metadata: { name: `${install}-rollback-preview`, namespace },
    spec: { install, ...(toRevision ? { toRevision } : {}), pruneAddedComponents },
  } as AppRollback;
  const planned = planRollbackRequest(object, revisions, request, (r) => decodeSnapshot(r.spec.snapshot));
  if (!planned.ok) throw new ProblemsFound(planned.message);
  return planned.draft.plan;
}
