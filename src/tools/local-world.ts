/**
 * The e2e scripts (e2e/cluster.sh, registry.sh, tools.sh, ...) driven from a tool: each `up` is
 * remembered so that `downAll` stops exactly what was started, newest first. Shared by the demo and
 * the Helm benchmark.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2e = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'e2e');

/** The value of the last `KEY=value` line a script printed. */
export function lastValue(output: string, key: string): string {
  const line = output
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`expected a ${key}= line in:\n${output}`);
  return line.slice(key.length + 1);
}

export class LocalWorld {
  private readonly started: { script: string; dir: string }[] = [];

  constructor(private readonly work: string) {}

  /** Runs e2e/<script>; its stderr goes to ours, its stdout is returned. */
  sh(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync('bash', [join(e2e, script), ...args], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }

  /** `<script> up <work>/<name> [args…]` and the value of its `KEY=` line. */
  up(script: string, name: string, key: string, env?: NodeJS.ProcessEnv, args: string[] = []): string {
    const dir = join(this.work, name);
    this.started.push({ script, dir });
    return lastValue(this.sh(script, ['up', dir, ...args], env), key);
  }

  /** The last line a script printed (tools.sh and tools-helm.sh print their bin dir). */
  binDir(script: string): string {
    return this.sh(script, []).trim().split('\n').pop()!;
  }

  /** `<script> down <dir>` for everything started, newest first; keeps going past failures. */
  downAll(): void {
    for (const { script, dir } of this.started.splice(0).reverse()) {
      try {
        this.sh(script, ['down', dir]);
      } catch {
        // keep tearing down the rest
      }
    }
  }

  /** What `downAll` would run, for a person to run later (`--keep`). */
  downCommands(): string[] {
    return this.started.map((s) => `bash e2e/${s.script} down ${s.dir}`);
  }
}
