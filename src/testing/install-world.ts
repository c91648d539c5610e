import type { AppInstall, AppRevision, AppRevisionStatus, AppTemplate } from '../api/index.js';
import { GROUP_VERSION, appRevisionSchema, revisionName } from '../api/index.js';
import type { KubeObject } from '../kube/client.js';
import type { RevisionDraft } from '../model/drafts.js';
import { LABEL_INSTALL } from '../model/names.js';
import { encodeSnapshot } from '../model/snapshot.js';
import { FINALIZER } from '../controller/context.js';
import { shopInstall, shopTemplate } from './fixtures.js';
import type { FakeCluster } from './fake-cluster.js';

/** The shop templates 1.0.0 and 2.0.0 as imported AppTemplates. */
export function seedShopTemplates(cluster: FakeCluster): AppTemplate[] {
  return (['1.0.0', '2.0.0'] as const).map((v) => {
    const t = shopTemplate(v);
    return cluster.seed({ ...t, metadata: { name: `shop.${v}` } } as KubeObject) as unknown as AppTemplate;
  });
}

/** The shop AppInstall as a user applied it, with Ferry's finalizer already in place. */
export function seedShopInstall(cluster: FakeCluster, change: (i: AppInstall) => void = () => undefined) {
  const install = shopInstall();
  install.metadata.finalizers = [FINALIZER];
  change(install);
  return cluster.seed(install as KubeObject) as unknown as AppInstall;
}

/** An AppRevision as the operator would have created it, with the given outcome. */
export function revisionOf(
  install: AppInstall,
  number: number,
  draft: RevisionDraft,
  status?: Partial<AppRevisionStatus>,
  annotations?: Record<string, string>,
): AppRevision {
  return appRevisionSchema.parse({
    apiVersion: GROUP_VERSION,
    kind: 'AppRevision',
    metadata: {
      name: revisionName(install.metadata.name, number),
      namespace: install.metadata.namespace,
      uid: `rev-${number}`,
      labels: { [LABEL_INSTALL]: install.metadata.name },
      ...(annotations ? { annotations } : {}),
      ownerReferences: [
        {
          apiVersion: GROUP_VERSION,
          kind: 'AppInstall',
          name: install.metadata.name,
          uid: install.metadata.uid,
        },
      ],
    },
    spec: {
      install: install.metadata.name,
      revision: number,
      app: install.spec.app,
      version: draft.version,
      cause: draft.cause,
      ...(draft.restoredRevision !== undefined ? { restoredRevision: draft.restoredRevision } : {}),
      causeRef: { kind: 'AppInstall', name: install.metadata.name, uid: install.metadata.uid },
      images: draft.content.effective.components.map((c) => ({ component: c.name, image: c.image })),
      inputsDigest: draft.inputsDigest,
      snapshot: encodeSnapshot(draft.content),
    },
    ...(status ? { status: { outcome: 'Succeeded', startedAt: '2026-01-01T00:00:00Z', ...status } } : {}),
  });
}

/** Plays the workload controllers: every workload of the install is fully rolled out (or not). */
export function rollOut(cluster: FakeCluster, namespace: string, ready = true): void {
  for (const kind of ['Deployment', 'StatefulSet']) {
    for (const w of cluster.all(kind, namespace)) {
      const replicas = (w.spec as { replicas?: number }).replicas ?? 1;
      const n = ready ? replicas : 0;
      cluster.seed({
        ...w,
        status: {
          observedGeneration: w.metadata?.generation,
          replicas,
          updatedReplicas: replicas,
          availableReplicas: n,
          readyReplicas: n,
          currentRevision: 'r',
          updateRevision: 'r',
        },
      });
    }
  }
}

/** The Secret the shop install's DB_PASSWORD parameter refers to. */
/** The Secrets examples/shop/install.yaml names: its parameter Secret and the site registry's pull Secret. */
export function shopSecret(cluster: FakeCluster): void {
  cluster.seed({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-secrets', namespace: 'shop' },
    data: { 'db-password': Buffer.from('s3cret').toString('base64') },
  });
  cluster.seed({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'site-registry', namespace: 'shop' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
  } as KubeObject);
}

/**
 * Plays the Job controller and the kubelet for hook Jobs: every Job of the namespace that has not
 * ended gets a pod that exited with `exitCode` (and `log`, when given) and its Complete or Failed
 * condition.
 */
export function finishJobs(
  cluster: FakeCluster,
  namespace: string,
  {
    exitCode = 0,
    log,
    reason = 'BackoffLimitExceeded',
    jobStatus = true,
  }: {
    exitCode?: number;
    log?: string;
    reason?: string;
    /** false: only the pod has ended; the Job controller has not recorded it yet. */
    jobStatus?: boolean;
  } = {},
): string[] {
  const finished: string[] = [];
  for (const job of cluster.all('Job', namespace)) {
    const conditions = (job.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Complete' || c.type === 'Failed')) continue;
    const name = job.metadata!.name!;
    const pod = `${name}-x${finished.length}`;
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace,
        labels: { 'batch.kubernetes.io/job-name': name },
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata!.uid!, controller: true },
        ],
      },
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [{ name: 'hook', state: { terminated: { exitCode } } }],
      },
    });
    if (log !== undefined) cluster.logs.set(`${namespace}/${pod}`, log);
    finished.push(name);
    if (!jobStatus) continue;
    const condition =
      exitCode === 0
        ? { type: 'Complete', status: 'True' }
        : { type: 'Failed', status: 'True', reason, message: 'Job has reached the specified backoff limit' };
    cluster.seed({ ...job, status: { conditions: [condition] } });
  }
  return finished;
}
