import http from 'node:http';
import type { KubeClient } from '../kube/client.js';
import type { ConsoleServer } from './server.js';
import { startConsole } from './server.js';

/** A client whose cluster is empty and whose writes are recorded. */
function emptyCluster(writes: unknown[]): KubeClient {
  return {
    list: async () => ({ metadata: { resourceVersion: '1' }, items: [] }),
    get: async () => undefined,
    create: async (o: unknown) => (writes.push(o), o),
    mergePatch: async (_: unknown, p: unknown) => (writes.push(p), p),
    request: async () => ({ status: { allowed: true } }),
  } as unknown as KubeClient;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

describe('the console server', () => {
  let server: ConsoleServer;
  const writes: unknown[] = [];
  const secrets = { token: 'T0KEN', csrf: 'CSRF' };

  beforeAll(async () => {
    server = await startConsole(
      {
        client: emptyCluster(writes),
        namespace: 'default',
        page: { user: 'admin', cluster: 'https://k', csrf: '', markets: false },
      },
      0,
      secrets,
    );
  });
  afterAll(() => server.close());

  const host = () => `127.0.0.1:${server.port}`;
  const cookie = () => `ferry_console_${server.port}=T0KEN`;

  it('prints a URL with the token, exchanges it for a cookie and drops it from the address', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=T0KEN`);
    const first = await get(server.port, '/?token=T0KEN', { host: host() });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/templates');
    expect(first.headers['set-cookie']).toEqual([`${cookie()}; Path=/; HttpOnly; SameSite=Strict`]);
    const page = await get(server.port, '/templates', { host: host(), cookie: cookie() });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('No AppTemplates in the cluster');
  });

  it('refuses requests without the token, from a foreign Host or Origin', async () => {
    expect((await get(server.port, '/templates', { host: host() })).status).toBe(401);
    expect(
      (await get(server.port, '/templates', { host: `evil.example:${server.port}`, cookie: cookie() }))
        .status,
    ).toBe(403);
    expect(
      (
        await get(server.port, '/templates', {
          host: host(),
          cookie: cookie(),
          origin: 'http://evil.example',
        })
      ).status,
    ).toBe(403);
  });

  it('refuses writes without the CSRF field, and makes none', async () => {
    const headers = {
      host: host(),
      cookie: cookie(),
      origin: `http://${host()}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const refused = await get(server.port, '/installs/ns/shop/rollback', headers, 'POST', 'to=1&name=rb');
    expect(refused.status).toBe(403);
    const accepted = await get(
      server.port,
      '/installs/ns/shop/rollback',
      headers,
      'POST',
      'to=1&name=rb&_csrf=CSRF',
    );
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe('/rollbacks/ns/rb');
    expect(writes).toEqual([
      {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppRollback',
        metadata: { name: 'rb', namespace: 'ns' },
        spec: { install: 'shop', toRevision: 1, pruneAddedComponents: false },
      },
    ]);
  });

  it('serves its own assets and nothing else from disk', async () => {
    const css = await get(server.port, '/assets/console.css', { host: host(), cookie: cookie() });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(
      (await get(server.port, '/assets/..%2Fserver.ts', { host: host(), cookie: cookie() })).status,
    ).toBe(404);
  });
});
