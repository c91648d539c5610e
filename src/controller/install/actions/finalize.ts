import type { AppInstall } from '../../../api/index.js';
import { ferryRef } from '../../../kube/client.js';
import { LABEL_INSTALL } from '../../../model/names.js';
import { FINALIZER } from '../../context.js';
import type { ControllerContext } from '../../context.js';

/**
 * Whether deleting the install has work for the operator: only volumeDeletionPolicy Delete (its PVCs
 * are deleted explicitly). Everything else the install owns goes by garbage collection, so an install
 * that keeps its volumes carries no finalizer — one write fewer per install, and a deletion that does
 * not wait for a running operator. A finalizer added before (or under Delete) stays until deletion.
 */
export const needsFinalizer = (install: AppInstall) => install.spec.volumeDeletionPolicy === 'Delete';

/** Adds Ferry's finalizer, so a deletion waits for `finalize`. */
export async function addFinalizer(ctx: ControllerContext, install: AppInstall): Promise<void> {
  const finalizers = [...(install.metadata.finalizers ?? []), FINALIZER];
  const updated = await ctx.client.mergePatch(
    ferryRef('AppInstall', install.metadata.namespace, install.metadata.name),
    { metadata: { finalizers, resourceVersion: install.metadata.resourceVersion } },
  );
  ctx.expectations.wroteInstall(install, updated.metadata?.resourceVersion);
}

/**
 * On deletion: PVCs go only with volumeDeletionPolicy Delete (data is never deleted implicitly);
 * everything else the install owns goes by garbage collection once the finalizer is removed.
 */
export async function finalize(ctx: ControllerContext, install: AppInstall): Promise<void> {
  if (!install.metadata.finalizers?.includes(FINALIZER)) return;
  const namespace = install.metadata.namespace!;
  if (install.spec.volumeDeletionPolicy === 'Delete') {
    const pvcs = await ctx.client.list(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace },
      { labelSelector: `${LABEL_INSTALL}=${install.metadata.name}` },
    );
    for (const pvc of pvcs.items) {
      await ctx.client.delete({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace,
        name: pvc.metadata!.name,
      });
    }
  }
  await ctx.client.mergePatch(ferryRef('AppInstall', namespace, install.metadata.name), {
    metadata: {
      finalizers: install.metadata.finalizers.filter((f) => f !== FINALIZER),
      resourceVersion: install.metadata.resourceVersion,
    },
  });
  ctx.expectations.forget(install);
}
