import { clone, shopInstall, shopTemplate } from '../testing/fixtures.js';
import { captureInstall, installNotPublishable } from './capture-install.js';
import {
  composeSpec,
  decidePublish,
  notesBetween,
  publishProblems,
  publishedContent,
  specChanges,
} from './publish.js';
import type { RevisionContent } from './snapshot.js';

const v1 = () => clone(shopTemplate('1.0.0').spec);
const v2 = () => clone(shopTemplate('2.0.0').spec);
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('decidePublish', () => {
  it('creates the first version of an app, and a greater one with the highest existing as the base', () => {
    expect(decidePublish(v1(), [])).toEqual({ action: 'create' });
    const next = { ...v2(), version: '2.1.0' };
    expect(decidePublish(next, [v1(), v2()])).toEqual({ action: 'create', previous: v2() });
  });

  it('refuses a version not greater than every existing one, naming them', () => {
    const lower = { ...v1(), version: '1.5.0' };
    const d = decidePublish(lower, [v1(), v2()]);
    expect(d).toEqual({
      action: 'refuse',
      reason: "version 1.5.0 is not greater than shop's existing 2.0.0 (versions: 1.0.0, 2.0.0)",
    });
    // a pre-release of the highest version is lower than it by SemVer precedence
    expect(decidePublish({ ...v1(), version: '2.0.0-rc.1' }, [v2()]).action).toBe('refuse');
    // other apps do not count
    expect(decidePublish({ ...v1(), app: 'other', version: '0.1.0' }, [v2()]).action).toBe('create');
  });

  it('refuses an existing version with other content, and accepts it unchanged with the same content', () => {
    const changed = v2();
    changed.components[0]!.replicas = 5;
    expect(decidePublish(changed, [v1(), v2()])).toEqual({
      action: 'refuse',
      reason:
        'shop 2.0.0 exists with other content; a published version never changes: publish a greater version',
    });
    const republished = {
      ...v2(),
      publication: {
        publishedAt: '2026-01-01T00:00:00Z',
        publishedBy: 'someone-else',
        source: { kind: 'Workloads' as const, namespace: 'dev', selector: 'app=shop' },
      },
    };
    expect(decidePublish(republished, [v1(), v2()])).toEqual({ action: 'unchanged', existing: v2() });
  });
});

describe('publishedContent', () => {
  it('ignores the publication record and defaults, not the content', () => {
    const a = v1();
    const b = {
      ...v1(),
      publication: { publishedAt: 'x', publishedBy: 'y', source: { kind: 'AppInstall' as const } },
    };
    expect(publishedContent(a)).toBe(publishedContent(b));
    expect(publishedContent({ ...a, releaseNotes: 'new' })).not.toBe(publishedContent(a));
  });
});

describe('composeSpec', () => {
  it('takes details given now, else the previous version’s, and never carries release notes over', () => {
    const previous = {
      ...v1(),
      categories: ['shop'],
      releaseNotes: 'first',
      maintainers: [{ name: 'Shop team', email: 'shop@example.com' }],
    };
    const spec = composeSpec({
      app: 'shop',
      version: '2.0.0',
      captured: { components: v2().components, parameters: v2().parameters },
      details: { description: 'Now with reports', releaseNotes: 'adds reports' },
      previous,
    });
    expect(spec.description).toBe('Now with reports');
    expect(spec.displayName).toBe('Shop');
    expect(spec.categories).toEqual(['shop']);
    expect(spec.maintainers).toEqual([{ name: 'Shop team', email: 'shop@example.com' }]);
    expect(spec.releaseNotes).toBe('adds reports');
    expect(spec.parameters).toEqual(v2().parameters);
    expect(publishProblems(spec)).toEqual([]);
    const bare = composeSpec({ app: 'shop', version: '2.0.1', captured: v2(), details: {}, previous: spec });
    expect(bare.releaseNotes).toBeUndefined();
    // an empty parameter list is left out, so it does not show up as a change
    const noParams = composeSpec({
      app: 'a',
      version: '1.0.0',
      captured: { components: [], parameters: [] },
      details: {},
    });
    expect('parameters' in noParams).toBe(false);
  });
});

describe('publishProblems (app details)', () => {
  it('accepts a small data: URI icon and refuses a URL, a non-image and an oversized one', () => {
    const png = `data:image/png;base64,${Buffer.from('png!').toString('base64')}`;
    expect(publishProblems({ ...v1(), icon: png })).toEqual([]);
    const fields = (icon: string) =>
      publishProblems({ ...v1(), icon }).map((p) => `${p.field}: ${p.message}`);
    expect(fields('https://example.com/icon.png')).toEqual([
      'spec.icon: icon must be a data: URI of a PNG, JPEG, GIF, WebP or SVG image in base64 (data:image/png;base64,...)',
    ]);
    expect(fields('data:text/html;base64,PGI+')).toHaveLength(1);
    const big = `data:image/png;base64,${'A'.repeat(65536)}`;
    expect(fields(big)[0]).toMatch(/^spec\.icon: icon must be at most 65536 characters/);
  });

  it('refuses a bad category and maintainer email, naming the field', () => {
    const problems = publishProblems({
      ...v1(),
      categories: ['Databases'],
      maintainers: [{ name: 'x', email: 'nope' }],
    }).map((p) => p.field);
    expect(problems).toEqual(['spec.categories.0', 'spec.maintainers.0.email']);
  });
});

