/**
 * `npm run demo`: the whole product story on this machine, printed for a person to follow. A local
 * control plane and two registries (the vendor's and the offline site's) come up; shop 1.0.0 is
 * exported to one signed file, imported on the "site", installed; 2.0.0 arrives as a differential
 * package, the upgrade is previewed and carried out, the history shown, and revision 1 restored.
 * Run as root, the world gets a real node (kubelet + containerd) and the shop really runs: a prober
 * requests web's /version every 50 ms through the upgrade and the rollback and prints the counters
 * and the moment the answer flips. Otherwise (or with `--kwok`) pods land on KWOK nodes, which never
 * start a container, and the demo says so. `--keep` leaves everything running.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../util/sleep.js';
import { LocalWorld } from './local-world.js';
import { OperatorProcess } from './operator-process.js';
import { ferry, ferryAsync, ferryWith, kubectl } from './demo-commands.js';
import { probed, waitServing } from './demo-probe.js';
import { siteVolume } from './demo-site.js';
import { pushSamples } from './sample-images.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const keep = process.argv.includes('--keep');
const forceKwok = process.argv.includes('--kwok');
const work = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
let operator: OperatorProcess | undefined;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => console.log(`\n${bold(`== ${text}`)}`);

const world = new LocalWorld(work);

/** Why this run cannot have a real node, or undefined when it can try. */
function noRealNode(): string | undefined {
  if (forceKwok) return '--kwok was given';
  if (process.getuid?.() !== 0)
    return 'a real node needs root (kubelet, containerd, network namespaces): run `sudo npm run demo` for one';
  return undefined;
}

/** The control plane, with a real node when possible; says which it got and why. */
function startCluster(): { kubeconfig: string; realNode: boolean } {
  const why = noRealNode();
  if (!why) {
    try {
      const kubeconfig = world.up('cluster.sh', 'cluster', 'KUBECONFIG', {
        ...process.env,
        FERRY_E2E_REAL_NODE: '1',
      });
      console.log('Real node: kubelet + containerd + CNI + kube-proxy + CoreDNS; the shop will really run.');
      return { kubeconfig, realNode: true };
    } catch (error) {
      console.log(
        `\nThe real node did not come up (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ` +
          'FALLING BACK TO KWOK nodes.',
      );
    }
  }
  if (why) console.log(`FALLING BACK TO KWOK nodes: ${why}.`);
  console.log('KWOK nodes report pods Running but never pull an image or start a container.');
  return { kubeconfig: world.up('cluster.sh', 'cluster-kwok', 'KUBECONFIG'), realNode: false };
}

/** The site registry's credentials: the import pushes with them, the shop's pods pull with them. */
const siteCredentials = {
  FERRY_REGISTRY_USERNAME: 'site',
  FERRY_REGISTRY_PASSWORD: `demo-${Math.random().toString(36).slice(2)}`,
};
/** The pull Secret ferry import writes and examples/shop/install.yaml names. */
const PULL_SECRET = 'site-registry';

/** `http://CLUSTER-IP:PORT/version` of shop's web Service: the host routes ClusterIPs to the real node. */
function webVersionUrl(bin: string, kubeconfig: string): string {
  const service = JSON.parse(
    kubectl(bin, kubeconfig, ['-n', 'shop', 'get', 'service', 'shop-web', '-o', 'json'], undefined, true),
  ) as { spec: { clusterIP: string; ports: { port: number }[] } };
  return `http://${service.spec.clusterIP}:${service.spec.ports[0]!.port}/version`;
}

/** The example templates, pointing at the vendor registry instead of registry.example.com. */
function vendorTemplate(version: string, vendor: string): string {
  const text = readFileSync(join(root, 'examples', 'shop', `shop-${version}.yaml`), 'utf8');
  const file = join(work, `shop-${version}.yaml`);
  writeFileSync(file, text.replaceAll('registry.example.com/', `${vendor}/`));
  return file;
}

