/**
 * The operator under test: the shared OperatorProcess (src/tools/operator-process.ts) started from the
 * bench's private build, plus what the bench reads of it: when caches synced, warnings by message,
 * /metrics, CPU seconds and peak RSS from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OperatorProcess } from '../../src/tools/operator-process.js';
import { MAX_ROLLOUTS, RESYNC, WORKERS } from './config.js';
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

  /** Spawns `operator --resync RESYNC [--workers W] [--max-rollouts R]` at info level; its output goes to `logPath`. */
  async start(dist: string, kubeconfig: string, logPath: string): Promise<void> {
    this.process = await OperatorProcess.start({
      main: `${dist}/cli/main.js`,
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

  /** SIGTERM; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    await this.process?.stop({ timeoutMs: 15_000 });
  }
}
