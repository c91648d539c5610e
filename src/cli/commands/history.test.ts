import type { AppRevision } from '../../api/index.js';
import { formatHistory, formatRevision } from './history.js';

const revision = (n: number, extra: Partial<NonNullable<AppRevision['status']>> = {}): AppRevision =>
  ({
    metadata: { name: `shop-r${n}`, namespace: 'shop' },
    spec: {
      install: 'shop',
      revision: n,
      app: 'shop',
      version: n === 1 ? '1.0.0' : '2.0.0',
      cause: n === 1 ? 'Install' : 'Upgrade',
      causeRef: n === 1 ? { kind: 'AppInstall', name: 'shop' } : { kind: 'AppUpgrade', name: 'to-2' },
      images: [
        { component: 'db', image: 'site/shop/db@sha256:1' },
        { component: 'api', image: 'site/shop/api@sha256:2' },
      ],
      inputsDigest: 'a'.repeat(64),
      snapshot: { encoding: 'json', data: '{}', sha256: 'a'.repeat(64) },
    },
    status: { outcome: 'Succeeded', startedAt: '2026-11-30T10:00:00Z', ...extra },
  }) as unknown as AppRevision;

const migrate = {
  name: 'migrate',
  component: 'api',
  phase: 'Pre' as const,
  level: 1,
  job: 'shop-r2-migrate',
  state: 'Failed' as const,
  exitCode: 3,
  message: 'Job failed: BackoffLimitExceeded',
  log: 'connecting to db\nmigration 0002 failed: column exists\n',
};

describe('ferry history', () => {
  const now = Date.parse('2026-11-30T10:05:00Z');

  it('names the hook Jobs each revision ran, with state and exit code, in the list', () => {
    const text = formatHistory([revision(2, { outcome: 'Failed', hooks: [migrate] }), revision(1)], now);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(
      /^2 +2\.0\.0 +Upgrade +Failed +AppUpgrade\/to-2 +5m ago +hooks: migrate Failed \(exit 3\)$/,
    );
    expect(lines[2]).not.toContain('hooks:');
  });

  it('shows one revision in full: components by level, each hook with its log tail', () => {
    const text = formatRevision(
      revision(2, {
        outcome: 'Failed',
        reason: 'HookFailed',
        hooks: [migrate],
        components: [
          { name: 'db', level: 0, state: 'Ready' },
          { name: 'api', level: 1, state: 'Pending' },
        ],
      }),
    );
    expect(text).toContain('Revision 2 of shop: shop 2.0.0');
    expect(text).toContain('Outcome:   Failed (HookFailed)');
    expect(text).toMatch(/ {2}db +1 +Ready +site\/shop\/db@sha256:1/);
    expect(text).toMatch(/ {2}api +2 +Pending +site\/shop\/api@sha256:2/);
    expect(text).toContain('migrate: Failed, before level 2 (api), Job shop-r2-migrate, exit code 3');
    expect(text).toContain('    Job failed: BackoffLimitExceeded');
    expect(text).toContain('    | connecting to db\n    | migration 0002 failed: column exists');
    expect(text.endsWith('column exists')).toBe(true);
  });

  it('names the parameters a ParameterChange re-rendered for', () => {
    const rotated = revision(3);
    rotated.spec.cause = 'ParameterChange';
    rotated.spec.causeRef = { kind: 'AppInstall', name: 'shop' };
    rotated.spec.changedParameters = ['DB_PASSWORD'];
    expect(formatHistory([rotated], Date.parse('2026-11-30T10:00:00Z')).split('\n')[1]).toMatch(
      /^3 +2\.0\.0 +ParameterChange +Succeeded +spec +0s ago +changed parameters: DB_PASSWORD$/,
    );
    expect(formatRevision(rotated)).toContain('Changed:   parameters DB_PASSWORD (their Secret content)');
  });

  it('says when a revision ran no hooks by leaving the section out', () => {
    expect(formatRevision(revision(1))).not.toContain('Hook Jobs');
  });
});
