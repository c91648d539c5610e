/** Kubernetes helpers of the operator benchmark: apply, pools, retries, list+watch trackers, namespaces. */
import type { KubeClient, KubeObject, ObjectRef } from '../../src/kube/client.js';
import { ferryRef, resourcePath } from '../../src/kube/client.js';
import { sleep } from '../../src/util/sleep.js';
import { CONCURRENCY, NAMESPACES, PHASE_TIMEOUT_MS, log, seconds, shutdown } from './config.js';

/** Server-side apply under the bench's own field managers (not Ferry's). */
export function ssa(client: KubeClient, obj: KubeObject, fieldManager: string): Promise<KubeObject> {
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
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function retry<T>(what: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
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
export class Tracker<T extends KubeObject> {
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
    while (!this.complete && !this.abort.signal.aborted && !shutdown.signal.aborted) {
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
        if (this.abort.signal.aborted || shutdown.signal.aborted) break;
        log(`watch ${this.ref.kind}: ${(error as Error).message}; relisting`);
        resourceVersion = undefined;
        await sleep(500);
      }
    }
  }
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
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
export async function follow(
  what: string,
  tracker: Tracker<KubeObject>,
  expected: number,
  extra?: () => Promise<string>,
) {
  const started = performance.now();
  for (;;) {
    const finished = await Promise.race([tracker.finished.then(() => true), sleep(10_000).then(() => false)]);
    if (finished && tracker.complete) return;
    if (shutdown.signal.aborted) throw new Error('interrupted');
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

/**
 * Deletes the namespaces `prefix-0…` and waits until they are gone, pods included, so the next phase
 * starts in a cluster as empty as the first one did. AppInstalls lose their finalizer first: the
 * operator that would remove it is stopped by then.
 */
export async function deleteNamespaces(
  client: KubeClient,
  prefix: string,
  extra: string[] = [],
): Promise<void> {
  const names = [...Array.from({ length: NAMESPACES }, (_, k) => `${prefix}-${k}`), ...extra];
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

export async function createNamespaces(client: KubeClient, names: string[]): Promise<void> {
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
