/**
 * A `ferry operator` child process, started from a build of the CLI: used by the e2e suites, the
 * operator benchmark and the demo. It waits for the operator's "started" log line, collects the log
 * lines, finds the probe port in them, and stops the process (SIGTERM, SIGKILL after a timeout).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../util/sleep.js';
import { OPERATOR_NODE_FLAGS } from '../image/node-flags.js';

/** The checkout (or package) root: this file is src/tools/ or dist/tools/. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface OperatorStartOptions {
  kubeconfig: string;
  /** Arguments after `operator --kubeconfig K --probe-address 127.0.0.1:0` (a later flag wins). */
  args?: string[];
  /** The built CLI entry; this checkout's dist/cli/main.js unless said. */
  main?: string;
  /** Node's own flags, after the image's (OPERATOR_NODE_FLAGS), before the entry. */
  nodeArgs?: string[];
  /** FERRY_LOG_LEVEL for the child; the operator's default when absent. */
  logLevel?: string;
  cwd?: string;
  /** How long to wait for the "started" line; the child is killed when it does not come. */
  timeoutMs?: number;
  /** Keep every log line in `logs` (default true; a long benchmark run turns it off). */
  keepLogs?: boolean;
  /** Called with each log line as it comes. */
  onLine?: (line: string) => void;
  /** Also write the output to this file; with `detached`, the output goes only there. */
  logFile?: string;
  /**
   * The operator may outlive this process (its own process group, output into `logFile`, which is
   * followed until it is started); call detach() to let this process exit without it.
   */
  detached?: boolean;
}

/** True for the log line that says the operator is running (or leading, with leader election). */
export const isStartedLine = (line: string) =>
  line.includes('operator started') || line.includes('became leader');

export class OperatorProcess {
  /** Every operator started and not yet known to have exited; killAll() in afterAll. */
  private static readonly running = new Set<OperatorProcess>();
  readonly logs: string[] = [];
  /** performance.now() at spawn, and when the started line came. */
  readonly spawnedAt = performance.now();
  startedAt?: number;
  probePort?: number;
  private pending = '';
  private readonly exited: Promise<void>;
  private logStream?: WriteStream;
  private follower?: NodeJS.Timeout;

  private constructor(
    readonly child: ChildProcess,
    private readonly options: OperatorStartOptions,
  ) {
    OperatorProcess.running.add(this);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        OperatorProcess.running.delete(this);
        resolve();
      }),
    );
  }

  static async start(options: OperatorStartOptions): Promise<OperatorProcess> {
    const { logFile, detached = false } = options;
    const fd = detached && logFile ? openSync(logFile, 'a') : undefined;
    const child = spawn(
      join(root, 'scripts', 'node'),
      [
        ...OPERATOR_NODE_FLAGS,
        ...(options.nodeArgs ?? []),
        options.main ?? join(root, 'dist', 'cli', 'main.js'),
        'operator',
        '--kubeconfig',
        options.kubeconfig,
        '--probe-address',
        '127.0.0.1:0',
        ...(options.args ?? []),
      ],
      {
        cwd: options.cwd ?? root,
        detached,
        stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
        env: { ...process.env, ...(options.logLevel ? { FERRY_LOG_LEVEL: options.logLevel } : {}) },
      },
    );
    const operator = new OperatorProcess(child, options);
    if (fd !== undefined) {
      closeSync(fd);
      operator.follow(logFile!);
    } else {
      if (logFile) operator.logStream = createWriteStream(logFile);
      const onData = (chunk: Buffer) => {
        operator.logStream?.write(chunk);
        operator.feed(chunk.toString('utf8'));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    }
    try {
      await operator.waitStarted(options.timeoutMs ?? 60_000);
    } catch (error) {
      await operator.kill();
      throw error;
    }
    return operator;
  }

  /** SIGKILLs every operator still running (afterAll: a test aborted by Jest leaves none behind). */
  static async killAll(): Promise<number> {
    const left = [...OperatorProcess.running];
    await Promise.all(left.map((o) => o.kill()));
    return left.length;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The operator's /metrics, as Prometheus text. */
  async metricsText(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.probePort}/metrics`)).text();
  }

  /** Sum of a metric's samples (optionally only those whose labels contain `labelText`). */
  async metric(name: string, labelText = ''): Promise<number> {
    return (await this.metricsText())
      .split('\n')
      .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labelText))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  /** Log lines at level error or fatal. */
  errors(): string[] {
    return this.logs.filter((l) => /"level":(50|60)/.test(l));
  }

  /** SIGKILL: no chance to clean up, as a crash or OOM kill. */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined && this.child.exitCode === null && !this.child.signalCode) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    await this.closeLog();
  }

  /**
   * SIGTERM and wait for a graceful exit; after `timeoutMs` (if given) SIGKILL. Returns the exit
   * code (null when a signal ended it).
   */
  async stop({ timeoutMs }: { timeoutMs?: number } = {}): Promise<number | null> {
    if (this.child.exitCode === null && !this.child.signalCode && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      const exited = this.exited.then(() => false);
      const timedOut = await (timeoutMs === undefined
        ? exited
        : Promise.race([exited, sleep(timeoutMs).then(() => true)]));
      if (timedOut) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    await this.closeLog();
    return this.child.exitCode;
  }

  /** Lets this process exit while the (detached) operator keeps running. */
  detach(): void {
    if (this.follower) clearInterval(this.follower);
    this.child.unref();
  }

  private feed(text: string): void {
    this.pending += text;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (!line) continue;
      if (this.probePort === undefined) {
        const match = /"probePort":(\d+)/.exec(line);
        if (match) this.probePort = Number(match[1]);
      }
      if (this.startedAt === undefined && isStartedLine(line)) this.startedAt = performance.now();
      if (this.options.keepLogs !== false) this.logs.push(line);
      this.options.onLine?.(line);
    }
  }

  /** Reads what the child appends to `file` (its stdout and stderr) every 50 ms while it runs. */
  private follow(file: string): void {
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    let position = 0;
    const read = () => {
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, position)) > 0; position += n)
        this.feed(buffer.toString('utf8', 0, n));
    };
    this.follower = setInterval(read, 50);
    this.follower.unref();
    void this.exited.then(() => {
      clearInterval(this.follower);
      read();
      closeSync(fd);
    });
  }

  private async waitStarted(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.startedAt === undefined) {
      if (this.child.exitCode !== null || this.child.signalCode)
        throw new Error(`operator exited ${this.child.exitCode ?? this.child.signalCode}:\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`operator did not start in ${timeoutMs} ms; last lines:\n${this.tail()}`);
      await sleep(20);
    }
  }

  private tail(): string {
    return this.options.keepLogs === false
      ? `(see ${this.options.logFile ?? 'its output'})`
      : this.logs.slice(-50).join('\n');
  }

  private async closeLog(): Promise<void> {
    const stream = this.logStream;
    this.logStream = undefined;
    if (stream) await new Promise((resolve) => stream.end(resolve));
  }
}