async function main(): Promise<void> {
  step(
    'Local world: Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler), nodes and two registries',
  );
  world.sh('install-deps.sh', []);
  const bin = world.binDir('tools.sh');
  const { kubeconfig, realNode } = startCluster();
  const vendor = world.up('registry.sh', 'vendor-registry', 'REGISTRY');
  const site = world.up('registry.sh', 'site-registry', 'REGISTRY', undefined, [
    '--auth',
    `${siteCredentials.FERRY_REGISTRY_USERNAME}:${siteCredentials.FERRY_REGISTRY_PASSWORD}`,
  ]);
  console.log(
    `cluster: ${kubeconfig}\nvendor registry: ${vendor}\nsite registry:   ${site} (needs credentials)`,
  );
  kubectl(bin, kubeconfig, ['apply', '--server-side', '-f', join(root, 'crds')]);
  kubectl(
    bin,
    kubeconfig,
    ['wait', '--for', 'condition=Established', '-f', join(root, 'crds')],
    undefined,
    true,
  );
  if (realNode) {
    // The KWOK nodes stay (for scale), but their pods would never run: keep the shop off them.
    kubectl(bin, kubeconfig, ['cordon', '-l', 'type=kwok'], undefined, true);
  }
  // examples/shop/install.yaml puts the shop's database on the site's class, site-local.
  kubectl(
    bin,
    kubeconfig,
    ['apply', '-f', '-'],
    JSON.stringify(siteVolume(work, realNode, bin, kubeconfig)),
    true,
  );

  step('Vendor side: images of shop 1.0.0 and 2.0.0, built from examples/sample-app without Docker');
  await pushSamples(vendor, { plainHttp: true, log: console.log });
  const v1 = vendorTemplate('1.0.0', vendor);
  const v2 = vendorTemplate('2.0.0', vendor);
  ferry('validate', '-f', v1, '-f', v2);

  step('Vendor side: export shop 1.0.0 to one signed file');
  const key = join(work, 'vendor');
  ferry('keys', 'generate', '-o', key);
  const package1 = join(work, 'shop-1.0.0.tar.zst');
  ferry(
    'export',
    'shop@1.0.0',
    '-f',
    v1,
    '-o',
    package1,
    '--sign-key',
    `${key}.key`,
    '--plain-http',
    '--quiet',
  );
  ferry('inspect', package1);

  step('Site side (offline): verify and import the package, then install');
  // The shop's namespace first: the import writes the pull Secret for the site registry there.
  kubectl(bin, kubeconfig, ['create', 'namespace', 'shop']);
  ferryWith(
    siteCredentials,
    'import',
    package1,
    '--registry',
    `${site}/acme`,
    '--key',
    `${key}.pub`,
    '--plain-http',
    '--quiet',
    '--kubeconfig',
    kubeconfig,
    '--pull-secret',
    PULL_SECRET,
    '--pull-secret-namespace',
    'shop',
  );
  operator = await OperatorProcess.start({
    kubeconfig,
    logFile: join(work, 'operator.log'),
    detached: keep,
    keepLogs: false,
  });
  console.log(`(operator running, pid ${operator.pid}, log ${join(work, 'operator.log')})`);
  kubectl(bin, kubeconfig, [
    '-n',
    'shop',
    'create',
    'secret',
    'generic',
    'shop-secrets',
    '--from-literal=db-password=demo-only',
  ]);
  kubectl(bin, kubeconfig, ['apply', '-f', join(root, 'examples', 'shop', 'install.yaml')]);
  kubectl(bin, kubeconfig, [
    '-n',
    'shop',
    'wait',
    'appinstall/shop',
    '--for',
    'condition=Ready',
    realNode ? '--timeout=300s' : '--timeout=120s',
  ]);
  ferry('status', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);
  kubectl(bin, kubeconfig, [
    '-n',
    'shop',
    'get',
    'deployment',
    'shop-web',
    '-o',
    'jsonpath=pulls with {.spec.template.spec.imagePullSecrets[*].name}: {.spec.template.spec.containers[0].image}{"\\n"}',
  ]);
  const webUrl = realNode ? webVersionUrl(bin, kubeconfig) : undefined;
  if (webUrl) {
    await waitServing(webUrl);
    console.log(`$ curl ${webUrl}\n${(await (await fetch(webUrl)).text()).trim()}`);
  }
  /** Runs a change under the prober on the real node; on KWOK there is nothing to request. */
  const serving = (change: () => Promise<void>) =>
    webUrl ? probed('web /version', webUrl, change) : change();

  step('Vendor side: 2.0.0 as a differential package (only the new layers)');
  const package2 = join(work, 'shop-2.0.0.tar.zst');
  ferry(
    'export',
    'shop@2.0.0',
    '-f',
    v2,
    '--since',
    package1,
    '-o',
    package2,
    '--sign-key',
    `${key}.key`,
    '--plain-http',
    '--quiet',
  );
  ferry('inspect', package2);

  step('Site side: import 2.0.0; it shows up as an available upgrade');
  ferryWith(
    siteCredentials,
    'import',
    package2,
    '--registry',
    `${site}/acme`,
    '--key',
    `${key}.pub`,
    '--plain-http',
    '--quiet',
    '--kubeconfig',
    kubeconfig,
  );
  await sleep(2000);
  kubectl(bin, kubeconfig, [
    '-n',
    'shop',
    'get',
    'appinstall',
    'shop',
    '-o',
    'jsonpath={.status.availableUpgrades}',
  ]);
  console.log();

  step('Preview the upgrade: every change, and the site values that stay');
  ferry('upgrade', 'shop', '-n', 'shop', '--to', '2.0.0', '--name', 'shop-to-2', '--kubeconfig', kubeconfig);

  step(
    webUrl
      ? 'Approve it: components roll in dependency order while web is requested every 50 ms'
      : 'Approve it: components roll in dependency order',
  );
  await serving(() =>
    ferryAsync(
      'upgrade',
      'shop',
      '-n',
      'shop',
      '--name',
      'shop-to-2',
      '--approve',
      '--kubeconfig',
      kubeconfig,
    ),
  );
  ferry('history', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);

  step('Roll back to revision 1 (as a new revision; reports keeps running)');
  await serving(() =>
    ferryAsync('rollback', 'shop', '-n', 'shop', '--to-revision', '1', '--kubeconfig', kubeconfig),
  );
  ferry('history', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);
  ferry('status', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);

  if (keep) {
    step('Left running (--keep)');
    console.log(
      `export KUBECONFIG=${kubeconfig}\nexport PATH=${bin}:$PATH\nkubectl get appinstalls,apprevisions -A`,
    );
    console.log(`Stop everything: kill ${operator.pid}; ${world.downCommands().join('; ')}`);
    operator.detach();
  }
}

function teardown(): void {
  if (keep) return;
  void operator?.stop(); // SIGTERM now; the rest of the tear-down does not wait for its exit
  world.downAll();
}

process.once('SIGINT', () => {
  teardown();
  process.exit(130);
});
main()
  .then(() => {
    teardown();
    if (keep) return;
    rmSync(work, { recursive: true, force: true });
    console.log(`\n${bold('Demo finished; everything it started is stopped and removed.')}`);
  })
  .catch((error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`(its files, with the operator's log, stay in ${work})`);
    teardown();
    process.exit(1);
  });
