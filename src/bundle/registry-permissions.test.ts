import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest } from './digest.js';
import { RegistryError } from './errors.js';
import type { Credentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';
import type { TestImage } from '../testing/bundle/images.js';
import { buildImage, pushImage, randomLayer } from '../testing/bundle/images.js';
import type { LocalRegistry } from '../testing/bundle/registry.js';
import { marketPermissionsPolicy, startRegistry } from '../testing/bundle/registry.js';

/**
 * Permissions for real: docker-registry behind the e2e token server (e2e/go/tokenserver, built by
 * e2e/tools.sh tokenserver on first use) with a pull-only user, a publisher of one app and an admin.
 * Ferry's client must get what each may do and, when refused, say which scope is missing, without
 * a password or a token in any message or log.
 */
describe('RegistryClient against a token-auth registry with real permissions', () => {
  const { policy, passwords } = marketPermissionsPolicy();
  let registry: LocalRegistry;
  let reg: string;
  let image: TestImage;
  const clients: RegistryClient[] = [];
  const messages: string[] = [];

  const client = (user: keyof typeof passwords | undefined, password?: string) => {
    const credentials: Credentials | undefined = user
      ? { username: user, password: password ?? passwords[user] }
      : undefined;
    const c = new RegistryClient(reg, { plainHttp: true, credentials, retries: 1, backoffMs: 10 });
    clients.push(c);
    return c;
  };

  /** The RegistryError a call fails with (kept to check for secrets at the end). */
  async function refusal(call: Promise<unknown>): Promise<RegistryError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryError);
    messages.push((error as Error).message);
    return error as RegistryError;
  }

  beforeAll(async () => {
    registry = startRegistry({ token: policy });
    reg = registry.address;
    image = buildImage([await randomLayer(3000)]);
    await pushImage(client('admin'), 'market/shop', '1.0', image);
  });

  afterAll(() => {
    for (const c of clients) c.close();
    registry?.stop();
  });

  it('reader pulls from the market but cannot push: Ferry names the missing scope', async () => {
    const reader = client('reader');
    expect((await reader.getManifest('market/shop', '1.0')).digest).toBe(image.manifest.digest);
    expect(await reader.getSmallBlob('market/shop', image.configDigest, image.config.length)).toEqual(
      image.config,
    );

    const data = randomBytes(500);
    const blob = await refusal(reader.pushBlob('market/shop', sha256Digest(data), data.length, data));
    expect(blob.message).toBe(
      `push to ${reg}/market/shop refused: the credentials for ${reg} lack "repository:market/shop:push" (the token server granted "pull"; POST /v2/market/shop/blobs/uploads/ answered 401)`,
    );
    expect(blob.status).toBe(401);
    const manifest = await refusal(reader.putManifest('market/shop', '2.0', image.manifest));
    expect(manifest.message).toBe(
      `push to ${reg}/market/shop refused: the credentials for ${reg} lack "repository:market/shop:push" (the token server granted "pull"; PUT /v2/market/shop/manifests/2.0 answered 401)`,
    );
    const outside = await refusal(reader.headManifest('private/app', '1.0'));
    expect(outside.message).toBe(
      `pull from ${reg}/private/app refused: the credentials for ${reg} lack "repository:private/app:pull" (the token server granted nothing; HEAD /v2/private/app/manifests/1.0 answered 401)`,
    );
  });

  it('shop-publisher pushes its app and below it, not another app', async () => {
    const publisher = client('shop-publisher');
    const own = buildImage([await randomLayer(2000)]);
    await pushImage(publisher, 'market/shop', '1.1', own);
    await pushImage(publisher, 'market/shop/images/x', 'v1', own);
    expect(await publisher.headManifest('market/shop/images/x', 'v1')).toBe(own.manifest.digest);
    // pull on the whole market: mounting from the app's own repository into a sub-repository works
    const layer = image.layers[0]!.descriptor;
    expect(
      await publisher.pushBlob('market/shop/images/y', layer.digest, layer.size, image.layers[0]!.bytes, {
        mountFrom: ['market/shop'],
      }),
    ).toEqual({ bytes: 0, mountedFrom: 'market/shop' });

    const other = await refusal(pushImage(publisher, 'market/other', '1.0', own));
    expect(other.message).toBe(
      `push to ${reg}/market/other refused: the credentials for ${reg} lack "repository:market/other:push" (the token server granted "pull"; POST /v2/market/other/blobs/uploads/ answered 401)`,
    );
    const mount = await refusal(publisher.mountBlob('market/other', layer.digest, 'market/shop'));
    expect(mount.message).toContain(
      `push to ${reg}/market/other refused: the credentials for ${reg} lack "repository:market/other:push" (the token server granted "repository:market/other:pull", "repository:market/shop:pull";`,
    );
    expect(await client('admin').headManifest('market/other', '1.0')).toBeUndefined();
  });

  it('admin pushes anywhere', async () => {
    const admin = client('admin');
    await pushImage(admin, 'market/other', '1.0', image);
    await pushImage(admin, 'elsewhere/app', '1.0', image);
    expect(await admin.headManifest('elsewhere/app', '1.0')).toBe(image.manifest.digest);
  });

  it('says a wrong password was rejected, and what anonymous access lacks', async () => {
    const wrong = await refusal(
      client('shop-publisher', 'not-the-password').headManifest('market/shop', '1.0'),
    );
    expect(wrong.message).toBe(
      `${reg}: the token service ${registry.tokenRealm} rejected the credentials (401: authentication failed); check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json`,
    );
    expect(wrong.status).toBe(401);
    const anonymous = await refusal(client(undefined).getManifest('market/shop', '1.0'));
    expect(anonymous.message).toBe(
      `pull from ${reg}/market/shop refused: anonymous access to ${reg} lacks "repository:market/shop:pull" (the token server granted nothing; GET /v2/market/shop/manifests/1.0 answered 401); pass --username/--password, set FERRY_REGISTRY_USERNAME/PASSWORD, or log in with docker`,
    );
  });

  it('never puts a password or a token in a message or a log, and asks the token server a bounded number of times', () => {
    expect(messages.length).toBeGreaterThanOrEqual(7);
    const logs = readdirSync(join(registry.dir, 'logs')).map((f) =>
      readFileSync(join(registry.dir, 'logs', f), 'utf8'),
    );
    for (const text of [...messages, ...logs]) {
      for (const password of Object.values(passwords)) expect(text).not.toContain(password);
      expect(text).not.toMatch(/eyJ[\w-]{10,}|Bearer \S|Basic \S/);
    }
    const tokenLog = logs.find((l) => l.includes('[tokenserver]'))!;
    expect(tokenLog).toContain(
      'user="reader" requested=[repository:market/shop:pull,push] granted=[repository:market/shop:pull]',
    );
    // each refused push asked for its token at most twice (the first answer and one re-authentication)
    const otherPushes = tokenLog
      .split('\n')
      .filter((l) => l.includes('user="shop-publisher" requested=[repository:market/other:pull,push]'));
    expect(otherPushes.length).toBeGreaterThan(0);
    expect(otherPushes.length).toBeLessThanOrEqual(3);
  });
});
