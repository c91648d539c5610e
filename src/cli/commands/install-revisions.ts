import type { AppInstall, AppRevision } from '../../api/index.js';
import { appRevisionSchema } from '../../api/index.js';
import type { KubeClient } from '../../kube/client.js';
import { ferryRef } from '../../kube/client.js';
import { LABEL_INSTALL } from '../../model/names.js';

/**
 * Revisions of this incarnation of the install (owned by its uid), oldest first; an object that does
 * not parse as an AppRevision is left out.
 */
export async function installRevisions(client: KubeClient, install: AppInstall): Promise<AppRevision[]> {
  const list = await client.list(ferryRef('AppRevision', install.metadata.namespace), {
    labelSelector: `${LABEL_INSTALL}=${install.metadata.name}`,
  });
  return list.items
    .flatMap((o) => {
      const result = appRevisionSchema.safeParse(o);
      return result.success ? [result.data] : [];
    })
    .filter(
      (r) =>
        !r.metadata.ownerReferences?.length ||
        r.metadata.ownerReferences.some((o) => (o as { uid?: string }).uid === install.metadata.uid),
    )
    .sort((a, b) => a.spec.revision - b.spec.revision);
}
