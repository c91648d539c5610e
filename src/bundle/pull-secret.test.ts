import type { KubeObject } from '../kube/client.js';
import { FakeCluster } from '../testing/fake-cluster.js';
import { dockerConfigJson, ensurePullSecret } from './pull-secret.js';

const credentials = { username: 'site', password: 'pw-1' };
const options = { namespace: 'shop', name: 'site-registry', registry: 'registry.site:5000', credentials };
const config = (o: KubeObject | undefined) =>
  JSON.parse(
    Buffer.from((o as { data: Record<string, string> }).data['.dockerconfigjson']!, 'base64').toString(),
  );

describe('ensurePullSecret', () => {
  it('creates a dockerconfigjson Secret for the registry, then writes nothing while it holds the credentials', async () => {
    const cluster = new FakeCluster();
    expect(await ensurePullSecret(cluster.client, { ...options, dryRun: true })).toBe('would create');
    expect(cluster.writes).toEqual([]);
    expect(await ensurePullSecret(cluster.client, options)).toBe('created');
    const secret = cluster.get('Secret', 'shop', 'site-registry') as KubeObject & { type: string };
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(config(secret)).toEqual({
      auths: {
        'registry.site:5000': {
          username: 'site',
          password: 'pw-1',
          auth: Buffer.from('site:pw-1').toString('base64'),
        },
      },
    });
    const writes = cluster.writes.length;
    expect(await ensurePullSecret(cluster.client, options)).toBe('unchanged');
    expect(cluster.writes.length).toBe(writes);

    const rotated = { ...options, credentials: { username: 'site', password: 'pw-2' } };
    expect(await ensurePullSecret(cluster.client, { ...rotated, dryRun: true })).toBe('would update');
    expect(await ensurePullSecret(cluster.client, rotated)).toBe('updated');
    expect(config(cluster.get('Secret', 'shop', 'site-registry'))).toEqual(
      JSON.parse(dockerConfigJson('registry.site:5000', rotated.credentials)),
    );
  });

  it('refuses a Secret of that name of another type, naming it', async () => {
    const cluster = new FakeCluster();
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'site-registry', namespace: 'shop' },
      type: 'Opaque',
    } as KubeObject);
    await expect(ensurePullSecret(cluster.client, options)).rejects.toThrow(
      '--pull-secret site-registry: Secret shop/site-registry exists with type Opaque, not kubernetes.io/dockerconfigjson; choose another name or delete it',
    );
  });
});
