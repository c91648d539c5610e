/**
 * The Ferry phase: N AppInstalls created before the operator starts, then the time until all are
 * Ready, the settle, and a no-op window of more than two resync periods.
 */
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { sleep } from '../../src/util/sleep.js';
import type { Install } from './app.js';
import { benchNamespace, installName, isReady, templateObject } from './app.js';
import { stopFirst, work } from './cluster.js';
import {
  APP,
  CONCURRENCY,
  N,
  NAMESPACES,
  PROBE,
  PROBE_NAMESPACE,
  RESYNC,
  UPGRADE,
  VERSION,
  WORKERS,
  MAX_ROLLOUTS,
  log,
  seconds,
} from './config.js';
import { Tracker, createNamespaces, follow, pool, retry, ssa } from './kube.js';
import type { Metrics } from './metrics.js';
import { BenchOperator } from './operator.js';
import type { HeapSummary } from '../../src/tools/heap-summary.js';
import type { UpgradeResult } from './upgrade.js';
import { massUpgrade } from './upgrade.js';
export type { UpgradeResult } from './upgrade.js';

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
  /** VmHWM at the end of the run (after the mass upgrade, before the heap snapshot), MiB. */
  finalPeakRss: number;
  /** The live heap (heap snapshot) on the empty cluster, and at the end of the run. */
  baselineHeap: HeapSummary;
  endHeapSummary: HeapSummary;
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
  /** RSS of an operator with nothing to reconcile (empty cluster, caches synced), MiB. */
  baselineRss: number;
  /** RSS and V8 heap in use at the end of the no-op window, MiB. */
  endRss: number;
  endHeap: number;
  probe?: ProbeResult;
  upgrade?: UpgradeResult;
}

export interface ProbeResult {
  /** The probe's create → Ready while the fleet converged, and when it was created. */
  loadedMs: number;
  createdAtMs: number;
  fleetReadyAtCreate: number;
  /** The same install created on the idle operator (after the no-op window). */
  idleMs: number;
  loaded: ProbeTimes;
  idle: ProbeTimes;
}

const installObject = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind: 'AppInstall',
  metadata: { name, namespace },
  spec: { app: APP, version: VERSION },
});

/** A probe's milestones, from its creation: the operator's first status write, its rollout's start, Ready. */
export interface ProbeTimes {
  readyMs: number;
  firstStatusMs: number;
  startedMs: number;
}

