import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../util/sleep.js';
import { sha256Digest } from './digest.js';
import { RegistryClient } from './registry-client.js';

/** libtrust's key ID, which distribution matches against the JWT `kid` header. */
function libtrustKeyId(publicKeyDer: Buffer): string {
  const hash = createHash('sha256').update(publicKeyDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i < bits.length; i += 5)
    encoded += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return encoded.match(/.{4}/g)!.join(':');
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/**
 * Bearer token auth against a real docker-registry configured for token auth, with a small token
 * service here that checks basic credentials and signs JWTs the registry verifies.
 */
describe('RegistryClient with Bearer token auth', () => {
  let dir: string;
  let registry: ChildProcess;
  let tokenServer: http.Server;
  let address: string;
  const tokenRequests: { scopes: string[]; user: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-token-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=ferry-token-test',
      ],
      { stdio: 'ignore' },
    );
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    const kid = libtrustKeyId(createPublicKey(key).export({ type: 'spki', format: 'der' }));

    tokenServer = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const auth = req.headers.authorization ?? '';
      const [user, password] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':');
      if (user !== 'ferry' || password !== 'secret') {
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      const scopes = url.searchParams.getAll('scope');
      tokenRequests.push({ scopes, user });
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }));
      const claims = b64url(
        JSON.stringify({
          iss: 'ferry-test-issuer',
          sub: user,
          aud: url.searchParams.get('service'),
          exp: now + 300,
          nbf: now - 10,
          iat: now,
          jti: randomBytes(8).toString('hex'),
          access: scopes.map((s) => {
            const [type, name, actions] = s.split(':');
            return { type, name, actions: actions!.split(',') };
          }),
        }),
      );
      const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), key));
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    const realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    address = `127.0.0.1:${await freePort()}`;
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1
storage:
  filesystem:
    rootdirectory: ${dir}/data
http:
  addr: ${address}
auth:
  token:
    realm: ${realm}
    service: ferry-test
    issuer: ferry-test-issuer
    rootcertbundle: ${dir}/cert.pem
`,
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
    registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore', env });
    for (let i = 0; ; i++) {
      const up = await fetch(`http://${address}/v2/`).then(
        (r) => r.status,
        () => 0,
      );
      if (up === 401) break;
      if (i > 100) throw new Error('docker-registry with token auth did not start');
      await sleep(100);
    }
  }, 30_000);

  afterAll(async () => {
    registry?.kill('SIGTERM');
    await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the challenge with a token for the scopes each call needs, and reuses it', async () => {
    const client = new RegistryClient(address, {
      plainHttp: true,
      credentials: { username: 'ferry', password: 'secret' },
    });
    try {
      const data = randomBytes(4096);
      const digest = sha256Digest(data);
      expect((await client.pushBlob('team/app', digest, data.length, data)).bytes).toBe(4096);
      expect(await client.headBlob('team/app', digest)).toBe(4096);
      expect(await client.mountBlob('team/other', digest, 'team/app')).toBe(true);
      expect(tokenRequests.map((r) => r.scopes.sort().join(' '))).toEqual(
        expect.arrayContaining([
          'repository:team/app:pull,push',
          'repository:team/app:pull repository:team/other:pull,push',
        ]),
      );
      const before = tokenRequests.length;
      expect(await client.headBlob('team/other', digest)).toBe(4096);
      await client.headBlob('team/other', digest);
      expect(tokenRequests.length).toBeLessThanOrEqual(before + 1);
    } finally {
      client.close();
    }
  });

  it('says to check the credentials when the token service refuses them', async () => {
    const client = new RegistryClient(address, {
      plainHttp: true,
      credentials: { username: 'ferry', password: 'wrong' },
    });
    await expect(client.headBlob('team/app', sha256Digest('x'))).rejects.toThrow(
      /token service .* rejected the credentials \(401: bad credentials\); check --username/,
    );
    client.close();
  });
});
