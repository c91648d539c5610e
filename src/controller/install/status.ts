import type { AppInstallStatus } from '../../api/index.js';
import { ConditionType, GROUP_VERSION } from '../../api/index.js';
import type { KubeObject } from '../../kube/client.js';
import { computeInstallStatus, templateOrigin } from '../../model/install-status.js';
import { sortedVersions } from '../cache.js';
import type { ControllerContext } from '../context.js';
import type { InstallWork } from './work.js';

/** Computes the install's status from the work and writes it (through /status) only when it changed. */
export async function writeInstallStatus(ctx: ControllerContext, work: InstallWork): Promise<void> {
  const { install } = work;
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
  await recordStalledEvent(ctx, work, status);
  // resourceVersion makes the write conditional: a status computed from a stale cache is refused
  // (409) and recomputed, so nothing recorded in it (lastAppliedSpecDigest) can be lost.
  const written = await ctx.client.apply(
    {
      apiVersion: GROUP_VERSION,
      kind: 'AppInstall',
      metadata: {
        name: install.metadata.name,
        namespace,
        resourceVersion: work.resourceVersion ?? install.metadata.resourceVersion,
      },
      status,
    },
    { subresource: 'status' },
  );
  ctx.expectations.wroteInstall(install, written.metadata?.resourceVersion);
  ctx.progress.wroteInstall(install, status);
}

async function recordStalledEvent(ctx: ControllerContext, work: InstallWork, status: AppInstallStatus) {
  const before = work.install.status?.conditions?.find((c) => c.type === ConditionType.Stalled);
  const now = status.conditions?.find((c) => c.type === ConditionType.Stalled);
  if (now && now.message !== before?.message) {
    work.log.info({ reason: now.reason }, `stalled: ${now.message}`);
    await ctx.events.record(work.install as KubeObject, 'Warning', now.reason, now.message);
  }
}
