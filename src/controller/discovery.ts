import type { KubeClient } from '../kube/client.js';
import { KubeApiError, resourcePath } from '../kube/client.js';

/** Whether the cluster serves a kind (Ingress, HTTPRoute): its group version lists it. */
export interface ServedApis {
  serves(apiVersion: string, kind: string): Promise<boolean>;
}

/** How long an answer is trusted: a CRD installed meanwhile is noticed within this time. */
export const DISCOVERY_TTL_MS = 10_000;

/**
 * API discovery with a short cache: GET /apis/<group>/<version> (404 when the group version is not
 * served) and look for the kind's resource. Errors other than 404 are not cached and are thrown.
 */
export class Discovery implements ServedApis {
  private readonly answers = new Map<string, { served: boolean; at: number }>();

  constructor(
    private readonly client: Pick<KubeClient, 'request'>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = DISCOVERY_TTL_MS,
  ) {}

  async serves(apiVersion: string, kind: string): Promise<boolean> {
    const key = `${apiVersion}/${kind}`;
    const cached = this.answers.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.served;
    const plural = resourcePath({ apiVersion, kind }).split('/').pop()!;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let served: boolean;
    try {
      const list = await this.client.request<{ resources?: { name: string }[] }>('GET', base);
      served = (list?.resources ?? []).some((r) => r.name === plural);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.notFound)) throw error;
      served = false;
    }
    this.answers.set(key, { served, at: this.now() });
    return served;
  }
}
