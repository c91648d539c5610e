/** The benchmark's markdown table: printed, and written into --results in place of an earlier run. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { relative } from 'node:path';
import {
  CONCURRENCY,
  KCM_QPS,
  N,
  NAMESPACES,
  PODS_PER_NODE,
  RESULTS,
  RESYNC,
  WORKERS,
  MAX_ROLLOUTS,
  log,
  root,
  seconds,
} from './config.js';
import type { FerryResult } from './ferry.js';
import { heapRows } from './report-heap.js';
import type { FloorResult } from './floor.js';
import type { Metrics } from './metrics.js';
import { bucketDelta, quantile } from './metrics.js';

export interface RunContext {
  /** The commit the operator was built from. */
  commit: string;
  runStart: number;
  /** Load average at the start. */
  load: string;
  serverVersion?: string;
  nodes: number;
}

/** Writes between two scrapes per install, by `VERB resource`, most first (Events included). */
function writesByResource(after: Metrics, before: Metrics | undefined, installs: number): [string, number][] {
  const out = new Map<string, number>();
  for (const s of after.samples.filter((x) => x.name === 'ferry_api_writes_total')) {
    const key = `${s.labels.verb} ${s.labels.resource ?? '?'}`;
    const base = before?.sum('ferry_api_writes_total', s.labels) ?? 0;
    if (s.value - base > 0) out.set(key, (out.get(key) ?? 0) + (s.value - base) / installs);
  }
  return [...out].sort((a, b) => b[1] - a[1]);
}
const perInstall = (list: [string, number][]) => list.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ');
const eventsAside = (list: [string, number][]) =>
  list.filter(([k]) => !k.endsWith(' events')).reduce((n, [, v]) => n + v, 0);
const ofTotal = (ms: number, total: number) => `${((ms / total) * 100).toFixed(0)} %`;

