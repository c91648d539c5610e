import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Prober } from './prober.js';

/** A server whose answer the test switches: a version string, an error status, or silence. */
async function server() {
  const state = { mode: 'v1' as string };
  const srv = http.createServer((_req, res) => {
    if (state.mode === 'hang') return;
    if (state.mode === '503') {
      res.statusCode = 503;
      return res.end('not ready');
    }
    res.end(`${state.mode}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/version`;
  return { state, url, close: () => new Promise((r) => srv.close(r)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Prober', () => {
  it('counts requests, failures (status and timeout) and when each answer was first and last seen', async () => {
    const s = await server();
    const prober = new Prober(s.url, { intervalMs: 10, timeoutMs: 100 });
    await sleep(150);
    s.state.mode = '503';
    await sleep(60);
    s.state.mode = 'hang';
    await sleep(150);
    s.state.mode = 'v2';
    await sleep(150);
    const report = await prober.stop();
    s.close();

    expect(report.answers.map((a) => a.body)).toEqual(['v1', 'v2']);
    const [v1, v2] = report.answers;
    expect(v1!.last).toBeLessThan(v2!.first);
    expect(report.failures.length).toBeGreaterThanOrEqual(2);
    expect(report.failures.some((f) => f.status === 503 && f.error === 'not ready')).toBe(true);
    expect(report.failures.some((f) => f.error === 'timed out')).toBe(true);
    expect(report.requests).toBe(v1!.count + v2!.count + report.failures.length);
  });

  it('reports what it saw so far without stopping', async () => {
    const s = await server();
    const prober = new Prober(s.url, { intervalMs: 10 });
    await sleep(80);
    const early = prober.snapshot();
    s.state.mode = 'v2';
    await sleep(80);
    const report = await prober.stop();
    await s.close();
    expect(early.answers.map((a) => a.body)).toEqual(['v1']);
    expect(early.requests).toBeGreaterThan(0);
    expect(report.requests).toBeGreaterThan(early.requests);
    expect(report.answers.map((a) => a.body)).toEqual(['v1', 'v2']);
  });

  it('reports a refused connection as a failure', async () => {
    const s = await server();
    await s.close();
    const prober = new Prober(s.url, { intervalMs: 10 });
    await sleep(50);
    const report = await prober.stop();
    expect(report.requests).toBeGreaterThan(0);
    expect(report.failures).toHaveLength(report.requests);
    expect(report.failures[0]!.error).toMatch(/ECONNREFUSED/);
  });
});
