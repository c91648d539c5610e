import http from 'node:http';

export interface ProbeSample {
  /** Milliseconds since the prober started. */
  at: number;
  ok: boolean;
  status?: number;
  /** The body of a successful answer, trimmed (e.g. what /version returns). */
  body?: string;
  error?: string;
}

export interface ProbeReport {
  requests: number;
  failures: ProbeSample[];
  /** Each distinct answer in the order first seen, with when it was first and last seen. */
  answers: { body: string; first: number; last: number; count: number }[];
  durationMs: number;
}

/**
 * Requests a URL again and again (one at a time, a new one every `intervalMs`) and records every
 * answer, so a test can say how many requests failed during an upgrade and when the served version
 * flipped. A request that gets no 2xx within `timeoutMs` counts as failed.
 */
export class Prober {
  private readonly samples: ProbeSample[] = [];
  private readonly started = Date.now();
  private stopped = false;
  private readonly loop: Promise<void>;
  private readonly agent = new http.Agent({ keepAlive: false });

  constructor(
    private readonly url: string,
    private readonly options: { intervalMs?: number; timeoutMs?: number } = {},
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const interval = this.options.intervalMs ?? 50;
    while (!this.stopped) {
      const begun = Date.now();
      this.samples.push(await this.once());
      const wait = interval - (Date.now() - begun);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private once(): Promise<ProbeSample> {
    const at = Date.now() - this.started;
    return new Promise((resolve) => {
      const req = http.get(
        this.url,
        { agent: this.agent, timeout: this.options.timeoutMs ?? 1_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
            resolve({
              at,
              ok,
              status: res.statusCode,
              ...(ok ? { body: body.trim() } : { error: body.trim().slice(0, 200) }),
            });
          });
          res.on('error', (error) => resolve({ at, ok: false, error: error.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => resolve({ at, ok: false, error: error.message }));
    });
  }

  /** What was recorded so far, while the prober keeps going (e.g. for a live counter). */
  snapshot(): ProbeReport {
    return summarise(this.samples, Date.now() - this.started);
  }

  /** Stops after the request in flight and summarises everything recorded. */
  async stop(): Promise<ProbeReport> {
    this.stopped = true;
    await this.loop;
    this.agent.destroy();
    return summarise(this.samples, Date.now() - this.started);
  }
}

export function summarise(samples: readonly ProbeSample[], durationMs: number): ProbeReport {
  const answers = new Map<string, ProbeReport['answers'][number]>();
  for (const s of samples) {
    if (!s.ok || s.body === undefined) continue;
    const a = answers.get(s.body);
    if (a) {
      a.last = s.at;
      a.count++;
    } else answers.set(s.body, { body: s.body, first: s.at, last: s.at, count: 1 });
  }
  return {
    requests: samples.length,
    failures: samples.filter((s) => !s.ok),
    answers: [...answers.values()],
    durationMs,
  };
}
