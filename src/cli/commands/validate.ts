import { parseArgs } from 'node:util';
import { objectRef } from '../../api/index.js';
import { installProblems } from '../../model/validate.js';
import { describeDoc, findTemplate, loadManifests, printProblems } from '../load.js';
import type { Output } from '../output.js';
import { ProblemsFound, UsageError } from '../output.js';

export const validateHelp = `Usage: ferry validate -f FILE [-f FILE ...]

Checks AppTemplate and AppInstall manifests: schema, unique names, dependency cycles,
parameter references, and each AppInstall against its template when that template is
among the files. Prints one line per problem (file: object: field: what was expected)
and exits 1 when there is any.`;

export function validateCommand(args: string[], output: Output): void {
  const { values } = parseArgs({ args, options: { file: { type: 'string', short: 'f', multiple: true } } });
  const files = values.file ?? [];
  if (!files.length) throw new UsageError('no input: pass manifests with -f FILE');
  const loaded = loadManifests(files);
  const problems = [...loaded.problems];

  for (const { doc, install } of loaded.installs) {
    const template = findTemplate(loaded, install.spec.app, install.spec.version);
    if (!template) {
      if (loaded.templates.length) {
        problems.push({
          doc,
          problem: {
            object: objectRef('AppInstall', install.metadata),
            field: 'spec.version',
            message: `no AppTemplate ${install.spec.app} ${install.spec.version} among the files`,
          },
        });
      }
      continue;
    }
    const object = objectRef('AppInstall', install.metadata);
    problems.push(
      ...installProblems(object, install.metadata.name, install.spec, template.spec).map((problem) => ({
        doc,
        problem,
      })),
    );
  }
  for (const doc of loaded.others) {
    problems.push({
      doc,
      problem: {
        object: doc.kind ?? '(no kind)',
        field: 'kind',
        message: 'expected AppTemplate or AppInstall',
      },
    });
  }

  if (problems.length) {
    printProblems(output, problems);
    throw new ProblemsFound(`${problems.length} problem(s) found`);
  }
  const checked = [...loaded.templates.map((t) => t.doc), ...loaded.installs.map((i) => i.doc)];
  for (const doc of checked) output.out(`${describeDoc(doc)}: ${doc.kind} ok`);
}
