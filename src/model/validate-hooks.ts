import type { AppTemplateSpec } from '../api/index.js';
import { parameterReferences } from './params.js';
import type { Problem } from './problems.js';

/**
 * Template checks of spec.hooks that a schema cannot express: unique names, a real component, declared
 * parameters, and no secret parameter written into the Job itself (a hook reaches secret values
 * through its component's environment, which keeps them in the component's Secret).
 */
export function hookProblems(object: string, spec: AppTemplateSpec): Problem[] {
  const problems: Problem[] = [];
  const components = spec.components.map((c) => c.name);
  const parameters = new Map((spec.parameters ?? []).map((p) => [p.name, p]));
  const seen = new Set<string>();
  (spec.hooks ?? []).forEach((hook, i) => {
    const at = `spec.hooks[${i}]`;
    const push = (field: string, message: string) =>
      problems.push({ object, field: `${at}.${field}`, message });
    if (seen.has(hook.name)) push('name', `duplicate hook name "${hook.name}"`);
    seen.add(hook.name);
    if (!components.includes(hook.component))
      push('component', `unknown component "${hook.component}"; expected one of: ${components.join(', ')}`);
    const templated = [
      ...(hook.env ?? []).map((e, j) => ({ field: `env[${j}].value`, text: e.value })),
      ...(hook.command ?? []).map((c, j) => ({ field: `command[${j}]`, text: c })),
      ...(hook.args ?? []).map((a, j) => ({ field: `args[${j}]`, text: a })),
    ];
    for (const { field, text } of templated) {
      for (const name of parameterReferences(text)) {
        const declared = parameters.get(name);
        if (!declared)
          push(field, `\${params.${name}} refers to an undeclared parameter; declare it in spec.parameters`);
        else if (declared.secret)
          push(
            field,
            `\${params.${name}} is a secret parameter, which a hook's own env, command and args cannot hold (they would be written into the Job); give component "${hook.component}" an env var with that value and keep componentEnv: true`,
          );
      }
    }
  });
  return problems;
}
