import type { AppInstall, AppInstallStatus } from '../../api/index.js';
import { ConditionType, GROUP_VERSION, appInstallStatusSchema } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { KubeApiError, ferryRef } from '../../kube/client.js';
import { computeInstallStatus, templateOrigin } from '../../model/install-status.js';
import { sortedVersions } from '../cache.js';
import type { ControllerContext } from '../context.js';
import type { InstallWork } from './work.js';

/**
 * Computes the install's status from the work and writes it (through /status) only when it changed.
 * The write is conditional on the install's resourceVersion; when someone changed the install since it
 * was read (409), the status is computed again on the stored install and written once more, so what
 * this reconcile recorded (lastAppliedSpecDigest, the outcome of its steps) is not lost with it.
 */
export async function writeInstallStatus(ctx: ControllerContext, work: InstallWork): Promise<void> {
  try {
    await writeStatusOnce(
      ctx,
      work,
      work.install,
      work.resourceVersion ?? work.install.metadata.resourceVersion,
    );
  } catch (error) {
    if (!(error instanceof KubeApiError && error.conflict)) throw error;
    const stored = await ctx.client.get<KubeObject>(
      ferryRef('AppInstall', work.install.metadata.namespace, work.install.metadata.name),
    );
    if (!stored) return; // deleted meanwhile: nothing to record
    const status = appInstallStatusSchema.safeParse(stored.status ?? {});
    work.log.debug(
      { resourceVersion: stored.metadata?.resourceVersion },
      'status write conflicted; retrying',
    );
    // only what this reconcile recorded goes over the stored status: a digest it merely read from
    // its (older) cache must not replace a newer one
    const recorded = work.lastAppliedSpecDigest !== work.startedWithSpecDigest;
    await writeStatusOnce(
      ctx,
      recorded ? work : { ...work, lastAppliedSpecDigest: undefined },
      { ...work.install, status: status.success ? status.data : undefined },
      stored.metadata?.resourceVersion,
    );
  }
}

async function writeStatusOnce(
  ctx: ControllerContext,
  work: InstallWork,
  install: AppInstall,
  resourceVersion: string | undefined,
): Promise<void> {
  const namespace = install.metadata.namespace!;
  const status = computeInstallStatus({
    install,
    previous: {
      ...(install.status ?? {}),
      ...(work.lastAppliedSpecDigest ? { lastAppliedSpecDigest: work.lastAppliedSpecDigest } : {}),
    },
    revisions: work.revisions,
    contentOf: ctx.cache.contentOf,
    workloadOf: (component) => ctx.cache.workloadOf(namespace, install.metadata.name, component),
    versions: sortedVersions(work.templates),
    origins: new Map([...work.templates].map(([version, t]) => [version, templateOrigin(t)])),
    generation: work.generation,
    problem: work.problem,
    now: ctx.now(),
  });
  // unchanged, or only the replica counts and messages of an operation that goes on (progress.ts)
  if (!ctx.progress.installStatusChanged(install, status)) return;
  const written = await ctx.client.apply(
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppInstall',
      metadata: { name: install.metadata.name, namespace, resourceVersion },
      status,
    },
    { subresource: 'status' },
  );
  ctx.expectations.wroteInstall(install, written.metadata?.resourceVersion);
  ctx.progress.wroteInstall(install, status);
  await recordStalledEvent(ctx, work, status);
}

async function recordStalledEvent(ctx: ControllerContext, work: InstallWork, status: AppInstallStatus) {
  const before = work.install.status?.conditions?.find((c) => c.type === ConditionType.Stalled);
  const now = status.conditions?.find((c) => c.type === ConditionType.Stalled);
  if (now && now.message !== before?.message) {
    work.log.info({ reason: now.reason }, `stalled: ${now.message}`);
    await ctx.events.record(work.install as KubeObject, 'Warning', now.reason, now.message);
  }
}
