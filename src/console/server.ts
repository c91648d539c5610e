import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferryRef } from '../kube/client.js';
import { approveAction, installAction, rollbackAction, upgradeAction } from './actions.js';
import { showError } from './errors.js';
import { serveEvents } from './events.js';
import { html } from './html.js';
import { errorPanel, page } from './layout.js';
import * as routes from './routes.js';
import type { Answer, Session } from './session.js';
import { NotFound } from './session.js';
import type { Secrets } from './security.js';
import { SECURITY_HEADERS, admit, newSecrets, sameSecret, sessionCookie } from './security.js';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const ASSET_TYPES: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'ferry.svg': 'image/svg+xml',
};
const MAX_FORM_BYTES = 256 * 1024;

type Route = (s: Session, params: string[], query: URLSearchParams, form: URLSearchParams) => Promise<Answer>;

const GET: [RegExp, Route][] = [
  [/^\/templates$/, (s) => routes.templatesRoute(s)],
  [/^\/templates\/([^/]+)\/install$/, (s, [app], q) => routes.installFormRoute(s, app!, q)],
  [/^\/installs$/, (s, _, q) => routes.installsRoute(s, q)],
  [/^\/installs\/([^/]+)\/([^/]+)$/, (s, [ns, name]) => routes.installRoute(s, ns!, name!)],
  [/^\/installs\/([^/]+)\/([^/]+)\/upgrade$/, (s, [ns, name]) => routes.upgradeChooseRoute(s, ns!, name!)],
  [/^\/installs\/([^/]+)\/([^/]+)\/history$/, (s, [ns, name]) => routes.historyRoute(s, ns!, name!)],
  [
    /^\/installs\/([^/]+)\/([^/]+)\/rollback$/,
    (s, [ns, name], q) => routes.rollbackPreviewRoute(s, ns!, name!, q),
  ],
  [
    /^\/upgrades\/([^/]+)\/([^/]+)$/,
    (s, [ns, name], q) => routes.upgradeRoute(s, ns!, name!, { done: q.get('done') ?? undefined }),
  ],
  [/^\/rollbacks\/([^/]+)\/([^/]+)$/, (s, [ns, name]) => routes.rollbackRoute(s, ns!, name!)],
  [/^\/markets$/, (s) => routes.marketsRoute(s)],
];

const POST: [RegExp, Route][] = [
  [/^\/templates\/([^/]+)\/install$/, (s, [app], _, f) => installAction(s, app!, f)],
  [/^\/installs\/([^/]+)\/([^/]+)\/upgrade$/, (s, [ns, name], _, f) => upgradeAction(s, ns!, name!, f)],
  [/^\/upgrades\/([^/]+)\/([^/]+)\/approve$/, (s, [ns, name], _, f) => approveAction(s, ns!, name!, f)],
  [/^\/installs\/([^/]+)\/([^/]+)\/rollback$/, (s, [ns, name], _, f) => rollbackAction(s, ns!, name!, f)],
];

export interface ConsoleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the console on 127.0.0.1 (port 0: any free one); the URL carries the access token. */
export async function startConsole(
  session: Session,
  port = 0,
  secrets: Secrets = newSecrets(),
): Promise<ConsoleServer> {
  session.page.csrf = secrets.csrf;
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  server.on('request', (req, res) => {
    handle(session, secrets, bound, req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(
          res,
          500,
          page(session.page, {
            title: 'Error',
            section: 'installs',
            body: html`${errorPanel(showError('Show the page', error))}`,
          }),
        );
      else res.end();
    });
  });
  return {
    url: `http://127.0.0.1:${bound}/?token=${secrets.token}`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  s: Session,
  secrets: Secrets,
  port: number,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const verdict = admit(
    {
      method: req.method ?? 'GET',
      host: header('host'),
      origin: header('origin'),
      secFetchSite: header('sec-fetch-site'),
      cookie: header('cookie'),
      queryToken: url.searchParams.get('token') ?? undefined,
      contentType: header('content-type'),
    },
    port,
    secrets,
  );
  if (!verdict.ok) return send(res, verdict.status, verdict.message, 'text/plain; charset=utf-8');
  if (verdict.fromUrl) {
    url.searchParams.delete('token');
    const target = url.pathname === '/' ? '/templates' : `${url.pathname}${url.search}`;
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      'Set-Cookie': sessionCookie(port, secrets.token),
      Location: target,
    });
    return res.end();
  }
  const pathname = url.pathname;
  if (req.method === 'GET' && pathname.startsWith('/assets/')) return asset(res, pathname.slice(8));
  if (req.method === 'GET' && pathname === '/') return redirect(res, '/templates');
  if (req.method === 'GET' && pathname === '/events') {
    const ns = url.searchParams.get('ns') ?? undefined;
    const refs = url.searchParams.get('markets')
      ? [ferryRef('AppMarket')]
      : ['AppInstall', 'AppUpgrade', 'AppRollback', 'AppRevision'].map((k) => ferryRef(k, ns));
    return serveEvents(s.client, req, res, refs);
  }
  const table = req.method === 'POST' ? POST : req.method === 'GET' ? GET : [];
  const match = table.map(([re, route]) => [re.exec(pathname), route] as const).find(([m]) => m);
  if (!match) return send(res, 404, notFound(s, `No page at ${pathname}`));
  const params = match[0]!.slice(1).map((p) => decodeURIComponent(p));
  let form = new URLSearchParams();
  if (req.method === 'POST') {
    form = new URLSearchParams(await body(req));
    if (!sameSecret(form.get('_csrf') ?? undefined, secrets.csrf))
      return send(
        res,
        403,
        'the form is stale or foreign (CSRF check): reload the page',
        'text/plain; charset=utf-8',
      );
  }
  try {
    const answer = await match[1](s, params, url.searchParams, form);
    if ('redirect' in answer) return redirect(res, answer.redirect);
    return send(res, answer.status ?? 200, answer.html);
  } catch (error) {
    if (error instanceof NotFound) return send(res, 404, notFound(s, error.message));
    throw error;
  }
}

const notFound = (s: Session, message: string) =>
  page(s.page, {
    title: 'Not found',
    section: 'installs',
    body: html`<p>${message}</p>
      <p><a href="/installs">Installs</a></p>`,
  });

function send(res: http.ServerResponse, status: number, text: string, type = 'text/html; charset=utf-8') {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function redirect(res: http.ServerResponse, location: string) {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: location });
  res.end();
}

async function asset(res: http.ServerResponse, name: string) {
  const type = ASSET_TYPES[name];
  if (!type) return send(res, 404, 'no such asset', 'text/plain; charset=utf-8');
  const content = await readFile(join(ASSETS, name));
  res.writeHead(200, { ...SECURITY_HEADERS, 'Cache-Control': 'private, max-age=300', 'Content-Type': type });
  res.end(content);
}

async function body(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
