import semver from 'semver';
import type { AppInstall, AppTemplateSpec, ParameterValue } from '../api/index.js';
import { GROUP_VERSION, objectRef } from '../api/index.js';
import type { Problem } from './problems.js';
import { installProblems, validateInstall } from './validate.js';

/** The version `ferry install APP` picks: the highest release, else (only pre-releases) the highest. */
export function latestVersion(versions: readonly string[]): string | undefined {
  const sorted = [...versions].sort(semver.rcompare);
  return sorted.find((v) => !semver.prerelease(v)) ?? sorted[0];
}

export interface InstallRequest {
  name: string;
  namespace: string;
  /** --set NAME=VALUE */
  values: readonly { name: string; value: string }[];
  /** --set-secret NAME=SECRET/KEY */
  secrets: readonly { name: string; secret: string; key: string }[];
}

/**
 * The AppInstall for a template and the values given, or every problem with it: unknown parameters,
 * a secret parameter given as plain text, a parameter given twice, required parameters left without
 * a value (named), names too long for the objects it renders.
 */
export function draftInstall(
  template: AppTemplateSpec,
  request: InstallRequest,
): { ok: true; install: AppInstall } | { ok: false; problems: Problem[] } {
  const object = objectRef('AppInstall', request);
  const problems: Problem[] = [];
  const declared = new Map((template.parameters ?? []).map((p) => [p.name, p]));
  const parameters: ParameterValue[] = [];
  const seen = new Set<string>();
  for (const v of request.values) {
    if (declared.get(v.name)?.secret) {
      problems.push({
        object,
        field: `spec.parameters.${v.name}`,
        message: `parameter "${v.name}" is secret: give it with --set-secret ${v.name}=SECRET/KEY, never as plain text`,
      });
    }
    parameters.push({ name: v.name, value: v.value });
  }
  for (const s of request.secrets)
    parameters.push({ name: s.name, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } });
  for (const p of parameters) {
    if (seen.has(p.name))
      problems.push({
        object,
        field: `spec.parameters.${p.name}`,
        message: `parameter "${p.name}" is given twice`,
      });
    seen.add(p.name);
  }
  const manifest = {
    apiVersion: GROUP_VERSION,
    kind: 'AppInstall',
    metadata: { name: request.name, namespace: request.namespace },
    spec: {
      app: template.app,
      version: template.version,
      ...(parameters.length ? { parameters } : {}),
    },
  };
  const parsed = validateInstall(manifest);
  if (!parsed.ok) return { ok: false, problems: [...problems, ...parsed.problems] };
  problems.push(...installProblems(object, request.name, parsed.value.spec, template));
  if (problems.length) return { ok: false, problems };
  // what is printed or created is what was given: schema defaults are the API server's to fill in
  return { ok: true, install: manifest as AppInstall };
}
