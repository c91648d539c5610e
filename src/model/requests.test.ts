import { prunable, requestsToPrune } from './requests.js';

const request = (
  name: string,
  phase?: string,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
) => ({
  metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
  status: phase ? { phase } : {},
});

describe('requestsToPrune', () => {
  it('deletes the oldest ended requests beyond the limit and never a pending one', () => {
    const list = [
      request('a', 'Succeeded'),
      request('b', 'Failed'),
      request('c'),
      request('d', 'RolledBack'),
      request('e', 'Succeeded'),
      request('f', 'Planned'),
    ];
    expect(requestsToPrune(list, 2).map((r) => r.metadata.name)).toEqual(['a', 'b']);
    expect(requestsToPrune(list, 4)).toEqual([]);
    expect(requestsToPrune(list, 0).map((r) => r.metadata.name)).toEqual(['a', 'b', 'd', 'e']);
  });

  it('keeps requests a GitOps tool or Helm would re-create, and those marked ferry.dev/keep', () => {
    const list = [
      request('argo', 'Succeeded', { 'argocd.argoproj.io/instance': 'shop' }),
      request(
        'argo-annotation',
        'Succeeded',
        {},
        { 'argocd.argoproj.io/tracking-id': 'shop:ferry.dev/AppUpgrade:shop/x' },
      ),
      request('flux', 'Succeeded', { 'kustomize.toolkit.fluxcd.io/name': 'apps' }),
      request('helm', 'Succeeded', { 'app.kubernetes.io/managed-by': 'Helm' }),
      request('kept', 'Succeeded', {}, { 'ferry.dev/keep': 'true' }),
      request('plain', 'Succeeded'),
    ];
    expect(list.filter(prunable).map((r) => r.metadata.name)).toEqual(['plain']);
    expect(requestsToPrune(list, 0).map((r) => r.metadata.name)).toEqual(['plain']);
    expect(requestsToPrune(list, 1)).toEqual([]); // the newest ended one stays
  });
});
