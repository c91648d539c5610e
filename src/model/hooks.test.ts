import type { AppTemplateSpec, Hook } from '../api/index.js';
import { appTemplateSchema } from '../api/index.js';
import { clone, shopTemplate } from '../testing/fixtures.js';
import { draftInstall, draftRollback, draftUpgrade } from './drafts.js';
import { hooksToRun } from './hooks.js';
import { hookJobName } from './names.js';
import { planUpgrade } from './plan.js';
import { validateTemplate } from './validate.js';

const v1 = () => shopTemplate('1.0.0').spec;
const v2 = () => shopTemplate('2.0.0').spec;

/** A hook as the schema completes it (defaults applied). */
function hook(partial: Partial<Hook> & Pick<Hook, 'name' | 'component'>): Hook {
  const spec = appTemplateSchema.parse({
    ...shopTemplate('2.0.0'),
    spec: { ...v2(), hooks: [{ phase: 'Pre', image: 'img', ...partial }] },
  }).spec;
  return spec.hooks![0]!;
}

const withHooks = (spec: AppTemplateSpec, hooks: Hook[]): AppTemplateSpec => ({ ...clone(spec), hooks });
const names = (list: { name: string }[]) => list.map((h) => h.name);

describe('hooksToRun', () => {
  it('orders hooks by level, a level’s Pre hooks before it and its Post hooks after it', () => {
    const spec = withHooks(v2(), [
      hook({ name: 'notify', component: 'web', phase: 'Post' }),
      hook({ name: 'warm', component: 'reports', phase: 'Pre' }),
      hook({ name: 'check-db', component: 'db', phase: 'Post' }),
      hook({ name: 'migrate', component: 'api', phase: 'Pre' }),
      hook({ name: 'backup', component: 'db', phase: 'Pre' }),
    ]);
    const run = hooksToRun(spec, 'Upgrade');
    expect(run.map((h) => `${h.level}:${h.phase}:${h.name}`)).toEqual([
      '0:Pre:backup',
      '0:Post:check-db',
      '1:Pre:migrate',
      '2:Pre:warm',
      '2:Post:notify',
    ]);
  });

  it('runs a hook only for the causes it lists (default Install and Upgrade)', () => {
    const spec = withHooks(v2(), [
      hook({ name: 'migrate', component: 'api' }),
      hook({ name: 'restore', component: 'api', causes: ['Rollback'] }),
      hook({ name: 'reload', component: 'web', causes: ['ConfigChange', 'Upgrade'] }),
    ]);
    expect(names(hooksToRun(spec, 'Install'))).toEqual(['migrate']);
    expect(names(hooksToRun(spec, 'Upgrade'))).toEqual(['migrate', 'reload']);
    expect(names(hooksToRun(spec, 'Rollback'))).toEqual(['restore']);
    expect(names(hooksToRun(spec, 'ConfigChange'))).toEqual(['reload']);
  });

  it('runs only the hooks of the upgraded components in a partial upgrade', () => {
    const spec = withHooks(v2(), [
      hook({ name: 'migrate', component: 'api' }),
      hook({ name: 'w', component: 'web' }),
    ]);
    expect(names(hooksToRun(spec, 'Upgrade', ['web']))).toEqual(['w']);
    expect(names(hooksToRun(spec, 'Install', ['web']))).toEqual(['migrate', 'w']);
  });
});

