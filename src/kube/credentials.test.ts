import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import * as yaml from 'js-yaml';
import { loadCredentials } from './credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const made: string[] = [];
const dir = () => {
  made.push(mkdtempSync(join(tmpdir(), 'ferry-kubeconfig-')));
  return made.at(-1)!;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function kubeconfig(path: string, doc: Record<string, unknown>): string {
  writeFileSync(path, yaml.dump({ apiVersion: 'v1', kind: 'Config', ...doc }));
  return path;
}

async function applied(path?: string): Promise<https.RequestOptions> {
  const options: https.RequestOptions = { headers: { Accept: 'application/json' } };
  await loadCredentials(path).apply(options);
  return options;
}

describe('loadCredentials', () => {
  const saved = process.env.KUBECONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });

  it('reads inline client certificates, the CA and the context namespace', async () => {
    const path = kubeconfig(join(dir(), 'config'), {
      'current-context': 'admin@e2e',
      clusters: [
        {
          name: 'e2e',
          cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') },
        },
      ],
      users: [
        { name: 'admin', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } },
      ],
      contexts: [{ name: 'admin@e2e', context: { cluster: 'e2e', user: 'admin', namespace: 'shop' } }],
    });
    const credentials = loadCredentials(path);
    expect(credentials.server).toBe('https://127.0.0.1:6443');
    expect(credentials.namespace).toBe('shop');
    const options = await applied(path);
    expect([options.ca, options.cert, options.key].map(String)).toEqual(['CA', 'CERT', 'KEY']);
    expect(options.headers).toEqual({ Accept: 'application/json' }); // no Authorization
  });

  it('resolves file paths against the kubeconfig directory; a bearer token or basic auth goes in the header', async () => {
    const d = dir();
    writeFileSync(join(d, 'ca.crt'), 'CA-FILE');
    writeFileSync(join(d, 'token'), 'from-file\n');
    const doc = (user: Record<string, unknown>) => ({
      'current-context': 'c',
      clusters: [
        {
          name: 'k',
          cluster: {
            server: 'https://k:6443',
            'certificate-authority': 'ca.crt',
            'insecure-skip-tls-verify': true,
            'tls-server-name': 'kubernetes',
          },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    });
    const path = join(d, 'config');
    kubeconfig(path, doc({ tokenFile: 'token' }));
    const options = await applied(path);
    expect(String(options.ca)).toBe('CA-FILE');
    expect([options.rejectUnauthorized, options.servername]).toEqual([false, 'kubernetes']);
    expect(options.headers).toMatchObject({ Authorization: 'Bearer from-file' });
    kubeconfig(path, doc({ token: 'inline' }));
    expect((await applied(path)).headers).toMatchObject({ Authorization: 'Bearer inline' });
    kubeconfig(path, doc({ username: 'site', password: 'pw' }));
    expect((await applied(path)).headers).toMatchObject({ Authorization: `Basic ${b64('site:pw')}` });
  });

  it('merges $KUBECONFIG files like kubectl: the first current-context and the first definition of a name win', async () => {
    const d = dir();
    const first = kubeconfig(join(d, 'a'), {
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      users: [{ name: 'u', user: { token: 'first' } }],
    });
    const second = kubeconfig(join(d, 'b'), {
      'current-context': 'other',
      clusters: [{ name: 'k', cluster: { server: 'https://second:6443' } }],
      users: [{ name: 'u', user: { token: 'second' } }],
    });
    process.env.KUBECONFIG = [first, join(d, 'missing'), second].join(delimiter);
    expect(loadCredentials().server).toBe('https://second:6443');
    expect((await applied()).headers).toMatchObject({ Authorization: 'Bearer first' });
  });

  it('hands an exec plugin to @kubernetes/client-node, which runs it', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'from-exec' },
    });
    const path = kubeconfig(join(dir(), 'config'), {
      'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: 'https://k:6443' } }],
      users: [
        {
          name: 'u',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    });
    expect((await applied(path)).headers).toMatchObject({ Authorization: 'Bearer from-exec' });
  });

  it('says which kubeconfig and which name is wrong', () => {
    const d = dir();
    const path = kubeconfig(join(d, 'config'), { contexts: [] });
    expect(() => loadCredentials(path)).toThrow(`kubeconfig ${path}: no current-context`);
    kubeconfig(path, { 'current-context': 'c', contexts: [{ name: 'c', context: { cluster: 'gone' } }] });
    expect(() => loadCredentials(path)).toThrow(
      `kubeconfig ${path}: context "c" names cluster "gone", which is not defined`,
    );
    writeFileSync(path, 'clusters: [');
    expect(() => loadCredentials(path)).toThrow(new RegExp(`^kubeconfig ${path}: `));
    expect(() => loadCredentials(join(d, 'nothing-here'))).toThrow(/ENOENT/);
  });
});
