/**
 * The cluster commands of the CLI as an admin uses them: preview an upgrade, approve it and follow it,
 * read status and history, roll back.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import { createShopSecret, shopInstall, shopTemplate, userApply, waitReady } from '../support/shop.js';
import { OperatorProcess, createNamespace, kube, repoRoot, world } from '../support/world.js';

const APP = 'shop-cli';

function ferry(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'scripts', 'node'),
      [join(repoRoot, 'dist', 'ferry', 'main.js'), ...args, '--kubeconfig', world.kubeconfig],
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

describe('ferry status, history, upgrade, rollback', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let ns: string;

  beforeAll(async () => {
    client = kube();
    operator = await OperatorProcess.start();
    ns = await createNamespace(client, 'cli');
    await createShopSecret(client, ns);
    await userApply(client, shopTemplate('1.0.0', APP));
    await userApply(client, shopInstall(ns, APP));
    await waitReady(client, ns, 1);
    await userApply(client, shopTemplate('2.0.0', APP));
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
    client.close();
  });

  it('previews an upgrade without changing anything, then approves and follows it', async () => {
    const preview = await ferry('upgrade', 'shop', '-n', ns, '--to', '2.0.0', '--name', 'up');
    expect(preview.err).toBe('');
    expect(preview.code).toBe(0);
    expect(preview.out).toContain('Upgrade shop 1.0.0 -> 2.0.0');
    expect(preview.out).toContain('  + reports  added, image registry.example.com/shop/reports:2.0.0');
    expect(preview.out).toContain(
      '  2. api\n     before: hook migrate (Job for api, image registry.example.com/shop/api:2.0.0)\n',
    );
    expect(preview.out).toContain(
      `Preview only. To carry it out: ferry upgrade shop -n ${ns} --name up --approve`,
    );
    const waiting = await client.get<Obj>(ferryRef('AppUpgrade', ns, 'up'));
    expect(waiting!.status!.phase).toBe('WaitingForApproval');

    const run = await ferry('upgrade', 'shop', '-n', ns, '--name', 'up', '--approve');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/level 1 {2}db +Ready/);
    expect(run.out).toMatch(/level 3 {2}reports +Ready/);
    expect(run.out).toMatch(/hook migrate \(before level 2, api\) Succeeded, exit code 0\n/);
    expect(run.out).toContain('AppUpgrade up: Succeeded — upgraded to 2.0.0 as revision 2');

    const status = await ferry('status', 'shop', '-n', ns);
    expect(status.out).toContain('installed version: 2.0.0 (revision 2)');
    expect(status.out).toMatch(
      /reports +Deployment +Ready +1\/1 +1\/1 +registry\.example\.com\/shop\/reports:2\.0\.0/,
    );
  });

  it('previews a rollback without creating anything', async () => {
    const preview = await ferry('rollback', 'shop', '-n', ns, '--to-revision', '1', '--preview');
    expect(preview.err).toBe('');
    expect(preview.code).toBe(0);
    expect(preview.out).toContain('Rollback shop 2.0.0 -> 1.0.0');
    expect(preview.out).toMatch(
      /~ api +changed\n +replace \/image "registry\.example\.com\/shop\/api:2\.0\.0" -> "registry\.example\.com\/shop\/api:1\.0\.0"/,
    );
    expect(preview.out).toContain(
      `Preview only. To carry it out: ferry rollback shop -n ${ns} --to-revision 1`,
    );
    expect((await client.list(ferryRef('AppRollback', ns))).items).toEqual([]);
    const missing = await ferry('rollback', 'shop', '-n', ns, '--to-revision', '9', '--preview');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/revision 9/);
  });

  it('rolls back to a revision and shows it in the history', async () => {
    const rollback = await ferry('rollback', 'shop', '-n', ns, '--to-revision', '1');
    expect(rollback.code).toBe(0);
    expect(rollback.out).toContain(
      'Succeeded — restored revision 1 (1.0.0) as revision 3; kept components added since: reports',
    );
    const history = await ferry('history', 'shop', '-n', ns);
    const rows = history.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{3,}/).slice(0, 5));
    expect(rows).toEqual([
      ['REVISION', 'VERSION', 'CAUSE', 'OUTCOME', 'BY'],
      ['3', '1.0.0', 'Rollback', 'Succeeded', expect.stringMatching(/^AppRollback\/shop-rollback-/)],
      ['2', '2.0.0', 'Upgrade', 'Superseded', 'AppUpgrade/up'],
      ['1', '1.0.0', 'Install', 'Superseded', 'spec'],
    ]);
  });

  it('exits non-zero with the reason when an upgrade cannot be planned', async () => {
    const result = await ferry('upgrade', 'shop', '-n', ns, '--to', '9.9.9', '--approve');
    expect(result.code).toBe(1);
    expect(result.err).toContain('spec.toVersion: version 9.9.9 is not available (available: 1.0.0, 2.0.0)');
  });
});
