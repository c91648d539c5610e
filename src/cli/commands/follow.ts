import type { ComponentProgress, HookProgress } from '../../api/index.js';
import { revisionName } from '../../api/index.js';
import type { KubeClient, KubeObject, ObjectRef } from '../../kube/client.js';
import { ferryRef } from '../../kube/client.js';
import type { Output } from '../output.js';
import { sleep } from '../../util/sleep.js';

interface Followed {
  spec?: { install?: string };
  status?: { phase?: string; message?: string; components?: ComponentProgress[]; revision?: number };
}

const FINAL = new Set(['Succeeded', 'Failed', 'RolledBack']);

/**
 * Prints an AppUpgrade's or AppRollback's progress as it happens (phase changes, each component
 * starting and finishing, each hook Job of the revision it produced) until it ends or `stopAt`
 * phase is reached; returns the last phase.
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
    for (const h of await hooksOf(client, ref.namespace, object?.spec?.install, status?.revision)) {
      const key = `hook:${h.name}:${h.state}`;
      if (seen.has(key) || h.state === 'Pending') continue;
      seen.add(key);
      output.out(`${timestamp()}   ${describeHook(h)}`);
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

/** The hook Jobs of the revision a request produced; none before it started or when it is gone. */
async function hooksOf(
  client: KubeClient,
  namespace: string | undefined,
  install: string | undefined,
  revision: number | undefined,
): Promise<HookProgress[]> {
  if (!install || revision === undefined) return [];
  const object = await client.get<KubeObject & { status?: { hooks?: HookProgress[] } }>(
    ferryRef('AppRevision', namespace, revisionName(install, revision)),
  );
  return object?.status?.hooks ?? [];
}

/** `hook migrate (before level 2, api) Failed, exit code 1 — …`: one hook Job's state in a line. */
export function describeHook(h: HookProgress): string {
  const where = `${h.phase === 'Pre' ? 'before' : 'after'} level ${h.level + 1}, ${h.component}`;
  const exit = h.exitCode !== undefined ? `, exit code ${h.exitCode}` : '';
  const why = h.state === 'Failed' && h.message ? ` — ${h.message}` : '';
  return `hook ${h.name} (${where}) ${h.state}${exit}${why}`;
}
