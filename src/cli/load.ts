import type { AppInstall, AppTemplate } from '../api/index.js';
import { formatProblem } from '../model/problems.js';
import type { Problem } from '../model/problems.js';
import { validateInstall, validateTemplate } from '../model/validate.js';
import type { ManifestDocument } from './manifests.js';
import { readManifests } from './manifests.js';
import type { Output } from './output.js';
import { ProblemsFound, UsageError } from './output.js';

export interface LoadedManifests {
  templates: { doc: ManifestDocument; template: AppTemplate }[];
  installs: { doc: ManifestDocument; install: AppInstall }[];
  problems: { doc: ManifestDocument; problem: Problem }[];
  others: ManifestDocument[];
}

/** Reads the files and parses each AppTemplate and AppInstall, collecting every problem. */
export function loadManifests(files: readonly string[]): LoadedManifests {
  const loaded: LoadedManifests = { templates: [], installs: [], problems: [], others: [] };
  for (const doc of readManifests(files)) {
    if (doc.kind === 'AppTemplate') {
      const result = validateTemplate(doc.body);
      if (result.ok) loaded.templates.push({ doc, template: result.value });
      else loaded.problems.push(...result.problems.map((problem) => ({ doc, problem })));
    } else if (doc.kind === 'AppInstall') {
      const result = validateInstall(doc.body);
      if (result.ok) loaded.installs.push({ doc, install: result.value });
      else loaded.problems.push(...result.problems.map((problem) => ({ doc, problem })));
    } else {
      loaded.others.push(doc);
    }
  }
  return loaded;
}

export const describeDoc = (doc: ManifestDocument) => (doc.index > 1 ? `${doc.file}#${doc.index}` : doc.file);

export function printProblems(output: Output, problems: LoadedManifests['problems']): void {
  for (const { doc, problem } of problems) output.err(`${describeDoc(doc)}: ${formatProblem(problem)}`);
}

/** Loads files that must all be valid; prints problems and stops otherwise. */
export function loadValid(files: readonly string[], output: Output): LoadedManifests {
  if (!files.length) throw new UsageError('no input: pass manifests with -f FILE');
  const loaded = loadManifests(files);
  if (loaded.problems.length) {
    printProblems(output, loaded.problems);
    throw new ProblemsFound(`${loaded.problems.length} problem(s) found`);
  }
  return loaded;
}

export function findTemplate(loaded: LoadedManifests, app: string, version: string): AppTemplate | undefined {
  return loaded.templates.find((t) => t.template.spec.app === app && t.template.spec.version === version)
    ?.template;
}
