/**
 * The Ferry phase: N AppInstalls created before the operator starts, then the time until all are
 * Ready, the settle, and a no-op window of more than two resync periods.
 */
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { sleep } from '../../src/util/sleep.js';
import type { Install } from './app.js';
import { benchNamespace, installName, templateObject } from './app.js';
import { stopFirst, work } from './cluster.js';
import { APP, CONCURRENCY, N, NAMESPACES, RESYNC, VERSION, WORKERS, log, seconds } from './config.js';
import { Tracker, createNamespaces, follow, pool, retry, ssa } from './kube.js';
import type { Metrics } from './metrics.js';
import { BenchOperator } from './operator.js';

export interface FerryResult {
  op: BenchOperator;
  createMs: number;
  readyAt: number;
  /** Each AppInstall's time to Ready from the operator's spawn, ascending. */
  readyTimes: number[];
  mReady: Metrics;
  mWindow0: Metrics;
  mWindow1: Metrics;
  cpuReady: number;
  cpuWindow0: number;
  cpuWindow1: number;
  peakRss: number;
  windowMs: number;
  installsModified: number;
  revisionsAdded: number;
  revisionsModified: number;
  installsChanged: number;
  revisionsChanged: number;
  installsTotal: number;
  revisionsTotal: number;
  /** Warning and error messages with their counts, most frequent first. */
  warnings: [string, number][];
}

export async function runFerry(client: KubeClient, kubeconfig: string, dist: string): Promise<FerryResult> {
  // --- Ferry -------------------------------------------------------------------------------
  await createNamespaces(
    client,
    Array.from({ length: NAMESPACES }, (_, k) => benchNamespace(k)),
  );
  await ssa(client, templateObject(), 'ferry-bench');
  log(`creating ${N} AppInstalls, ${CONCURRENCY} at a time`);
  const createStart = performance.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await retry(`create AppInstall ${i}`, () =>
        client.create({
          apiVersion: 'ferry.dev/v1alpha1',
          kind: 'AppInstall',
          metadata: { name: installName(i), namespace: benchNamespace(i) },
          spec: { app: APP, version: VERSION },
        }),
      );
    },
  );
  const createMs = performance.now() - createStart;
  log(`created ${N} AppInstalls in ${seconds(createMs)}`);

  const isReady = (o: Install) =>
    o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
    o.status?.observedGeneration === o.metadata?.generation;
  const installs = new Tracker<Install>(client, ferryRef('AppInstall'), () => true, isReady, N);
  // counts the operator's AppRevision creates and status writes while the installs converge
  const revisionWrites = new Tracker<KubeObject>(
    client,
    ferryRef('AppRevision'),
    () => true,
    () => false,
    Infinity,
  );

  log(`starting the operator (--workers ${WORKERS} --resync ${RESYNC})`);
  const op = new BenchOperator();
  stopFirst.operator = op;
  await op.start(dist, kubeconfig, join(work, 'operator.log'));
  await follow('AppInstalls Ready', installs as Tracker<KubeObject>, N, async () => {
    const m = await op.metrics();
    return `install queue ${m.sum('ferry_workqueue_depth', { queue: 'install' })}, reconciles ${m.sum('ferry_reconcile_total', { kind: 'install' })}, writes ${m.sum('ferry_api_writes_total')}`;
  });
  const readyAt = Math.max(...installs.doneAt.values());
  revisionWrites.stop();
  const mReady = await op.metrics();
  const cpuReady = op.cpuSeconds();
  const readyTimes = [...installs.doneAt.values()].map((t) => t - op.spawnedAt).sort((a, b) => a - b);
  log(`all ${N} AppInstalls Ready ${seconds(readyAt - op.spawnedAt)} after the operator was spawned`);

  // settle: let trailing work after the last Ready drain (bounded), and count it separately
  const settleStart = performance.now();
  let mSettled = mReady;
  for (let quiet = 0; quiet < 3 && performance.now() - settleStart < 15_000;) {
    await sleep(1000);
    const m = await op.metrics();
    const idle =
      m.sum('ferry_workqueue_depth') === 0 &&
      m.sum('ferry_api_writes_total') === mSettled.sum('ferry_api_writes_total');
    quiet = idle ? quiet + 1 : 0;
    mSettled = m;
  }
  const windowMs = Math.ceil(2.4 * RESYNC + 5) * 1000; // resync is jittered by up to +20 %
  const rvOf = async (kind: string) =>
    new Map(
      (await client.list(ferryRef(kind))).items.map((o) => [
        `${o.metadata?.namespace}/${o.metadata?.name}`,
        o.metadata?.resourceVersion,
      ]),
    );
  const rvInstalls = await rvOf('AppInstall');
  const rvRevisions = await rvOf('AppRevision');
  const mWindow0 = await op.metrics();
  const cpuWindow0 = op.cpuSeconds();
  log(`no-op window: ${seconds(windowMs)} (resync ${RESYNC} s)`);
  await sleep(windowMs);
  const mWindow1 = await op.metrics();
  const cpuWindow1 = op.cpuSeconds();
  const peakRss = op.peakRssMiB();
  const changed = (before: Map<string, string | undefined>, after: Map<string, string | undefined>) =>
    [...after].filter(([k, v]) => before.get(k) !== v).length +
    [...before.keys()].filter((k) => !after.has(k)).length;
  const rvAfterInstalls = await rvOf('AppInstall');
  const rvAfterRevisions = await rvOf('AppRevision');
  const installsChanged = changed(rvInstalls, rvAfterInstalls);
  const revisionsChanged = changed(rvRevisions, rvAfterRevisions);
  log('stopping the operator');
  await op.stop();
  const warnings = [...op.warnings].sort((a, b) => b[1] - a[1]);
  return {
    op,
    createMs,
    readyAt,
    readyTimes,
    mReady,
    mWindow0,
    mWindow1,
    cpuReady,
    cpuWindow0,
    cpuWindow1,
    peakRss,
    windowMs,
    installsModified: installs.modified,
    revisionsAdded: revisionWrites.added,
    revisionsModified: revisionWrites.modified,
    installsChanged,
    revisionsChanged,
    installsTotal: rvAfterInstalls.size,
    revisionsTotal: rvAfterRevisions.size,
    warnings,
  };
}
