import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256Digest } from './digest.js';
import { RegistryError } from './errors.js';
import { dockerConfigCredentials, parseChallenge, resolveCredentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { startRegistry } from '../testing/bundle/registry.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('WWW-Authenticate and credentials', () => {
  it('parses a Bearer challenge with quoted, comma-separated parameters', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
    expect(parseChallenge('Basic realm="x"').scheme).toBe('basic');
  });

  it('reads docker config.json auths (auth and username/password forms) and prefers flags, then env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-docker-config-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://reg.example:5000': { auth: Buffer.from('alice:s3:cret').toString('base64') },
          'other.example': { username: 'bob', password: 'pw' },
        },
      }),
    );
    const file = join(dir, 'config.json');
    expect(dockerConfigCredentials('reg.example:5000', file)).toEqual({
      username: 'alice',
      password: 's3:cret',
    });
    expect(dockerConfigCredentials('other.example', file)).toEqual({ username: 'bob', password: 'pw' });
    expect(dockerConfigCredentials('unknown.example', file)).toBeUndefined();
    const env = { DOCKER_CONFIG: dir } as NodeJS.ProcessEnv;
    expect(resolveCredentials('other.example', {}, env)).toEqual({ username: 'bob', password: 'pw' });
    expect(
      resolveCredentials(
        'other.example',
        {},
        { ...env, FERRY_REGISTRY_USERNAME: 'e', FERRY_REGISTRY_PASSWORD: 'p' },
      ),
    ).toEqual({
      username: 'e',
      password: 'p',
    });
    expect(resolveCredentials('other.example', { username: 'f', password: 'g' }, env)).toEqual({
      username: 'f',
      password: 'g',
    });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('RegistryClient against a real registry', () => {
  let registry: LocalRegistry;
  let client: RegistryClient;
  beforeAll(() => {
    registry = startRegistry();
    client = new RegistryClient(registry.address, { plainHttp: true, chunkSize: 64 * 1024 });
  });
  afterAll(() => {
    client?.close();
    registry?.stop();
  });

  it('pushes a blob in chunks from a stream, HEADs it, streams it back verified, and re-push moves 0 bytes', async () => {
    const data = randomBytes(300 * 1024 + 17);
    const digest = sha256Digest(data);
    const first = await client.pushBlob(
      't/chunked',
      digest,
      data.length,
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    );
    expect(first.bytes).toBe(data.length);
    expect(await client.headBlob('t/chunked', digest)).toBe(data.length);
    expect((await readAll(await client.getBlob('t/chunked', digest, data.length))).equals(data)).toBe(true);
    expect((await client.pushBlob('t/chunked', digest, data.length, data)).bytes).toBe(0);
  });

  it('mounts a blob across repositories without moving bytes', async () => {
    const data = randomBytes(1000);
    const digest = sha256Digest(data);
    await client.pushBlob('t/from', digest, data.length, data);
    expect(await client.headBlob('t/to', digest)).toBeUndefined();
    expect(await client.pushBlob('t/to', digest, data.length, data, { mountFrom: ['t/from'] })).toEqual({
      bytes: 0,
      mountedFrom: 't/from',
    });
    expect(await client.headBlob('t/to', digest)).toBe(1000);
  });

  it('pushes and fetches manifests by tag and digest', async () => {
    const image = buildImage([await randomLayer(2000), await randomLayer(3000)]);
    await pushImage(client, 't/image', 'v1', image);
    const byTag = await client.getManifest('t/image', 'v1');
    expect(byTag.digest).toBe(image.manifest.digest);
    expect(byTag.mediaType).toBe(image.manifest.mediaType);
    expect(await client.headManifest('t/image', image.manifest.digest)).toBe(image.manifest.digest);
    expect(await client.headManifest('t/image', 'missing')).toBeUndefined();
  });

  it('fails a blob stream whose bytes do not match the expected size', async () => {
    const data = randomBytes(5000);
    const digest = sha256Digest(data);
    await client.pushBlob('t/size', digest, data.length, data);
    await expect(readAll(await client.getBlob('t/size', digest, 4999))).rejects.toThrow(
      /more than the expected 4999 bytes/,
    );
  });

  it('refuses a push whose bytes do not match the digest', async () => {
    const data = randomBytes(100);
    await expect(client.pushBlob('t/bad', sha256Digest('other'), 100, data)).rejects.toThrow(RegistryError);
    expect(await client.headBlob('t/bad', sha256Digest('other'))).toBeUndefined();
  });

  it('retries 5xx answers and connection resets with backoff', async () => {
    let failures = 0;
    const proxy = http.createServer((req, res) => {
      if (req.method === 'HEAD' && failures < 2) {
        failures++;
        if (failures === 1) req.socket.destroy();
        else res.writeHead(503).end();
        return;
      }
      const upstream = http.request(
        {
          host: registry.address.split(':')[0],
          port: Number(registry.address.split(':')[1]),
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const flaky = new RegistryClient(`127.0.0.1:${(proxy.address() as AddressInfo).port}`, {
      plainHttp: true,
      backoffMs: 10,
    });
    try {
      const data = randomBytes(64);
      await client.pushBlob('t/retry', sha256Digest(data), 64, data);
      expect(await flaky.headBlob('t/retry', sha256Digest(data))).toBe(64);
      expect(failures).toBe(2);
    } finally {
      flaky.close();
      proxy.close();
    }
  });
});

describe('RegistryClient auth and TLS', () => {
  let registry: LocalRegistry;
  beforeAll(() => {
    registry = startRegistry({ auth: 'ferry:secret', tls: true });
  });
  afterAll(() => registry?.stop());

  it('uses basic credentials over TLS with a custom CA', async () => {
    const client = new RegistryClient(registry.address, {
      caFile: registry.caFile,
      credentials: { username: 'ferry', password: 'secret' },
    });
    try {
      const data = randomBytes(128);
      expect((await client.pushBlob('t/auth', sha256Digest(data), 128, data)).bytes).toBe(128);
      expect(await client.headBlob('t/auth', sha256Digest(data))).toBe(128);
    } finally {
      client.close();
    }
  });

  it('says what to do without credentials, with wrong ones, and without the CA', async () => {
    const anonymous = new RegistryClient(registry.address, { caFile: registry.caFile });
    await expect(anonymous.ping()).rejects.toThrow(/--username\/--password/);
    anonymous.close();
    const wrong = new RegistryClient(registry.address, {
      caFile: registry.caFile,
      credentials: { username: 'ferry', password: 'nope' },
    });
    await expect(wrong.ping()).rejects.toThrow(/401/);
    wrong.close();
    const untrusted = new RegistryClient(registry.address, { retries: 0 });
    await expect(untrusted.ping()).rejects.toThrow(/--ca-file/);
    untrusted.close();
  });
});
