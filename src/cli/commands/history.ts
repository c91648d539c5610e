import { parseArgs } from 'node:util';
import type { AppRevision } from '../../api/index.js';
import { appRevisionSchema } from '../../api/index.js';
import { ferryRef } from '../../kube/client.js';
import { LABEL_INSTALL } from '../../model/names.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { age, clusterHelp, clusterOptions, connect, table } from './cluster-args.js';

export const historyHelp = `Usage: ferry history INSTALL [-n NS] [--kubeconfig FILE] [-o text|json]

Lists the recorded revisions of an install, newest first: version, cause, outcome, what
caused it, and for rollbacks the revision restored. Any of them can be restored with
ferry rollback INSTALL --to-revision N.

${clusterHelp}`;

export async function historyCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...clusterOptions, output: { type: 'string', short: 'o', default: 'text' } },
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
  startedAt: r.status?.startedAt,
  finishedAt: r.status?.finishedAt,
  message: r.status?.message,
  images: r.spec.images,
});

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
        r.status?.message ?? '',
      ]
        .filter(Boolean)
        .join(' '),
    ]),
  ]);
}
