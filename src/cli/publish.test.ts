import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppTemplate } from '../api/index.js';
import { composeFile, envFile } from '../bundle/compose.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { iconDataUri, parseDepends, parseMaintainer } from './commands/publish-args.js';
import { formatListing, listApps } from './commands/templates.js';
import { formatAppDetails, formatReleaseNotes } from './format-details.js';
import { main } from './main.js';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-publish-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, content: Buffer | string) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};

async function ferry(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('publish arguments', () => {
  it('reads an icon as a data: URI typed by its content, and refuses what is not an image', () => {
    expect(iconDataUri(file('logo.bin', PNG))).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    expect(
      iconDataUri(file('logo.svg', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')),
    ).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(() => iconDataUri(file('logo.png', 'not an image'))).toThrow(
      /--icon .*logo\.png: not a PNG, JPEG, GIF, WebP or SVG image/,
    );
  });

  it('parses maintainers and dependencies, and says what it expected', () => {
    expect(parseMaintainer('Shop team <shop@example.com>')).toEqual({
      name: 'Shop team',
      email: 'shop@example.com',
    });
    expect(parseMaintainer('Ann')).toEqual({ name: 'Ann' });
    expect(() => parseMaintainer('<a@b>')).toThrow('--maintainer <a@b>: expected "Name" or "Name <email>"');
    expect(parseDepends(['web=api,db', 'web=cache', 'api=db'])).toEqual({
      web: ['api', 'db', 'cache'],
      api: ['db'],
    });
    expect(() => parseDepends(['web'])).toThrow('--depends web: expected COMPONENT=DEP[,DEP...]');
  });

  it('refuses bad command lines before touching a cluster (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['publish', '--version', '1.0.0'], 'name an AppInstall, or --from-namespace NS with --selector'],
      [
        ['publish', 'shop', '--from-namespace', 'dev', '--version', '1.0.0'],
        'name an AppInstall, or --from-namespace',
      ],
      [
        ['publish', '--from-namespace', 'dev', '--app', 'a', '--version', '1.0.0'],
        '--from-namespace needs --selector',
      ],
      [['publish', '--from-namespace', 'dev', '-l', 'a=b', '--version', '1.0.0'], '--app is required'],
      [['publish', 'shop'], '--version is required'],
      [['publish', 'shop', '--version', '1.0.0+build'], '--version must be a SemVer 2.0 version'],
      [['publish', 'shop', '--version', '1.0.0', '--depends', 'a=b'], '--depends is for --from-namespace'],
      [['publish', 'shop', '--version', '1.0.0', '--icon', file('x.txt', 'text')], 'not a PNG'],
      [['install'], 'name one application: ferry install APP[@VERSION]'],
      [['install', 'shop', '--set', 'NOVALUE'], '--set NOVALUE: expected NAME=VALUE'],
      [['install', 'shop', '--set-secret', 'A=secret'], '--set-secret A=secret: expected NAME=SECRET/KEY'],
      [['install', 'shop', '-o', 'json'], '-o must be yaml'],
      [['templates', '-o', 'xml'], '-o must be text, json or yaml'],
    ];
    for (const [argv, message] of cases) {
      const r = await ferry(...argv);
      expect([argv.join(' '), r.code, r.err.split('\n')[0]]).toEqual([
        argv.join(' '),
        2,
        expect.stringContaining(message),
      ]);
    }
  });
});

describe('ferry templates (listing)', () => {
  const t = (version: '1.0.0' | '2.0.0', origin?: string, edit: Partial<AppTemplate['spec']> = {}) => {
    const template = clone(shopTemplate(version));
    if (origin) template.metadata.labels = { 'ferry.dev/origin': origin };
    template.spec = { ...template.spec, ...edit };
    return template;
  };

  it('groups versions by app, highest first, with origin, publisher, where installed and notes', () => {
    const listing = listApps(
      [
        t('1.0.0', 'import', { releaseNotes: 'First.' }),
        t('2.0.0', 'publish', {
          releaseNotes: 'Adds reports.\nMore.',
          publication: {
            publishedAt: '2026-11-30T10:00:00Z',
            publishedBy: 'alice',
            source: { kind: 'Workloads' },
          },
        }),
      ],
      new Map([['shop@1.0.0', ['site/shop', 'qa/shop']]]),
    );
    expect(
      listing.map((a) => [a.app, a.categories, a.versions.map((v) => [v.version, v.origin, v.installedIn])]),
    ).toEqual([
      [
        'shop',
        ['shop'],
        [
          ['2.0.0', 'publish', []],
          ['1.0.0', 'import', ['site/shop', 'qa/shop']],
        ],
      ],
    ]);
    expect(formatListing(listing).split('\n')).toEqual([
      'shop (Shop) — Web shop with an API and a PostgreSQL database.',
      '  categories:  shop',
      '  maintainers: Shop team <shop@example.com>',
      '  VERSION   ORIGIN    PUBLISHED BY   INSTALLED IN         NOTES',
      '  2.0.0     publish   alice          -                    Adds reports.',
      '  1.0.0     import    -              site/shop, qa/shop   First.',
    ]);
    expect(listApps([t('1.0.0')], new Map())[0]!.versions[0]!.origin).toBe('manual');
  });
});

describe('app details and release notes', () => {
  it('shows the details of the highest version and each version’s notes and publication', () => {
    const v1 = { ...clone(shopTemplate('1.0.0').spec), releaseNotes: 'First.' };
    const v2 = {
      ...clone(shopTemplate('2.0.0').spec),
      icon: `data:image/png;base64,${PNG.toString('base64')}`,
      releaseNotes: 'Adds reports.',
      publication: {
        publishedAt: '2026-11-30T10:00:00Z',
        publishedBy: 'alice',
        source: { kind: 'AppInstall' as const, namespace: 'dev', install: 'shop', revision: 3 },
      },
    };
    expect(formatAppDetails([v1, v2])).toEqual([
      'name:       Shop',
      'about:      Web shop with an API and a PostgreSQL database.',
      `icon:       image/png, ${v2.icon.length} characters`,
      'categories: shop',
      'maintainers: Shop team <shop@example.com>',
      'release 2.0.0: published 2026-11-30T10:00:00Z by alice from AppInstall dev/shop revision 3',
      '  | Adds reports.',
      'release 1.0.0:',
      '  | First.',
    ]);
    expect(formatReleaseNotes([{ version: '2.0.0', notes: 'a\nb\n' }])).toBe(
      'Release notes:\n  2.0.0:\n    | a\n    | b',
    );
    expect(formatReleaseNotes([])).toBe('Release notes: none recorded for these versions.');
  });
});

describe('ferry template from-compose', () => {
  it('reads an exported Compose directory (compose file, .env, config files) back into a valid template', async () => {
    const original = clone(shopTemplate('1.0.0'));
    const dir = mkdtempSync(join(tmp, 'compose-'));
    writeFileSync(join(dir, 'docker-compose.yaml'), composeFile(original));
    writeFileSync(join(dir, '.env'), envFile(original));
    mkdirSync(join(dir, 'config', 'db'), { recursive: true });
    writeFileSync(join(dir, 'config', 'db', 'postgresql.conf'), 'max_connections = 100\n');
    const out = join(dir, 'shop.yaml');
    const fromCompose = [
      'template',
      'from-compose',
      join(dir, 'docker-compose.yaml'),
      '--app',
      'shop',
      '--version',
      '1.0.0',
    ];
    const r = await ferry(...fromCompose, '--volume-size', '10Gi', '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote AppTemplate shop.1.0.0 to ${out}`);
    const validate = await ferry('validate', '-f', out);
    expect(validate).toEqual({ code: 0, out: `${out}: AppTemplate ok`, err: '' });
    const template = yaml.load(readFileSync(out, 'utf8')) as AppTemplate;
    expect(template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'shop',
      'ferry.dev/origin': 'publish',
    });
    expect(template.spec.publication?.source).toEqual({
      kind: 'Compose',
      file: join(dir, 'docker-compose.yaml'),
    });
    const db = template.spec.components.find((c) => c.name === 'db')!;
    expect(db.configFiles).toEqual([
      {
        name: 'postgresql.conf',
        mountPath: '/etc/postgresql/postgresql.conf',
        content: 'max_connections = 100\n',
      },
    ]);
    expect(db.volumes).toEqual([
      { name: 'data', mountPath: '/var/lib/postgresql/data', size: '10Gi', accessModes: ['ReadWriteOnce'] },
    ]);
    expect(composeFile(template)).toBe(composeFile(original));
    // the output file is never overwritten
    const again = await ferry(...fromCompose, '-o', out);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/EEXIST/);
  });

  it('names the problem in a file that is not Compose', async () => {
    const bad = file('bad-compose.yaml', 'services: { a: { build: . } }\n');
    const r = await ferry('template', 'from-compose', bad, '--app', 'a', '--version', '1.0.0');
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `ferry template: ${bad}: services.a: no image (a "build:" section cannot be published; build and push the image, then name it)`,
    });
  });
});
