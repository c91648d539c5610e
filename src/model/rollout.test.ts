import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { rolloutState } from './rollout.js';

const deployment = (
  status: V1Deployment['status'],
  generation = 2,
  revision = '3',
): V1Deployment & { kind: string } => ({
  kind: 'Deployment',
  metadata: { generation, labels: { 'ferry.dev/revision': revision } },
  spec: { replicas: 3, selector: {}, template: {} },
  status,
});

describe('rolloutState', () => {
  it('is complete only when the new generation is observed and every pod is updated and available', () => {
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
        3,
      ),
    ).toEqual({
      applied: true,
      complete: true,
      desired: 3,
      updated: 3,
      available: 3,
      message: 'rolled out',
    });
    expect(
      rolloutState(
        deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
        3,
      ).complete,
    ).toBe(false);
    const surging = rolloutState(
      deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      3,
    );
    expect(surging).toMatchObject({
      complete: false,
      message: '3/3 updated, 3/3 available, 1 old pod(s) left',
    });
    // A surge pod that never gets ready: the 3 old pods are all still there (and serving).
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3 }),
        3,
      ).message,
    ).toBe('1/3 updated, 3/3 available, 3 old pod(s) left');
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
        3,
      ).complete,
    ).toBe(false);
  });

  it('does not wait for old pods that are stopping: once every new pod is available, the level is done', () => {
    // The Deployment controller counts only pods not being deleted in `replicas`; an old pod in its
    // preStop sleep shows only in `terminatingReplicas` (Kubernetes >= 1.33).
    const stopping = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
    expect(rolloutState(deployment({ ...stopping, terminatingReplicas: 1 } as never), 3)).toMatchObject({
      complete: true,
      message: 'rolled out',
    });
    // Counted availability is not enough while an old pod is still counted: the old one may be the
    // available one and a new one not ready (maxUnavailable 0, maxSurge 1, last step).
    expect(
      rolloutState(
        deployment({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
        3,
      ).complete,
    ).toBe(false);
  });

  it('is not complete for a workload still labelled with another revision or missing', () => {
    const old = deployment(
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      2,
      '2',
    );
    expect(rolloutState(old, 3)).toMatchObject({
      complete: false,
      message: 'not yet applied for revision 3 (has 2)',
    });
    expect(rolloutState(undefined, 3)).toMatchObject({
      complete: false,
      message: 'workload not created yet',
    });
  });

  it('requires a StatefulSet to reach its update revision', () => {
    const sts = (currentRevision: string): V1StatefulSet & { kind: string } => ({
      kind: 'StatefulSet',
      metadata: { generation: 1, labels: { 'ferry.dev/revision': '1' } },
      spec: { replicas: 1, selector: {}, serviceName: 's', template: {} },
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
        readyReplicas: 1,
        currentRevision,
        updateRevision: 'b',
      },
    });
    expect(rolloutState(sts('a'), 1).complete).toBe(false);
    expect(rolloutState(sts('b'), 1).complete).toBe(true);
  });
});
