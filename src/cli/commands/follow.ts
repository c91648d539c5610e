import type { ComponentProgress } from '../../api/index.js';
import type { KubeClient, KubeObject, ObjectRef } from '../../kube/client.js';
import type { Output } from '../output.js';
import { sleep } from '../../util/sleep.js';

interface Followed {
  status?: { phase?: string; message?: string; components?: ComponentProgress[] };
}

const FINAL = new Set(['Succeeded', 'Failed', 'RolledBack']);

/**
 * Prints an AppUpgrade's or AppRollback's progress as it happens (phase changes, each component
 * starting and finishing) until it ends or `stopAt` phase is reached; returns the last phase.
 */
export async function follow(
  client: KubeClient,
  ref: ObjectRef,
  output: Output,
  { stopAt = [] as string[], timeoutMs = 3_600_000, pollMs = 500 } = {},
): Promise<string> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  let lastPhase = '';
  while (Date.now() < deadline) {
    const object = await client.get<Followed & KubeObject>(ref);
    const status = object?.status;
    for (const c of status?.components ?? []) {
      const key = `${c.name}:${c.state}`;
      if (seen.has(key) || c.state === 'Pending') continue;
      seen.add(key);
      const detail = c.state === 'Failed' ? ` — ${c.message}` : '';
      output.out(`${timestamp()}   level ${c.level + 1}  ${c.name.padEnd(16)} ${c.state}${detail}`);
    }
    if (status?.phase && status.phase !== lastPhase) {
      lastPhase = status.phase;
      output.out(
        `${timestamp()} ${ref.kind} ${ref.name}: ${status.phase}${status.message ? ` — ${status.message}` : ''}`,
      );
    }
    if (FINAL.has(lastPhase) || stopAt.includes(lastPhase)) return lastPhase;
    await sleep(pollMs);
  }
  throw new Error(`${ref.kind} ${ref.name} did not finish within ${timeoutMs / 1000}s`);
}

const timestamp = () => new Date().toISOString().slice(11, 19);
