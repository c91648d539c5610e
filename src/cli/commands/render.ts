import { parseArgs } from 'node:util';
import { objectRef } from '../../api/index.js';
import type { AppInstall } from '../../api/index.js';
import { resolveParameterValues } from '../../model/params.js';
import { InvalidInputError } from '../../model/problems.js';
import { render } from '../../model/render.js';
import { installProblems } from '../../model/validate.js';
import { findTemplate, loadValid } from '../load.js';
import { toYaml } from '../manifests.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';

export const renderHelp = `Usage: ferry render -f TEMPLATE -f INSTALL [--revision N]

Prints the Kubernetes objects the operator would apply for the AppInstall, rendered
from the template of its spec.version. Values of parameters read from Secrets
(valueFrom.secretKeyRef) are shown as placeholders.`;

/** Parameter values given in the install; values read from Secrets become readable placeholders. */
export function offlineParameterValues(install: AppInstall): Map<string, string> {
  return new Map(
    (install.spec.parameters ?? []).map((p) => [
      p.name,
      p.value ?? `<secret ${p.valueFrom!.secretKeyRef.name}/${p.valueFrom!.secretKeyRef.key}>`,
    ]),
  );
}

export function renderCommand(args: string[], output: Output): void {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      revision: { type: 'string', default: '1' },
    },
  });
  const loaded = loadValid(values.file ?? [], output);
  if (loaded.installs.length !== 1) throw new UsageError('pass exactly one AppInstall');
  const install = loaded.installs[0]!.install;
  const template = findTemplate(loaded, install.spec.app, install.spec.version);
  if (!template) {
    throw new UsageError(`no AppTemplate ${install.spec.app} ${install.spec.version} among the files`);
  }
  const revision = Number(values.revision);
  if (!Number.isInteger(revision) || revision < 1)
    throw new UsageError('--revision must be a positive integer');
  const object = objectRef('AppInstall', install.metadata);
  const problems = installProblems(object, install.metadata.name, install.spec, template.spec);
  if (problems.length) throw new InvalidInputError(problems);

  const rendered = render({
    install: {
      name: install.metadata.name,
      namespace: install.metadata.namespace ?? 'default',
      uid: install.metadata.uid ?? '00000000-0000-0000-0000-000000000000',
    },
    spec: template.spec,
    revision,
    parameters: resolveParameterValues(template.spec.parameters ?? [], offlineParameterValues(install)),
    overrides: install.spec.overrides,
  });
  output.out(toYaml(rendered.flatMap((c) => c.objects)));
}