/** Creates one install in the probe namespace and times it from its creation to each milestone. */
async function probeInstall(client: KubeClient, name: string): Promise<ProbeTimes> {
  const watch = (done: (o: Install) => boolean) =>
    new Tracker<Install>(
      client,
      { ...ferryRef('AppInstall'), namespace: PROBE_NAMESPACE },
      (o) => o.metadata?.name === name,
      done,
      1,
    );
  const ready = watch(isReady);
  const firstStatus = watch((o) => o.status !== undefined || isReady(o));
  const started = watch((o) => o.status?.operation !== undefined || isReady(o));
  const created = performance.now();
  await retry(`create probe ${name}`, () => client.create(installObject(PROBE_NAMESPACE, name)));
  await follow(`probe ${name} Ready`, ready as Tracker<KubeObject>, 1);
  for (const t of [firstStatus, started]) await t.finished;
  const since = (t: Tracker<Install>) => t.doneAt.get(`${PROBE_NAMESPACE}/${name}`)! - created;
  return { readyMs: since(ready), firstStatusMs: since(firstStatus), startedMs: since(started) };
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

const describeProbe = (t: ProbeTimes) =>
  `Ready ${seconds(t.readyMs)} after its creation (first status ${seconds(t.firstStatusMs)}, rollout started ${seconds(t.startedMs)})`;

/** The RSS and live heap of an operator started on the empty cluster, once its caches synced and it settled. */
async function baselineOperator(
  kubeconfig: string,
  dist: string,
): Promise<{ rss: number; heap: HeapSummary }> {
  const op = new BenchOperator();
  stopFirst.operator = op;
  await op.start(dist, kubeconfig, join(work, 'operator-baseline.log'));
  for (let i = 0; i < 100 && op.syncedAt === undefined; i++) await sleep(100);
  await sleep(5000);
  const rss = op.rssMiB();
  const heap = await op.heapSummary();
  await op.stop();
  return { rss, heap };
}

export async function runFerry(client: KubeClient, kubeconfig: string, dist: string): Promise<FerryResult> {
  // --- Ferry -------------------------------------------------------------------------------
  await createNamespaces(client, [
    ...Array.from({ length: NAMESPACES }, (_, k) => benchNamespace(k)),
    ...(PROBE ? [PROBE_NAMESPACE] : []),
  ]);
  await ssa(client, templateObject(), 'ferry-bench');
  log('baseline: the operator on a cluster with nothing to reconcile');
  const { rss: baseline, heap: baselineHeap } = await baselineOperator(kubeconfig, dist);
  log(`baseline RSS ${baseline.toFixed(0)} MiB, live heap ${mib(baselineHeap.bytes)}`);
  log(`creating ${N} AppInstalls, ${CONCURRENCY} at a time`);
  const createStart = performance.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await retry(`create AppInstall ${i}`, () =>
        client.create(installObject(benchNamespace(i), installName(i))),
      );
    },
  );
  const createMs = performance.now() - createStart;
  log(`created ${N} AppInstalls in ${seconds(createMs)}`);

  const inFleet = (o: KubeObject) => o.metadata?.namespace?.startsWith('bench-') ?? false;
  const installs = new Tracker<Install>(client, ferryRef('AppInstall'), inFleet, isReady, N);
  // counts the operator's AppRevision creates and status writes while the installs converge
  const revisionWrites = new Tracker<KubeObject>(
    client,
    ferryRef('AppRevision'),
    () => true,
    () => false,
    Infinity,
  );

  log(
    `starting the operator (${WORKERS === undefined ? 'default workers' : `--workers ${WORKERS}`}${MAX_ROLLOUTS === undefined ? '' : ` --max-rollouts ${MAX_ROLLOUTS}`} --resync ${RESYNC})`,
  );
  const op = new BenchOperator();
  stopFirst.operator = op;
  await op.start(dist, kubeconfig, join(work, 'operator.log'));
  // the probe: one install created while the fleet converges (once a quarter of it is Ready)
  const probeLoaded = PROBE
    ? (async () => {
        while (installs.doneAt.size < N / 4) await sleep(100);
        const createdAtMs = performance.now() - op.spawnedAt;
        const fleetReadyAtCreate = installs.doneAt.size;
        log(`creating the probe install (${fleetReadyAtCreate}/${N} Ready)`);
        const loaded = await probeInstall(client, 'probe-loaded');
        log(`probe ${describeProbe(loaded)}`);
        return { loadedMs: loaded.readyMs, loaded, createdAtMs, fleetReadyAtCreate };
      })()
    : undefined;
  await follow('AppInstalls Ready', installs as Tracker<KubeObject>, N, async () => {
    const m = await op.metrics();
    const lanes = ['high', 'normal', 'low'].map((p) => m.sum('ferry_install_queue_depth', { priority: p }));
    const slots = ['rolling', 'waiting'].map((state) => m.sum('ferry_rollouts', { state }));
    return `install queue ${m.sum('ferry_workqueue_depth', { queue: 'install' })} (high/normal/low ${lanes.join('/')}), rollouts ${slots[0]} (${slots[1]} waiting), reconciles ${m.sum('ferry_reconcile_total', { kind: 'install' })}, writes ${m.sum('ferry_api_writes_total')}, RSS ${op.rssMiB().toFixed(0)} MiB (peak ${op.peakRssMiB().toFixed(0)})`;
  });
  const readyAt = Math.max(...installs.doneAt.values());
  revisionWrites.stop();
  const loaded = await probeLoaded;
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
  const endRss = op.rssMiB();
  const endHeap = mWindow1.sum('nodejs_heap_size_used_bytes') / 1024 ** 2;

  let probe: ProbeResult | undefined;
  if (loaded) {
    log('probe on the idle operator');
    const idle = await probeInstall(client, 'probe-idle');
    probe = { ...loaded, idleMs: idle.readyMs, idle };
    log(`idle probe ${describeProbe(idle)}`);
  }
  const upgrade = UPGRADE > 0 ? await massUpgrade(client, op) : undefined;
  // the snapshot itself takes memory: the peak is read first
  const finalPeakRss = op.peakRssMiB();
  log('heap snapshot of the operator');
  const endHeapSummary = await op.heapSummary();
  log(`live heap ${mib(endHeapSummary.bytes)} (baseline ${mib(baselineHeap.bytes)})`);
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
    finalPeakRss,
    baselineHeap,
    endHeapSummary,
    windowMs,
    installsModified: installs.modified,
    revisionsAdded: revisionWrites.added,
    revisionsModified: revisionWrites.modified,
    installsChanged,
    revisionsChanged,
    installsTotal: rvAfterInstalls.size,
    revisionsTotal: rvAfterRevisions.size,
    warnings,
    baselineRss: baseline,
    endRss,
    endHeap,
    probe,
    upgrade,
  };
}
