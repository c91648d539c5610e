/**
 * The console as a person runs it (`ferry console`, a child process of the built CLI) and the
 * browser that drives it: Debian's chromium (e2e/install-deps.sh) through playwright-core, never a
 * browser a tool downloads itself.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { KubeClient } from '../../src/kube/client.js';
import { repoRoot, world } from './world.js';

export const CHROMIUM = process.env.FERRY_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, and quiet on a closed network: no background connections, updates, sync or QUIC. */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run e2e/install-deps.sh (Debian's chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export class ConsoleProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly output: () => string,
  ) {}

  /** Starts `ferry console --kubeconfig K` and waits for the URL it prints. */
  static start(kubeconfig: string, timeoutMs = 30_000): Promise<ConsoleProcess> {
    const child = spawn(
      join(repoRoot, 'scripts', 'node'),
      [join(repoRoot, 'dist', 'ferry', 'main.js'), 'console', '--kubeconfig', kubeconfig],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`ferry console printed no URL within ${timeoutMs}ms:\n${text}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(text)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(new ConsoleProcess(child, url, () => text));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`ferry console exited ${code}:\n${text}`));
      });
    });
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.kill('SIGTERM');
    });
  }
}

/** A token of a ServiceAccount from the TokenRequest API. */
export async function serviceAccountToken(
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<string> {
  const res = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  return res.status.token;
}

/** A kubeconfig for the e2e cluster that authenticates with a bearer token (a person's, here). */
export function tokenKubeconfig(token: string): string {
  const admin = new KubeConfig();
  admin.loadFromFile(world.kubeconfig);
  const cluster = admin.getCurrentCluster()!;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'token', cluster: cluster.name, user: 'token' }],
    currentContext: 'token',
  });
  return config.exportConfig();
}

/** The page's document (the e2e project compiles without the DOM library). */
interface PageGlobals {
  document: { body: { innerText: string } };
  ferryMarker?: number;
}

/**
 * Waits until the page's visible text contains `text` or matches it (live updates, no reload).
 * Functions, not strings: the console's CSP forbids eval, which string expressions need.
 */
export async function waitForText(page: Page, text: string | RegExp, timeoutMs = 120_000): Promise<void> {
  const wanted = typeof text === 'string' ? { text } : { source: text.source, flags: text.flags };
  try {
    await page.waitForFunction(
      (w: { text?: string; source?: string; flags?: string }) => {
        const body = (globalThis as unknown as PageGlobals).document.body.innerText;
        return w.source !== undefined ? new RegExp(w.source, w.flags).test(body) : body.includes(w.text!);
      },
      wanted,
      { timeout: timeoutMs },
    );
  } catch (error) {
    const body = await bodyText(page).catch(() => '(page gone)');
    throw new Error(
      `${String(text)} did not appear on ${page.url()} within ${timeoutMs}ms; the page shows:\n${body}`,
      {
        cause: error,
      },
    );
  }
}

export const bodyText = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);

/** Marks the loaded document; the mark is gone when the page is loaded again. (Functions run in the page: no closures.) */
export const markPage = (page: Page, mark: number) =>
  page.evaluate((m) => void ((globalThis as unknown as PageGlobals).ferryMarker = m), mark);
export const pageMark = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).ferryMarker);
