import type { AppTemplate } from '../api/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { templateOrigin } from './install-status.js';
import { syncedMarketStatus, failedMarketStatus } from './market-status.js';
import type { OfferedVersion } from './market-sync.js';
import { parseDuration, planMarketSync, retryDelayMs } from './market-sync.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function template(
  version: string,
  image: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): AppTemplate {
  return {
    apiVersion: 'ferry.dev/v1alpha1',
    kind: 'AppTemplate',
    metadata: { name: `shop.${version}`, ...meta },
    spec: {
      app: 'shop',
      version,
      components: [{ name: 'web', image, workload: 'Deployment', replicas: 1 }],
    },
  } as AppTemplate;
}

const fromAcme = (version: string, digest: string) =>
  template(version, 'm.example/acme/shop/web@sha256:aa', {
    labels: { 'ferry.dev/origin': 'market', 'ferry.dev/market': 'acme' },
    annotations: { 'ferry.dev/market-digest': digest },
  });

const offered = (version: string, extra: Partial<OfferedVersion> = {}): OfferedVersion => ({
  app: 'shop',
  version,
  digest: D1,
  ...extra,
});

describe('planMarketSync', () => {
  const rows: [string, OfferedVersion, AppTemplate | undefined, string][] = [
    [
      'a new admitted version is created',
      offered('1.0.0', { template: fromAcme('1.0.0', D1) }),
      undefined,
      'create',
    ],
    [
      'a version this market synced before is unchanged',
      offered('1.0.0'),
      fromAcme('1.0.0', D1),
      'unchanged',
    ],
    [
      'the same content from elsewhere is unchanged (and not taken over)',
      offered('1.0.0', { template: fromAcme('1.0.0', D2) }),
      template('1.0.0', 'm.example/acme/shop/web@sha256:aa', { labels: { 'ferry.dev/origin': 'import' } }),
      'unchanged',
    ],
    [
      'other content under the same name is a conflict',
      offered('1.0.0', { template: fromAcme('1.0.0', D1) }),
      template('1.0.0', 'site.example/shop/web:1.0.0', { labels: { 'ferry.dev/origin': 'import' } }),
      'conflict',
    ],
    [
      'this market with another manifest digest is a conflict',
      offered('1.0.0', { digest: D2, template: fromAcme('1.0.0', D2) }),
      template('1.0.0', 'm.example/acme/shop/web@sha256:bb', {
        labels: { 'ferry.dev/market': 'acme' },
        annotations: { 'ferry.dev/market-digest': D1 },
      }),
      'conflict',
    ],
    [
      'a refused version is refused',
      offered('2.0.0', { problem: 'refused: unsigned' }),
      undefined,
      'refused',
    ],
    [
      'a refused version already synced stays (never deleted)',
      offered('1.0.0', { problem: 'refused: unsigned' }),
      fromAcme('1.0.0', D1),
      'unchanged',
    ],
    [
      'a refused version whose name is taken is refused, not a conflict',
      offered('1.0.0', { problem: 'refused: bad signature' }),
      template('1.0.0', 'x/y:1'),
      'refused',
    ],
  ];
  it.each(rows)('%s', (_name, offer, existing, action) => {
    const plan = planMarketSync(
      'acme',
      [offer],
      new Map(existing ? [[existing.metadata.name, existing]] : []),
    );
    expect(plan.outcomes.map((o) => o.action)).toEqual([action]);
    expect(plan.create.length).toBe(action === 'create' ? 1 : 0);
  });

  it('names both digests in a conflict, and says which is which', () => {
    const site = template('1.0.0', 'site.example/shop/web:1.0.0', {
      labels: { 'ferry.dev/origin': 'import' },
    });
    const plan = planMarketSync(
      'acme',
      [offered('1.0.0', { template: fromAcme('1.0.0', D1) })],
      new Map([[site.metadata.name, site]]),
    );
    const contentDigest = `sha256:${sha256Hex(canonicalJson(site.spec))}`;
    expect(plan.conflicts[0]!.clusterDigest).toBe(contentDigest);
    expect(plan.conflicts[0]!.problem).toBe(
      `conflict: AppTemplate shop.1.0.0 already exists with other content (origin import) and is left alone: ` +
        `the market's version has manifest digest ${D1}, the cluster's template has content digest ${contentDigest} (status.contentDigest)`,
    );
  });
});

