import type { z } from 'zod';
import { appInstallSchema, appTemplateSchema, objectRef, templateName } from '../api/index.js';
import type { AppInstall, AppInstallSpec, AppTemplate, AppTemplateSpec, Component } from '../api/index.js';
import { findCycle } from './order.js';
import { MAX_WORKLOAD_NAME } from './names.js';
import { parameterReferences } from './params.js';
import type { Problem } from './problems.js';
import { fieldPath } from './problems.js';
import { componentExtrasProblems, overrideExtrasProblems } from './validate-extras.js';
import { hookProblems } from './validate-hooks.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

function zodProblems(object: string, error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ object, field: fieldPath(issue.path), message: issue.message }));
}

function duplicates(names: readonly string[]): Map<string, number> {
  const seen = new Set<string>();
  const dups = new Map<string, number>();
  names.forEach((name, index) => {
    if (seen.has(name) && !dups.has(name)) dups.set(name, index);
    seen.add(name);
  });
  return dups;
}

function checkUnique(
  problems: Problem[],
  object: string,
  field: string,
  items: readonly { name: string }[] | undefined,
  what: string,
): void {
  for (const [name, index] of duplicates((items ?? []).map((i) => i.name))) {
    problems.push({ object, field: `${field}[${index}].name`, message: `duplicate ${what} name "${name}"` });
  }
}

/** Parses and checks an AppTemplate: schema, unique names, dependency DAG, parameter references. */
export function validateTemplate(input: unknown): Validated<AppTemplate> {
  const raw = input as { metadata?: { name?: string } } | undefined;
  const object = objectRef('AppTemplate', raw?.metadata ?? {});
  const parsed = appTemplateSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(object, parsed.error) };
  const template = parsed.data;
  const problems = templateSpecProblems(object, template.spec);
  const expectedName = templateName(template.spec.app, template.spec.version);
  if (template.metadata.name !== expectedName) {
    problems.unshift({
      object,
      field: 'metadata.name',
      message: `must be "${expectedName}" (<spec.app>.<spec.version>)`,
    });
  }
  return problems.length ? { ok: false, problems } : { ok: true, value: template };
}