describe('hooks in plans', () => {
  it('an upgrade plan lists the new version’s hooks with level, phase and image', () => {
    const { plan } = planUpgrade(v1(), v2());
    expect(plan.hooks).toEqual([
      {
        name: 'migrate',
        component: 'api',
        phase: 'Pre',
        level: 1,
        image: 'registry.example.com/shop/api:2.0.0',
      },
    ]);
  });

  it('an install of 2.0.0 runs the migration too; a plan without hooks has no hooks field', () => {
    expect(draftInstall(v2(), {}).plan.hooks?.map((h) => h.name)).toEqual(['migrate']);
    expect(draftInstall(v1(), {}).plan).not.toHaveProperty('hooks');
  });

  it('a rollback runs the restored version’s Rollback hooks, not the version it leaves', () => {
    const restore = hook({ name: 'restore', component: 'api', causes: ['Rollback'] });
    const first = draftInstall(withHooks(v1(), [restore]), {});
    const second = draftUpgrade(first.content, v2(), {});
    const back = draftRollback(second.content, { revision: 1, content: first.content }, {}, false);
    expect(back.plan.hooks?.map((h) => h.name)).toEqual(['restore']);
    const none = draftRollback(
      second.content,
      { revision: 1, content: draftInstall(v1(), {}).content },
      {},
      false,
    );
    expect(none.plan).not.toHaveProperty('hooks');
  });

  it('a partial upgrade keeps the applied hooks of the components it leaves alone', () => {
    const old = hook({ name: 'old-web', component: 'web', image: 'old' });
    const applied = withHooks(v1(), [old]);
    const result = planUpgrade(applied, v2(), { components: ['api'] });
    expect(result.spec.hooks?.map((h) => `${h.name}:${h.image}`)).toEqual([
      'migrate:registry.example.com/shop/api:2.0.0',
      'old-web:old',
    ]);
  });
});

describe('hookJobName', () => {
  it('is <install>-r<revision>-<hook>, and a stable hash-suffixed name when that is too long', () => {
    expect(hookJobName('shop', 2, 'migrate')).toBe('shop-r2-migrate');
    const long = hookJobName('a'.repeat(50), 12345, 'migrate-the-database');
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^a+-[a-f0-9]{8}-r12345-migrate-the-database$/);
    expect(hookJobName('a'.repeat(50), 12345, 'migrate-the-database')).toBe(long);
    expect(hookJobName('a'.repeat(50), 12346, 'migrate-the-database')).not.toBe(long);
  });
});

describe('hook validation', () => {
  const problems = (hooks: unknown[]) => {
    const template = shopTemplate('2.0.0');
    const result = validateTemplate({ ...template, spec: { ...template.spec, hooks } });
    return result.ok ? [] : result.problems.map((p) => `${p.field}: ${p.message}`);
  };

  it('accepts the shop’s migration', () => {
    expect(problems(v2().hooks!)).toEqual([]);
  });

  it('names the field of an unknown component, a duplicate name, an undeclared or secret parameter', () => {
    expect(
      problems([
        { name: 'a', component: 'cache', phase: 'Pre', image: 'i' },
        { name: 'a', component: 'api', phase: 'Post', image: 'i', args: ['${params.NOPE}'] },
        {
          name: 'b',
          component: 'api',
          phase: 'Pre',
          image: 'i',
          env: [{ name: 'P', value: '${params.DB_PASSWORD}' }],
        },
      ]),
    ).toEqual([
      'spec.hooks[0].component: unknown component "cache"; expected one of: db, api, web, reports',
      'spec.hooks[1].name: duplicate hook name "a"',
      'spec.hooks[1].args[0]: ${params.NOPE} refers to an undeclared parameter; declare it in spec.parameters',
      'spec.hooks[2].env[0].value: ${params.DB_PASSWORD} is a secret parameter, which a hook\'s own env, command and args cannot hold (they would be written into the Job); give component "api" an env var with that value and keep componentEnv: true',
    ]);
  });

  it('refuses a bad phase, cause or deadline through the schema, naming the field', () => {
    expect(
      problems([
        {
          name: 'x',
          component: 'api',
          phase: 'During',
          image: 'i',
          causes: ['Sometimes'],
          activeDeadlineSeconds: 0,
        },
      ]),
    ).toEqual([
      expect.stringMatching(/^spec\.hooks\[0\]\.phase: /),
      expect.stringMatching(/^spec\.hooks\[0\]\.causes\[0\]: /),
      expect.stringMatching(/^spec\.hooks\[0\]\.activeDeadlineSeconds: /),
    ]);
  });
});
