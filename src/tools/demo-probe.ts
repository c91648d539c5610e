/** The demo's live view of a change on the real node: a prober's counters and the moment /version flips. */
import { sleep } from '../util/sleep.js';
import { Prober } from './prober.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const clock = () => new Date().toISOString().slice(11, 19);

/** Waits until `url` answers 2xx three times in a row (a new Service takes a moment to be routed). */
export async function waitServing(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let streak = 0; streak < 3;) {
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    streak = ok ? streak + 1 : 0;
    await sleep(200);
  }
}

/**
 * Runs `change` while a Prober requests `url` every 50 ms; prints a counter line every 3 s, a line
 * when the answer changes, and a summary at the end (after a settle time past the old pods' preStop).
 */
export async function probed(what: string, url: string, change: () => Promise<void>): Promise<void> {
  await waitServing(url);
  const prober = new Prober(url, { intervalMs: 50 });
  let served = '';
  const tick = setInterval(() => {
    const now = prober.snapshot();
    const current = [...now.answers].sort((a, b) => b.last - a.last)[0]?.body ?? '-';
    if (current !== served && served) console.log(`${clock()}   [probe] ${what} now answers ${current}`);
    served = current;
    console.log(
      `${clock()}   [probe] ${what}: ${now.requests} requests, ${now.failures.length} failed, serving ${current}`,
    );
  }, 3000);
  try {
    await change();
    await sleep(8000);
  } finally {
    clearInterval(tick);
  }
  const report = await prober.stop();
  const answers = report.answers
    .map((a) => `${a.body} ×${a.count} (${(a.first / 1000).toFixed(1)}–${(a.last / 1000).toFixed(1)} s)`)
    .join(', ');
  console.log(
    bold(
      `${what}: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(0)} s, ` +
        `${report.failures.length} failed; answers: ${answers}`,
    ),
  );
}
