/**
 * Helm side by side (issue 16; not a test): `npm run bench:helm -- [--rounds R] [--kwok] [--surge]`.
 *
 * The same rendered shop objects go through install, upgrade and rollback twice per round, in fresh
 * namespaces of one local world: once as a Helm chart (`helm install|upgrade|rollback --wait`, helm
 * built by e2e/tools-helm.sh; the chart's templates are Ferry's render() of shop 1.0.0 and 2.0.0,
 * ownerReferences dropped) and once through Ferry (AppInstall → Ready, AppUpgrade approved →
 * Succeeded, AppRollback → Succeeded, the operator a local process). The world has a real node
 * (kubelet + containerd, so pods pull the sample images and pass real readiness probes) when run as
 * root, KWOK nodes with --kwok. Wall times per step and the Ferry/Helm ratios go to stdout and to
 * bench/helm/RESULTS.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/client.js';
import { LocalWorld } from '../../src/tools/local-world.js';
import { OperatorProcess } from '../../src/tools/operator-process.js';
import { pushSamples } from '../../src/tools/sample-images.js';
import { sleep } from '../../src/util/sleep.js';
import { chartOf, shopTemplate } from './chart.js';
import type { Row } from './report.js';
import { writeResults } from './report.js';
import { Trace } from './trace.js';

const root = join(import.meta.dirname, '..', '..');
const arg = (name: string) => process.argv.find((a, i) => process.argv[i - 1] === name);
if (process.argv.includes('--help')) {
  console.log(`npm run bench:helm -- [--rounds R] [--kwok] [--surge]
  --rounds R  rounds (default 2); each runs Helm (chart with the migration hook) and Ferry, alternating
              who goes first, then Helm's plain chart (install, upgrade)
  --kwok      KWOK nodes instead of the real node (which needs root)
  --surge     what-if templates for both: api and web surge 100 %, db's readiness probed every 2 s
Writes its section of bench/helm/RESULTS.md (table and where each step's seconds went).`);
  process.exit(0);
}
const ROUNDS = Number(arg('--rounds') ?? 2);
const KWOK = process.argv.includes('--kwok');
const SURGE = process.argv.includes('--surge');
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-helm-'));
const log = (line: string) => console.error(`[bench-helm] ${line}`);
const PARAMETERS = new Map([
  ['DB_PASSWORD', 'bench-only'],
  ['PUBLIC_URL', 'https://shop.bench.example'],
]);

const world = new LocalWorld(work);

/** Per step and tool, the trace of where its seconds went (trace.ts), in the order they ran. */
const profiles: { what: string; lines: string[] }[] = [];

async function timed(what: string, step: () => Promise<unknown> | unknown, trace?: Trace): Promise<number> {
  const t0 = performance.now();
  await step();
  const t1 = performance.now();
  const ms = t1 - t0;
  log(`${what}: ${(ms / 1000).toFixed(1)} s`);
  if (trace) {
    // The last watch events of the step may still be on their way.
    await sleep(300);
    const lines = trace.report(t0, t1);
    for (const line of lines) log(`  ${line}`);
    profiles.push({ what: `${what}: ${(ms / 1000).toFixed(1)} s`, lines });
  }
  return ms;
}

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 600_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

type Obj = KubeObject & {
  status?: Record<string, unknown> & { conditions?: { type: string; status: string }[] };
};
const ferryRef = (kind: string, namespace: string, name: string) => ({
  apiVersion: 'ferry.dev/v1alpha1',
  kind,
  namespace,
  name,
});

