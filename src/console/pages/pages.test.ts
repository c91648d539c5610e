import type { AppInstall, AppRevision, AppUpgrade } from '../../api/index.js';
import { listApps } from '../../cli/commands/templates.js';
import { planUpgrade } from '../../model/plan.js';
import { shopInstall, shopTemplate } from '../../testing/fixtures.js';
import type { PageContext } from '../layout.js';
import { historyPage, rollbackPreviewPage } from './history.js';
import { installPage, installsPage } from './installs.js';
import { marketsPage } from './markets.js';
import { planView, progressView } from './plan.js';
import { iconsOf, installPage as installFormPage, templatesPage } from './templates.js';
import { upgradePage } from './upgrade.js';

const ctx: PageContext = { user: 'admin', cluster: 'https://127.0.0.1:6443', csrf: 'CSRF', markets: false };
const EVIL = '<img src=x onerror=alert(1)>';
const text = (page: string | { text: string }) =>
  (typeof page === 'string' ? page : page.text)
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

const plan = () => planUpgrade(shopTemplate('1.0.0').spec, shopTemplate('2.0.0').spec).plan;

function installed(): AppInstall {
  const i = shopInstall();
  i.metadata.uid = 'uid-1';
  i.metadata.generation = 1;
  i.status = {
    observedGeneration: 1,
    version: '1.0.0',
    revision: 1,
    availableUpgrades: ['2.0.0'],
    retainedComponents: ['legacy'],
    conditions: [
      { type: 'Ready', status: 'True', reason: 'InstallSucceeded', message: EVIL, lastTransitionTime: 'x' },
    ],
    components: [
      {
        name: 'api',
        workload: 'Deployment',
        image: 'registry.example.com/shop/api:1.0.0',
        state: 'Ready',
        desiredReplicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
      },
      {
        name: 'legacy',
        workload: 'Deployment',
        image: 'x/legacy:1',
        state: 'Retained',
        desiredReplicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
      },
    ],
  };
  return i;
}

describe('templates page', () => {
  it('lists apps with icon, versions, origin and release notes, escaping vendor text', () => {
    const t1 = shopTemplate('1.0.0');
    const t2 = shopTemplate('2.0.0');
    t2.spec.description = EVIL;
    t2.spec.icon = 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=';
    t2.metadata.labels = { 'ferry.dev/origin': 'import' };
    const listing = listApps([t1, t2], new Map([['shop@1.0.0', ['ns/shop']]]));
    const html = templatesPage(ctx, listing, iconsOf([t1, t2], listing));
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<img class="icon" src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="');
    expect(text(html)).toContain('2.0.0 import');
    expect(text(html)).toContain('Adds the reports component');
    expect(html).toContain('href="/installs/ns/shop"');
    expect(html).toContain('href="/templates/shop/install?version=2.0.0"');
  });

  it('generates the install form from the parameters; secrets are chosen from a list', () => {
    const html = installFormPage(ctx, {
      template: shopTemplate('1.0.0').spec,
      versions: ['2.0.0', '1.0.0'],
      namespace: 'shop',
      name: 'shop',
      given: new Map([['DB_PASSWORD', 'shop-secrets/db-password']]),
      secrets: { ok: true, secrets: [{ name: 'shop-secrets', keys: ['db-password', 'other'] }] },
      access: { allowed: false, reason: 'viewer may not create appinstalls in namespace shop' },
      equivalent: { command: 'ferry install shop@1.0.0 -n shop', yaml: 'kind: AppInstall\n' },
    }).replace(/\s+/g, ' ');
    expect(html).toMatch(/<label for="param-PUBLIC_URL"\s*>PUBLIC_URL<\/label\s*>/);
    expect(html).toMatch(/<input id="param-PUBLIC_URL" name="param:PUBLIC_URL" value="http:\/\/shop.local"/);
    expect(html).toMatch(/<select id="param-DB_PASSWORD" name="secret:DB_PASSWORD"/);
    expect(html).toContain('<option value="shop-secrets/db-password" selected>');
    expect(html).toMatch(/<button type="submit" class="primary" disabled aria-describedby="why-install"/);
    expect(html).toContain('Not allowed: viewer may not create appinstalls in namespace shop');
    expect(html).toContain('<input type="hidden" name="_csrf" value="CSRF" />');
    expect(html).toContain('ferry install shop@1.0.0 -n shop');
  });

  it('says why Secrets cannot be listed', () => {
    const html = installFormPage(ctx, {
      template: shopTemplate('1.0.0').spec,
      versions: ['1.0.0'],
      namespace: 'shop',
      name: 'shop',
      given: new Map(),
      secrets: { ok: false, reason: 'secrets is forbidden' },
      access: { allowed: true },
      equivalent: { command: '', yaml: '' },
    });
    expect(text(html)).toContain('secrets is forbidden');
  });
});

