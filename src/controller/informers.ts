import type { KubeClient, KubeObject, ObjectRef } from '../kube/client.js';
import { ferryRef } from '../kube/client.js';
import { LABEL_HOOK_INSTALL, LABEL_INSTALL, LABEL_PARAMETER_SECRET } from '../model/names.js';
import type { Workload } from './context.js';
import { byCreation } from './request-order.js';
import { Informer } from './runtime/informer.js';
import { hookObject, secretVersion, slimObject, slimWorkload } from './transforms.js';

export type ManagerInformers = {
  [K in 'templates' | 'installs' | 'revisions' | 'upgrades' | 'rollbacks' | 'markets']: Informer<KubeObject>;
} & {
  deployments: Informer<Workload>;
  statefulsets: Informer<Workload>;
  secrets: Informer<KubeObject>;
  /** Hook Jobs and their pods, metadata only: a wake-up for their install, never read by a reconciler. */
  hookJobs: Informer<KubeObject>;
  hookPods: Informer<KubeObject>;
};

/** The operator's informers: Ferry's kinds, the workloads it owns, and its parameter Secrets. */
export function createInformers(
  client: KubeClient,
  resyncMs: number,
  onError: (error: unknown) => void,
): ManagerInformers {
  // every cached object without managedFields and last-applied copies (transforms.ts)
  const informer = <T extends KubeObject>(
    ref: ObjectRef,
    labelSelector?: string,
    listOrder?: (a: T, b: T) => number,
    transform: (o: T) => T = slimObject,
    resync = true,
  ) =>
    new Informer<T>(client, ref, {
      resyncMs: resync ? resyncMs : 0,
      onError,
      labelSelector,
      listOrder,
      transform,
    });
  const metadataInformer = (
    ref: ObjectRef,
    labelSelector: string,
    transform: (o: KubeObject) => KubeObject,
  ) =>
    new Informer<KubeObject>(client, ref, {
      resyncMs: 0, // a wake-up only: its installs' own resync covers it
      onError,
      labelSelector,
      metadataOnly: true,
      transform,
    });
  // Only the objects a controller is keyed by resync (templates, installs, requests, markets). An
  // install's reconcile reads its revisions and workloads from the cache anyway, so their resyncs
  // would only wake the same install again — once per revision and per workload: 10 reconciles per
  // install and period instead of 1 (bench/operator/RESULTS.md).
  return {
    templates: informer(ferryRef('AppTemplate')),
    installs: informer(ferryRef('AppInstall')),
    revisions: informer(ferryRef('AppRevision'), undefined, undefined, slimObject, false),
    upgrades: informer(ferryRef('AppUpgrade'), undefined, byCreation),
    rollbacks: informer(ferryRef('AppRollback'), undefined, byCreation),
    markets: informer(ferryRef('AppMarket')),
    deployments: informer<Workload>(
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      LABEL_INSTALL,
      undefined,
      slimWorkload,
      false,
    ),
    statefulsets: informer<Workload>(
      { apiVersion: 'apps/v1', kind: 'StatefulSet' },
      LABEL_INSTALL,
      undefined,
      slimWorkload,
      false,
    ),
    // Only the Secrets an install's parameters name (the operator labels them), metadata only,
    // and of that only what tells a change: the operator never holds Secret data in its cache.
    secrets: metadataInformer({ apiVersion: 'v1', kind: 'Secret' }, LABEL_PARAMETER_SECRET, secretVersion),
    // A hook Job or its pod finishing wakes its install at once (any change moves the resourceVersion)
    hookJobs: metadataInformer({ apiVersion: 'batch/v1', kind: 'Job' }, LABEL_HOOK_INSTALL, hookObject),
    hookPods: metadataInformer({ apiVersion: 'v1', kind: 'Pod' }, LABEL_HOOK_INSTALL, hookObject),
  };
}
