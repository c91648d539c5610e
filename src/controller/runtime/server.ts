import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthSource {
  healthy(): boolean;
  ready(): boolean;
  metrics(): string;
}

/** /healthz (process alive), /readyz (caches synced) and /metrics (Prometheus text format). */
export function startServer(address: string, source: HealthSource): Promise<http.Server> {
  const [host, port] = parseAddress(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (path === '/healthz') return source.healthy() ? reply(200, 'ok\n') : reply(500, 'unhealthy\n');
    if (path === '/readyz') return source.ready() ? reply(200, 'ok\n') : reply(503, 'caches not synced\n');
    if (path === '/metrics') return reply(200, source.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
    reply(404, 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export const boundPort = (server: http.Server) => (server.address() as AddressInfo).port;

function parseAddress(address: string): [string | undefined, number] {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i) : undefined;
  return [host, Number(address.slice(i + 1))];
}
