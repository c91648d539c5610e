/** The operator benchmark's options (see the comment at the top of bench.ts), constants and log. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const USAGE = `npm run bench:operator -- [--installs N] [--namespaces K] [--concurrency C] [--workers W]
  [--max-rollouts R] [--resync S] [--kcm-qps Q] [--upgrade U] [--no-probe] [--phase-timeout SECONDS] [--no-ordered-floor]
  [--no-unordered-floor] [--node-flags FLAGS] [--results FILE] [--dist DIR]
Defaults: N 500, K 10, C 4, W and R the operator's own defaults (not passed), S 15, Q 200, U 500 (capped at N;
0 skips the mass upgrade), phase timeout 900 s, results bench/operator/RESULTS.md. What it measures:
the comment at the top of bench/operator/bench.ts.`;

const { values: opts } = parseArgs({
  options: {
    installs: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string' },
    'max-rollouts': { type: 'string' },
    upgrade: { type: 'string', default: '500' },
    'no-probe': { type: 'boolean', default: false },
    resync: { type: 'string', default: '15' },
    results: { type: 'string', default: join(root, 'bench', 'operator', 'RESULTS.md') },
    dist: { type: 'string' },
    'phase-timeout': { type: 'string', default: '900' },
    'no-ordered-floor': { type: 'boolean', default: false },
    'no-unordered-floor': { type: 'boolean', default: false },
    'kcm-qps': { type: 'string', default: '200' },
    'node-flags': { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
export const HELP = opts.help;
export const N = Number(opts.installs);
export const NAMESPACES = Math.min(Number(opts.namespaces), N);
export const CONCURRENCY = Number(opts.concurrency);
/** --workers, or undefined: the operator runs with its own default (what the targets are measured at). */
export const WORKERS = opts.workers === undefined ? undefined : Number(opts.workers);
/** --max-rollouts, or undefined: the operator's own default. */
export const MAX_ROLLOUTS = opts['max-rollouts'] === undefined ? undefined : Number(opts['max-rollouts']);
export const UPGRADE = Math.min(Number(opts.upgrade), N);
export const PROBE = !opts['no-probe'];
export const RESYNC = Number(opts.resync);
export const PHASE_TIMEOUT_MS = Number(opts['phase-timeout']) * 1000;
export const ORDERED_FLOOR = !opts['no-ordered-floor'];
export const UNORDERED_FLOOR = !opts['no-unordered-floor'];
export const KCM_QPS = Number(opts['kcm-qps']);
export const RESULTS = opts.results!;
/** --node-flags: Node/V8 flags for the operator's process (space-separated), e.g. heap sizing. */
export const NODE_FLAGS = opts['node-flags']!.split(' ').filter(Boolean);
export const DIST = opts.dist;
if (!HELP)
  for (const [name, v] of Object.entries({
    N,
    NAMESPACES,
    CONCURRENCY,
    WORKERS: WORKERS ?? 1,
    RESYNC,
    UPGRADE: UPGRADE + 1,
  }))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer (got ${v})`);

export const APP = 'bench';
export const VERSION = '1.0.0';
/** The version the mass upgrade moves to: the same app with new images. */
export const UPGRADE_VERSION = '1.1.0';
/** The namespace of the probe installs (created while the fleet converges, and on the idle operator). */
export const PROBE_NAMESPACE = 'probe';
export const PODS_PER_INSTALL = 3;
export const PODS_PER_NODE = 110;

export const log = (message: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Aborted on SIGINT/SIGTERM and at the end: watches and waits stop. */
export const shutdown = new AbortController();
