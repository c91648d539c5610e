import type { AppTemplate } from '../../api/index.js';
import { appTemplateSchema } from '../../api/index.js';
import type { KubeClient } from '../../kube/client.js';
import { ferryRef } from '../../kube/client.js';
import type { Output } from '../output.js';

/**
 * Every AppTemplate in the cluster (of `app`, when given). One that does not parse is named on
 * stderr and left out: listing never fails because of one bad object.
 */
export async function clusterTemplates(
  client: KubeClient,
  output: Output,
  app?: string,
): Promise<AppTemplate[]> {
  const list = await client.list(ferryRef('AppTemplate'));
  const templates: AppTemplate[] = [];
  for (const item of list.items) {
    const parsed = appTemplateSchema.safeParse(item);
    if (parsed.success) {
      if (!app || parsed.data.spec.app === app) templates.push(parsed.data);
    } else {
      output.err(
        `warning: AppTemplate ${item.metadata?.name ?? '?'} left out: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      );
    }
  }
  return templates;
}

/** The user the API server sees for this client (SelfSubjectReview, GA since Kubernetes 1.28). */
export async function whoAmI(client: KubeClient): Promise<string> {
  const review = await client.request<{ status?: { userInfo?: { username?: string } } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  );
  const username = review?.status?.userInfo?.username;
  if (!username) throw new Error('the API server answered the SelfSubjectReview without a username');
  return username;
}
