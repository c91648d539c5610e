import { lostFields } from '../model/field-drift.js';
import type { Workload } from './context.js';
import { slimObject, slimWorkload } from './transforms.js';

const containerFields = (fields: Record<string, unknown>) => ({
  'f:metadata': { 'f:labels': { 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:metadata': { 'f:labels': {} },
      'f:spec': {
        'f:containers': { 'k:{"name":"api"}': { '.': {}, 'f:name': {}, ...fields } },
        'f:volumes': {},
      },
    },
  },
});

function deployment(entries: unknown[]): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'shop-api',
      namespace: 'shop',
      generation: 3,
      labels: { 'ferry.dev/revision': '2' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', keep: 'me' },
      managedFields: entries,
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          containers: [
            {
              name: 'api',
              image: 'api:2',
              env: [{ name: 'A', value: 'x'.repeat(1000) }],
              ports: [{ containerPort: 80 }],
            },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      },
    },
    status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [] },
  } as unknown as Workload;
}

describe('informer transforms', () => {
  it('keep of a workload what rollouts, status and drift read, and drop the rest', () => {
    const entries = [
      {
        manager: 'ferry-operator',
        operation: 'Apply',
        time: 't',
        fieldsType: 'FieldsV1',
        fieldsV1: containerFields({ 'f:image': {}, 'f:env': { 'k:{"name":"A"}': { 'f:value': {} } } }),
      },
      { manager: 'kubectl-set', operation: 'Update', fieldsV1: containerFields({ 'f:image': {} }) },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': { 'f:replicas': {} } },
      },
    ];
    const full = deployment(entries);
    const slim = slimWorkload(full);
    expect(slim.metadata!.annotations).toEqual({ keep: 'me' });
    expect(slim.metadata!.labels).toEqual(full.metadata!.labels);
    expect(slim.metadata!.generation).toBe(3);
    expect(slim.spec!.replicas).toBe(2);
    expect((slim.spec as { strategy?: unknown }).strategy).toEqual(
      (full.spec as { strategy?: unknown }).strategy,
    );
    expect(slim.spec!.template.spec!.containers).toEqual([{ name: 'api', image: 'api:2' }]);
    expect(slim.status).toEqual(full.status);
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(full).length / 2);
    // drift is told the same from the slim copy: the image is now kubectl-set's, env A still ours
    const rendered = new Map([['api', { list: 'containers' as const, env: ['A'] }]]);
    const managed = (w: Workload) => w.metadata!.managedFields as Parameters<typeof lostFields>[0];
    expect(lostFields(managed(slim), rendered)).toEqual(lostFields(managed(full), rendered));
    // (ours owns the image too in this fixture; drop it from ours to see a loss told the same way)
    const lost = deployment([
      { ...entries[0], fieldsV1: containerFields({ 'f:env': { 'k:{"name":"A"}': { 'f:value': {} } } }) },
      entries[1],
    ]);
    expect(lostFields(managed(slimWorkload(lost)), rendered)).toEqual([
      'spec.template.spec.containers[api].image (now set by kubectl-set)',
    ]);
    expect(lostFields(managed(lost), rendered)).toEqual(lostFields(managed(slimWorkload(lost)), rendered));
  });

  it('drop managedFields and the last-applied copy of any other object, and nothing else', () => {
    const install = {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppInstall',
      metadata: {
        name: 'a',
        namespace: 'n',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        managedFields: [{ manager: 'kubectl' }],
        finalizers: ['x'],
      },
      spec: { app: 'shop', version: '1.0.0' },
      status: { revision: 1 },
    };
    expect(slimObject(install)).toEqual({
      ...install,
      metadata: { name: 'a', namespace: 'n', annotations: {}, finalizers: ['x'] },
    });
  });
});
