/**
 * The Helm charts of the side-by-side bench (bench.ts): Ferry's render() of a shop version as a
 * chart's only template. With `hooks`, the version's Install/Upgrade hooks (shop 2.0.0's migration)
 * become Helm hook Jobs (`pre-install,pre-upgrade`), rendered by Ferry's renderHookJob: the work
 * Ferry's upgrade does, done the way a Helm chart does it (before any object changes).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { appTemplateSpecSchema } from '../../src/api/index.js';
import type { AppTemplate } from '../../src/api/index.js';
import type { KubeObject } from '../../src/kube/client.js';
import { resolveParameterValues } from '../../src/model/params.js';
import { render } from '../../src/model/render.js';
import type { RenderInput } from '../../src/model/render.js';
import { renderHookJob } from '../../src/model/render-hook.js';

const root = join(import.meta.dirname, '..', '..');

/**
 * The shop template of a version, its images in `registry`. `surge`: a what-if variant for Helm and
 * Ferry alike (`--surge`), to see what the order costs with templates made for fast rollouts — api and
 * web replace all their pods at once (maxSurge 100%, maxUnavailable 0) and db's readiness probe runs
 * every 2 s (Kubernetes' default 10 s turns a first probe that comes too early into 10 s more).
 */
export function shopTemplate(version: string, registry: string, surge = false): AppTemplate {
  const text = readFileSync(join(root, 'examples', 'shop', `shop-${version}.yaml`), 'utf8');
  const template = yaml.load(text.replaceAll('registry.example.com/', `${registry}/`)) as AppTemplate;
  if (!surge) return template;
  for (const c of template.spec.components) {
    if (c.name === 'api' || c.name === 'web') c.updateStrategy = { maxSurge: '100%', maxUnavailable: 0 };
    if (c.name === 'db' && c.readinessProbe) c.readinessProbe.periodSeconds = 2;
  }
  return template;
}

/** A chart whose templates are the rendered objects (no Helm templating in them: checked). */
export function chartOf(
  template: AppTemplate,
  namespace: string,
  dir: string,
  parameters: Map<string, string>,
  hooks: boolean,
): string {
  const spec = appTemplateSpecSchema.parse(template.spec);
  const input: RenderInput = {
    install: { name: 'shop', namespace, uid: '00000000-0000-0000-0000-000000000000' },
    spec,
    revision: 1,
    parameters: resolveParameterValues(spec.parameters ?? [], parameters),
    overrides: [],
  };
  const owned = (o: object) => {
    const copy = structuredClone(o) as KubeObject;
    delete copy.metadata!.ownerReferences;
    return copy;
  };
  const objects = render(input).flatMap((c) => c.objects.map(owned));
  const jobs = (hooks ? (spec.hooks ?? []) : [])
    .filter((h) => h.phase === 'Pre' && (h.causes ?? ['Install', 'Upgrade']).includes('Upgrade'))
    .map((h) => {
      const job = owned(renderHookJob(input, h, `shop-${h.name}`, { name: '-', uid: '-' }));
      job.metadata!.annotations = { 'helm.sh/hook': 'pre-install,pre-upgrade' };
      return job;
    });
  const text = [...objects, ...jobs].map((o) => yaml.dump(o, { noRefs: true })).join('---\n');
  if (text.includes('{{'))
    throw new Error('a rendered object holds "{{": it cannot be a Helm template as is');
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'Chart.yaml'),
    `apiVersion: v2\nname: shop\nversion: ${spec.version}\nappVersion: ${spec.version}\n`,
  );
  writeFileSync(join(dir, 'templates', 'objects.yaml'), text);
  return dir;
}
