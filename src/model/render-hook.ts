import type { V1Job, V1Volume } from '@kubernetes/client-node';
import type { Hook } from '../api/index.js';
import { GROUP_VERSION } from '../api/index.js';
import { LABEL_HOOK, LABEL_HOOK_INSTALL, LABEL_REVISION, configMapName, secretName } from './names.js';
import { substituteParameters } from './params.js';
import type { RenderedEnv, RenderedFile } from './render-config.js';
import { configFiles, containerConfigs, environment } from './render-config.js';
import type { RenderInput } from './render-context.js';
import { componentContext } from './render.js';
import { container, containerResources } from './render-pod.js';
import { podSecurityContext } from './security.js';

/** The AppRevision a hook's Job belongs to: it owns the Job, so the Job lives as long as the revision. */
export interface HookOwner {
  name: string;
  uid: string;
}

/**
 * A hook's Job: one container with the hook's image, in its component's environment (env, config
 * files, security context, node selector and tolerations) unless componentEnv is false, plus the
 * hook's own env. Its pods carry no component label, so no Service or workload selects them. Pure.
 */
export function renderHookJob(input: RenderInput, hook: Hook, jobName: string, owner: HookOwner): V1Job {
  const component = input.spec.components.find((c) => c.name === hook.component);
  if (!component) throw new Error(`hook ${hook.name}: no component ${hook.component}`);
  const ctx = componentContext(input, component);
  const inherit = hook.componentEnv ?? true;
  const main = containerConfigs(ctx)[0]!;
  const relabel = <T extends { container: string }>(list: T[]) =>
    list.filter((x) => x.container === component.name).map((x) => ({ ...x, container: hook.name }));
  const files: RenderedFile[] = inherit ? relabel(configFiles(ctx, main)) : [];
  const own = new Set((hook.env ?? []).map((e) => e.name));
  const envVars: RenderedEnv[] = [
    ...(inherit ? relabel(environment(ctx, main)).filter((e) => !own.has(e.name)) : []),
    ...(hook.env ?? []).map((e) => ({
      container: hook.name,
      name: e.name,
      key: e.name,
      value: substituteParameters(e.value, input.parameters),
      secret: false,
    })),
  ];
  const { resources: _siteResources, ...base } = container(ctx, hook.name, hook, files, envVars);
  const volumes: V1Volume[] = [];
  if (files.some((f) => !f.secret))
    volumes.push({ name: 'config', configMap: { name: configMapName(input.install.name, component.name) } });
  if (files.some((f) => f.secret))
    volumes.push({
      name: 'secret-config',
      secret: { secretName: secretName(input.install.name, component.name) },
    });
  const labels = {
    'app.kubernetes.io/name': hook.name,
    'app.kubernetes.io/instance': input.install.name,
    'app.kubernetes.io/part-of': input.spec.app,
    'app.kubernetes.io/version': input.spec.version,
    'app.kubernetes.io/managed-by': 'ferry',
    [LABEL_HOOK_INSTALL]: input.install.name,
    [LABEL_HOOK]: hook.name,
    [LABEL_REVISION]: String(input.revision),
  };
  const site = ctx.override;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace: input.install.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: GROUP_VERSION,
          kind: 'AppRevision',
          name: owner.name,
          uid: owner.uid,
          controller: true,
        },
      ],
    },
    spec: {
      backoffLimit: hook.backoffLimit ?? 0,
      activeDeadlineSeconds: hook.activeDeadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          securityContext: podSecurityContext(component.securityContext),
          ...(site?.nodeSelector && Object.keys(site.nodeSelector).length
            ? { nodeSelector: site.nodeSelector }
            : {}),
          ...(site?.tolerations?.length ? { tolerations: site.tolerations } : {}),
          // The hook's image comes from the site registry like the components': same pull Secrets.
          ...(input.imagePullSecrets?.length
            ? { imagePullSecrets: input.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          containers: [
            { ...base, ...(hook.resources ? { resources: containerResources(hook.resources) } : {}) },
          ],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  };
}