describe('installs pages', () => {
  it('show health, components with images, retained ones', () => {
    const list = installsPage(ctx, [installed()], 'in every namespace');
    expect(text(list)).toMatch(/shop shop shop 1\.0\.0 Ready 1\/2 — 2\.0\.0/);
    const one = installPage(ctx, installed(), []);
    expect(one).not.toContain(EVIL);
    expect(text(one)).toContain('Retained components legacy (kept running; not in 1.0.0)');
    expect(text(one)).toContain('api Deployment Ready 3/3 3/3 registry.example.com/shop/api:1.0.0');
    expect(one).toContain('data-live="/events?ns=shop"');
  });
});

describe('plan and progress', () => {
  it('shows each component change as a diff and the not-applied values with adopt switches', () => {
    const view = planView(plan(), { adoptable: true }).text;
    expect(text(view)).toContain('+ reports added');
    expect(text(view)).toMatch(
      /replace \/image "registry.example.com\/shop\/api:1.0.0" "registry.example.com\/shop\/api:2.0.0"/,
    );
    expect(view).toMatch(
      /<input\s+type="checkbox"\s+role="switch"\s+form="approve-form"\s+name="adopt"\s+value="api\/Env\/LOG_LEVEL"/,
    );
    expect(text(view)).toContain('Adopt the template’s value for api LOG_LEVEL');
    expect(planView(plan()).text).not.toContain('role="switch"');
  });

  it('lists the hook Jobs the change runs, where in the order, with their images', () => {
    const planned = plan();
    expect(planned.hooks?.map((h) => h.name)).toEqual(['migrate']);
    expect(text(planView(planned))).toMatch(
      /Hook Jobs \(in the order they run\) migrate before level 2 \(api\) registry\.example\.com\/shop\/api:2\.0\.0/,
    );
    expect(planView({ ...planned, hooks: undefined }).text).not.toContain('Hook Jobs');
  });

  it('says whether a component the new version lacks is kept running or deleted', () => {
    const back = planUpgrade(shopTemplate('2.0.0').spec, shopTemplate('1.0.0').spec).plan;
    back.components = back.components.map((c) => (c.name === 'reports' ? { ...c, change: 'Removed' } : c));
    expect(back.retained).toEqual(['reports']);
    expect(text(planView(back))).toContain('− reports not in 1.0.0: kept running');
    expect(text(planView({ ...back, retained: [] }))).toContain(
      '− reports not in 1.0.0: deleted (its PVCs are kept)',
    );
  });

  it('shows progress level by level', () => {
    const view = text(
      progressView(
        [
          { name: 'db', level: 0, state: 'Ready' },
          { name: 'api', level: 1, state: 'Progressing' },
          { name: 'web', level: 2, state: 'Pending' },
        ],
        [['db'], ['api'], ['web']],
      ),
    );
    expect(view).toMatch(
      /Level 1 Ready db Ready Level 2 Progressing api Progressing Level 3 Pending web Pending/,
    );
  });
});

describe('upgrade page', () => {
  const upgrade = (approved: boolean, phase: 'WaitingForApproval' | 'Progressing'): AppUpgrade => ({
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppUpgrade',
    metadata: { name: 'up', namespace: 'shop' },
    spec: { install: 'shop', approval: 'Manual', approved, allowDowngrade: false, includePrereleases: false },
    status: { phase, plan: plan(), toVersion: '2.0.0', message: 'waiting for spec.approved' },
  });

  it('offers approval with adopt switches while waiting, disabled without the right', () => {
    const page = upgradePage(ctx, {
      upgrade: upgrade(false, 'WaitingForApproval'),
      notes: [{ version: '2.0.0', notes: 'Adds reports' }],
      approve: { allowed: false, reason: 'viewer may not patch appupgrades in namespace shop' },
      adopt: { allowed: false, reason: 'viewer may not patch appinstalls in namespace shop' },
      equivalent: { command: 'ferry upgrade shop -n shop --name up --approve', yaml: '' },
    });
    expect(page).toMatch(/id="approve-form"/);
    expect(page).toMatch(/disabled\s+aria-describedby="why-approve-and-start-the-upgrade"/);
    expect(page).not.toContain('role="switch"');
    expect(text(page)).toContain('Adopting values is not allowed: viewer may not patch appinstalls');
  });

  it('shows progress once approved', () => {
    const page = upgradePage(ctx, {
      upgrade: upgrade(true, 'Progressing'),
      notes: [],
      approve: { allowed: true },
      adopt: { allowed: true },
      equivalent: { command: '', yaml: '' },
    });
    expect(page).not.toContain('approve-form"');
    expect(text(page)).toContain('Approved.');
  });
});

