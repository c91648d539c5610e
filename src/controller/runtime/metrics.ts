type Labels = Record<string, string>;

const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length
    ? `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '\\$&')}"`).join(',')}}`
    : '';
};

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: string,
  ) {}
  abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join(
      '\n',
    );
  }
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  samples(): string[] {
    return [...this.values].map(([labels, v]) => `${this.name}${labels} ${v}`);
  }
}

export class Gauge extends Metric {
  private readonly values = new Map<string, () => number>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  collect(labels: Labels, read: () => number): void {
    this.values.set(labelText(labels), read);
  }
  samples(): string[] {
    return [...this.values].map(([labels, read]) => `${this.name}${labels} ${read()}`);
  }
}

/**
 * Upper bounds (seconds) of the duration histograms. A no-op reconcile takes about a millisecond, so
 * the low end is resolved to 0.25 ms: a quantile interpolated inside a 0–5 ms bucket would report
 * 2.5 ms for anything below 5 ms.
 */
export const DURATION_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export class Histogram extends Metric {
  private readonly series = new Map<
    string,
    { counts: number[]; sum: number; count: number; labels: Labels }
  >();
  constructor(
    name: string,
    help: string,
    private readonly buckets = DURATION_BUCKETS,
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0, labels };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  samples(): string[] {
    return [...this.series.values()].flatMap((s) => [
      ...this.buckets.map(
        (b, i) => `${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`,
      ),
      `${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`,
      `${this.name}_sum${labelText(s.labels)} ${s.sum}`,
      `${this.name}_count${labelText(s.labels)} ${s.count}`,
    ]);
  }
}

/** The operator's Prometheus metrics. */
export class Metrics {
  readonly reconciles = new Counter('ferry_reconcile_total', 'Reconciles by kind and result.');
  readonly reconcileErrors = new Counter('ferry_reconcile_errors_total', 'Reconciles that failed, by kind.');
  readonly reconcileDuration = new Histogram(
    'ferry_reconcile_duration_seconds',
    'Reconcile duration by kind.',
  );
  readonly queueDepth = new Gauge('ferry_workqueue_depth', 'Keys waiting in the work queue, by kind.');
  readonly installQueueDepth = new Gauge(
    'ferry_install_queue_depth',
    'AppInstall keys waiting in the work queue by priority: high (a rollout in progress, or granted a slot), normal (live changes), low (initial list, resyncs).',
  );
  readonly rollouts = new Gauge(
    'ferry_rollouts',
    'Installs holding a rollout slot (state="rolling": rolling out, or about to start) and waiting for one (state="waiting"); see --max-rollouts.',
  );
  readonly upgrades = new Counter(
    'ferry_upgrades_total',
    'Finished upgrades and rollbacks by cause and outcome.',
  );
  readonly apiWrites = new Counter(
    'ferry_api_writes_total',
    'Write requests sent to the API server (Events included), by verb and resource (e.g. appinstalls/status).',
  );
  readonly apiErrors = new Counter(
    'ferry_kube_api_errors_total',
    'API requests the server answered with an error status (403 = forbidden by RBAC), by code and verb.',
  );
  readonly isLeader = new Gauge('ferry_leader', '1 while this replica holds the leader lease.');
  readonly residentMemory = new Gauge('process_resident_memory_bytes', 'Resident set size of the process.');
  readonly heapUsed = new Gauge(
    'nodejs_heap_size_used_bytes',
    'V8 heap in use (live objects and garbage not yet collected).',
  );

  constructor() {
    this.residentMemory.collect({}, () => process.memoryUsage.rss());
    this.heapUsed.collect({}, () => process.memoryUsage().heapUsed);
  }

  render(): string {
    const all: Metric[] = [
      this.reconciles,
      this.reconcileErrors,
      this.reconcileDuration,
      this.queueDepth,
      this.installQueueDepth,
      this.rollouts,
      this.upgrades,
      this.apiWrites,
      this.apiErrors,
      this.isLeader,
      this.residentMemory,
      this.heapUsed,
    ];
    return `${all.map((m) => m.render()).join('\n')}\n`;
  }
}

/**
 * The resource a request path names, with its subresource: `/apis/ferry.dev/v1alpha1/namespaces/a/appinstalls/b/status`
 * → `appinstalls/status`, `/api/v1/namespaces/a/events` → `events`, `/api/v1/namespaces/a` → `namespaces`.
 */
export function resourceOfPath(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  if (!rest[0]) return 'unknown';
  return rest[2] ? `${rest[0]}/${rest[2]}` : rest[0];
}
