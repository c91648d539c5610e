import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import { draftInstall, latestVersion } from '../../model/install-request.js';
import { InvalidInputError } from '../../model/problems.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';
import { clusterHelp, clusterOptions, connect } from './cluster-args.js';
import { clusterTemplates } from './cluster-templates.js';

export const installHelp = `Usage: ferry install APP[@VERSION] [-n NS] [--name NAME] [--set NAME=VALUE]...
                     [--set-secret NAME=SECRET/KEY]... [-o yaml] [--kubeconfig FILE]

Installs an application from the AppTemplates in the cluster (see ferry templates): checks the
parameters against the template — unknown ones, required ones without a value (named), secret
ones given as plain text are refused — then creates the AppInstall, or with -o yaml prints it
for a GitOps repository and changes nothing. Without @VERSION, the highest released version.

  --name NAME                    AppInstall name (default: APP)
  --set NAME=VALUE               a parameter value (repeatable)
  --set-secret NAME=SECRET/KEY   a secret parameter read from key KEY of Secret SECRET in NS
  -o yaml                        print the AppInstall instead of creating it

${clusterHelp}`;

export async function installCommand(args: string[], output: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      name: { type: 'string' },
      set: { type: 'string', multiple: true },
      'set-secret': { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('name one application: ferry install APP[@VERSION]');
  if (values.output !== undefined && values.output !== 'yaml') throw new UsageError('-o must be yaml');
  const [app, wanted] = positionals[0]!.split('@') as [string, string | undefined];
  const sets = (values.set ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected NAME=VALUE`);
    return { name: s.slice(0, eq), value: s.slice(eq + 1) };
  });
  const secrets = (values['set-secret'] ?? []).map((s) => {
    const m = /^([^=]+)=([^/]+)\/(.+)$/.exec(s);
    if (!m) throw new UsageError(`--set-secret ${s}: expected NAME=SECRET/KEY`);
    return { name: m[1]!, secret: m[2]!, key: m[3]! };
  });
  const { client, namespace } = connect(values);
  try {
    const templates = await clusterTemplates(client, output, app);
    const versions = templates.map((t) => t.spec.version);
    if (!templates.length)
      throw new ProblemsFound(
        `no AppTemplate of app "${app}" in the cluster (ferry templates lists them; ferry import adds them)`,
      );
    const version = wanted ?? latestVersion(versions)!;
    const template = templates.find((t) => t.spec.version === version);
    if (!template)
      throw new ProblemsFound(`${app} ${version} is not in the cluster; it has: ${versions.join(', ')}`);
    const name = values.name ?? app;
    const draft = draftInstall(template.spec, { name, namespace, values: sets, secrets });
    if (!draft.ok) throw new InvalidInputError(draft.problems);
    if (values.output === 'yaml') {
      output.out(yaml.dump(draft.install, { lineWidth: 120, noRefs: true }));
      return;
    }
    try {
      await client.create(draft.install);
    } catch (error) {
      if ((error as { conflict?: boolean }).conflict)
        throw new ProblemsFound(
          `AppInstall ${namespace}/${name} exists already; change its version with ferry upgrade ${name} -n ${namespace}`,
        );
      throw error;
    }
    output.out(
      `created AppInstall ${namespace}/${name}: ${app} ${version}; follow it with ferry status ${name} -n ${namespace}`,
    );
  } finally {
    client.close();
  }
}