function installReady(client: KubeClient, ns: string, revision: number) {
  return waitFor(`AppInstall ${ns}/shop Ready at revision ${revision}`, async () => {
    const i = await client.get<Obj>(ferryRef('AppInstall', ns, 'shop'));
    const ready = i?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return (
      ready && i?.status?.revision === revision && i.status.observedGeneration === i.metadata?.generation
    );
  });
}
function phase(client: KubeClient, kind: string, ns: string, name: string) {
  return waitFor(`${kind} ${ns}/${name} Succeeded`, async () => {
    const p = (await client.get<Obj>(ferryRef(kind, ns, name)))?.status?.phase;
    if (p === 'Failed' || p === 'RolledBack') throw new Error(`${kind} ${ns}/${name} ended ${String(p)}`);
    return p === 'Succeeded';
  });
}

async function namespace(client: KubeClient, name: string): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
  await waitFor(`ServiceAccount ${name}/default`, () =>
    client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' }),
  );
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'shop-secrets', namespace: name },
    stringData: { 'db-password': 'bench-only' },
  } as KubeObject);
}

/**
 * Deletes a run's namespace and waits until it is gone, outside the timed steps: the real node has 2
 * CPUs to schedule on (api requests 100m a pod), and a finished run's pods must not slow the next.
 */
async function dropNamespace(client: KubeClient, name: string): Promise<void> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name };
  await client.delete(ref);
  await waitFor(`namespace ${name} deleted`, async () => !(await client.get(ref)), 120_000).catch(
    (error: unknown) => log(`${String(error)}; going on`),
  );
}

/**
 * One Helm run in its own namespace. `hooks`: the chart carries shop 2.0.0's migration as a Helm
 * pre-upgrade hook Job (the work Ferry's upgrade does); without, it is the plain objects and only
 * install and upgrade run (the figure the bench measured before the hook was added).
 */
async function helmRound(
  helm: string,
  kubeconfig: string,
  client: KubeClient,
  round: number,
  registry: string,
  hooks: boolean,
): Promise<Record<string, number>> {
  const ns = hooks ? `helm-${round}` : `helm-plain-${round}`;
  const name = hooks ? 'helm' : 'helm (no migration Job)';
  await namespace(client, ns);
  const trace = new Trace(client, ns);
  await sleep(500);
  const [v1, v2] = ['1.0.0', '2.0.0'].map((v) =>
    chartOf(shopTemplate(v, registry, SURGE), ns, join(work, `chart-${ns}-${v}`), PARAMETERS, hooks),
  );
  // Asynchronous: the trace's watches run on this process's event loop meanwhile.
  const run = (...args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        helm,
        [...args, '-n', ns, '--kubeconfig', kubeconfig, '--wait', '--timeout', '10m'],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`helm ${args[0]} exited ${code}`)),
      );
    });
  try {
    const install = await timed(`${name} install (round ${round})`, () => run('install', 'shop', v1!), trace);
    const upgrade = await timed(`${name} upgrade (round ${round})`, () => run('upgrade', 'shop', v2!), trace);
    if (!hooks) return { install, upgrade };
    const rollback = await timed(
      `${name} rollback (round ${round})`,
      () => run('rollback', 'shop', '1'),
      trace,
    );
    return { install, upgrade, rollback };
  } finally {
    trace.stop();
    await dropNamespace(client, ns);
  }
}

async function ferryRound(client: KubeClient, round: number) {
  const ns = `ferry-${round}`;
  await namespace(client, ns);
  const trace = new Trace(client, ns);
  await sleep(500);
  const create = (kind: string, name: string, spec: Record<string, unknown>) =>
    client.create({
      apiVersion: 'ferry.dev/v1alpha1',
      kind,
      metadata: { name, namespace: ns },
      spec,
    } as KubeObject);
  try {
    return {
      install: await timed(
        `ferry install (round ${round})`,
        async () => {
          await create('AppInstall', 'shop', {
            app: 'shop',
            version: '1.0.0',
            parameters: [
              {
                name: 'DB_PASSWORD',
                valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'db-password' } },
              },
              { name: 'PUBLIC_URL', value: PARAMETERS.get('PUBLIC_URL') },
            ],
          });
          await installReady(client, ns, 1);
        },
        trace,
      ),
      upgrade: await timed(
        `ferry upgrade (round ${round})`,
        async () => {
          await create('AppUpgrade', 'to-2', { install: 'shop', toVersion: '2.0.0', approved: true });
          await phase(client, 'AppUpgrade', ns, 'to-2');
          await installReady(client, ns, 2);
        },
        trace,
      ),
      rollback: await timed(
        `ferry rollback (round ${round})`,
        async () => {
          await create('AppRollback', 'back-1', { install: 'shop', toRevision: 1 });
          await phase(client, 'AppRollback', ns, 'back-1');
          await installReady(client, ns, 3);
        },
        trace,
      ),
    };
  } finally {
    trace.stop();
    await dropNamespace(client, ns);
  }
}

