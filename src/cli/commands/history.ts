import { parseArgs } from 'node:util';
import type { AppRevision, HookProgress } from '../../api/index.js';
import { appRevisionSchema } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import { LABEL_INSTALL } from '../../model/names.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { age, clusterHelp, clusterOptions, connect, table } from './cluster-args.js';

export const historyHelp = `Usage: ferry history INSTALL [--revision N] [-n NS] [--kubeconfig FILE] [-o text|json]

Lists the recorded revisions of an install, newest first: version, cause, outcome, what
caused it, for rollbacks the revision restored, and the hook Jobs each ran. Any of them can
be restored with ferry rollback INSTALL --to-revision N.

  --revision N   one revision in full: times, images, its rollout per component, and each
                 hook Job with its state, exit code and the tail of its log

${clusterHelp}`;

export async function historyCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...clusterOptions,
      revision: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
    },
    allowPositionals: true,
  });
  const name = positionals[0];
  if (!name) throw new UsageError('name the AppInstall: ferry history INSTALL');
  const { client, namespace } = connect(values);
  try {
    const list = await client.list(ferryRef('AppRevision', namespace), {
      labelSelector: `${LABEL_INSTALL}=${name}`,
    });
    const revisions = list.items
      .map((o) => appRevisionSchema.parse(o))
      .sort((a, b) => b.spec.revision - a.spec.revision);
    if (!revisions.length) throw new ProblemsFound(`no revisions of AppInstall ${namespace}/${name}`);
    if (values.revision !== undefined) {
      const wanted = Number(values.revision);
      if (!Number.isInteger(wanted) || wanted < 1)
        throw new UsageError(`--revision: "${values.revision}" is not a revision number`);
      const revision = revisions.find((r) => r.spec.revision === wanted);
      if (!revision)
        throw new ProblemsFound(
          `AppInstall ${namespace}/${name} has no revision ${wanted} (recorded: ${revisions.map((r) => r.spec.revision).join(', ')})`,
        );
      output.out(
        values.output === 'json'
          ? JSON.stringify({ ...summary(revision), components: revision.status?.components }, null, 2)
          : formatRevision(revision),
      );
      return;
    }
    output.out(
      values.output === 'json' ? JSON.stringify(revisions.map(summary), null, 2) : formatHistory(revisions),
    );
  } finally {
    client.close();
  }
}

const summary = (r: AppRevision) => ({
  revision: r.spec.revision,
  version: r.spec.version,
  cause: r.spec.cause,
  outcome: r.status?.outcome ?? 'Progressing',
  causeRef: r.spec.causeRef,
  restoredRevision: r.spec.restoredRevision,
  changedParameters: r.spec.changedParameters,
  startedAt: r.status?.startedAt,
  finishedAt: r.status?.finishedAt,
  message: r.status?.message,
  images: r.spec.images,
  hooks: r.status?.hooks,
});

/** `migrate Succeeded (exit 0)`: one hook Job in a line. */
const hookLine = (h: HookProgress) =>
  `${h.name} ${h.state}${h.exitCode !== undefined ? ` (exit ${h.exitCode})` : ''}`;

export function formatHistory(revisions: AppRevision[], now = Date.now()): string {
  return table([
    ['REVISION', 'VERSION', 'CAUSE', 'OUTCOME', 'BY', 'STARTED', 'DETAILS'],
    ...revisions.map((r) => [
      String(r.spec.revision),
      r.spec.version,
      r.spec.cause,
      r.status?.outcome ?? 'Progressing',
      r.spec.causeRef && r.spec.causeRef.kind !== 'AppInstall'
        ? `${r.spec.causeRef.kind}/${r.spec.causeRef.name}`
        : 'spec',
      `${age(r.status?.startedAt, now)} ago`,
      [
        r.spec.restoredRevision !== undefined ? `restored revision ${r.spec.restoredRevision}` : '',
        r.metadata.annotations?.['ferry.dev/auto-rollback-of'] ? '(automatic)' : '',
        r.spec.changedParameters?.length ? `changed parameters: ${r.spec.changedParameters.join(', ')}` : '',
        r.status?.message ?? '',
        r.status?.hooks?.length ? `hooks: ${r.status.hooks.map(hookLine).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' '),
    ]),
  ]);
}

/** One revision in full, for `ferry history INSTALL --revision N`. */
export function formatRevision(r: AppRevision): string {
  const s = r.status;
  const lines = [
    `Revision ${r.spec.revision} of ${r.spec.install}: ${r.spec.app} ${r.spec.version}`,
    `Cause:     ${r.spec.cause}${r.spec.restoredRevision !== undefined ? ` (restored revision ${r.spec.restoredRevision})` : ''}${
      r.metadata.annotations?.['ferry.dev/auto-rollback-of'] ? ' (automatic)' : ''
    }`,
    `By:        ${r.spec.causeRef && r.spec.causeRef.kind !== 'AppInstall' ? `${r.spec.causeRef.kind}/${r.spec.causeRef.name}` : 'the AppInstall spec'}`,
    `Outcome:   ${s?.outcome ?? 'Progressing'}${s?.reason ? ` (${s.reason})` : ''}`,
    `Started:   ${s?.startedAt ?? '-'}`,
    `Finished:  ${s?.finishedAt ?? '-'}`,
    ...(r.spec.changedParameters?.length
      ? [`Changed:   parameters ${r.spec.changedParameters.join(', ')} (their Secret content)`]
      : []),
    ...(s?.message ? [`Message:   ${s.message}`] : []),
    '',
    'Components:',
    table([
      ['  NAME', 'LEVEL', 'STATE', 'IMAGE'],
      ...r.spec.images.map(({ component, image }) => {
        const progress = s?.components?.find((c) => c.name === component);
        return [`  ${component}`, progress ? String(progress.level + 1) : '-', progress?.state ?? '-', image];
      }),
    ]),
  ];
  if (s?.hooks?.length) {
    lines.push('', 'Hook Jobs (in the order they run):');
    for (const h of s.hooks) {
      const when = `${h.phase === 'Pre' ? 'before' : 'after'} level ${h.level + 1} (${h.component})`;
      lines.push(
        `  ${h.name}: ${h.state}, ${when}, Job ${h.job}${h.exitCode !== undefined ? `, exit code ${h.exitCode}` : ''}`,
      );
      if (h.message) lines.push(`    ${h.message}`);
      if (h.log)
        lines.push(
          '    log (tail):',
          ...h.log
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `    | ${l}`),
        );
    }
  }
  return lines.join('\n');
}
