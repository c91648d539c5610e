import { parseArgs } from 'node:util';
import { objectRef } from '../../api/index.js';
import { planUpgrade } from '../../model/plan.js';
import { InvalidInputError } from '../../model/problems.js';
import { installProblems } from '../../model/validate.js';
import { formatPlan } from '../format-plan.js';
import { loadValid } from '../load.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';

export const diffHelp = `Usage: ferry diff --from TEMPLATE --to TEMPLATE [--install INSTALL] [--component NAME ...] [-o text|json]

Shows the upgrade plan between two template versions: components added, removed and
changed (with a field-level diff), the rollout order, and the template changes that are
not applied because they are preserved site configuration. With --install, the install
is checked against the target version too.`;

export function diffCommand(args: string[], output: Output): void {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      install: { type: 'string' },
      component: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o', default: 'text' },
    },
  });
  if (!values.from || !values.to) throw new UsageError('both --from and --to are required');
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError('-o must be text or json');
  const from = singleTemplate(values.from, output);
  const to = singleTemplate(values.to, output);
  if (from.spec.app !== to.spec.app) {
    throw new UsageError(`--from is app "${from.spec.app}" but --to is app "${to.spec.app}"`);
  }
  const result = planUpgrade(from.spec, to.spec, { components: values.component });

  if (values.install) {
    const loaded = loadValid([values.install], output);
    const install = loaded.installs[0]?.install;
    if (!install) throw new UsageError(`${values.install} holds no AppInstall`);
    const object = objectRef('AppInstall', install.metadata);
    const problems = installProblems(object, install.metadata.name, install.spec, result.spec);
    if (problems.length) throw new InvalidInputError(problems);
  }

  if (values.output === 'json') output.out(JSON.stringify(result.plan, null, 2));
  else {
    output.out(formatPlan(result.plan, `Upgrade ${to.spec.app}`));
    if (result.skipped.length)
      output.out(`\nNot added (not named by --component): ${result.skipped.join(', ')}`);
  }
}

function singleTemplate(file: string, output: Output) {
  const loaded = loadValid([file], output);
  if (loaded.templates.length !== 1) throw new UsageError(`${file} must hold exactly one AppTemplate`);
  return loaded.templates[0]!.template;
}
