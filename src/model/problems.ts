/** One thing wrong with an input, located precisely enough for a person to fix it. */
export interface Problem {
  /** The object, as Kind/name or Kind/namespace/name. */
  object: string;
  /** Dotted path of the field at fault, e.g. spec.components[1].dependsOn[0]. */
  field: string;
  /** What is wrong and what was expected. */
  message: string;
}

export const formatProblem = (p: Problem) => `${p.object}: ${p.field}: ${p.message}`;

/** Thrown by model functions whose input is invalid; carries every problem found, not just the first. */
export class InvalidInputError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InvalidInputError';
  }
}

/** Formats a zod issue path (['spec', 'components', 1, 'name']) as spec.components[1].name. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}
