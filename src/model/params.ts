const REFERENCE = /\$\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the parameters a string refers to as ${params.NAME}, in order of first appearance. */
export function parameterReferences(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(REFERENCE)) names.add(match[1]!);
  return [...names];
}

/** Replaces every ${params.NAME} with its value; names without a value are left as they are. */
export function substituteParameters(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(REFERENCE, (whole, name: string) => values.get(name) ?? whole);
}

/** Parameter values for rendering: the provided ones, else the declared defaults. */
export function resolveParameterValues(
  declared: readonly { name: string; default?: string }[],
  provided: ReadonlyMap<string, string>,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const p of declared) {
    const value = provided.get(p.name) ?? p.default;
    if (value !== undefined) values.set(p.name, value);
  }
  return values;
}
