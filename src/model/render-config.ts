import type { ConfigFile, EnvVar } from '../api/index.js';
import type { ComponentContext } from './render-context.js';
import { usesSecret } from './render-context.js';
import { serviceName, upperSnake } from './names.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { parameterReferences, substituteParameters } from './params.js';

/**
 * One container's env and config files as the template and the site give them. The main container's
 * keys have no prefix (`env.NAME`, `file.NAME`, ConfigMap key NAME); an init container's or sidecar's
 * are prefixed with `<container>.`, so they share the component's ConfigMap and Secret.
 */
export interface ContainerConfig {
  container: string;
  prefix: string;
  env: readonly EnvVar[];
  configFiles: readonly ConfigFile[];
  siteEnv: readonly { name: string; value: string }[];
  siteFiles: readonly { name: string; content: string }[];
  /** Injected dependency addresses (main container only). */
  injected?: boolean;
}

export interface RenderedFile {
  container: string;
  /** ConfigMap key (Secret key: `file.<key>`). */
  key: string;
  mountPath: string;
  content: string;
  secret: boolean;
}

export interface RenderedEnv {
  container: string;
  name: string;
  /** Secret key: `env.<key>`. */
  key: string;
  value: string;
  secret: boolean;
}

/** The config sources of every container of a component: the main one, then init containers and sidecars. */
export function containerConfigs(ctx: ComponentContext): ContainerConfig[] {
  const { component, override } = ctx;
  const main: ContainerConfig = {
    container: component.name,
    prefix: '',
    env: component.env ?? [],
    configFiles: component.configFiles ?? [],
    siteEnv: override?.env ?? [],
    siteFiles: override?.configFiles ?? [],
    injected: true,
  };
  const extras = [...(component.initContainers ?? []), ...(component.sidecars ?? [])].map((c) => {
    const site = override?.containers?.find((o) => o.name === c.name);
    return {
      container: c.name,
      prefix: `${c.name}.`,
      env: c.env ?? [],
      configFiles: c.configFiles ?? [],
      siteEnv: site?.env ?? [],
      siteFiles: site?.configFiles ?? [],
    };
  });
  return [main, ...extras];
}

export function configFiles(ctx: ComponentContext, config: ContainerConfig): RenderedFile[] {
  return config.configFiles.map((file) => {
    const text = config.siteFiles.find((f) => f.name === file.name)?.content ?? file.content;
    return {
      container: config.container,
      key: `${config.prefix}${file.name}`,
      mountPath: file.mountPath,
      content: substituteParameters(text, ctx.input.parameters),
      secret: usesSecret(ctx, text),
    };
  });
}

/** Injected dependency addresses, then template values, then site overrides; later wins. */
export function environment(ctx: ComponentContext, config: ContainerConfig): RenderedEnv[] {
  const { install, spec } = ctx.input;
  const merged = new Map<string, string>();
  for (const dep of config.injected ? (ctx.component.dependsOn ?? []) : []) {
    const target = spec.components.find((c) => c.name === dep);
    const port = target?.ports?.[0];
    if (!port) continue; // a dependency without ports orders the rollout but has no address
    merged.set(`${upperSnake(dep)}_HOST`, `${serviceName(install.name, dep)}.${install.namespace}.svc`);
    merged.set(`${upperSnake(dep)}_PORT`, String(port.port));
  }
  for (const env of config.env) merged.set(env.name, env.value);
  for (const env of config.siteEnv) merged.set(env.name, env.value);
  return [...merged].map(([name, text]) => ({
    container: config.container,
    name,
    key: `${config.prefix}${name}`,
    value: substituteParameters(text, ctx.input.parameters),
    secret: usesSecret(ctx, text),
  }));
}

/**
 * Digests of the values of the Secret-sourced parameters the component's env and config files refer
 * to (template or site text), salted with the install's uid: `all` of them together, and `each` one
 * (shortened; it only tells which parameter changed); undefined when it uses none.
 */
export function parameterSecretsChecksums(
  ctx: ComponentContext,
  configs: readonly ContainerConfig[],
): { all: string; each: Record<string, string> } | undefined {
  const sourced = ctx.input.secretSourced;
  if (!sourced?.size) return undefined;
  const texts = configs.flatMap((c) => [
    ...c.env.map((e) => e.value),
    ...c.siteEnv.map((e) => e.value),
    ...c.configFiles.map((f) => f.content),
    ...c.siteFiles.map((f) => f.content),
  ]);
  const used = [...new Set(texts.flatMap(parameterReferences))].filter((n) => sourced.has(n)).sort();
  if (!used.length) return undefined;
  const values = Object.fromEntries(used.map((n) => [n, ctx.input.parameters.get(n) ?? null]));
  const install = ctx.input.install.uid;
  return {
    all: sha256Hex(canonicalJson({ install, values })),
    each: Object.fromEntries(
      used.map((name) => [
        name,
        sha256Hex(canonicalJson({ install, name, value: values[name] })).slice(0, 16),
      ]),
    ),
  };
}
