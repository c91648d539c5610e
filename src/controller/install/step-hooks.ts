import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { AppInstall, AppRevision, HookPhase, HookProgress } from '../../api/index.js';
import { Reason } from '../../api/index.js';
import { KubeApiError } from '../../kube/client.js';
import type { KubeObject } from '../../kube/client.js';
import type { JobView } from '../../model/hook-step.js';
import { nextHookStep } from '../../model/hook-step.js';
import type { RenderedComponent } from '../../model/render.js';
import type { RenderInput } from '../../model/render-context.js';
import { renderHookJob } from '../../model/render-hook.js';
import type { RevisionContent } from '../../model/snapshot.js';
import { rfc3339 as iso } from '../../model/time.js';
import type { ControllerContext } from '../context.js';

export type HookPointResult =
  | { state: 'done' }
  | { state: 'progressing'; message: string }
  | { state: 'failed'; reason: string; message: string };

/** What running the hooks of one point needs from the rollout step (rendered lazily, once). */
export interface HookRendering {
  input(): Promise<RenderInput>;
  components(): Promise<Map<string, RenderedComponent>>;
}

const NO_LOG = 'no log';
const LOG_LINES = 20;
const LOG_BYTES = 2048;

export const describeHook = (row: Pick<HookProgress, 'name' | 'phase' | 'component'>) =>
  `hook ${row.name} (${row.phase === 'Pre' ? 'before' : 'after'} ${row.component})`;

/**
 * Runs the hooks of one point of the rollout (a level's Pre or Post hooks) one after the other:
 * creates each hook's Job when its turn comes, waits for it, records its exit code and log tail. The
 * point is done when every hook of it succeeded; one failed hook fails the change. Rows are updated in
 * place; the caller writes the status when it changed.
 */
export async function runHookPoint(
  ctx: ControllerContext,
  install: AppInstall,
  revision: AppRevision,
  content: RevisionContent,
  rows: HookProgress[],
  rendering: HookRendering,
  /** The rollout step's time: every row of one step is stamped with it, so the record keeps its order. */
  now: Date,
): Promise<HookPointResult> {
  const namespace = install.metadata.namespace!;
  for (const row of rows) {
    const job = await ctx.client.get<V1Job & KubeObject>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace,
      name: row.job,
    });
    const view = job && jobView(job);
    if (view && row.state !== 'Succeeded' && row.state !== 'Failed' && !view.complete && !view.failed)
      view.podSucceeded = (await jobPods(ctx, namespace, row.job)).some(
        (p) =>
          p.status?.phase === 'Succeeded' &&
          p.metadata?.ownerReferences?.some((o) => o.uid === job!.metadata!.uid),
      );
    const step = nextHookStep(row, view, revision.metadata.uid!);
    // A Job found without a recorded start (the write after its create was lost): it started when created.
    if (job && view?.ownerUid === revision.metadata.uid && step.type !== 'Done')
      row.startedAt ??= createdAt(job) ?? iso(now);
    switch (step.type) {
      case 'Done':
        if (row.state === 'Failed') return failed(row, Reason.HookFailed);
        continue;
      case 'Create':
        // Not created: one appeared since the look above; the next look decides about it.
        if (!(await createJob(ctx, revision, content, row, rendering)))
          return { state: 'progressing', message: `${describeHook(row)}: Job ${row.job} appeared` };
        Object.assign(row, {
          state: 'Running',
          startedAt: iso(now),
          message: `Job ${row.job} created`,
        });
        return { state: 'progressing', message: `${describeHook(row)}: Job ${row.job} created` };
      case 'Blocked':
      case 'Wait':
        if (step.type === 'Wait' && row.state === 'Pending') {
          row.state = 'Running'; // created before a restart, found again by its name
        }
        row.message = step.message;
        return { state: 'progressing', message: `${describeHook(row)}: ${step.message}` };
      case 'Succeed':
      case 'Fail':
        Object.assign(row, await outcome(ctx, namespace, row.job));
        row.state = step.type === 'Succeed' ? 'Succeeded' : 'Failed';
        row.finishedAt = iso(now);
        if (step.type === 'Succeed') {
          delete row.message;
          continue;
        }
        row.message = step.message;
        return failed(row, step.reason);
    }
  }
  return { state: 'done' };
}

