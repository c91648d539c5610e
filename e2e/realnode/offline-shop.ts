/* eslint-disable @typescript-eslint/no-explicit-any -- test helpers read arbitrary object fields */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { main } from '../../src/cli/main.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import type { LocalRegistry } from '../../src/testing/bundle/registry.js';
import { startRegistry } from '../../src/testing/bundle/registry.js';
import type { ProbeReport } from '../../src/tools/prober.js';
import { pushSamples } from '../../src/tools/sample-images.js';
import type { Obj } from '../support/shop.js';
import { shopTemplate } from '../support/shop.js';
import { waitFor, world } from '../support/world.js';

/**
 * The shop delivered the offline way onto the real node's world: the sample images (built here
 * without Docker) pushed to a "vendor" registry of their own, `ferry export` of 1.0.0 and a
 * differential 2.0.0, `ferry import` of both into the world's registry (the site's, under
 * `site/`), which also creates the AppTemplates. Nothing on the site names the vendor registry.
 */
export interface OfflineShop {
  app: string;
  vendor: LocalRegistry;
  /** `HOST/site`: where the images were imported to. */
  site: string;
  work: string;
  /** What export and import printed, for the test output. */
  log: string[];
  stop(): void;
}

/** Runs the ferry CLI in-process; fails with its output unless it exits 0. */
export async function ferry(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const saved = process.env.KUBECONFIG;
  delete process.env.KUBECONFIG;
  try {
    const code = await main(args, {
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (err += `${t}\n`),
    });
    if (code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${code}:\n${err}${out}`);
    return out;
  } finally {
    if (saved !== undefined) process.env.KUBECONFIG = saved;
  }
}

export interface DeliveryOptions {
  edit1?: (spec: any) => void;
  edit2?: (spec: any) => void;
  versions?: readonly ('1.0.0' | '2.0.0')[];
  /** A site registry of its own (default: the world's, without auth) and the credentials import uses. */
  siteRegistry?: { address: string; username: string; password: string };
  /**
   * Images of this delivery's own (the same programs, other layer digests): a node that pulled the
   * shared sample images for another suite has none of them, so its pods must really pull.
   */
  ownImages?: boolean;
  /** `ferry import --pull-secret NAME --pull-secret-namespace NS`: the namespace must exist. */
  pullSecret?: { name: string; namespace: string };
}

export async function deliverShop(
  app: string,
  { edit1, edit2, versions = ['1.0.0', '2.0.0'], siteRegistry, pullSecret, ownImages }: DeliveryOptions = {},
): Promise<OfflineShop> {
  const vendor = startRegistry();
  const work = mkdtempSync(join(tmpdir(), `ferry-${app}-`));
  const log: string[] = [];
  const site = `${siteRegistry?.address ?? world.registry}/site`;
  const siteFlags = [
    ...(siteRegistry ? ['--username', siteRegistry.username, '--password', siteRegistry.password] : []),
    ...(pullSecret
      ? ['--pull-secret', pullSecret.name, '--pull-secret-namespace', pullSecret.namespace]
      : []),
  ];
  try {
    await pushSamples(`${vendor.address}/vendor`, {
      plainHttp: true,
      log: (l) => log.push(l),
      ...(ownImages ? { mtime: 86_400 } : {}),
    });
    const packages: string[] = [];
    for (const version of versions) {
      const template = shopTemplate(version, app, version === '2.0.0' ? edit2 : edit1);
      const extras = template.spec.components.flatMap((c: any) => [
        ...(c.initContainers ?? []),
        ...(c.sidecars ?? []),
      ]);
      for (const c of [...template.spec.components, ...extras, ...(template.spec.hooks ?? [])])
        c.image = c.image.replace('registry.example.com/', `${vendor.address}/vendor/`);
      const file = join(work, `${app}-${version}.yaml`);
      writeFileSync(file, yaml.dump(template));
      const pkg = join(work, `${app}-${version}.tar.zst`);
      const since = packages.length ? ['--since', packages[0]!] : [];
      log.push(
        (
          await ferry(
            'export',
            `${app}@${version}`,
            '-f',
            file,
            '-o',
            pkg,
            ...since,
            '--plain-http',
            '--quiet',
          )
        ).trim(),
      );
      packages.push(pkg);
    }
    for (const pkg of packages)
      log.push(
        (
          await ferry(
            'import',
            pkg,
            '--registry',
            site,
            '--plain-http',
            '--quiet',
            '--kubeconfig',
            world.kubeconfig,
            ...siteFlags,
          )
        ).trim(),
      );
  } catch (error) {
    vendor.stop();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    vendor,
    site,
    work,
    log,
    stop() {
      vendor.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Cordons the world's KWOK nodes (they stay for scale, but their pods never run): from now on the
 * scheduler places every pod on the real node. Idempotent; the world is this jest run's own.
 */
export async function scheduleOnRealNodeOnly(client: KubeClient): Promise<void> {
  const nodes = await client.list<Obj>({ apiVersion: 'v1', kind: 'Node' });
  const fake = nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake');
  if (!nodes.items.some((n) => n.metadata!.name === process.env.FERRY_E2E_NODE))
    throw new Error(`no real node ${process.env.FERRY_E2E_NODE} in this world: run the e2e-realnode project`);
  for (const node of fake)
    await client.mergePatch(
      { apiVersion: 'v1', kind: 'Node', name: node.metadata!.name },
      { spec: { unschedulable: true } },
    );
}

/** `http://CLUSTER-IP:PORT` of a Service: the host routes ClusterIPs into the real node's world. */
export async function serviceUrl(client: KubeClient, namespace: string, name: string): Promise<string> {
  const service = await client.get<Obj>({ apiVersion: 'v1', kind: 'Service', namespace, name });
  if (!service) throw new Error(`no Service ${namespace}/${name}`);
  return `http://${service.spec.clusterIP}:${service.spec.ports[0].port}`;
}

export async function http(url: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${response.status}: ${body}`);
  return body;
}

/**
 * Waits until `url` answers 2xx three times in a row: an install is Ready before every node's proxy
 * routes its new Service, and a Prober started earlier would count that as a failed request.
 */
export async function waitServing(url: string): Promise<void> {
  let streak = 0;
  await waitFor(
    `${url} serving`,
    async () => {
      streak = (await http(url).then(
        () => true,
        () => false,
      ))
        ? streak + 1
        : 0;
      return streak >= 3;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

export interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; image: string; imageID: string; ready: boolean }[];
  };
}

export async function pods(client: KubeClient, namespace: string, component?: string): Promise<Pod[]> {
  const list = await client.list<Pod & Obj>(
    { apiVersion: 'v1', kind: 'Pod', namespace },
    component ? { labelSelector: `ferry.dev/component=${component}` } : {},
  );
  return list.items;
}

/** How one Prober's run went, as one line for the test output and the README. */
export function describeProbe(what: string, report: ProbeReport, startedAt: number, requestAt: number) {
  const since = (ms: number) => `${((ms - (requestAt - startedAt)) / 1000).toFixed(1)} s`;
  const answers = report.answers
    .map((a) => `"${a.body}" ×${a.count} (first ${since(a.first)}, last ${since(a.last)})`)
    .join(', ');
  return (
    `${what}: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s, ` +
    `${report.failures.length} failed; answers (times from the request's creation): ${answers}`
  );
}

/** Creates the AppUpgrade `to-2` of the shop install in `namespace`, to 2.0.0. */
export async function requestUpgradeTo2(client: KubeClient, namespace: string): Promise<void> {
  await client.create({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppUpgrade',
    metadata: { name: 'to-2', namespace },
    spec: { install: 'shop', toVersion: '2.0.0' },
  } as KubeObject);
}