async function main(): Promise<void> {
  const load = loadavg()[0]!.toFixed(2);
  if (!KWOK && process.getuid?.() !== 0)
    throw new Error('a real node needs root: run as root, or pass --kwok');
  world.sh('install-deps.sh', []);
  const helm = join(world.binDir('tools-helm.sh'), 'helm');
  const bin = world.binDir('tools.sh');
  const kubeconfig = world.up('cluster.sh', 'cluster', 'KUBECONFIG', {
    ...process.env,
    FERRY_E2E_REAL_NODE: KWOK ? '0' : '1',
  });
  const registry = world.up('registry.sh', 'registry', 'REGISTRY');
  const kubectl = (...args: string[]) =>
    execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdio: 'ignore' });
  kubectl('apply', '--server-side', '-f', join(root, 'crds'));
  kubectl('wait', '--for', 'condition=Established', '-f', join(root, 'crds'));
  if (!KWOK) kubectl('cordon', '-l', 'type=kwok');
  else
    for (let i = 0; i < 2 * ROUNDS; i++)
      execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: `bench-pv-${i}` },
          spec: {
            capacity: { storage: '100Gi' },
            accessModes: ['ReadWriteOnce'],
            hostPath: { path: join(work, `pv-${i}`) },
          },
        }),
      });
  await pushSamples(registry, { plainHttp: true });
  const client = KubeClient.fromDefault(kubeconfig);
  for (const version of ['1.0.0', '2.0.0'])
    await client.apply(shopTemplate(version, registry, SURGE) as unknown as KubeObject);
  const operator = await OperatorProcess.start({
    kubeconfig,
    logFile: join(work, 'operator.log'),
    keepLogs: false,
  });
  const rows: Row[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // alternate who goes first: a warm image cache or a busy node then favours neither
      const helmFirst = round % 2 === 0;
      const a = helmFirst
        ? await helmRound(helm, kubeconfig, client, round, registry, true)
        : await ferryRound(client, round);
      const b = helmFirst
        ? await ferryRound(client, round)
        : await helmRound(helm, kubeconfig, client, round, registry, true);
      const plain = await helmRound(helm, kubeconfig, client, round, registry, false);
      rows.push(helmFirst ? { helm: a, ferry: b, plain } : { helm: b, ferry: a, plain });
    }
  } finally {
    await operator.stop();
    client.close();
  }
  const title =
    `Helm side by side — ${new Date().toISOString().slice(0, 10)}, ${KWOK ? 'KWOK nodes' : 'real node (kubelet + containerd)'}, ` +
    `${ROUNDS} rounds, medians${SURGE ? ', --surge templates (what if: api and web surge 100 %, db probed every 2 s)' : ''}; ` +
    `load average at start ${load}; helm ${execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim()}`;
  console.log(
    writeResults(
      join(root, 'bench', 'helm', 'RESULTS.md'),
      SURGE ? 'surge' : KWOK ? 'kwok' : 'main',
      title,
      rows,
      profiles,
    ),
  );
}

function teardown(): void {
  world.downAll();
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  teardown();
  process.exit(130);
});
main().then(teardown, (error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  teardown();
  process.exit(1);
});