export function report(
  ferry: FerryResult,
  flat: FloorResult | undefined,
  ordered: FloorResult | undefined,
  upgradeFloor: FloorResult | undefined,
  run: RunContext,
): void {
  const { op, readyAt, readyTimes, mReady, mWindow0, mWindow1, createMs, windowMs, warnings } = ferry;
  const { cpuReady, cpuWindow0, cpuWindow1, peakRss, installsChanged, revisionsChanged } = ferry;
  const { commit, runStart, load, serverVersion } = run;
  const ferryMs = readyAt - op.spawnedAt;
  const syncedMs = readyAt - (op.syncedAt ?? op.spawnedAt);
  const reconciles = mReady.sum('ferry_reconcile_total', { kind: 'install' });
  const errors = mReady.sum('ferry_reconcile_errors_total', { kind: 'install' });
  const buckets = mReady.buckets('ferry_reconcile_duration_seconds', { kind: 'install' });
  const windowBuckets = bucketDelta(
    mWindow1.buckets('ferry_reconcile_duration_seconds', { kind: 'install' }),
    mWindow0.buckets('ferry_reconcile_duration_seconds', { kind: 'install' }),
  );
  const writesReady = mReady.sum('ferry_api_writes_total');
  const verbs = (m: Metrics, base?: Metrics) =>
    [...m.byLabel('ferry_api_writes_total', 'verb')]
      .map(([verb, n]) => [verb, n - (base?.sum('ferry_api_writes_total', { verb }) ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([verb, n]) => `${verb} ${n}`)
      .join(', ') || 'none';
  const settleWrites = mWindow0.sum('ferry_api_writes_total') - writesReady;
  const windowWrites = mWindow1.sum('ferry_api_writes_total') - mWindow0.sum('ferry_api_writes_total');
  const windowReconciles =
    mWindow1.sum('ferry_reconcile_total', { kind: 'install' }) -
    mWindow0.sum('ferry_reconcile_total', { kind: 'install' });
  const at = (q: number) => readyTimes[Math.min(readyTimes.length - 1, Math.floor(q * readyTimes.length))]!;
  const pct = (q: number) => seconds(at(q));
  // the loaded probe's writes are in the totals until all Ready
  const counted = N + (ferry.probe ? 1 : 0);
  const byResource = writesByResource(mReady, undefined, counted);
  const { probe, upgrade } = ferry;
  const perInstallKiB = ((ferry.endRss - ferry.baselineRss) * 1024) / N;

  const rows: [string, string][] = [
    [
      'AppInstalls (3 components each: 3 Deployments, 3 Services, 3 pods)',
      `${N} in ${NAMESPACES} namespaces`,
    ],
    [
      'kube-controller-manager client rate limit',
      KCM_QPS > 0
        ? `raised: ${KCM_QPS} QPS / burst ${KCM_QPS * 2} (--kcm-qps)`
        : 'stock e2e/cluster.sh: 20 QPS / burst 30 (the default)',
    ],
    [`creating the AppInstalls (POST, ${CONCURRENCY} at a time, operator not running)`, seconds(createMs)],
    ['**Ferry: operator spawned → all AppInstalls Ready**', `**${seconds(ferryMs)}**`],
    ['Ferry: caches synced → all Ready', seconds(syncedMs)],
    ['Ferry: operator spawned → caches synced', seconds((op.syncedAt ?? op.spawnedAt) - op.spawnedAt)],
    [
      'Ferry: first / median / 99th pct / last AppInstall Ready (from spawn)',
      `${seconds(readyTimes[0]!)} / ${pct(0.5)} / ${pct(0.99)} / ${seconds(readyTimes.at(-1)!)}`,
    ],
    [
      '**fairness: first / median / last AppInstall Ready, as % of the total time** (target: median ≤ 30 %)',
      `**${ofTotal(readyTimes[0]!, ferryMs)} / ${ofTotal(at(0.5), ferryMs)} / ${ofTotal(readyTimes.at(-1)!, ferryMs)}**`,
    ],
    ...(probe
      ? ([
          [
            'probe install created mid-convergence (when a quarter of the fleet was Ready): create → Ready',
            `${seconds(probe.loadedMs)} (created at ${seconds(probe.createdAtMs)}, ${probe.fleetReadyAtCreate}/${N} Ready then); its first status after ${seconds(probe.loaded.firstStatusMs)}, its rollout started after ${seconds(probe.loaded.startedMs)}`,
          ],
          [
            'the same install created on the idle operator (after the no-op window): create → Ready',
            `${seconds(probe.idleMs)} (first status ${seconds(probe.idle.firstStatusMs)}, rollout started ${seconds(probe.idle.startedMs)})`,
          ],
          ['**probe under load / idle** (target ≤ 3)', `**${(probe.loadedMs / probe.idleMs).toFixed(2)}**`],
        ] as [string, string][])
      : []),
    [
      'install reconciles until all Ready (success + error)',
      `${reconciles} (${(reconciles / N).toFixed(1)} per install; ${errors} errors)`,
    ],
    ['install reconciles / s (reconciles ÷ spawn-to-Ready time)', (reconciles / (ferryMs / 1000)).toFixed(1)],
    [
      'install reconcile duration p50 / p99 until all Ready (histogram estimate¹)',
      `${quantile(0.5, buckets)} / ${quantile(0.99, buckets)}`,
    ],
    [
      'API writes until all Ready',
      `${writesReady} (${(writesReady / N).toFixed(1)} per install: ${verbs(mReady)})`,
    ],
    [
      `**API writes per install, by verb and resource** (${counted} installs${ferry.probe ? ', the mid-load probe included' : ''})`,
      `**${eventsAside(byResource).toFixed(2)} without Events** (target ≤ 10), ${byResource.reduce((n, [, v]) => n + v, 0).toFixed(2)} with them: ${perInstall(byResource)}`,
    ],
    [
      'of which changed an AppInstall (finalizer, status) / created / changed an AppRevision (watch events)',
      `${ferry.installsModified} / ${ferry.revisionsAdded} / ${ferry.revisionsModified} (${(ferry.installsModified / N).toFixed(1)} / ${(ferry.revisionsAdded / N).toFixed(1)} / ${(ferry.revisionsModified / N).toFixed(1)} per install; the rest: 6 applies of Services and Deployments, Events, no-op applies)`,
    ],
    [
      'API writes after the last Ready, before the no-op window (settle ≤ 15 s)',
      `${settleWrites}${settleWrites ? ` (${verbs(mWindow0, mReady)})` : ''}`,
    ],
    [`no-op window (after all Ready; resync ${RESYNC} s, jittered +0–20 %)`, seconds(windowMs)],
    [
      'install reconciles in the no-op window (≥ 2 per install expected)',
      `${windowReconciles} (${(windowReconciles / N).toFixed(1)} per install)`,
    ],
    [
      'install reconcile duration p50 / p99 in the no-op window (histogram estimate¹)',
      `${quantile(0.5, windowBuckets)} / ${quantile(0.99, windowBuckets)}`,
    ],
    [
      '**API writes in the no-op window (expected 0)**',
      `**${windowWrites}**${windowWrites ? ` (${verbs(mWindow1, mWindow0)})` : ''}`,
    ],
    [
      'AppInstalls / AppRevisions whose resourceVersion changed in the window',
      `${installsChanged} / ${revisionsChanged} (of ${ferry.installsTotal} / ${ferry.revisionsTotal})`,
    ],
    [
      'operator CPU until all Ready (utime + stime)',
      `${cpuReady.toFixed(1)} s (${((cpuReady / ferryMs) * 1000 * 100).toFixed(0)} % of one core)`,
    ],
    [
      'operator CPU in the no-op window',
      `${(cpuWindow1 - cpuWindow0).toFixed(1)} s (${(((cpuWindow1 - cpuWindow0) / windowMs) * 1000 * 100).toFixed(1)} % of one core)`,
    ],
    [
      '**operator peak RSS (VmHWM)** (target ≤ 300 MiB): until the end of the no-op window / through the mass upgrade',
      `**${peakRss.toFixed(0)} MiB** / ${ferry.finalPeakRss.toFixed(0)} MiB`,
    ],
    [
      'operator RSS: empty cluster (baseline) / at the end of the no-op window (V8 heap in use then)',
      `${ferry.baselineRss.toFixed(0)} MiB / ${ferry.endRss.toFixed(0)} MiB (${ferry.endHeap.toFixed(0)} MiB)`,
    ],
    [
      'memory per install: (RSS at the end − baseline) ÷ N; projected RSS at 10,000 installs',
      `${perInstallKiB.toFixed(0)} KiB; ${(ferry.baselineRss + (perInstallKiB * 10_000) / 1024).toFixed(0)} MiB`,
    ],
    ...heapRows(ferry.baselineHeap, ferry.endHeapSummary, upgrade?.count ?? 0),
    ['operator warnings/errors logged', `${warnings.reduce((n, [, c]) => n + c, 0)}`],
  ];
  if (flat)
    rows.push([
      `**floor (unordered): first apply → all ${N * 3} Deployments rolled out**`,
      `**${seconds(flat.ms)}** (applies done at ${seconds(flat.applyMs)}; ${flat.writes} writes)`,
    ]);
  if (ordered)
    rows.push([
      '**floor (ordered: db, then api, then web per install)**',
      `**${seconds(ordered.ms)}** (${ordered.writes} writes)`,
    ]);
  if (flat) rows.push(['**ratio Ferry / floor (unordered)**', `**${(ferryMs / flat.ms).toFixed(2)}**`]);
  if (ordered)
    rows.push([
      '**ratio Ferry / floor (ordered)** (target ≤ 1.2)',
      `**${(ferryMs / ordered.ms).toFixed(2)}**`,
    ]);
  if (upgrade) {
    const up = writesByResource(upgrade.after, upgrade.before, upgrade.count);
    const q = (f: number) => upgrade.readyTimes[Math.min(upgrade.count - 1, Math.floor(f * upgrade.count))]!;
    rows.push(
      [
        `**mass upgrade: spec.version ${'1.0.0'} → 1.1.0 on ${upgrade.count} installs (patches ${CONCURRENCY} at a time, done in ${seconds(upgrade.patchMs)}): first patch → all Ready at 1.1.0**`,
        `**${seconds(upgrade.ms)}**`,
      ],
      [
        'mass upgrade: first / median / last install Ready (from the first patch; as % of the total)',
        `${seconds(upgrade.readyTimes[0]!)} / ${seconds(q(0.5))} / ${seconds(upgrade.ms)} (${ofTotal(upgrade.readyTimes[0]!, upgrade.ms)} / ${ofTotal(q(0.5), upgrade.ms)} / 100 %)`,
      ],
      [
        'mass upgrade: install reconciles; API writes per upgraded install, by verb and resource',
        `${upgrade.reconciles} (${(upgrade.reconciles / upgrade.count).toFixed(1)} per install); ${eventsAside(up).toFixed(2)} without Events, ${up.reduce((n, [, v]) => n + v, 0).toFixed(2)} with: ${perInstall(up)}`,
      ],
    );
    if (upgradeFloor)
      rows.push(
        [
          `**floor (ordered) of the upgrade: the ${upgrade.count} installs' 1.1.0 objects applied level by level**`,
          `**${seconds(upgradeFloor.ms)}** (${upgradeFloor.writes} writes)`,
        ],
        [
          '**ratio Ferry / floor, mass upgrade (ordered)**',
          `**${(upgrade.ms / upgradeFloor.ms).toFixed(2)}**`,
        ],
      );
  }

  const workers = WORKERS === undefined ? 'default' : String(WORKERS);
  const slots = MAX_ROLLOUTS === undefined ? '' : ` max-rollouts=${MAX_ROLLOUTS}`;
  const runKey = `N=${N} kcm-qps=${KCM_QPS} workers=${workers} concurrency=${CONCURRENCY}${slots}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run bench:operator -- ${process.argv.slice(2).join(' ') || '(defaults)'}`;
  const memGiB = (totalmem() / 1024 ** 3).toFixed(1);
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const block = [
    `<!-- run ${runKey} -->`,
    `### N = ${N}, ${WORKERS === undefined ? "the operator's default workers" : `${WORKERS} workers`}${MAX_ROLLOUTS === undefined ? '' : `, --max-rollouts ${MAX_ROLLOUTS}`}, floor concurrency ${CONCURRENCY}, ${KCM_QPS ? `kube-controller-manager at ${KCM_QPS} QPS` : 'stock kube-controller-manager (20 QPS)'}`,
    '',
    `- command: \`${command}\` (installs ${N}, namespaces ${NAMESPACES}, concurrency ${CONCURRENCY}, workers ${workers}, resync ${RESYNC} s)`,
    `- operator: built from ${commit} at the start of the run; date: ${date}; whole run ${seconds(performance.now() - runStart)} (build, cluster up/down included)`,
    `- machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores (${cpuModel}), ${memGiB} GiB memory, load average ${load} at start and ${loadavg()[0]!.toFixed(2)} at the end (other work on the machine shares its cores); Node ${process.versions.node}; cluster ${serverVersion ?? '?'} (e2e/cluster.sh, ${run.nodes} KWOK nodes of ${PODS_PER_NODE} pods)`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '¹ Quantiles are estimated from the cumulative buckets of `ferry_reconcile_duration_seconds{kind="install"}` (bounds 0.25 ms … 30 s; runs before 2026-11-22 had 5 ms as the lowest bound, so their no-op p50/p99 of 2.5 ms / 5.0 ms only say "≤ 5 ms") by linear interpolation inside the bucket that holds the rank.',
    ...(warnings.length
      ? [
          '',
          'Operator warnings/errors by message:',
          '',
          ...warnings.slice(0, 8).map(([m, n]) => `- ${n} × ${m}`),
        ]
      : []),
    `<!-- /run ${runKey} -->`,
  ].join('\n');
  console.log(block);
  writeResults(RESULTS, runKey, block);
  log(`results written to ${relative(root, RESULTS) || RESULTS}`);
}

/** Replaces the block of the same run key in the results file, or adds it before the notes. */
function writeResults(file: string, key: string, block: string): void {
  const header = [
    '# Operator benchmark',
    '',
    'Generated by `npm run bench:operator` (bench/operator/bench.ts); see the comment at the top of that file.',
    '',
    '## Runs',
    '',
    '<!-- runs end -->',
    '',
  ].join('\n');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : header;
  const re = new RegExp(`<!-- run ${key} -->[\\s\\S]*?<!-- /run ${key} -->`);
  if (re.test(text)) text = text.replace(re, () => block);
  else if (text.includes('<!-- runs end -->'))
    text = text.replace('<!-- runs end -->', `${block}\n\n<!-- runs end -->`);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}