function failed(row: HookProgress, reason: string): HookPointResult {
  const exit = row.exitCode === undefined ? '' : `, exit code ${row.exitCode}`;
  const log = row.log && row.log !== NO_LOG ? `; log ends: ${lastLine(row.log)}` : '';
  return { state: 'failed', reason, message: `${describeHook(row)} failed: ${row.message}${exit}${log}` };
}

const lastLine = (text: string) => JSON.stringify(text.trimEnd().split('\n').at(-1) ?? '');

/** The hooks of one point in the order they run. */
export const hooksAt = (rows: HookProgress[] | undefined, level: number, phase: HookPhase) =>
  (rows ?? []).filter((r) => r.level === level && r.phase === phase);

/**
 * Applies the component's ConfigMap and Secret as this revision renders them (a Pre hook runs before
 * its component's workload, and reads the component's configuration), then creates the Job. A Job
 * that already exists is left as it is (false).
 */
async function createJob(
  ctx: ControllerContext,
  revision: AppRevision,
  content: RevisionContent,
  row: HookProgress,
  rendering: HookRendering,
): Promise<boolean> {
  const hook = content.effective.hooks!.find((h) => h.name === row.name)!;
  const component = (await rendering.components()).get(row.component);
  for (const object of component?.objects ?? []) {
    if (object.kind === 'ConfigMap' || object.kind === 'Secret') await ctx.client.apply(object as KubeObject);
  }
  const job = renderHookJob(await rendering.input(), hook, row.job, {
    name: revision.metadata.name!,
    uid: revision.metadata.uid!,
  });
  try {
    await ctx.client.create(job as KubeObject);
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 409) return false;
    throw error;
  }
}

const createdAt = (job: V1Job): string | undefined => {
  const created = job.metadata?.creationTimestamp;
  if (created === undefined) return undefined;
  return typeof created === 'string' ? created : iso(new Date(created));
};

function jobView(job: V1Job): JobView {
  const condition = (type: string) =>
    job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failure = condition('Failed');
  return {
    ownerUid: job.metadata?.ownerReferences?.find((o) => o.kind === 'AppRevision')?.uid,
    complete: condition('Complete') !== undefined,
    ...(failure
      ? { failed: { reason: failure.reason ?? 'Failed', message: failure.message ?? 'the Job failed' } }
      : {}),
    active: job.status?.active ?? 0,
  };
}

const jobPods = async (ctx: ControllerContext, namespace: string, job: string) =>
  (
    await ctx.client.list<V1Pod & KubeObject>(
      { apiVersion: 'v1', kind: 'Pod', namespace },
      { labelSelector: `batch.kubernetes.io/job-name=${job}` },
    )
  ).items;

/**
 * Exit code and log tail of the Job's pod that succeeded, else of its newest; "no log" when the node
 * returned none.
 */
async function outcome(
  ctx: ControllerContext,
  namespace: string,
  job: string,
): Promise<Pick<HookProgress, 'exitCode' | 'log'>> {
  const pods = (await jobPods(ctx, namespace, job)).sort((a, b) =>
    String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
  );
  const pod = pods.find((p) => p.status?.phase === 'Succeeded') ?? pods.at(-1);
  if (!pod) return { log: NO_LOG };
  const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
  const text = await ctx.client
    .podLog(namespace, pod.metadata!.name!, { tailLines: LOG_LINES, limitBytes: LOG_BYTES })
    .catch(() => undefined);
  return {
    ...(exitCode !== undefined ? { exitCode } : {}),
    log: text === undefined || text.trim() === '' ? NO_LOG : text.slice(-LOG_BYTES),
  };
}