describe('market status', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  it('lists versions newest first with their templates or problems; Ready only when all synced', () => {
    const plan = planMarketSync(
      'acme',
      [
        offered('1.0.0'),
        offered('2.0.0', { digest: D2, template: fromAcme('2.0.0', D2) }),
        offered('10.0.0', { problem: 'refused: unsigned' }),
      ],
      new Map([['shop.1.0.0', fromAcme('1.0.0', D1)]]),
    );
    const status = syncedMarketStatus({
      previous: {},
      url: 'm.example/acme',
      apps: [{ name: 'shop', listed: true, publisher: 'sha256:abc' }],
      plan,
      generation: 3,
      now,
    });
    expect(status.apps).toEqual([
      {
        name: 'shop',
        listed: true,
        publisher: 'sha256:abc',
        versions: [
          { version: '10.0.0', digest: D1, problem: 'refused: unsigned' },
          { version: '2.0.0', digest: D2, template: 'shop.2.0.0' },
          { version: '1.0.0', digest: D1, template: 'shop.1.0.0' },
        ],
        error: '10.0.0: refused: unsigned',
      },
    ]);
    expect(status.message).toBe('m.example/acme: 1 app, 2 versions synced; 1 version refused');
    expect(status.lastSyncTime).toBe('2026-03-01T10:00:00Z');
    expect(status.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'VersionsNotSynced'],
      ['Stalled', 'True', 'VersionsNotSynced'],
    ]);

    const clean = syncedMarketStatus({
      previous: status,
      url: 'm.example/acme',
      apps: [{ name: 'shop', listed: true }],
      plan: planMarketSync('acme', [offered('1.0.0')], new Map([['shop.1.0.0', fromAcme('1.0.0', D1)]])),
      generation: 3,
      now,
    });
    expect(clean.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'MarketSynced'],
    ]);
  });

  it('a failed sync keeps the apps and the last sync time, and says why', () => {
    const previous = { lastSyncTime: '2026-03-01T09:00:00Z', apps: [{ name: 'shop', listed: true }] };
    const failed = failedMarketStatus({
      previous,
      reason: 'MarketUnreachable',
      message: 'm.example/acme: connect ECONNREFUSED',
      stalled: false,
      generation: 3,
      now,
    });
    expect(failed.apps).toEqual(previous.apps);
    expect(failed.lastSyncTime).toBe(previous.lastSyncTime);
    expect(failed.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'MarketUnreachable'],
      ['Reconciling', 'True', 'MarketUnreachable'],
    ]);
    expect(failed.message).toContain(
      'AppTemplates synced before stay (last successful sync 2026-03-01T09:00:00Z)',
    );
  });
});

describe('durations and retries', () => {
  it.each([
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['45s', 45_000],
    ['100ms', 1000],
    ['1.5s', 1500],
    ['10', undefined],
    ['5d', undefined],
  ])('%s → %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('backs off from 5 s, never beyond the interval or 5 minutes', () => {
    expect([1, 2, 3, 10].map((n) => retryDelayMs(n, 3_600_000))).toEqual([5000, 10_000, 20_000, 300_000]);
    expect(retryDelayMs(3, 8000)).toBe(8000);
  });
});

describe('templateOrigin (AppInstall status.availableUpgradeOrigins)', () => {
  it.each([
    [
      { 'ferry.dev/origin': 'market', 'ferry.dev/market': 'acme' },
      { origin: 'market', market: 'acme' },
    ],
    [{ 'ferry.dev/origin': 'market' }, { origin: 'market' }],
    [{ 'ferry.dev/origin': 'import' }, { origin: 'import' }],
    [{ 'ferry.dev/origin': 'publish' }, { origin: 'publish' }],
    [{ 'ferry.dev/origin': 'something-else' }, { origin: 'manual' }],
    [undefined, { origin: 'manual' }],
  ])('%j → %j', (labels, expected) => {
    expect(templateOrigin({ metadata: { name: 'x', ...(labels ? { labels } : {}) } })).toEqual(expected);
  });
});
