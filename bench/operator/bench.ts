/**
 * Operator benchmark (not a test): `npm run bench:operator -- [--installs N] [--namespaces K]
 * [--concurrency C] [--workers W] [--resync S] [--kcm-qps Q] [--no-ordered-floor] [--results FILE]
 * [--dist DIR]`. Defaults: N 500, K 10, C 4, W 4 (the operator's default), S 15, Q 200.
 *
 * 1. Brings up its own local cluster (e2e/cluster.sh: etcd, kube-apiserver, kube-controller-manager,
 *    kube-scheduler, kwok) in a temp dir, applies crds/ and adds enough fake KWOK Nodes for every pod;
 *    tears it all down at the end, on error and on SIGINT/SIGTERM. With --kcm-qps Q > 0 (the default)
 *    the kube-controller-manager is restarted with the same arguments plus --kube-api-qps=Q: at its
 *    default of 20 QPS its deployment and replicaset controllers, not the client under test, bound how
 *    fast 3N Deployments roll out (about 0.24 s of controller time per Deployment, for Ferry and the
 *    floor alike). --kcm-qps 0 keeps the stock cluster.
 * 2. Publishes one AppTemplate `bench.1.0.0` (db <- api <- web, one replica each) and creates N
 *    AppInstalls over K namespaces (C at a time), THEN starts the operator: the measurement starts
 *    from a cold operator whose queue is full.
 * 3. Measures the time until every AppInstall is Ready (Ready=True and observedGeneration ==
 *    generation), reconciles/s and reconcile duration quantiles from the operator's /metrics, the API
 *    writes and AppInstall/AppRevision resourceVersion changes during a no-op window of more than two
 *    resync periods, and the operator's CPU seconds and peak RSS from /proc.
 * 4. Floor, in the same run, after the operator is stopped: a minimal client server-side-applies the
 *    same objects (Ferry's pure render(), ownerReferences dropped) into other namespaces, C installs
 *    at a time, and waits until all Deployments have rolled out — once all at once ("unordered"), and
 *    once level by level per install, db then api then web ("ordered", what Ferry's rollout does).
 *    Before each floor the previous phase's namespaces are deleted and waited for, so every phase
 *    starts in a cluster as empty as Ferry's did.
 * 5. Prints a markdown table and writes it into --results (default bench/operator/RESULTS.md),
 *    replacing an earlier run with the same N, --kcm-qps, --workers and --concurrency.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { WriteStream } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { appTemplateSpecSchema } from '../../src/api/index.js';
import type { KubeObject, ObjectRef } from '../../src/kube/client.js';
import { KubeClient, ferryRef, resourcePath } from '../../src/kube/client.js';
import type { RenderedObject } from '../../src/model/render.js';
import { render } from '../../src/model/render.js';
import { rolloutState } from '../../src/model/rollout.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = join(root, 'scripts', 'node');

const { values: opts } = parseArgs({
  options: {
    installs: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string', default: '4' },
    resync: { type: 'string', default: '15' },
    results: { type: 'string', default: join(root, 'bench', 'operator', 'RESULTS.md') },
    dist: { type: 'string' },
    'phase-timeout': { type: 'string', default: '420' },
    'no-ordered-floor': { type: 'boolean', default: false },
    'kcm-qps': { type: 'string', default: '200' },
  },
});
const N = Number(opts.installs);
const NAMESPACES = Math.min(Number(opts.namespaces), N);
const CONCURRENCY = Number(opts.concurrency);
const WORKERS = Number(opts.workers);
const RESYNC = Number(opts.resync);
const PHASE_TIMEOUT_MS = Number(opts['phase-timeout']) * 1000;
const ORDERED_FLOOR = !opts['no-ordered-floor'];
const KCM_QPS = Number(opts['kcm-qps']);
for (const [name, v] of Object.entries({ N, NAMESPACES, CONCURRENCY, WORKERS, RESYNC }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer (got ${v})`);

const APP = 'bench';
const VERSION = '1.0.0';
const PODS_PER_INSTALL = 3;
const FLOORS = ORDERED_FLOOR ? 2 : 1;
const PODS_PER_NODE = 110;

const log = (message: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Processes: the cluster script, the operator, and tear-down

const work = mkdtempSync(join(tmpdir(), 'ferry-bench-operator-'));
const clusterDir = join(work, 'cluster');
let clusterUp: ChildProcess | undefined;
let clusterStarted = false;
let operator: Operator | undefined;

function runScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    clusterUp = child;
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clusterUp = undefined;
      if (code === 0) resolve(out);
      else reject(new Error(`bash ${args.join(' ')} failed (${signal ?? code})`));
    });
  });
}

let cleaning: Promise<void> | undefined;
let shuttingDown = false;
function cleanup(): Promise<void> {
  shuttingDown = true;
  cleaning ??= (async () => {
    await operator?.stop().catch(() => undefined);
    if (clusterUp) {
      // `up` still running: it stops what it started on TERM
      const exited = new Promise((r) => clusterUp?.once('exit', r));
      clusterUp.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    }
    if (clusterStarted || existsSync(clusterDir)) {
      log('tearing the cluster down');
      await new Promise((resolve) =>
        spawn('bash', [join(root, 'e2e', 'cluster.sh'), 'down', clusterDir], { stdio: 'inherit' })
          .on('exit', resolve)
          .on('error', resolve),
      );
    }
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(code));
  });
}

/** A private build of src/ (the shared dist/ may be rebuilt by someone else meanwhile). */
function operatorBuild(): string {
  if (opts.dist) return opts.dist;
  const outDir = join(root, 'node_modules', '.cache', 'ferry-bench-operator-dist');
  rmSync(outDir, { recursive: true, force: true });
  log('building the operator (tsc) into a private dist');
  try {
    execFileSync(
      join(root, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
  } catch {
    // type errors elsewhere in the tree still emit JavaScript; use it if it is there
  }
  if (!existsSync(join(outDir, 'cli', 'main.js'))) throw new Error('tsc produced no cli/main.js');
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return outDir;
}

/**
 * --kcm-qps: restarts e2e/cluster.sh's kube-controller-manager with the same arguments plus a higher
 * client rate limit (its default, 20 QPS / burst 30, is what bounds Deployment rollouts here), and
 * records the new pid in the state dir so `cluster.sh down` stops it.
 */
async function raiseControllerManagerQps(qps: number): Promise<void> {
  const pidsFile = join(clusterDir, 'pids');
  const line = readFileSync(pidsFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('kube-controller-manager '));
  const pid = Number(line?.split(' ')[1]);
  if (!pid) throw new Error('no kube-controller-manager in the cluster pids file');
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  await waitUntil('kube-controller-manager exit', async () => !existsSync(`/proc/${pid}`), 20_000);
  // started as cluster.sh starts it (setsid, in the background of a shell that exits at once), so
  // it is not the bench's child: `cluster.sh down` stops it like the other components
  const newPid = Number(
    execFileSync(
      'bash',
      [
        '-c',
        'setsid "$@" </dev/null >>"$LOG" 2>&1 & echo $!',
        '_',
        ...args,
        `--kube-api-qps=${qps}`,
        `--kube-api-burst=${qps * 2}`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, LOG: join(clusterDir, 'logs', 'kube-controller-manager.log') },
      },
    ).trim(),
  );
  appendFileSync(pidsFile, `kube-controller-manager ${newPid}\n`);
  await sleep(2000);
  if (!existsSync(`/proc/${newPid}`)) throw new Error('restarted kube-controller-manager exited');
  log(`kube-controller-manager restarted with --kube-api-qps=${qps} --kube-api-burst=${qps * 2}`);
}

class Operator {
  readonly spawnedAt = performance.now();
  syncedAt?: number;
  startedAt?: number;
  probePort?: number;
  readonly warnings = new Map<string, number>();
  private readonly logFile: WriteStream;
  private pending = '';

  constructor(
    readonly child: ChildProcess,
    logPath: string,
  ) {
    this.logFile = createWriteStream(logPath);
    const onData = (chunk: Buffer) => {
      this.logFile.write(chunk);
      this.pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) >= 0) {
        this.line(this.pending.slice(0, nl));
        this.pending = this.pending.slice(nl + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  }

  static async start(dist: string, kubeconfig: string, logPath: string): Promise<Operator> {
    const child = spawn(
      node,
      [
        join(dist, 'cli', 'main.js'),
        'operator',
        '--kubeconfig',
        kubeconfig,
        '--probe-address',
        '127.0.0.1:0',
        '--resync',
        String(RESYNC),
        '--workers',
        String(WORKERS),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'info' } },
    );
    const op = new Operator(child, logPath);
    const deadline = Date.now() + 60_000;
    while (op.startedAt === undefined || op.probePort === undefined) {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}; log: ${logPath}`);
      if (Date.now() > deadline) throw new Error(`operator did not start in 60 s; log: ${logPath}`);
      await sleep(20);
    }
    return op;
  }

  private line(text: string): void {
    if (this.probePort === undefined) {
      const m = /"probePort":(\d+)/.exec(text);
      if (m) this.probePort = Number(m[1]);
    }
    if (this.syncedAt === undefined && text.includes('"caches synced"')) this.syncedAt = performance.now();
    if (this.startedAt === undefined && text.includes('"operator started"'))
      this.startedAt = performance.now();
    const level = /"level":(\d+)/.exec(text);
    if (level && Number(level[1]) >= 40) {
      let msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? text.slice(0, 120);
      const err = /"err":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
      if (err)
        msg += `: ${err
          .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uid>')
          .replace(/\d+/g, 'N')
          .slice(0, 160)}`;
      this.warnings.set(msg, (this.warnings.get(msg) ?? 0) + 1);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  async metrics(): Promise<Metrics> {
    const res = await fetch(`http://127.0.0.1:${this.probePort}/metrics`);
    return new Metrics(await res.text());
  }

  /** utime + stime of the operator's node process, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }

  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      if ((await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) === false) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await new Promise((r) => this.logFile.end(r));
  }
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// ---------------------------------------------------------------------------------------------
// Prometheus text

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

class Metrics {
  readonly samples: Sample[] = [];
  constructor(text: string) {
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
      this.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
    }
  }
  sum(name: string, match: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
      .reduce((n, s) => n + s.value, 0);
  }
  byLabel(name: string, label: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.samples.filter((x) => x.name === name))
      out.set(s.labels[label] ?? '', (out.get(s.labels[label] ?? '') ?? 0) + s.value);
    return out;
  }
  /** Cumulative histogram buckets of `name` for the labels, [le, count] sorted by le. */
  buckets(name: string, match: Record<string, string>): [number, number][] {
    return this.samples
      .filter(
        (s) => s.name === `${name}_bucket` && Object.entries(match).every(([k, v]) => s.labels[k] === v),
      )
      .map((s) => [s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  }
}

/** Bucket counts of `after` minus `before` (a histogram of what was observed in between). */
const bucketDelta = (after: [number, number][], before: [number, number][]) =>
  after.map(([le, n]) => [le, n - (before.find((b) => b[0] === le)?.[1] ?? 0)] as [number, number]);

/**
 * Quantile from cumulative buckets by linear interpolation inside the bucket that holds the rank
 * (as Prometheus' histogram_quantile does); above the last finite bound it reports that bound.
 */
function quantile(q: number, buckets: [number, number][]): string {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (!total) return 'n/a';
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return `> ${prevLe} s`;
      const v = prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
      return v < 1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`;
    }
    prevLe = le;
    prevCount = count;
  }
  return 'n/a';
}

// ---------------------------------------------------------------------------------------------
// Kubernetes helpers

/** Server-side apply under the bench's own field managers (not Ferry's). */
function ssa(client: KubeClient, obj: KubeObject, fieldManager: string): Promise<KubeObject> {
  const ref: ObjectRef = {
    apiVersion: obj.apiVersion!,
    kind: obj.kind!,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
  };
  return client.request('PATCH', resourcePath(ref), {
    body: obj,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: true },
  });
}

/** Runs fn over items, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function retry<T>(what: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts) throw error;
      log(`${what}: ${(error as Error).message}; retrying`);
      await sleep(200 * 2 ** i);
    }
  }
}

/**
 * Follows a collection by list + watch and records when each selected object first satisfies `done`.
 * Resolves when `expected` objects have; calls onDone(key, object) at each.
 */
class Tracker<T extends KubeObject> {
  readonly doneAt = new Map<string, number>();
  /** Watch events of selected objects seen (not those folded into a list). */
  added = 0;
  modified = 0;
  private readonly abort = new AbortController();
  readonly finished: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly ref: ObjectRef,
    private readonly select: (o: T) => boolean,
    private readonly done: (o: T) => boolean,
    private readonly expected: number,
    private readonly onDone?: (key: string, o: T) => void,
  ) {
    this.finished = this.loop();
  }

  get complete(): boolean {
    return this.doneAt.size >= this.expected;
  }

  stop(): void {
    this.abort.abort();
  }

  private consider(o: T): void {
    if (!this.select(o)) return;
    const key = `${o.metadata?.namespace}/${o.metadata?.name}`;
    if (this.doneAt.has(key) || !this.done(o)) return;
    this.doneAt.set(key, performance.now());
    this.onDone?.(key, o);
    if (this.complete) this.abort.abort();
  }

  private async loop(): Promise<void> {
    let resourceVersion: string | undefined;
    while (!this.complete && !this.abort.signal.aborted && !shuttingDown) {
      try {
        if (!resourceVersion) {
          const list = await this.client.list<T>(this.ref);
          for (const o of list.items) this.consider(o);
          if (this.complete) break;
          resourceVersion = list.metadata.resourceVersion;
        }
        // resumes from the last event seen, so every change of a selected object is counted
        await this.client.watch<T>(
          this.ref,
          resourceVersion,
          (e) => {
            resourceVersion = e.object.metadata?.resourceVersion ?? resourceVersion;
            if (e.type === 'BOOKMARK' || !this.select(e.object)) return;
            if (e.type === 'ADDED') this.added++;
            if (e.type === 'MODIFIED') this.modified++;
            if (e.type !== 'DELETED') this.consider(e.object);
          },
          { signal: this.abort.signal, timeoutSeconds: 120 },
        );
      } catch (error) {
        if (this.abort.signal.aborted || shuttingDown) break;
        log(`watch ${this.ref.kind}: ${(error as Error).message}; relisting`);
        resourceVersion = undefined;
        await sleep(500);
      }
    }
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Waits for `tracker` with progress lines every 10 s; throws after the phase timeout. */
async function follow(
  what: string,
  tracker: Tracker<KubeObject>,
  expected: number,
  extra?: () => Promise<string>,
) {
  const started = performance.now();
  for (;;) {
    const finished = await Promise.race([tracker.finished.then(() => true), sleep(10_000).then(() => false)]);
    if (finished && tracker.complete) return;
    if (shuttingDown) throw new Error('interrupted');
    const elapsed = performance.now() - started;
    log(
      `${what}: ${tracker.doneAt.size}/${expected} after ${seconds(elapsed)}${extra ? `; ${await extra().catch(() => '')}` : ''}`,
    );
    if (elapsed > PHASE_TIMEOUT_MS) {
      tracker.stop();
      throw new Error(`${what}: only ${tracker.doneAt.size}/${expected} after ${seconds(elapsed)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The application

interface Condition {
  type: string;
  status: string;
}
type Install = KubeObject & {
  status?: { observedGeneration?: number; conditions?: Condition[] };
};

function templateObject(): KubeObject {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `${APP}.${VERSION}` },
    spec: {
      app: APP,
      version: VERSION,
      description: 'Benchmark application: web -> api -> db, one replica each, no volumes.',
      components: [
        {
          name: 'db',
          image: 'registry.example.com/bench/db:1.0.0',
          replicas: 1,
          ports: [{ name: 'postgres', port: 5432 }],
          env: [
            { name: 'POSTGRES_DB', value: 'bench' },
            { name: 'MAX_CONNECTIONS', value: '100' },
          ],
        },
        {
          name: 'api',
          image: 'registry.example.com/bench/api:1.0.0',
          replicas: 1,
          dependsOn: ['db'],
          ports: [{ name: 'http', port: 8080 }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'CACHE_TTL_SECONDS', value: '60' },
            { name: 'WORKERS', value: '4' },
          ],
        },
        {
          name: 'web',
          image: 'registry.example.com/bench/web:1.0.0',
          replicas: 1,
          dependsOn: ['api'],
          ports: [{ name: 'http', port: 80 }],
          env: [
            { name: 'PUBLIC_URL', value: 'http://bench.local' },
            { name: 'THEME', value: 'classic' },
          ],
        },
      ],
    },
  };
}
const LEVEL_OF: Record<string, number> = { db: 0, api: 1, web: 2 };

const installName = (i: number) => `app-${i}`;
const benchNamespace = (i: number) => `bench-${i % NAMESPACES}`;

function nodeObject(name: string): KubeObject {
  // the shape of e2e/cluster.sh nodes_manifest
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: String(PODS_PER_NODE) },
      capacity: { cpu: '32', memory: '256Gi', pods: String(PODS_PER_NODE) },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

/**
 * Deletes the namespaces `prefix-0…` and waits until they are gone, pods included, so the next phase
 * starts in a cluster as empty as the first one did. AppInstalls lose their finalizer first: the
 * operator that would remove it is stopped by then.
 */
async function deleteNamespaces(client: KubeClient, prefix: string): Promise<void> {
  const names = Array.from({ length: NAMESPACES }, (_, k) => `${prefix}-${k}`);
  const installs = (await client.list(ferryRef('AppInstall'))).items.filter((o) =>
    names.includes(o.metadata?.namespace ?? ''),
  );
  await pool(installs, CONCURRENCY, async (o) => {
    await client
      .mergePatch(ferryRef('AppInstall', o.metadata!.namespace, o.metadata!.name), {
        metadata: { finalizers: null },
      })
      .catch(() => undefined);
  });
  await pool(names, CONCURRENCY, async (name) => {
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  });
  await waitUntil(
    `namespaces ${prefix}-* deleted`,
    async () => {
      const left = (await client.list({ apiVersion: 'v1', kind: 'Namespace' })).items;
      return !left.some((n) => names.includes(n.metadata?.name ?? ''));
    },
    PHASE_TIMEOUT_MS,
  );
}

async function createNamespaces(client: KubeClient, names: string[]): Promise<void> {
  await pool(names, CONCURRENCY, async (name) => {
    await ssa(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'ferry-bench');
  });
  await pool(names, CONCURRENCY, (name) =>
    waitUntil(`ServiceAccount ${name}/default`, async () =>
      Boolean(
        await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Floor: a minimal client applying the same rendered objects

interface FloorResult {
  ms: number;
  applyMs: number;
  writes: number;
  deployments: number;
}

async function floor(client: KubeClient, prefix: string, ordered: boolean): Promise<FloorResult> {
  const spec = appTemplateSpecSchema.parse(templateObject().spec);
  const namespaces = Array.from({ length: NAMESPACES }, (_, k) => `${prefix}-${k}`);
  await createNamespaces(client, namespaces);
  // per install, its components' objects by level, as Ferry renders them for revision 1
  const installs = Array.from({ length: N }, (_, i) => {
    const components = render({
      install: { name: installName(i), namespace: `${prefix}-${i % NAMESPACES}`, uid: randomUUID() },
      spec,
      revision: 1,
      parameters: new Map(),
      overrides: [],
    });
    return components.map((c) => ({
      level: LEVEL_OF[c.name]!,
      // no AppInstall owns them here: the garbage collector would delete objects whose owner is missing
      objects: c.objects.map((o: RenderedObject) => {
        const copy = structuredClone(o) as KubeObject;
        delete copy.metadata!.ownerReferences;
        return copy;
      }),
    }));
  });
  let writes = 0;
  const applyLevel = async (i: number, level: number) => {
    for (const c of installs[i]!.filter((x) => x.level === level)) {
      for (const o of c.objects) {
        await retry(`apply ${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`, () =>
          ssa(client, o, 'ferry-bench-floor'),
        );
        writes++;
      }
    }
  };

  // ordered: a small queue of (install, level) fed by the tracker as levels finish
  const queue: [number, number][] = [];
  let wake: (() => void) | undefined;
  const onDone = (key: string, o: KubeObject) => {
    if (!ordered) return;
    const level = LEVEL_OF[o.metadata?.labels?.['ferry.dev/component'] ?? '']!;
    const i = Number(/app-(\d+)$/.exec(o.metadata?.labels?.['ferry.dev/install'] ?? key)?.[1]);
    if (level < 2) {
      queue.push([i, level + 1]);
      wake?.();
    }
  };
  const tracker = new Tracker<KubeObject>(
    client,
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    (o) => o.metadata?.namespace?.startsWith(`${prefix}-`) ?? false,
    (o) => rolloutState(o as Parameters<typeof rolloutState>[0], 1).complete,
    N * PODS_PER_INSTALL,
    onDone,
  );
  const t0 = performance.now();
  let halt = false;
  const applying = ordered
    ? (() => {
        for (let i = 0; i < N; i++) queue.push([i, 0]);
        return Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (!tracker.complete && !halt) {
              const item = queue.shift();
              if (item) await applyLevel(item[0], item[1]);
              else await Promise.race([new Promise<void>((r) => (wake = r)), sleep(200)]);
            }
          }),
        );
      })()
    : pool(
        installs.map((_, i) => i),
        CONCURRENCY,
        async (i) => {
          for (let level = 0; level < 3; level++) await applyLevel(i, level);
        },
      );
  let applyMs = NaN;
  const applied = applying.then(() => (applyMs = performance.now() - t0));
  try {
    await follow(`floor (${prefix}) Deployments rolled out`, tracker, N * PODS_PER_INSTALL);
  } finally {
    halt = true;
  }
  await applied;
  return { ms: Math.max(...tracker.doneAt.values()) - t0, applyMs, writes, deployments: tracker.doneAt.size };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runStart = performance.now();
  const load = loadavg()[0]!.toFixed(2);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  const commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' + uncommitted changes in src/' : ''}`;
  const dist = operatorBuild();

  log(`starting a cluster in ${clusterDir}`);
  clusterStarted = true;
  const up = await runScript([join(root, 'e2e', 'cluster.sh'), 'up', clusterDir]);
  const kubeconfig = /^KUBECONFIG=(.*)$/m.exec(up)?.[1];
  const bin = /^FERRY_E2E_BIN=(.*)$/m.exec(up)?.[1];
  if (!kubeconfig || !bin) throw new Error(`cluster.sh up printed no KUBECONFIG/FERRY_E2E_BIN:\n${up}`);
  const kubectl = (...args: string[]) =>
    execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const client = KubeClient.fromDefault(kubeconfig);
  if (KCM_QPS > 0) await raiseControllerManagerQps(KCM_QPS);
  const serverVersion = (
    JSON.parse(kubectl('version', '-o', 'json')) as { serverVersion?: { gitVersion?: string } }
  ).serverVersion?.gitVersion;

  log('applying crds/');
  kubectl('apply', '--server-side', '-f', join(root, 'crds'));
  kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');

  const pods = N * PODS_PER_INSTALL * (1 + FLOORS);
  const nodesNeeded = Math.ceil((pods * 1.15) / PODS_PER_NODE);
  const existing = 3; // e2e/cluster.sh's kwok-node-0..2
  const extra = Math.max(0, nodesNeeded - existing);
  log(`adding ${extra} KWOK nodes (${pods} pods, ${PODS_PER_NODE} per node)`);
  await pool(
    Array.from({ length: extra }, (_, k) => `bench-node-${k}`),
    CONCURRENCY,
    async (name) => {
      await client.create(nodeObject(name));
    },
  );
  kubectl('wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s');
  await waitUntil('node taints cleared', async () => {
    const nodes = await client.list<KubeObject & { spec?: { taints?: unknown[] } }>({
      apiVersion: 'v1',
      kind: 'Node',
    });
    return nodes.items.every((n) => !n.spec?.taints?.length);
  });

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
  operator = await Operator.start(dist, kubeconfig, join(work, 'operator.log'));
  const op = operator;
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

  // --- floors ------------------------------------------------------------------------------
  // each floor starts in a cluster emptied of the previous phase's objects, as Ferry's run did
  log("deleting Ferry's namespaces before the floors");
  await deleteNamespaces(client, 'bench');
  log(`floor (unordered): applying ${N} installs' objects, ${CONCURRENCY} installs at a time`);
  const flat = await floor(client, 'floor', false);
  log(`floor (unordered): ${seconds(flat.ms)}`);
  let ordered: FloorResult | undefined;
  if (ORDERED_FLOOR) {
    log('deleting the unordered floor namespaces');
    await deleteNamespaces(client, 'floor');
    log('floor (ordered, level by level per install)');
    ordered = await floor(client, 'ofloor', true);
    log(`floor (ordered): ${seconds(ordered.ms)}`);
  }
  client.close();

  // --- report ------------------------------------------------------------------------------
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
  const pct = (q: number) =>
    seconds(readyTimes[Math.min(readyTimes.length - 1, Math.floor(q * readyTimes.length))]!);

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
      'of which changed an AppInstall (finalizer, status) / created / changed an AppRevision (watch events)',
      `${installs.modified} / ${revisionWrites.added} / ${revisionWrites.modified} (${(installs.modified / N).toFixed(1)} / ${(revisionWrites.added / N).toFixed(1)} / ${(revisionWrites.modified / N).toFixed(1)} per install; the rest: 6 applies of Services and Deployments, Events, no-op applies)`,
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
      `${installsChanged} / ${revisionsChanged} (of ${rvAfterInstalls.size} / ${rvAfterRevisions.size})`,
    ],
    [
      'operator CPU until all Ready (utime + stime)',
      `${cpuReady.toFixed(1)} s (${((cpuReady / ferryMs) * 1000 * 100).toFixed(0)} % of one core)`,
    ],
    [
      'operator CPU in the no-op window',
      `${(cpuWindow1 - cpuWindow0).toFixed(1)} s (${(((cpuWindow1 - cpuWindow0) / windowMs) * 1000 * 100).toFixed(1)} % of one core)`,
    ],
    ['operator peak RSS (VmHWM)', `${peakRss.toFixed(0)} MiB`],
    ['operator warnings/errors logged', `${warnings.reduce((n, [, c]) => n + c, 0)}`],
    [
      `**floor (unordered): first apply → all ${N * 3} Deployments rolled out**`,
      `**${seconds(flat.ms)}** (applies done at ${seconds(flat.applyMs)}; ${flat.writes} writes)`,
    ],
  ];
  if (ordered)
    rows.push([
      '**floor (ordered: db, then api, then web per install)**',
      `**${seconds(ordered.ms)}** (${ordered.writes} writes)`,
    ]);
  rows.push(['**ratio Ferry / floor (unordered)**', `**${(ferryMs / flat.ms).toFixed(2)}**`]);
  if (ordered) rows.push(['**ratio Ferry / floor (ordered)**', `**${(ferryMs / ordered.ms).toFixed(2)}**`]);

  const runKey = `N=${N} kcm-qps=${KCM_QPS} workers=${WORKERS} concurrency=${CONCURRENCY}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run bench:operator -- ${process.argv.slice(2).join(' ') || '(defaults)'}`;
  const memGiB = (totalmem() / 1024 ** 3).toFixed(1);
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const block = [
    `<!-- run ${runKey} -->`,
    `### N = ${N}, ${WORKERS} workers, floor concurrency ${CONCURRENCY}, ${KCM_QPS ? `kube-controller-manager at ${KCM_QPS} QPS` : 'stock kube-controller-manager (20 QPS)'}`,
    '',
    `- command: \`${command}\` (installs ${N}, namespaces ${NAMESPACES}, concurrency ${CONCURRENCY}, workers ${WORKERS}, resync ${RESYNC} s)`,
    `- operator: built from ${commit} at the start of the run; date: ${date}; whole run ${seconds(performance.now() - runStart)} (build, cluster up/down included)`,
    `- machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores (${cpuModel}), ${memGiB} GiB memory, load average ${load} at start and ${loadavg()[0]!.toFixed(2)} at the end (other work on the machine shares its cores); Node ${process.versions.node}; cluster ${serverVersion ?? '?'} (e2e/cluster.sh, ${existing + extra} KWOK nodes of ${PODS_PER_NODE} pods)`,
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
  writeResults(opts.results!, runKey, block);
  log(`results written to ${relative(root, opts.results!) || opts.results}`);
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

try {
  await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