/** The semantic checks of a template spec that a schema cannot express. */
export function templateSpecProblems(object: string, spec: AppTemplateSpec): Problem[] {
  const problems: Problem[] = [];
  checkUnique(problems, object, 'spec.components', spec.components, 'component');
  checkUnique(problems, object, 'spec.parameters', spec.parameters, 'parameter');
  const componentNames = new Set(spec.components.map((c) => c.name));
  const parameterNames = new Set((spec.parameters ?? []).map((p) => p.name));

  spec.components.forEach((component, i) => {
    const at = `spec.components[${i}]`;
    componentProblems(problems, object, at, component);
    (component.dependsOn ?? []).forEach((dep, j) => {
      if (dep === component.name) {
        problems.push({
          object,
          field: `${at}.dependsOn[${j}]`,
          message: `component "${dep}" cannot depend on itself`,
        });
      } else if (!componentNames.has(dep)) {
        problems.push({
          object,
          field: `${at}.dependsOn[${j}]`,
          message: `unknown component "${dep}"; expected one of: ${[...componentNames].join(', ')}`,
        });
      }
    });
    for (const { field, text } of templatedStrings(component)) {
      for (const name of parameterReferences(text)) {
        if (!parameterNames.has(name)) {
          problems.push({
            object,
            field: `${at}.${field}`,
            message: `\${params.${name}} refers to an undeclared parameter; declare it in spec.parameters`,
          });
        }
      }
    }
  });

  // Self-dependencies are reported above; leave them out so they are not reported again as cycles.
  const cycle = findCycle(
    spec.components.map((c) => ({ name: c.name, dependsOn: c.dependsOn?.filter((d) => d !== c.name) })),
  );
  if (cycle) {
    problems.push({ object, field: 'spec.components', message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  problems.push(...hookProblems(object, spec));
  return problems;
}

function componentProblems(problems: Problem[], object: string, at: string, component: Component): void {
  checkUnique(problems, object, `${at}.ports`, component.ports, 'port');
  checkUnique(problems, object, `${at}.env`, component.env, 'env');
  checkUnique(problems, object, `${at}.configFiles`, component.configFiles, 'config file');
  checkUnique(problems, object, `${at}.volumes`, component.volumes, 'volume');
  for (const [port, index] of duplicates((component.ports ?? []).map((p) => `${p.port}/${p.protocol}`))) {
    problems.push({ object, field: `${at}.ports[${index}].port`, message: `duplicate port ${port}` });
  }
  const mounts = [
    ...(component.configFiles ?? []).map((f) => f.mountPath),
    ...(component.volumes ?? []).map((v) => v.mountPath),
  ];
  for (const [path] of duplicates(mounts)) {
    problems.push({ object, field: `${at}`, message: `mountPath "${path}" is used twice` });
  }
  problems.push(...componentExtrasProblems(object, at, component));
}

interface Templated {
  env?: { name: string; value: string }[];
  configFiles?: { name: string; content: string }[];
  command?: string[];
  args?: string[];
  initContainers?: Templated[];
  sidecars?: Templated[];
}

/** Every string of a component in which ${params.NAME} is substituted, with its field path. */
export function templatedStrings(component: Templated): { field: string; text: string }[] {
  const nested = (key: 'initContainers' | 'sidecars') =>
    (component[key] ?? []).flatMap((c, i) =>
      templatedStrings(c).map(({ field, text }) => ({ field: `${key}[${i}].${field}`, text })),
    );
  return [
    ...(component.env ?? []).map((e, i) => ({ field: `env[${i}].value`, text: e.value })),
    ...(component.configFiles ?? []).map((f, i) => ({ field: `configFiles[${i}].content`, text: f.content })),
    ...(component.command ?? []).map((c, i) => ({ field: `command[${i}]`, text: c })),
    ...(component.args ?? []).map((a, i) => ({ field: `args[${i}]`, text: a })),
    ...nested('initContainers'),
    ...nested('sidecars'),
  ];
}

/** Parses an AppInstall (schema only; checks against its template are installProblems). */
export function validateInstall(input: unknown): Validated<AppInstall> {
  const raw = input as { metadata?: { name?: string; namespace?: string } } | undefined;
  const object = objectRef('AppInstall', raw?.metadata ?? {});
  const parsed = appInstallSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(object, parsed.error) };
  return { ok: true, value: parsed.data };
}

/**
 * Checks an install against the template it would apply: overrides name real components and config
 * files, parameters are declared, required parameters have a value, object names stay short enough.
 */
export function installProblems(
  object: string,
  installName: string,
  spec: Pick<AppInstallSpec, 'parameters' | 'overrides'>,
  template: AppTemplateSpec,
): Problem[] {
  const problems: Problem[] = [];
  const declared = new Map((template.parameters ?? []).map((p) => [p.name, p]));
  const given = new Set((spec.parameters ?? []).map((p) => p.name));

  (spec.parameters ?? []).forEach((p, i) => {
    if (!declared.has(p.name)) {
      problems.push({
        object,
        field: `spec.parameters[${i}].name`,
        message: `unknown parameter "${p.name}"; ${template.app} ${template.version} declares: ${[...declared.keys()].join(', ') || 'none'}`,
      });
    }
  });
  for (const p of declared.values()) {
    if (p.required && !given.has(p.name) && p.default === undefined) {
      problems.push({
        object,
        field: 'spec.parameters',
        message: `required parameter "${p.name}" has no value (${template.app} ${template.version} declares it required)`,
      });
    }
  }

  const components = new Map(template.components.map((c) => [c.name, c]));
  (spec.overrides ?? []).forEach((override, i) => {
    const component = components.get(override.component);
    if (!component) {
      problems.push({
        object,
        field: `spec.overrides[${i}].component`,
        message: `unknown component "${override.component}"; ${template.app} ${template.version} has: ${[...components.keys()].join(', ')}`,
      });
      return;
    }
    const files = new Set((component.configFiles ?? []).map((f) => f.name));
    (override.configFiles ?? []).forEach((file, j) => {
      if (!files.has(file.name)) {
        problems.push({
          object,
          field: `spec.overrides[${i}].configFiles[${j}].name`,
          message: `component "${component.name}" has no config file "${file.name}"; it has: ${[...files].join(', ') || 'none'}`,
        });
      }
    });
    problems.push(...overrideExtrasProblems(object, `spec.overrides[${i}]`, override, component));
  });

  for (const component of template.components) {
    if (installName.length + 1 + component.name.length > MAX_WORKLOAD_NAME) {
      problems.push({
        object,
        field: 'metadata.name',
        message: `"${installName}-${component.name}" is longer than ${MAX_WORKLOAD_NAME} characters; use a shorter install name`,
      });
    }
  }
  return problems;
}
