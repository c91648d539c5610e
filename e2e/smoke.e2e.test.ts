/**
 * Proves the test world is real: the Deployment controller rolls pods out on KWOK nodes, rolling
 * updates respect maxUnavailable, CRD schemas are enforced by the API server, and the OCI registry
 * stores what is pushed so skopeo reads back the same digest.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/client.js';
import { createNamespace, kube, run, waitFor, world } from './support/world.js';

type Deployment = V1Deployment & KubeObject;

describe('local cluster and registry', () => {
  let client: KubeClient;
  let namespace: string;

  beforeAll(async () => {
    client = kube();
    namespace = await createNamespace(client, 'smoke');
  });
  afterAll(async () => {
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    client.close();
  });

  const deployment = (image: string): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  });
  const ref = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' });

  it('(a) rolls a 3-replica Deployment out to Available with pods Running and Ready', async () => {
    await client.apply(deployment('nginx:1.0'));
    await waitFor('Deployment web Available', async () => {
      const d = await client.get<Deployment>(ref());
      return (
        d?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') &&
        d.status.availableReplicas === 3
      );
    });
    const pods = await client.list<V1Pod & KubeObject>(
      { apiVersion: 'v1', kind: 'Pod', namespace },
      { labelSelector: 'app=web' },
    );
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
    }
  });

  it('(b) performs a real rolling update that never drops below replicas - maxUnavailable', async () => {
    const before = await client.get<Deployment>(ref());
    const seen: number[] = [];
    const abort = new AbortController();
    const watching = client
      .watch<Deployment>(
        ref(),
        before!.metadata!.resourceVersion!,
        (e) => {
          if (e.object.metadata?.name === 'web') seen.push(e.object.status?.availableReplicas ?? 0);
        },
        { signal: abort.signal },
      )
      .catch(() => undefined);
    await client.apply(deployment('nginx:1.1'));
    await waitFor('rollout of nginx:1.1 complete', async () => {
      const d = await client.get<Deployment>(ref());
      const s = d?.status;
      return (
        s &&
        s.observedGeneration === d.metadata?.generation &&
        s.updatedReplicas === 3 &&
        s.availableReplicas === 3 &&
        s.replicas === 3
      );
    });
    abort.abort();
    await watching;
    expect(seen.length).toBeGreaterThan(2);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3 - 1);
    const sets = await client.list<V1ReplicaSet & KubeObject>(
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace },
      { labelSelector: 'app=web' },
    );
    const byImage = new Map(
      sets.items.map((rs) => [rs.spec!.template!.spec!.containers[0]!.image, rs.spec!.replicas]),
    );
    expect(byImage).toEqual(
      new Map([
        ['nginx:1.0', 0],
        ['nginx:1.1', 3],
      ]),
    );
  });

  it('(c) enforces a CRD schema in the API server', async () => {
    const error = await client
      .create({
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppTemplate',
        metadata: { name: 'demo.1.0' },
        spec: { app: 'demo', version: '1.0', components: [{ name: 'a', image: 'a:1' }] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(422);
    expect((error as KubeApiError).message).toContain('spec.version');
  });

  it('(d) stores an image in the registry that skopeo reads back with the same digest', async () => {
    const layout = ociLayoutWithOneImage();
    const target = `docker://${world.registry}/smoke/hello:1`;
    await run('skopeo', [
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci:${layout.dir}:1`,
      target,
    ]);
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', target]);
    const digest = `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
    expect(digest).toBe(layout.manifestDigest);
    const { stdout: info } = await run('skopeo', ['inspect', '--tls-verify=false', target]);
    expect(JSON.parse(info).Digest).toBe(layout.manifestDigest);
    rmSync(layout.dir, { recursive: true, force: true });
  });
});

/** A one-layer OCI image written by hand: nothing else builds images on this machine. */
function ociLayoutWithOneImage() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-smoke-oci-'));
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layer = put(Buffer.from(`layer ${Date.now()} ${Math.random()}`));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...m,
          annotations: { 'org.opencontainers.image.ref.name': '1' },
        },
      ],
    }),
  );
  return { dir, manifestDigest: m.digest };
}
