import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createNamespace, kube, notYet, repoRoot, waitFor, world } from '../support/world.js';
import { packBinaryImage, writeOciArchive } from './oci-image.js';

/**
 * The real node (FERRY_E2E_REAL_NODE=1 e2e/cluster.sh up): pods really run there. An image packed
 * here is pulled by digest from the local registry; Services answer from the host and from pods;
 * cluster DNS resolves Service names; a StatefulSet's local PersistentVolume keeps a file across pods; kubectl
 * logs and exec reach the kubelet.
 */

const node = () => {
  const value = process.env.FERRY_E2E_NODE;
  if (!value) throw new Error('FERRY_E2E_NODE is not set: run the e2e-realnode project (its global setup)');
  return value;
};

function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(world.bin, 'kubectl'),
      ['--kubeconfig', world.kubeconfig, ...args],
      { encoding: 'utf8', timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin!.end(input ?? '');
  });
}

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || error.message}`))
        : resolve(stdout),
    ),
  );

async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}: ${body}`);
  return body;
}

interface Pod {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { imageID: string; ready: boolean }[];
  };
}

/** The node binaries' cache dir (e2e/tools.sh node; cluster.sh built it already). */
let nodeBin = '';
let ns = '';
let image = '';
let digest = '';
const work = mkdtempSync(join(tmpdir(), 'ferry-realnode-'));

function podSpec(name: string, args: string[], extra: object = {}) {
  return {
    nodeSelector: { 'kubernetes.io/hostname': node() },
    terminationGracePeriodSeconds: 2,
    containers: [
      {
        name,
        image,
        args,
        ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        ...extra,
      },
    ],
  };
}

/** Runs `step`; a failure carries the namespace's events (sandbox, pull, mount and probe errors). */
async function withEvents<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    const events = await kubectl(['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp']).catch(
      (e: Error) => `(no events: ${e.message})`,
    );
    throw new Error(`${(error as Error).message}\nevents in ${ns}:\n${events}`, { cause: error });
  }
}

