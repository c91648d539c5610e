import type http from 'node:http';
import type { KubeClient, ObjectRef } from '../kube/client.js';
import { KubeApiError, resourcePath } from '../kube/client.js';
import { sleep } from '../util/sleep.js';
import { SECURITY_HEADERS } from './security.js';

const POLL_MS = 2000;

/**
 * Server-sent events for live pages: one `change` event (debounced) whenever a watched collection
 * changes; the page then fetches itself again and swaps the parts that changed. Fed by watches with
 * the user's credentials; where a watch is refused or breaks, by polling.
 */
export function serveEvents(
  client: KubeClient,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  refs: ObjectRef[],
) {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    Connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n');
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => res.write('event: change\ndata: {}\n\n'), 150);
  };
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
  const stop = () => {
    abort.abort();
    clearInterval(heartbeat);
    clearTimeout(timer);
  };
  req.on('close', stop);
  res.on('error', stop);
  for (const ref of refs) void follow(client, ref, changed, abort.signal);
}

async function follow(client: KubeClient, ref: ObjectRef, changed: () => void, signal: AbortSignal) {
  let polling = false;
  while (!signal.aborted) {
    try {
      if (polling) {
        await sleep(POLL_MS, signal);
        if (!signal.aborted) changed();
        continue;
      }
      const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', resourcePath(ref), {
        query: { limit: 1 },
        signal,
      });
      // whatever changed between the page's render and this list is caught by one refresh now;
      // whatever changes after it, by the watch (it starts at the list's resourceVersion)
      changed();
      await client.watch(
        ref,
        list.metadata.resourceVersion,
        (event) => {
          if (event.type !== 'BOOKMARK') changed();
        },
        { signal, timeoutSeconds: 120 },
      );
    } catch (error) {
      if (signal.aborted) return;
      // refused (RBAC without watch) or unsupported: poll instead; anything else: retry the watch
      if (error instanceof KubeApiError && [403, 405].includes(error.status)) polling = true;
      else await sleep(1000, signal);
      changed();
    }
  }
}
