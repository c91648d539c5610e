import type { KubeClient } from '../kube/client.js';
import type { PageContext } from './layout.js';

/** The console's one session: the user's client and who the API server says they are. */
export interface Session {
  client: KubeClient;
  page: PageContext;
  /** The kubeconfig context's namespace (else "default"): where forms start. */
  namespace: string;
}

/** What a route answers: a page, a redirect (after a write), or nothing found. */
export type Answer = { status?: number; html: string } | { redirect: string };

export class NotFound extends Error {}

/** Short, fixed notices after a write (never text from the request). */
export const DONE: Record<string, string> = {
  approved: 'Approved: the operator starts the upgrade, level by level.',
  adopted: 'The adopted values were written into the AppInstall as overrides, and the upgrade was approved.',
  installed: 'AppInstall created: the operator installs it now.',
};
