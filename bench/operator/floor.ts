/**
 * Floor: a minimal client server-side-applies the objects Ferry would render (ownerReferences
 * dropped), C installs at a time, and waits until every Deployment has rolled out; "ordered" applies
 * level by level per install (db, then api, then web), as Ferry's rollout does.
 */
import { randomUUID } from 'node:crypto';
import { appTemplateSpecSchema } from '../../src/api/index.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import type { RenderedObject } from '../../src/model/render.js';
import { render } from '../../src/model/render.js';
import { rolloutState } from '../../src/model/rollout.js';
import { sleep } from '../../src/util/sleep.js';
import { LEVEL_OF, installName, templateObject } from './app.js';
import { CONCURRENCY, N, NAMESPACES, PODS_PER_INSTALL, VERSION } from './config.js';
import { Tracker, createNamespaces, follow, pool, retry, ssa } from './kube.js';

export interface FloorResult {
  ms: number;
  applyMs: number;
  writes: number;
  deployments: number;
}

export interface FloorOptions {
  /** The template version whose objects are applied (1.0.0; 1.1.0 for the mass upgrade). */
  version?: string;
  /** The revision number they are rendered for (1; 2 for the upgrade). */
  revision?: number;
  /** How many installs (the first ones): N, or UPGRADE for the upgrade. */
  count?: number;
}

/**
 * Applies `count` installs' objects into namespaces `prefix-*` (created when missing) and waits until
 * each of their Deployments has rolled out `revision`.
 */
export async function floor(
  client: KubeClient,
  prefix: string,
  ordered: boolean,
  { version = VERSION, revision = 1, count = N }: FloorOptions = {},
): Promise<FloorResult> {
  const spec = appTemplateSpecSchema.parse(templateObject(version).spec);
  const namespaces = Array.from({ length: Math.min(NAMESPACES, count) }, (_, k) => `${prefix}-${k}`);
  await createNamespaces(client, namespaces);
  // per install, its components' objects by level, as Ferry renders them for the revision
  const installs = Array.from({ length: count }, (_, i) => {
    const components = render({
      install: { name: installName(i), namespace: `${prefix}-${i % NAMESPACES}`, uid: randomUUID() },
      spec,
      revision,
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
    (o) =>
      (o.metadata?.namespace?.startsWith(`${prefix}-`) ?? false) &&
      o.metadata?.labels?.['ferry.dev/revision'] === String(revision),
    (o) => rolloutState(o as Parameters<typeof rolloutState>[0], revision).complete,
    count * PODS_PER_INSTALL,
    onDone,
  );
  const t0 = performance.now();
  let halt = false;
  const applying = ordered
    ? (() => {
        for (let i = 0; i < count; i++) queue.push([i, 0]);
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
    await follow(
      `floor (${prefix}, revision ${revision}) Deployments rolled out`,
      tracker,
      count * PODS_PER_INSTALL,
    );
  } finally {
    halt = true;
  }
  await applied;
  return { ms: Math.max(...tracker.doneAt.values()) - t0, applyMs, writes, deployments: tracker.doneAt.size };
}