function readyPod(name: string, timeoutMs = 90_000): Promise<Pod> {
  return withEvents(
    waitFor<Pod>(
      `pod ${name} Ready on ${node()}`,
      async () => {
        const pod = JSON.parse(await kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json'])) as Pod;
        const ready = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return ready ? pod : notYet(pod.status);
      },
      { timeoutMs, intervalMs: 500 },
    ),
  );
}

beforeAll(async () => {
  nodeBin = (await run('bash', [join(repoRoot, 'e2e', 'tools.sh'), 'node'])).trim().split('\n').pop()!;
  ns = await createNamespace(kube(), 'realnode');
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('real node', () => {
  test('the node is a kubelet node (containerd) next to the 3 KWOK nodes', async () => {
    const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as {
      items: {
        metadata: { name: string; annotations?: Record<string, string> };
        status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } };
      }[];
    };
    const real = nodes.items.find((n) => n.metadata.name === node());
    expect(real?.status.nodeInfo.kubeletVersion).toBe('v1.35.8');
    expect(real?.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(real?.metadata.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
    expect(nodes.items.filter((n) => n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake')).toHaveLength(
      3,
    );
  });

  test('an image packed here twice has one digest, and the registry serves it by that digest', async () => {
    const spec = {
      reference: `${world.registry}/ferry-e2e/podtool:1`,
      path: 'podtool',
      binary: readFileSync(join(nodeBin, 'podtool')),
    };
    const first = await packBinaryImage(spec);
    const second = await packBinaryImage({ ...spec, binary: Buffer.from(spec.binary) });
    expect(second.manifest.digest).toBe(first.manifest.digest);
    expect((await packBinaryImage({ ...spec, args: ['x'] })).manifest.digest).not.toBe(first.manifest.digest);
    const archive = join(work, 'podtool.tar');
    writeOciArchive(archive, first, spec.reference);
    await run('skopeo', [
      'copy',
      '--quiet',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci-archive:${archive}`,
      `docker://${spec.reference}`,
    ]);
    digest = first.manifest.digest;
    image = `${world.registry}/ferry-e2e/podtool@${digest}`;
    const head = await fetch(`http://${world.registry}/v2/ferry-e2e/podtool/manifests/${digest}`, {
      method: 'HEAD',
      headers: { accept: first.manifest.mediaType },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(digest);
  });

  test('a Deployment pulls the image by digest and its pods go Ready on the real node', async () => {
    expect(image).not.toBe('');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: podSpec('web', ['serve', '8080', 'hello from the real node']),
        },
      },
    };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment, service] }),
    );
    await withEvents(kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']));
    const pods = JSON.parse(await kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
      items: Pod[];
    };
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).toBe(node());
      expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
      // What containerd pulled: the manifest digest packed above.
      expect(pod.status.containerStatuses?.[0]?.imageID).toBe(image);
      // The pod serves on its own IP, reachable from the host.
      expect(await httpGet(`http://${pod.status.podIP}:8080/`)).toBe(
        `hello from the real node from ${pod.metadata.name}\n`,
      );
    }
  });

  test('only kubelet manages the real node: a pod whose process fails is never Ready there', async () => {
    // KWOK, were it managing this node too, would report every pod on it Running and Ready.
    expect(image).not.toBe('');
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'failing', namespace: ns },
        spec: { ...podSpec('failing', ['no-such-command']), restartPolicy: 'Always' },
      }),
    );
    let everReady = false;
    const status = await withEvents(
      waitFor(
        'the failing container to exit 1 and be restarted by kubelet',
        async () => {
          const pod = JSON.parse(await kubectl(['-n', ns, 'get', 'pod', 'failing', '-o', 'json'])) as {
            status: {
              conditions?: { type: string; status: string }[];
              containerStatuses?: {
                restartCount: number;
                lastState?: { terminated?: { exitCode: number } };
              }[];
            };
          };
          if (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) everReady = true;
          const container = pod.status.containerStatuses?.[0];
          return container && container.restartCount >= 1 ? container : notYet(pod.status);
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      ),
    );
    expect(status.lastState?.terminated?.exitCode).toBe(1);
    expect(everReady).toBe(false);
    await kubectl(['-n', ns, 'delete', 'pod', 'failing', '--wait=false']);
  });

  test('the ClusterIP Service answers from the host and from another pod', async () => {
    const clusterIP = (
      await kubectl(['-n', ns, 'get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    expect(clusterIP).toMatch(/^10\.201\.\d+\.\d+$/);
    // Right after a rollout kube-proxy may not have the endpoints yet: retry briefly.
    const fromHost = await waitFor('the Service from the host', () => httpGet(`http://${clusterIP}/`), {
      timeoutMs: 30_000,
    });
    expect(fromHost).toMatch(/^hello from the real node from web-/);

    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client', namespace: ns, labels: { app: 'client' } },
        spec: podSpec('client', ['serve', '8080', 'client']),
      }),
    );
    await readyPod('client');
    const fromPod = await waitFor('the Service from a pod', () =>
      kubectl(['-n', ns, 'exec', 'client', '--', '/podtool', 'get', `http://${clusterIP}/`]),
    );
    expect(fromPod).toMatch(/^hello from the real node from web-/);
  });

  test('a pod resolves Services by name through cluster DNS', async () => {
    const clusterIP = (
      await kubectl(['-n', ns, 'get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    const fqdn = await kubectl([
      '-n',
      ns,
      'exec',
      'client',
      '--',
      '/podtool',
      'lookup',
      `web.${ns}.svc.cluster.local`,
    ]);
    expect(fqdn.trim()).toBe(clusterIP);
    // The short name, through the search path kubelet wrote into the pod's resolv.conf.
    const byName = await kubectl(['-n', ns, 'exec', 'client', '--', '/podtool', 'get', 'http://web/']);
    expect(byName).toMatch(/^hello from the real node from web-/);
    // A name that is no Service does not resolve.
    await expect(
      kubectl(['-n', ns, 'exec', 'client', '--', '/podtool', 'lookup', `nothing.${ns}.svc.cluster.local`]),
    ).rejects.toThrow(/no such host/);
  });

  test('a StatefulSet volume binds to a local PV on the node and its data outlives the pod', async () => {
    const record = `record-${randomBytes(8).toString('hex')}`;
    const statefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'store', namespace: ns },
      spec: {
        replicas: 1,
        serviceName: 'store',
        selector: { matchLabels: { app: 'store' } },
        template: {
          metadata: { labels: { app: 'store' } },
          spec: podSpec('store', ['serve', '8080', 'store'], {
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }),
        },
        // No storageClassName: the default class, ferry-local.
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(statefulSet));
    const first = await readyPod('store-0');
    await kubectl(['-n', ns, 'exec', 'store-0', '--', '/podtool', 'write', '/data/record.txt', record]);

    // The claim is bound to one of the node's local PVs, and the file is in that PV's directory.
    const claim = JSON.parse(await kubectl(['-n', ns, 'get', 'pvc', 'data-store-0', '-o', 'json'])) as {
      metadata: { uid: string };
      spec: { volumeName: string; storageClassName: string };
    };
    expect(claim.spec.storageClassName).toBe('ferry-local');
    const pv = JSON.parse(await kubectl(['get', 'pv', claim.spec.volumeName, '-o', 'json'])) as {
      spec: { local?: { path: string } };
    };
    const hostFile = join(pv.spec.local!.path, 'record.txt');
    expect(existsSync(hostFile) && readFileSync(hostFile, 'utf8')).toBe(record);

    // The StatefulSet controller re-creates the deleted pod; it mounts the same claim.
    await kubectl(['-n', ns, 'delete', 'pod', 'store-0', '--wait=true', '--timeout=60s']);
    const second = await readyPod('store-0');
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect(await kubectl(['-n', ns, 'get', 'pvc', 'data-store-0', '-o', 'jsonpath={.metadata.uid}'])).toBe(
      claim.metadata.uid,
    );
    expect(await kubectl(['-n', ns, 'exec', 'store-0', '--', '/podtool', 'read', '/data/record.txt'])).toBe(
      record,
    );
  });

  test('kubectl logs shows what a pod wrote', async () => {
    const marker = `/logged-${randomBytes(6).toString('hex')}`;
    await kubectl(['-n', ns, 'exec', 'client', '--', '/podtool', 'get', `http://127.0.0.1:8080${marker}`]);
    const logs = await waitFor('the request in the logs', async () => {
      const text = await kubectl(['-n', ns, 'logs', 'client']);
      return text.includes(`GET ${marker} from`) ? text : undefined;
    });
    expect(logs).toContain('serving "client" on :8080');
  });
});
