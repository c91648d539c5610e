import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { UpgradePlan } from '../../api/index.js';
import { GROUP_VERSION } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import type { KubeClient } from '../../kube/client.js';
import { notesBetween } from '../../model/publish.js';
import { formatReleaseNotes } from '../format-details.js';
import { formatPlan } from '../format-plan.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterHelp, clusterOptions, connect } from './cluster-args.js';
import { clusterTemplates } from './cluster-templates.js';
import { follow } from './follow.js';

export const upgradeHelp = `Usage: ferry upgrade INSTALL [--to VERSION] [--approve] [--component NAME ...]
                     [--allow-downgrade] [--include-prereleases] [-n NS] [--kubeconfig FILE]

Creates an AppUpgrade and shows its plan: components added, removed and changed, and the
template changes kept out because they are site configuration. Without --approve it is a
preview (approval Manual; approve later with --approve --name NAME, or kubectl patch
spec.approved=true). With --approve it follows the rollout live, level by level, and exits
0 when it succeeded, 1 when it failed or was rolled back. --to defaults to the highest
available version.

  --name NAME      name of the AppUpgrade (default: INSTALL-to-VERSION-xxxx); with --approve
                   and an existing Manual AppUpgrade of that name, approves it

${clusterHelp}`;

export async function upgradeCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      to: { type: 'string' },
      approve: { type: 'boolean', default: false },
      component: { type: 'string', multiple: true },
      'allow-downgrade': { type: 'boolean', default: false },
      'include-prereleases': { type: 'boolean', default: false },
      name: { type: 'string' },
    },
  });
  const install = positionals[0];
  if (!install) throw new UsageError('name the AppInstall: ferry upgrade INSTALL');
  const { client, namespace } = connect(values);
  try {
    const name = values.name ?? `${install}-to-${values.to ?? 'latest'}-${randomBytes(2).toString('hex')}`;
    const ref = ferryRef('AppUpgrade', namespace, name);
    const existing = values.name ? await client.get(ref) : undefined;
    if (existing) {
      if (!values.approve) throw new UsageError(`AppUpgrade ${name} exists; pass --approve to approve it`);
      await client.mergePatch(ref, { spec: { approved: true } });
      output.out(`approved AppUpgrade ${namespace}/${name}`);
    } else {
      await client.create({
        apiVersion: GROUP_VERSION,
        kind: 'AppUpgrade',
        metadata: { name, namespace },
        spec: {
          install,
          ...(values.to ? { toVersion: values.to } : {}),
          approval: values.approve ? 'Automatic' : 'Manual',
          allowDowngrade: values['allow-downgrade'],
          includePrereleases: values['include-prereleases'],
          ...(values.component ? { components: values.component } : {}),
        },
      });
      output.out(`created AppUpgrade ${namespace}/${name}`);
      const phase = await follow(
        client,
        ref,
        { out: () => undefined, err: output.err },
        {
          stopAt: ['Planned', 'WaitingForApproval', 'Progressing'],
          timeoutMs: 60_000,
        },
      );
      const upgrade = await client.get<{
        apiVersion: string;
        kind: string;
        status?: { plan?: UpgradePlan; message?: string };
      }>(ref);
      if (phase === 'Failed') throw new ProblemsFound(`upgrade refused: ${upgrade?.status?.message}`);
      if (upgrade?.status?.plan) {
        output.out(`\n${formatPlan(upgrade.status.plan, `Upgrade ${install}`)}\n`);
        output.out(`${await releaseNotes(client, namespace, install, upgrade.status.plan, output)}\n`);
      }
      if (!values.approve) {
        output.out(
          `Preview only. To carry it out: ferry upgrade ${install} -n ${namespace} --name ${name} --approve`,
        );
        return;
      }
    }
    const final = await follow(client, ref, output);
    if (final !== 'Succeeded') throw new ProblemsFound(`upgrade ${final}`);
  } finally {
    client.close();
  }
}

/** The release notes of every version the upgrade passes (after the installed one, up to the target). */
async function releaseNotes(
  client: KubeClient,
  namespace: string,
  install: string,
  plan: UpgradePlan,
  output: Output,
): Promise<string> {
  const object = await client.get<{ apiVersion: string; kind: string; spec: { app: string } }>(
    ferryRef('AppInstall', namespace, install),
  );
  if (!object) return 'Release notes: the AppInstall is gone';
  const templates = await clusterTemplates(client, output, object.spec.app);
  return formatReleaseNotes(
    notesBetween(
      templates.map((t) => t.spec),
      plan.fromVersion,
      plan.toVersion,
    ),
  );
}
