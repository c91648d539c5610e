import type { V1OwnerReference } from '@kubernetes/client-node';
import type { AppTemplateSpec, Component, ComponentOverride } from '../api/index.js';
import { parameterReferences } from './params.js';

export interface InstallRef {
  name: string;
  namespace: string;
  uid: string;
}

export interface RenderInput {
  install: InstallRef;
  /** The effective spec: the template with preserved site values merged in. */
  spec: AppTemplateSpec;
  revision: number;
  /** Resolved parameter values, defaults included. */
  parameters: ReadonlyMap<string, string>;
  overrides?: readonly ComponentOverride[];
  /** Names of the parameters whose value was read from a Secret (valueFrom.secretKeyRef). */
  secretSourced?: ReadonlySet<string>;
  /** Pull Secrets of every pod (the install's spec.imagePullSecrets as the revision recorded them). */
  imagePullSecrets?: readonly string[];
}

export interface ComponentContext {
  input: RenderInput;
  component: Component;
  override: ComponentOverride | undefined;
  secretParameters: ReadonlySet<string>;
  labels: Record<string, string>;
  ownerReferences: V1OwnerReference[];
}

export function metadata(ctx: ComponentContext, name: string, owned = true) {
  return {
    name,
    namespace: ctx.input.install.namespace,
    labels: ctx.labels,
    ...(owned ? { ownerReferences: ctx.ownerReferences } : {}),
  };
}

export const usesSecret = (ctx: ComponentContext, text: string) =>
  parameterReferences(text).some((name) => ctx.secretParameters.has(name));