describe('notesBetween', () => {
  it('lists the release notes of every version after the installed one up to the target, lowest first', () => {
    const t = (version: string, releaseNotes?: string) => ({ ...v1(), version, releaseNotes });
    const all = [
      t('1.0.0', 'one'),
      t('1.1.0', 'one-one'),
      t('1.2.0'),
      t('2.0.0', 'two'),
      t('3.0.0', 'three'),
    ];
    expect(notesBetween(all, '1.0.0', '2.0.0')).toEqual([
      { version: '1.1.0', notes: 'one-one' },
      { version: '2.0.0', notes: 'two' },
    ]);
  });
});

describe('captureInstall', () => {
  const content = (): RevisionContent => {
    const install = shopInstall();
    return {
      template: v1(),
      effective: v1(),
      parameters: [
        { name: 'DB_PASSWORD', redacted: true },
        { name: 'PUBLIC_URL', value: 'https://shop.customer.example' },
      ],
      overrides: install.spec.overrides ?? [],
      retained: [],
      prune: [],
    };
  };

  it('makes the overrides and plain parameter values the new defaults, secrets never', () => {
    const c = captureInstall(content(), new Map([['api', DIGEST]]));
    const api = c.components.find((x) => x.name === 'api')!;
    expect(api.env?.find((e) => e.name === 'LOG_LEVEL')?.value).toBe('debug');
    expect(api.image).toBe(`registry.example.com/shop/api:1.0.0@${DIGEST}`);
    const db = c.components.find((x) => x.name === 'db')!;
    expect(db.configFiles?.[0]?.content).toContain('max_connections = 300');
    expect(c.parameters.find((p) => p.name === 'PUBLIC_URL')?.default).toBe('https://shop.customer.example');
    expect(c.parameters.find((p) => p.name === 'DB_PASSWORD')).toEqual(v1().parameters![0]);
    expect(c.notes).toContain(
      'db: image registry.example.com/shop/db:1.0.0 is not pinned by digest (no pod reports its digest); export pins it',
    );
  });

  it('carries the app details of the template the install runs, not its release notes', () => {
    const x = content();
    x.template = { ...x.template, categories: ['shop'], releaseNotes: 'old notes' };
    expect(captureInstall(x).details).toEqual({
      displayName: 'Shop',
      description: 'Web shop with an API and a PostgreSQL database.',
      categories: ['shop'],
    });
  });

  it('leaves out components retained from an earlier version, and says so', () => {
    const x = content();
    x.effective.components.push({ ...x.effective.components[0]!, name: 'reports' });
    const c = captureInstall(x);
    expect(c.components.map((k) => k.name)).toEqual(['db', 'api', 'web']);
    expect(c.uncaptured).toEqual(['component reports: retained from an earlier version, not part of 1.0.0']);
  });
});

describe('installNotPublishable', () => {
  const ready = () => {
    const i = shopInstall();
    i.metadata.generation = 2;
    i.status = {
      observedGeneration: 2,
      revision: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'ok',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    } as typeof i.status;
    return i;
  };
  it('accepts a Ready install and refuses one not Ready, in a change, or not yet observed', () => {
    expect(installNotPublishable(ready())).toBeUndefined();
    const failed = ready();
    failed.status!.conditions![0] = {
      ...failed.status!.conditions![0]!,
      status: 'False',
      reason: 'UpgradeFailed',
      message: 'api stuck',
    };
    expect(installNotPublishable(failed)).toBe(
      'AppInstall shop/shop is not Ready (UpgradeFailed: api stuck); publish from an install whose current revision rolled out',
    );
    const busy = ready();
    busy.status!.operation = { kind: 'Upgrade', revision: 2 } as never;
    expect(installNotPublishable(busy)).toMatch(/has a change in progress \(revision 2\)/);
    const stale = ready();
    stale.metadata.generation = 3;
    expect(installNotPublishable(stale)).toMatch(/has not yet seen its latest spec/);
  });
});

describe('specChanges', () => {
  it('lists parameters and app details added, removed or changed', () => {
    const to = { ...v2(), categories: ['shop'], description: 'other' };
    to.parameters = [
      { ...to.parameters![0]!, description: 'new' },
      { name: 'X', required: false, secret: false },
    ];
    expect(specChanges(v1(), to)).toEqual([
      { what: 'parameter DB_PASSWORD', change: 'Changed' },
      { what: 'parameter X', change: 'Added' },
      { what: 'parameter PUBLIC_URL', change: 'Removed' },
      { what: 'description', change: 'Changed' },
      { what: 'categories', change: 'Added' },
      { what: 'maintainers', change: 'Added' },
    ]);
    expect(specChanges(v1(), v1())).toEqual([]);
  });
});