describe('history pages', () => {
  const revision = (n: number, outcome: 'Succeeded' | 'Superseded'): AppRevision =>
    ({
      metadata: { name: `shop-${n}`, namespace: 'shop' },
      spec: {
        install: 'shop',
        revision: n,
        app: 'shop',
        version: n === 1 ? '1.0.0' : '2.0.0',
        cause: n === 1 ? 'Install' : 'Upgrade',
        causeRef: n === 1 ? { kind: 'AppInstall', name: 'shop' } : { kind: 'AppUpgrade', name: 'up' },
        images: [],
        inputsDigest: 'a'.repeat(64),
        snapshot: { encoding: 'json', data: '{}', sha256: 'a'.repeat(64) },
      },
      status: { outcome, startedAt: '2026-01-01T00:00:00Z' },
    }) as unknown as AppRevision;

  it('lists revisions newest first with cause, outcome, who, and a way back to the older ones', () => {
    const page = historyPage(ctx, installed(), [revision(1, 'Superseded'), revision(2, 'Succeeded')], {
      upgrades: [],
      rollbacks: [],
    });
    expect(text(page)).toMatch(
      /2 2\.0\.0 Upgrade Succeeded AppUpgrade up .* current 1 1\.0\.0 Install Superseded the AppInstall spec/,
    );
    expect(page).toContain('href="/installs/shop/shop/rollback?to=1"');
    expect(page).not.toContain('rollback?to=2');
  });

  it('shows the hook Jobs a revision ran: state, exit code, Job and the log tail (escaped)', () => {
    const withHooks = revision(2, 'Succeeded');
    withHooks.status!.hooks = [
      {
        name: 'migrate',
        component: 'api',
        phase: 'Pre',
        level: 1,
        job: 'shop-r2-migrate',
        state: 'Succeeded',
        exitCode: 0,
        log: `migrated 3 tables\n${EVIL}\n`,
      },
      { name: 'smoke', component: 'web', phase: 'Post', level: 2, job: 'shop-r2-smoke', state: 'Pending' },
    ];
    const page = historyPage(ctx, installed(), [revision(1, 'Superseded'), withHooks], {
      upgrades: [],
      rollbacks: [],
    });
    expect(text(page)).toMatch(
      /migrate before level 2 \(api\) Succeeded 0 shop-r2-migrate 2 lines migrated 3 tables/,
    );
    expect(text(page)).toMatch(/smoke after level 3 \(web\) Pending — shop-r2-smoke —/);
    expect(page).not.toContain(EVIL);
    // Revision 1 ran none: one hooks table only.
    expect(page.match(/<table class="hooks">/g)).toHaveLength(1);
  });

  it('previews a rollback with the prune switch, and refuses one that cannot be made', () => {
    const preview = rollbackPreviewPage(ctx, installed(), {
      toRevision: 1,
      prune: true,
      name: 'shop-rollback-1',
      access: { allowed: true },
      plan: { ok: true, plan: plan() },
      equivalent: {
        command: 'ferry rollback shop -n shop --to-revision 1 --prune-added-components',
        yaml: '',
      },
    });
    expect(preview).toMatch(
      /role="switch"\s+id="prune"\s+name="prune"\s+value="on"\s+data-autosubmit\s+checked/,
    );
    expect(text(preview)).toContain('ferry rollback shop -n shop --to-revision 1 --prune-added-components');
    const refused = rollbackPreviewPage(ctx, installed(), {
      toRevision: 9,
      prune: false,
      name: 'x',
      access: { allowed: true },
      plan: { ok: false, message: 'spec.toRevision: revision 9 does not exist' },
      equivalent: { command: '', yaml: '' },
    });
    expect(text(refused)).toContain('spec.toRevision: revision 9 does not exist');
    expect(refused).toMatch(/disabled/);
  });
});

describe('markets page', () => {
  it('shows sync status and errors of each AppMarket', () => {
    const page = marketsPage({ ...ctx, markets: true }, [
      {
        metadata: { name: 'acme' },
        spec: { url: 'registry.site.local/acme' },
        status: {
          lastSyncTime: '2026-01-01T00:00:00Z',
          conditions: [
            { type: 'Ready', status: 'False', reason: 'SyncFailed', message: EVIL, lastTransitionTime: 't' },
            {
              type: 'Stalled',
              status: 'True',
              reason: 'SyncFailed',
              message: 'unauthorized',
              lastTransitionTime: 't',
            },
          ],
        },
      },
    ]);
    expect(page).not.toContain(EVIL);
    expect(text(page)).toContain('acme Failed');
    expect(text(page)).toContain('url registry.site.local/acme');
    expect(text(page)).toContain('SyncFailed: unauthorized');
    expect(page).toContain('href="/markets"');
  });
});
