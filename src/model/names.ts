/** Names and labels of the objects Ferry renders (DESIGN §4). */
import { createHash } from 'node:crypto';

export const FIELD_MANAGER = 'ferry-operator';
export const LABEL_INSTALL = 'ferry.dev/install';
export const LABEL_COMPONENT = 'ferry.dev/component';
export const LABEL_REVISION = 'ferry.dev/revision';
export const ANNOTATION_CONFIG_CHECKSUM = 'ferry.dev/config-checksum';
export const ANNOTATION_VOLUME = 'ferry.dev/volume';
/** On a Secret an install's parameter reads: added by the operator so that it can watch just those. */
export const LABEL_PARAMETER_SECRET = 'ferry.dev/parameter-secret';
/**
 * On a workload (not its pods): digest of the values of the Secret-sourced parameters the component
 * uses, salted with the install's uid. A changed digest is how a rotated parameter Secret is noticed.
 */
export const ANNOTATION_PARAMETERS_CHECKSUM = 'ferry.dev/parameter-secrets-checksum';
/** On a workload: JSON map of each Secret-sourced parameter it uses to a short salted digest of its value. */
export const ANNOTATION_PARAMETER_CHECKSUMS = 'ferry.dev/parameter-secrets-checksums';

/** Longest `<install>-<component>`: a StatefulSet's pods add `-<ordinal>` and a revision hash label. */
export const MAX_WORKLOAD_NAME = 52;

export const workloadName = (install: string, component: string) => `${install}-${component}`;
export const serviceName = workloadName;
export const headlessServiceName = (install: string, component: string) => `${install}-${component}-headless`;
export const externalServiceName = (install: string, component: string) => `${install}-${component}-external`;
export const routeName = (install: string, component: string, route: string) =>
  `${install}-${component}-${route}`;
export const configMapName = (install: string, component: string) => `${install}-${component}-config`;
export const secretName = (install: string, component: string) => `${install}-${component}-secret`;
export const pvcName = (install: string, component: string, volume: string) =>
  `${install}-${component}-${volume}`;

/** DB -> DB, api-gateway -> API_GATEWAY: the prefix of injected <DEP>_HOST / <DEP>_PORT variables. */
export const upperSnake = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** Labels that select a component's pods; never change for the life of the install. */
export function selectorLabels(install: string, component: string): Record<string, string> {
  return { [LABEL_INSTALL]: install, [LABEL_COMPONENT]: component };
}

export function commonLabels(args: {
  install: string;
  app: string;
  component: string;
  version: string;
  revision: number;
}): Record<string, string> {
  return {
    'app.kubernetes.io/name': args.component,
    'app.kubernetes.io/instance': args.install,
    'app.kubernetes.io/part-of': args.app,
    'app.kubernetes.io/version': args.version,
    'app.kubernetes.io/managed-by': 'ferry',
    ...selectorLabels(args.install, args.component),
    [LABEL_REVISION]: String(args.revision),
  };
}

/** On a hook's Job and its pods: the hook's name (hook pods carry no component label: no Service selects them). */
export const LABEL_HOOK = 'ferry.dev/hook';
export const LABEL_HOOK_INSTALL = 'ferry.dev/hook-of';
const MAX_JOB_NAME = 63;

/**
 * A hook's Job name, `<install>-r<revision>-<hook>`: the same for every attempt at one revision, so
 * creating it twice is refused by the API server and a restarted operator finds it again. When that
 * is longer than a label value, the install part is shortened and a hash of the full name added
 * (still deterministic, still ending in the revision and the hook).
 */
export function hookJobName(install: string, revision: number, hook: string): string {
  const suffix = `-r${revision}-${hook}`;
  const full = `${install}${suffix}`;
  if (full.length <= MAX_JOB_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${install.slice(0, MAX_JOB_NAME - suffix.length - 9)}-${hash}${suffix}`;
}
