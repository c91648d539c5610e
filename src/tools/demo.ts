/**
 * `npm run demo`: the whole product story on this machine, printed for a person to follow. A local
 * control plane and two registries (the vendor's and the offline site's) come up; shop 1.0.0 is
 * exported to one signed file, imported on the "site", installed; 2.0.0 arrives as a differential
 * package, the upgrade is previewed and carried out, the history shown, and revision 1 restored.
 * `--keep` leaves everything running and prints how to reach it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../util/sleep.js';
import { OperatorProcess } from './operator-process.js';
import { pushSamples } from './sample-images.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
const started: { script: string; dir: string }[] = [];
let operator: OperatorProcess | undefined;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => console.log(`\n${bold(`== ${text}`)}`);

function sh(script: string, args: string[]): string {
  return execFileSync('bash', [join(root, 'e2e', script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}
const lastValue = (output: string, key: string) =>
  output
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${key}=`))!
    .slice(key.length + 1);

function up(script: string, name: string, key: string): string {
  const dir = join(work, name);
  started.push({ script, dir });
  return lastValue(sh(script, ['up', dir]), key);
}

/** Runs a ferry command as a person would type it, showing the command and its output. */
function ferry(...args: string[]): void {
  console.log(`$ ferry ${args.join(' ')}`);
  execFileSync(join(root, 'scripts', 'node'), [join(root, 'dist', 'cli', 'main.js'), ...args], {
    stdio: 'inherit',
  });
}

function kubectl(bin: string, kubeconfig: string, args: string[], input?: string, quiet = false): string {
  if (!quiet) console.log(`$ kubectl ${args.join(' ')}`);
  const out = execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input,
  });
  if (!quiet) process.stdout.write(out);
  return out;
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
    'Local world: Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK nodes) and two registries',
  );
  sh('install-deps.sh', []);
  const bin = sh('tools.sh', []).trim().split('\n').pop()!;
  const kubeconfig = up('cluster.sh', 'cluster', 'KUBECONFIG');
  const vendor = up('registry.sh', 'vendor-registry', 'REGISTRY');
  const site = up('registry.sh', 'site-registry', 'REGISTRY');
  console.log(`cluster: ${kubeconfig}\nvendor registry: ${vendor}\nsite registry:   ${site}`);
  kubectl(bin, kubeconfig, ['apply', '--server-side', '-f', join(root, 'crds')]);
  kubectl(
    bin,
    kubeconfig,
    ['wait', '--for', 'condition=Established', '-f', join(root, 'crds')],
    undefined,
    true,
  );
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'demo-pv' },
    spec: {
      capacity: { storage: '50Gi' },
      accessModes: ['ReadWriteOnce'],
      // examples/shop/install.yaml puts the shop's database on the site's class, site-local.
      storageClassName: 'site-local',
      hostPath: { path: join(work, 'pv') },
    },
  };
  kubectl(bin, kubeconfig, ['apply', '-f', '-'], JSON.stringify(pv), true);

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
  ferry(
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
  );
  operator = await OperatorProcess.start({
    kubeconfig,
    logFile: join(work, 'operator.log'),
    detached: keep,
    keepLogs: false,
  });
  console.log(`(operator running, pid ${operator.pid}, log ${join(work, 'operator.log')})`);
  kubectl(bin, kubeconfig, ['create', 'namespace', 'shop']);
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
    '--timeout=120s',
  ]);
  ferry('status', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);

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
  ferry(
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

  step('Approve it: components roll in dependency order');
  ferry('upgrade', 'shop', '-n', 'shop', '--name', 'shop-to-2', '--approve', '--kubeconfig', kubeconfig);
  ferry('history', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);

  step('Roll back to revision 1 (as a new revision; reports keeps running)');
  ferry('rollback', 'shop', '-n', 'shop', '--to-revision', '1', '--kubeconfig', kubeconfig);
  ferry('history', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);
  ferry('status', 'shop', '-n', 'shop', '--kubeconfig', kubeconfig);

  if (keep) {
    step('Left running (--keep)');
    console.log(
      `export KUBECONFIG=${kubeconfig}\nexport PATH=${bin}:$PATH\nkubectl get appinstalls,apprevisions -A`,
    );
    console.log(
      `Stop everything: kill ${operator.pid}; ${started.map((s) => `bash e2e/${s.script} down ${s.dir}`).join('; ')}`,
    );
    operator.detach();
  }
}

function teardown(): void {
  if (keep) return;
  void operator?.stop(); // SIGTERM now; the rest of the tear-down does not wait for its exit
  for (const { script, dir } of started.reverse()) {
    try {
      sh(script, ['down', dir]);
    } catch {
      // keep tearing down the rest
    }
  }
}

process.once('SIGINT', () => {
  teardown();
  process.exit(130);
});
main()
  .then(() => {
    teardown();
    if (!keep) console.log(`\n${bold('Demo finished; everything it started is stopped.')}`);
  })
  .catch((error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    teardown();
    process.exit(1);
  });
