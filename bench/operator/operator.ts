/**
 * The operator under test: the shared OperatorProcess (src/tools/operator-process.ts) started from the
 * bench's private build, plus what the bench reads of it: when caches synced, warnings by message,
 * /metrics, CPU seconds and peak RSS from /proc.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HeapSummary } from '../../src/tools/heap-summary.js';
import { summarizeHeapFile } from '../../src/tools/heap-summary.js';
import { OperatorProcess } from '../../src/tools/operator-process.js';
import { sleep } from '../../src/util/sleep.js';
import { MAX_ROLLOUTS, NODE_FLAGS, RESYNC, WORKERS } from './config.js';
import { Metrics } from './metrics.js';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A warning or error line's message (and error, numbers and uids folded), for counting by kind. */
export function warningKey(text: string): string | undefined {
  const level = /"level":(\d+)/.exec(text);
  if (!level || Number(level[1]) < 40) return undefined;
  let msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? text.slice(0, 120);
  const err = /"err":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
  if (err)
    msg += `: ${err
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uid>')
      .replace(/\d+/g, 'N')
      .slice(0, 160)}`;
  return msg;
}

export class BenchOperator {
  syncedAt?: number;
  readonly warnings = new Map<string, number>();
  private process?: OperatorProcess;
  private heapDir?: string;

  /** Spawns `operator --resync RESYNC [--workers W] [--max-rollouts R]` at info level; its output goes to `logPath`. */
  async start(dist: string, kubeconfig: string, logPath: string): Promise<void> {
    // SIGUSR2 writes a heap snapshot there (heapSummary())
    this.heapDir = `${logPath}.heap`;
    mkdirSync(this.heapDir, { recursive: true });
    this.process = await OperatorProcess.start({
      main: `${dist}/cli/main.js`,
      nodeArgs: [...NODE_FLAGS, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${this.heapDir}`],
      kubeconfig,
      args: [
        '--resync',
        String(RESYNC),
        ...(WORKERS === undefined ? [] : ['--workers', String(WORKERS)]),
        ...(MAX_ROLLOUTS === undefined ? [] : ['--max-rollouts', String(MAX_ROLLOUTS)]),
      ],
      logLevel: 'info',
      logFile: logPath,
      keepLogs: false,
      onLine: (line) => this.line(line),
    });
  }

  private get running(): OperatorProcess {
    if (!this.process) throw new Error('the operator is not started');
    return this.process;
  }

  get spawnedAt(): number {
    return this.running.spawnedAt;
  }

  private line(text: string): void {
    if (this.syncedAt === undefined && text.includes('"caches synced"')) this.syncedAt = performance.now();
    const key = warningKey(text);
    if (key !== undefined) this.warnings.set(key, (this.warnings.get(key) ?? 0) + 1);
  }

  async metrics(): Promise<Metrics> {
    return new Metrics(await this.running.metricsText());
  }

  /** utime + stime of the operator's node process, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.running.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }

  /** Resident set size now (VmRSS), MiB. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.running.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
  }

  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB(): number {
    const status = readFileSync(`/proc/${this.running.pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
  }

  /**
   * The live heap, from a heap snapshot the operator writes on SIGUSR2 (V8 collects garbage first).
   * Writing it blocks the operator's event loop, so /metrics answers once the file is complete.
   * Raises the operator's RSS while it runs: read VmHWM before.
   */
  async heapSummary(): Promise<HeapSummary> {
    const dir = this.heapDir!;
    const before = new Set(readdirSync(dir));
    process.kill(this.running.pid, 'SIGUSR2');
    for (let i = 0; i < 600; i++) {
      await sleep(500);
      const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
      if (!file) continue;
      await this.metrics(); // answered after the snapshot is written
      const path = join(dir, file);
      try {
        return summarizeHeapFile(path);
      } finally {
        rmSync(path, { force: true });
      }
    }
    throw new Error(`no heap snapshot in ${dir} 300 s after SIGUSR2`);
  }

  /** SIGTERM; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    await this.process?.stop({ timeoutMs: 15_000 });
  }
}
