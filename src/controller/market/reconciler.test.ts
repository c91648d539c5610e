import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppMarket, AppTemplate } from '../../api/index.js';
import { exportPackage } from '../../bundle/export.js';
import { RegistryClient } from '../../bundle/registry-client.js';
import { emptyIndex, parseMarketUrl } from '../../market/format.js';
import { pushPackage } from '../../market/push.js';
import { MarketStore } from '../../market/store.js';
import { buildImage, pushImage, randomLayer } from '../../testing/bundle/images.js';
import type { LocalRegistry } from '../../testing/bundle/registry.js';
import { startRegistry } from '../../testing/bundle/registry.js';
import { fakeContext } from '../../testing/fake-cluster.js';
import { reconcileMarket } from './reconciler.js';

let registry: LocalRegistry;
let client: RegistryClient;
let dir: string;
const acme = generateKeyPairSync('ed25519').privateKey;

function template(version: string, image: string, replicas = 1): AppTemplate {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `shop.${version}` },
    spec: { app: 'shop', version, components: [{ name: 'web', image, replicas }] },
  } as unknown as AppTemplate;
}

async function push(prefix: string, version: string, replicas = 1): Promise<void> {
  const image = buildImage([await randomLayer(1024)]);
  await pushImage(client, 'vendor/web', version, image);
  const output = join(dir, `${prefix}-${version}-${replicas}.tar`);
  await exportPackage({
    templates: [template(version, `${registry.address}/vendor/web:${version}`, replicas)],
    output,
    clientFor: () => client,
  });
  const store = new MarketStore(client, parseMarketUrl(`${registry.address}/${prefix}`));
  await pushPackage({ store, packageFile: output, signKey: acme });
  const index = (await store.readIndex()) ?? emptyIndex();
  index.apps.shop = { listed: true, changedAt: '2026-01-01T00:00:00Z' };
  await store.writeIndex(index);
}

const market = (prefix: string, spec: Record<string, unknown> = {}) =>
  ({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppMarket',
    metadata: { name: prefix },
    spec: { url: `${registry.address}/${prefix}`, plainHttp: true, interval: '10m', ...spec },
  }) as unknown as AppMarket;

beforeAll(() => {
  registry = startRegistry();
  client = new RegistryClient(registry.address, { plainHttp: true });
  dir = mkdtempSync(join(tmpdir(), 'ferry-market-sync-'));
});
afterAll(() => {
  client?.close();
  registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('reconcileMarket', () => {
  it('syncs, then writes nothing and reads no registry until due; a due sync with nothing new only refreshes lastSyncTime', async () => {
    await push('one', '1.0.0');
    const { ctx, cluster, advance } = fakeContext();
    cluster.seed(market('one'));
    expect(await reconcileMarket(ctx, 'one')).toEqual({ requeueAfterMs: 600_000 });
    expect(cluster.writeLines()).toEqual(['create AppTemplate/shop.1.0.0', 'apply AppMarket/one/status']);
    const created = cluster.get<AppTemplate>('AppTemplate', undefined, 'shop.1.0.0')!;
    expect(created.spec.components[0]!.image).toMatch(
      new RegExp(`^${registry.address}/one/shop/vendor/web@sha256:[a-f0-9]{64}$`),
    );
    const status = cluster.get<AppMarket>('AppMarket', undefined, 'one')!.status!;
    expect(status.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'MarketSynced',
    });
    expect(status.apps![0]).toMatchObject({
      name: 'shop',
      listed: true,
      publisher: expect.stringMatching(/^sha256:/),
    });

    cluster.writes.length = 0;
    advance(60_000);
    expect(await reconcileMarket(ctx, 'one')).toEqual({ requeueAfterMs: 540_000 });
    expect(cluster.writeLines()).toEqual([]);

    advance(540_000);
    await reconcileMarket(ctx, 'one');
    expect(cluster.writeLines()).toEqual(['apply AppMarket/one/status']);
    const after = cluster.get<AppMarket>('AppMarket', undefined, 'one')!.status!;
    expect({ ...after, lastSyncTime: '' }).toEqual({ ...status, lastSyncTime: '' });
  });

  it('a credentials Secret must be labelled for markets; the message names it, never its contents', async () => {
    const { ctx, cluster } = fakeContext();
    cluster.seed(market('one', { secretRef: { name: 'creds' } }));
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: 'ferry-system' },
      type: 'kubernetes.io/basic-auth',
      data: {
        username: Buffer.from('robot').toString('base64'),
        password: Buffer.from('s3cret').toString('base64'),
      },
    } as never);
    await reconcileMarket(ctx, 'one');
    const status = cluster.get<AppMarket>('AppMarket', undefined, 'one')!.status!;
    const ready = status.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'MarketSecretInvalid' });
    expect(ready.message).toContain(
      'Secret ferry-system/creds is not labelled ferry.dev/market-credentials=true',
    );
    expect(JSON.stringify(status)).not.toMatch(/s3cret|robot/);
  });

  it('an unreachable market keeps what was synced, says why, and retries with backoff', async () => {
    const { ctx, cluster, advance } = fakeContext();
    cluster.seed(market('one', { url: '127.0.0.1:1/one' }));
    cluster.seed({
      ...market('one', { url: '127.0.0.1:1/one' }),
      status: { lastSyncTime: '2025-12-31T00:00:00Z', apps: [{ name: 'shop', listed: true }] },
    } as never);
    expect(await reconcileMarket(ctx, 'one')).toEqual({ requeueAfterMs: 5000 });
    const status = cluster.get<AppMarket>('AppMarket', undefined, 'one')!.status!;
    expect(status.apps).toEqual([{ name: 'shop', listed: true }]);
    expect(status.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'MarketUnreachable'],
      ['Reconciling', 'True', 'MarketUnreachable'],
    ]);
    cluster.writes.length = 0;
    advance(5000);
    expect(await reconcileMarket(ctx, 'one')).toEqual({ requeueAfterMs: 10_000 });
    expect(cluster.writeLines()).toEqual([]); // the same failure again: nothing new to write
  });
});
