/**
 * Operator benchmark (not a test): `npm run bench:operator -- [--installs N] [--namespaces K]
 * [--concurrency C] [--workers W] [--max-rollouts R] [--resync S] [--kcm-qps Q] [--upgrade U] [--no-probe]
 * [--no-ordered-floor] [--no-unordered-floor] [--phase-timeout SECONDS] [--results FILE] [--dist DIR]`. Defaults: N 500, K 10,
 * C 4, W and R not passed (the operator's own defaults: the targets are for default settings), S 15, Q 200,
 * U 500 (capped at N).
 *
 * 1. Brings up its own local cluster (e2e/cluster.sh: etcd, kube-apiserver, kube-controller-manager,
 *    kube-scheduler, kwok) in a temp dir, applies crds/ and adds enough fake KWOK Nodes for one phase's
 *    pods; tears it all down at the end, on error and on SIGINT/SIGTERM. With --kcm-qps Q > 0 (the
 *    default) the kube-controller-manager is restarted with the same arguments plus --kube-api-qps=Q:
 *    at its default of 20 QPS its deployment and replicaset controllers, not the client under test,
 *    bound how fast 3N Deployments roll out (about 0.24 s of controller time per Deployment, for Ferry
 *    and the floor alike). --kcm-qps 0 keeps the stock cluster.
 * 2. Publishes one AppTemplate `bench.1.0.0` (db <- api <- web, one replica each), measures the RSS of
 *    an operator with nothing to reconcile (the baseline), creates N AppInstalls over K namespaces (C at
 *    a time), THEN starts the operator: the measurement starts from a cold operator whose queue is full.
 * 3. Measures the time until every AppInstall is Ready (Ready=True and observedGeneration ==
 *    generation), how early installs get Ready (first / median / last as % of the total), a probe
 *    install created once a quarter of the fleet is Ready against the same install created on the idle
 *    operator later, reconciles/s and reconcile duration quantiles and API writes per install by verb
 *    and resource from the operator's /metrics, the API writes and AppInstall/AppRevision
 *    resourceVersion changes during a no-op window of more than two resync periods, the operator's CPU
 *    seconds, peak RSS and RSS at the end (memory per install = (end - baseline) / N).
 * 4. Mass upgrade (--upgrade U): publishes bench.1.1.0 (new image tags) and bumps spec.version on the
 *    first U installs, as a GitOps sync would; the time until all U are Ready at 1.1.0, and the writes.
 * 5. Floor, in the same run, after the operator is stopped: a minimal client server-side-applies the
 *    same objects (Ferry's pure render(), ownerReferences dropped) into other namespaces, C installs
 *    at a time, and waits until all Deployments have rolled out — once all at once ("unordered"), and
 *    once level by level per install, db then api then web ("ordered", what Ferry's rollout does); then
 *    the ordered floor of the upgrade: the first U installs' 1.1.0 objects (revision 2), level by level.
 *    Before each floor the previous phase's namespaces are deleted and waited for, so every phase
 *    starts in a cluster as empty as Ferry's did. --no-unordered-floor and --no-ordered-floor skip one
 *    (at N = 2,000 each takes 7–9 minutes; the ordered one with its upgrade is the long one).
 * 6. Prints a markdown table and writes it into --results (default bench/operator/RESULTS.md),
 *    replacing an earlier run with the same N, --kcm-qps, --workers, --concurrency and --max-rollouts.
 *
 * Files here: config.ts (options), cluster.ts (cluster up/down, the private build), ferry.ts (the
 * Ferry phase: fleet, probes, no-op window, mass upgrade), operator.ts (the operator process and its
 * /proc readings), floor.ts, kube.ts (apply, watch trackers, namespaces), metrics.ts (Prometheus text,
 * histogram quantiles), report.ts, app.ts.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { cleanup, cleanupOnSignals, operatorBuild, startCluster } from './cluster.js';
import {
  CONCURRENCY,
  HELP,
  N,
  ORDERED_FLOOR,
  UNORDERED_FLOOR,
  PROBE,
  PROBE_NAMESPACE,
  UPGRADE,
  UPGRADE_VERSION,
  USAGE,
  log,
  root,
  seconds,
} from './config.js';
import { runFerry } from './ferry.js';
import type { FloorResult } from './floor.js';
import { floor } from './floor.js';
import { deleteNamespaces } from './kube.js';
import { report } from './report.js';

async function main(): Promise<void> {
  const runStart = performance.now();
  const load = loadavg()[0]!.toFixed(2);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  const commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' + uncommitted changes in src/' : ''}`;
  const dist = operatorBuild();
  const { kubeconfig, client, serverVersion, nodes } = await startCluster();
  const ferry = await runFerry(client, kubeconfig, dist);

  // --- floors ------------------------------------------------------------------------------
  // each floor starts in a cluster emptied of the previous phase's objects, as Ferry's run did
  if (UNORDERED_FLOOR || ORDERED_FLOOR) {
    log("deleting Ferry's namespaces before the floors");
    await deleteNamespaces(client, 'bench', PROBE ? [PROBE_NAMESPACE] : []);
  }
  let flat: FloorResult | undefined;
  let ordered: FloorResult | undefined;
  let upgradeFloor: FloorResult | undefined;
  if (UNORDERED_FLOOR) {
    log(`floor (unordered): applying ${N} installs' objects, ${CONCURRENCY} installs at a time`);
    flat = await floor(client, 'floor', false);
    log(`floor (unordered): ${seconds(flat.ms)}`);
  }
  if (ORDERED_FLOOR) {
    if (flat) {
      log('deleting the unordered floor namespaces');
      await deleteNamespaces(client, 'floor');
    }
    log('floor (ordered, level by level per install)');
    ordered = await floor(client, 'ofloor', true);
    log(`floor (ordered): ${seconds(ordered.ms)}`);
    if (UPGRADE > 0) {
      log(
        `floor (ordered) of the mass upgrade: ${UPGRADE} installs' ${UPGRADE_VERSION} objects, level by level`,
      );
      upgradeFloor = await floor(client, 'ofloor', true, {
        version: UPGRADE_VERSION,
        revision: 2,
        count: UPGRADE,
      });
      log(`floor (ordered upgrade): ${seconds(upgradeFloor.ms)}`);
    }
  }
  client.close();

  report(ferry, flat, ordered, upgradeFloor, { commit, runStart, load, serverVersion, nodes });
}

try {
  if (HELP) console.log(USAGE);
  else {
    cleanupOnSignals();
    await main();
  }
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
