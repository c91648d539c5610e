/**
 * The web console (`ferry console`) in real headless Chromium against the local cluster, as a site
 * admin uses it: install shop from the Templates page, preview an upgrade, adopt a kept value and
 * approve it, watch it finish live, roll back from the history after previewing what that changes;
 * and a `ferry-viewer` user who sees all of it but whose approve and rollback buttons are disabled —
 * and whom the API server refuses when the button is forced. Screenshots go to a temp dir (docs/images/ with FERRY_E2E_SCREENSHOTS=docs/images).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { KubeClient } from '../../src/kube/client.js';
import { ferryRef } from '../../src/kube/client.js';
import type { Obj } from '../support/shop.js';
import {
  createShopSecret,
  getInstall,
  shopTemplate,
  userApply,
  waitPhase,
  waitReady,
} from '../support/shop.js';
import {
  ConsoleProcess,
  bodyText,
  launchBrowser,
  markPage,
  pageMark,
  serviceAccountToken,
  tokenKubeconfig,
  waitForText,
} from '../support/console.js';
import { OperatorProcess, createNamespace, kube, readManifests, repoRoot } from '../support/world.js';

const APP = 'shop-console';
// FERRY_E2E_SCREENSHOTS=docs/images refreshes the README's pictures; otherwise they go to a temp dir,
// removed at the end, so a test run leaves neither the checkout nor /tmp changed
const IMAGES = process.env.FERRY_E2E_SCREENSHOTS
  ? join(repoRoot, process.env.FERRY_E2E_SCREENSHOTS)
  : mkdtempSync(join(tmpdir(), 'ferry-console-screens-'));
const ICON = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" rx="10" fill="#1f7a4d"/><path d="M12 18h24l-3 18H15z" fill="#fff"/><path d="M18 18a6 6 0 0 1 12 0" stroke="#fff" stroke-width="3" fill="none"/></svg>',
).toString('base64')}`;
const withIcon = (spec: { icon?: string }) => void (spec.icon = ICON);

describe('ferry console in a browser', () => {
  let admin: KubeClient;
  let operator: OperatorProcess;
  let ns: string;
  let browser: Browser;
  let adminConsole: ConsoleProcess;
  let viewerConsole: ConsoleProcess;
  let page: Page;
  let tmp: string;
  let createdViewerRole = false;
  const binding = `console-viewer-${process.pid}`;
  let upgradeName = '';

  const shot = (p: Page, name: string) =>
    p.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: true });

  beforeAll(async () => {
    admin = kube();
    tmp = mkdtempSync(join(tmpdir(), 'ferry-e2e-console-'));
    operator = await OperatorProcess.start();
    ns = await createNamespace(admin, 'console');
    await createShopSecret(admin, ns);
    await userApply(admin, shopTemplate('1.0.0', APP, withIcon));
    await userApply(admin, shopTemplate('2.0.0', APP, withIcon));

    // the chart's ferry-viewer ClusterRole (deploy/ is the chart's rendering), unless a Ferry is installed
    if (
      !(await admin.get({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: 'ferry-viewer',
      }))
    ) {
      const role = readManifests(join(repoRoot, 'deploy', '20-ferry.yaml')).find(
        (o) => o.kind === 'ClusterRole' && o.metadata?.name === 'ferry-viewer',
      )!;
      await admin.create(role);
      createdViewerRole = true;
    }
    await admin.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'viewer', namespace: ns },
    });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ferry-viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    });
    const viewerKubeconfig = join(tmp, 'viewer.kubeconfig');
    writeFileSync(viewerKubeconfig, tokenKubeconfig(await serviceAccountToken(admin, ns, 'viewer')), {
      mode: 0o600,
    });

    [adminConsole, viewerConsole, browser] = await Promise.all([
      ConsoleProcess.start(process.env.FERRY_E2E_KUBECONFIG!),
      ConsoleProcess.start(viewerKubeconfig),
      launchBrowser(),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await adminConsole?.stop();
    await viewerConsole?.stop();
    await admin.delete({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      name: binding,
    });
    if (createdViewerRole)
      await admin.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: 'ferry-viewer',
      });
    expect(await operator.stop()).toBe(0);
    admin.close();
    rmSync(tmp, { recursive: true, force: true });
    if (!process.env.FERRY_E2E_SCREENSHOTS) rmSync(IMAGES, { recursive: true, force: true });
  });

  it('installs shop from the Templates page', async () => {
    await page.goto(adminConsole.url);
    expect(new URL(page.url()).pathname).toBe('/templates');
    expect(page.url()).not.toContain('token=');
    const app = page.locator(`article[aria-labelledby="app-${APP}"]`);
    await app.getByRole('heading', { name: /Shop/ }).waitFor();
    expect(await app.locator('img.icon').getAttribute('src')).toBe(ICON);
    expect(await app.innerText()).toContain('Adds the reports component');
    await shot(page, 'templates');

    await app.getByRole('link', { name: 'Install Shop…' }).click();
    await page.getByLabel('Version', { exact: true }).selectOption('1.0.0');
    await page.getByLabel('Namespace', { exact: true }).fill(ns);
    await page.getByRole('button', { name: 'Use this version and namespace' }).click();
    await page.getByLabel('AppInstall name').fill('shop');
    await page.getByLabel('PUBLIC_URL').fill('https://shop.customer.example');
    // a secret parameter is chosen from the Secrets of the namespace, never typed
    await page.getByLabel(/DB_PASSWORD/).selectOption('shop-secrets/db-password');
    await page.getByRole('button', { name: 'Show YAML and command' }).click();
    const command = await page.locator('pre.command').innerText();
    expect(command).toBe(
      `ferry install ${APP}@1.0.0 -n ${ns} --name shop --set PUBLIC_URL=https://shop.customer.example --set-secret DB_PASSWORD=shop-secrets/db-password`,
    );
    expect(await page.locator('pre.yaml').innerText()).toContain('secretKeyRef:');
    await shot(page, 'install-form');

    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await page.waitForURL(`**/installs/${ns}/shop?done=installed`);
    // the page follows the install live: no reload from here on
    await markPage(page, 1);
    await waitForText(page, /Installed version\s+1\.0\.0 \(revision 1\)/);
    await waitForText(page, /Health\s+Ready/);
    expect(await pageMark(page)).toBe(1);
    const install = await getInstall(admin, ns);
    expect(install.spec.parameters).toEqual([
      { name: 'PUBLIC_URL', value: 'https://shop.customer.example' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'db-password' } } },
    ]);
    await shot(page, 'install');
  });

  it('previews an upgrade, adopts a kept value, approves it and watches it finish', async () => {
    await page.getByRole('link', { name: 'Upgrade…' }).click();
    expect(await page.getByLabel('2.0.0').isChecked()).toBe(true);
    expect(await page.locator('pre.command').innerText()).toMatch(
      new RegExp(`^ferry upgrade shop -n ${ns} --to 2\\.0\\.0 --name shop-upgrade-[0-9a-f]{4}$`),
    );
    await page.getByRole('button', { name: 'Preview the plan' }).click();
    await page.waitForURL(`**/upgrades/${ns}/**`);
    upgradeName = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await waitForText(page, 'Plan: 1.0.0 → 2.0.0');
    const plan = await page.locator('#upgrade-plan').innerText();
    expect(plan).toContain('+ reports added');
    expect(plan).toMatch(
      /replace\s+\/image\s+"registry\.example\.com\/shop\/api:1\.0\.0"\s+"registry\.example\.com\/shop\/api:2\.0\.0"/,
    );
    expect(plan).toContain('Release notes');
    expect(plan).toMatch(/Hook Jobs \(in the order they run\)\s+migrate before level 2 \(api\)/);
    const waiting = await admin.get<Obj>(ferryRef('AppUpgrade', ns, upgradeName));
    expect(waiting!.spec.approval).toBe('Manual');
    expect(waiting!.status.phase).toBe('WaitingForApproval');
    expect(await page.locator('pre.command').innerText()).toBe(
      `ferry upgrade shop -n ${ns} --name ${upgradeName} --approve`,
    );

    await page.getByRole('switch', { name: 'Adopt the template’s value for api LOG_LEVEL' }).check();
    await shot(page, 'upgrade-plan');
    await page.getByRole('button', { name: 'Approve and start the upgrade' }).click();
    await waitForText(page, 'written into the AppInstall as overrides');
    await markPage(page, 2);
    await waitForText(page, 'Phase Succeeded', 180_000);
    expect(await pageMark(page)).toBe(2);
    const progress = await page.locator('#upgrade-progress').innerText();
    expect(progress).toMatch(/Level 1\s+Ready\s+db\s+Ready/);
    expect(progress).toMatch(/Level 3\s+Ready/);
    // the migration Job the upgrade ran, from its revision (KWOK's pods have no log)
    expect(progress).toMatch(/migrate\s+before level 2 \(api\)\s+Succeeded\s+0\s+shop-r\d-migrate/);
    await shot(page, 'upgrade-done');

    const install = await waitReady(admin, ns, 3);
    expect(install.status.version).toBe('2.0.0');
    expect(install.spec.overrides).toEqual([
      { component: 'api', env: [{ name: 'LOG_LEVEL', value: 'warn' }] },
    ]);
  });

  it('rolls back from the history after showing what the rollback changes', async () => {
    await page.goto(`${adminConsole.origin}/installs/${ns}/shop/history`);
    const history = await page.locator('#history-table').innerText();
    // the adopted override is a configuration change of its own, applied before the upgrade
    // (or after it, should the operator see the approval first): both are recorded
    expect(history).toMatch(/[23]\s+2\.0\.0\s+Upgrade\s+(Succeeded|Superseded)\s+AppUpgrade shop-upgrade-/);
    expect(history).toMatch(
      /[23]\s+[12]\.0\.0\s+ConfigChange\s+(Succeeded|Superseded)\s+the AppInstall spec/,
    );
    expect(history).toMatch(/1\s+1\.0\.0\s+Install\s+Superseded/);
    expect(history).toMatch(/Hook Jobs[\s\S]*migrate\s+before level 2 \(api\)\s+Succeeded/);
    await shot(page, 'history');

    await page.getByRole('link', { name: 'Roll back to revision 1…' }).click();
    await waitForText(page, 'Plan: 2.0.0 → 1.0.0');
    expect(await bodyText(page)).toContain('Retained');
    await page.getByRole('switch', { name: /Prune added components/ }).click();
    await page.waitForURL('**prune=on**');
    expect(await page.locator('pre.command').innerText()).toBe(
      `ferry rollback shop -n ${ns} --to-revision 1 --prune-added-components`,
    );
    await shot(page, 'rollback-preview');
    // nothing was created by previewing
    expect((await admin.list(ferryRef('AppRollback', ns))).items).toEqual([]);

    await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
    await page.waitForURL(`**/rollbacks/${ns}/**`);
    await waitForText(page, 'Phase Succeeded', 180_000);
    const name = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const rollback = await waitPhase(admin, 'AppRollback', ns, name, 'Succeeded');
    expect(rollback.spec).toEqual({ install: 'shop', toRevision: 1, pruneAddedComponents: true });
    expect(rollback.status.prunedComponents).toEqual(['reports']);
    expect(await bodyText(page)).toContain('Pruned: reports');
    const install = await waitReady(admin, ns, 4);
    expect(install.status.version).toBe('1.0.0');
    await shot(page, 'rollback');
  });

  it('shows a ferry-viewer everything but lets them approve nothing; the API server refuses a forced approve', async () => {
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await viewer.goto(viewerConsole.url);
    expect(await bodyText(viewer)).toContain(`Signed in as system:serviceaccount:${ns}:viewer`);
    await viewer
      .locator(`article[aria-labelledby="app-${APP}"]`)
      .getByRole('link', { name: 'Install Shop…' })
      .click();
    expect(await viewer.getByRole('button', { name: 'Install', exact: true }).isDisabled()).toBe(true);
    expect(await bodyText(viewer)).toContain('Secrets cannot be listed');

    await viewer.goto(`${viewerConsole.origin}/installs`);
    await viewer.locator(`a[href="/installs/${ns}/shop"]`).click();
    await waitForText(viewer, /Installed version\s+1\.0\.0 \(revision 4\)/);

    // an upgrade the admin previewed waits for approval: the viewer sees its plan, not the switches
    await admin.create({
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppUpgrade',
      metadata: { name: 'pending', namespace: ns },
      spec: { install: 'shop', toVersion: '2.0.0', approval: 'Manual' },
    });
    await viewer.goto(`${viewerConsole.origin}/upgrades/${ns}/pending`);
    await waitForText(viewer, 'Plan: 1.0.0 → 2.0.0');
    const approve = viewer.getByRole('button', { name: 'Approve and start the upgrade' });
    expect(await approve.isDisabled()).toBe(true);
    expect(await bodyText(viewer)).toContain(
      `Not allowed: system:serviceaccount:${ns}:viewer may not patch appupgrades in namespace ${ns}`,
    );
    expect(await viewer.getByRole('switch').count()).toBe(0);
    await shot(viewer, 'viewer-upgrade');

    // forcing the button: the console acts with the viewer's credentials, so RBAC refuses
    await approve.evaluate((button) => button.removeAttribute('disabled'));
    await approve.click();
    await waitForText(viewer, "Approve: forbidden by the cluster's RBAC");
    expect(await bodyText(viewer)).toMatch(/appupgrades\.ferry\.dev "pending" is forbidden/);
    const pending = await admin.get<Obj>(ferryRef('AppUpgrade', ns, 'pending'));
    expect(pending!.spec.approved).toBe(false);

    await viewer.goto(`${viewerConsole.origin}/installs/${ns}/shop/rollback?to=3`);
    await waitForText(viewer, 'Plan: 1.0.0 → 2.0.0');
    expect(await viewer.getByRole('button', { name: 'Roll back to revision 3' }).isDisabled()).toBe(true);
    await viewer.close();
    await admin.delete(ferryRef('AppUpgrade', ns, 'pending'));
  });
});
