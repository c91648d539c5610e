import type { AppTemplateStatus } from '../../api/index.js';
import { GROUP_VERSION, appTemplateSchema, objectRef, templateName } from '../../api/index.js';
import { canonicalJson, sha256Hex } from '../../model/canonical.js';
import { formatProblem } from '../../model/problems.js';
import { templateSpecProblems } from '../../model/validate.js';
import type { ControllerContext } from '../context.js';
import { setCondition } from '../../model/conditions.js';
import { ConditionType, Reason } from '../../api/index.js';
import { specImages } from '../../model/images.js';
import { Priority } from '../runtime/queue.js';

/** Validates an AppTemplate, records its images and content digest, and, when that changed, wakes the installs of its app. */
export async function reconcileTemplate(ctx: ControllerContext, key: string): Promise<void> {
  const raw = ctx.informers.templates.get(key);
  if (!raw) return;
  const parsed = appTemplateSchema.safeParse(raw);
  const name = raw.metadata?.name ?? key;
  const object = objectRef('AppTemplate', { name });
  const problems = parsed.success
    ? templateSpecProblems(object, parsed.data.spec)
    : parsed.error.issues.map((i) => ({ object, field: i.path.join('.'), message: i.message }));
  if (parsed.success && name !== templateName(parsed.data.spec.app, parsed.data.spec.version)) {
    problems.push({ object, field: 'metadata.name', message: 'must be <spec.app>.<spec.version>' });
  }
  const previous = (raw.status ?? {}) as AppTemplateStatus;
  const generation = raw.metadata?.generation;
  const status: AppTemplateStatus = {
    observedGeneration: generation,
    conditions: setCondition(
      previous.conditions ?? [],
      problems.length
        ? {
            type: ConditionType.Valid,
            status: 'False',
            reason: Reason.TemplateInvalid,
            message: problems.map(formatProblem).join('; '),
          }
        : {
            type: ConditionType.Valid,
            status: 'True',
            reason: Reason.TemplateValid,
            message: 'template is valid',
          },
      generation,
      ctx.now(),
    ),
    ...(parsed.success
      ? {
          images: specImages(parsed.data.spec),
          contentDigest: `sha256:${sha256Hex(canonicalJson(parsed.data.spec))}`,
        }
      : {}),
  };
  if (canonicalJson(status) === canonicalJson(previous)) return; // a resync: nothing new for the installs
  await ctx.client.apply(
    { apiVersion: GROUP_VERSION, kind: 'AppTemplate', metadata: { name }, status },
    { subresource: 'status' },
  );
  wakeInstalls(ctx, raw as { spec?: { app?: string; version?: string } });
}

/**
 * A template that changed (new, fixed, edited) wakes the installs of its app: the ones at its
 * version may be waiting for it (Normal priority, as a change someone made); the others only list
 * it among their available upgrades (Low, with the backlog: a fleet of thousands must not queue
 * ahead of installs just created).
 */
function wakeInstalls(ctx: ControllerContext, template: { spec?: { app?: string; version?: string } }) {
  const { app, version } = template.spec ?? {};
  for (const install of ctx.informers.installs.list(
    (o) => (o as { spec?: { app?: string } }).spec?.app === app,
  )) {
    const atVersion = (install as { spec?: { version?: string } }).spec?.version === version;
    ctx.enqueue(
      'install',
      `${install.metadata!.namespace}/${install.metadata!.name}`,
      atVersion ? Priority.Normal : Priority.Low,
    );
  }
}
