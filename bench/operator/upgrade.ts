/** The GitOps mass upgrade of the Ferry phase (see bench.ts, step 4). */
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import { sleep } from '../../src/util/sleep.js';
import type { Install } from './app.js';
import { benchNamespace, installName, isReady, templateObject } from './app.js';
import { CONCURRENCY, UPGRADE, UPGRADE_VERSION, VERSION, log, seconds } from './config.js';
import { Tracker, follow, pool, retry, ssa } from './kube.js';
import type { Metrics } from './metrics.js';
import type { BenchOperator } from './operator.js';

export interface UpgradeResult {
  count: number;
  /** First spec.version patch → all upgraded installs Ready at 1.1.0. */
  ms: number;
  patchMs: number;
  readyTimes: number[];
  before: Metrics;
  after: Metrics;
  reconciles: number;
}

/**
 * The GitOps mass upgrade: bench.1.1.0 published, then spec.version bumped from 1.0.0 to 1.1.0 on
 * the first UPGRADE installs (CONCURRENCY patches at a time, as a sync would); done when each is Ready
 * with status.version 1.1.0 for its new generation.
 */
export async function massUpgrade(client: KubeClient, op: BenchOperator): Promise<UpgradeResult> {
  await ssa(client, templateObject(UPGRADE_VERSION), 'ferry-bench');
  await sleep(2000); // the template's own reconcile, and availableUpgrades on every install, first
  const names = new Set(Array.from({ length: UPGRADE }, (_, i) => `${benchNamespace(i)}/${installName(i)}`));
  const upgraded = (o: Install) =>
    isReady(o) && (o.status as { version?: string } | undefined)?.version === UPGRADE_VERSION;
  const tracker = new Tracker<Install>(
    client,
    ferryRef('AppInstall'),
    (o) => names.has(`${o.metadata?.namespace}/${o.metadata?.name}`),
    upgraded,
    UPGRADE,
  );
  const before = await op.metrics();
  log(`mass upgrade: spec.version ${VERSION} -> ${UPGRADE_VERSION} on ${UPGRADE} installs`);
  const t0 = performance.now();
  await pool(
    Array.from({ length: UPGRADE }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await retry(`upgrade AppInstall ${i}`, () =>
        client.mergePatch(ferryRef('AppInstall', benchNamespace(i), installName(i)), {
          spec: { version: UPGRADE_VERSION },
        }),
      );
    },
  );
  const patchMs = performance.now() - t0;
  await follow('AppInstalls upgraded', tracker as Tracker<KubeObject>, UPGRADE, async () => {
    const m = await op.metrics();
    return `install queue ${m.sum('ferry_workqueue_depth', { queue: 'install' })}, rollouts ${m.sum('ferry_rollouts', { state: 'rolling' })} (${m.sum('ferry_rollouts', { state: 'waiting' })} waiting), writes ${m.sum('ferry_api_writes_total') - before.sum('ferry_api_writes_total')}, RSS ${op.rssMiB().toFixed(0)} MiB (peak ${op.peakRssMiB().toFixed(0)})`;
  });
  const readyTimes = [...tracker.doneAt.values()].map((t) => t - t0).sort((a, b) => a - b);
  const ms = readyTimes.at(-1)!;
  log(`mass upgrade: all ${UPGRADE} Ready at ${UPGRADE_VERSION} after ${seconds(ms)}`);
  // let the records of the last ones land before the writes are counted
  await sleep(3000);
  const after = await op.metrics();
  return {
    count: UPGRADE,
    ms,
    patchMs,
    readyTimes,
    before,
    after,
    reconciles:
      after.sum('ferry_reconcile_total', { kind: 'install' }) -
      before.sum('ferry_reconcile_total', { kind: 'install' }),
  };
}
