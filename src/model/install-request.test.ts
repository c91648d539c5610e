import { clone, shopTemplate } from '../testing/fixtures.js';
import { draftInstall, latestVersion } from './install-request.js';

const v1 = () => clone(shopTemplate('1.0.0').spec);
const request = (over: object = {}) => ({
  name: 'shop',
  namespace: 'site',
  values: [],
  secrets: [],
  ...over,
});
const messages = (r: ReturnType<typeof draftInstall>) =>
  r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);

describe('latestVersion', () => {
  it('is the highest release by SemVer, a pre-release only when nothing else exists', () => {
    expect(latestVersion(['1.0.0', '10.0.0', '2.0.0', '11.0.0-rc.1'])).toBe('10.0.0');
    expect(latestVersion(['1.0.0-alpha', '1.0.0-beta'])).toBe('1.0.0-beta');
    expect(latestVersion([])).toBeUndefined();
  });
});

describe('draftInstall', () => {
  it('builds the AppInstall with plain and Secret-backed values', () => {
    const r = draftInstall(
      v1(),
      request({
        values: [{ name: 'PUBLIC_URL', value: 'https://shop.site' }],
        secrets: [{ name: 'DB_PASSWORD', secret: 'shop-secrets', key: 'db-password' }],
      }),
    );
    expect(r).toEqual({
      ok: true,
      install: {
        apiVersion: 'ferry.dev/v1alpha1',
        kind: 'AppInstall',
        metadata: { name: 'shop', namespace: 'site' },
        spec: {
          app: 'shop',
          version: '1.0.0',
          parameters: [
            { name: 'PUBLIC_URL', value: 'https://shop.site' },
            {
              name: 'DB_PASSWORD',
              valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'db-password' } },
            },
          ],
        },
      },
    });
  });

  it('names the missing required parameter and unknown ones', () => {
    expect(messages(draftInstall(v1(), request({ values: [{ name: 'COLOR', value: 'red' }] })))).toEqual([
      'spec.parameters[0].name: unknown parameter "COLOR"; shop 1.0.0 declares: DB_PASSWORD, PUBLIC_URL',
      'spec.parameters: required parameter "DB_PASSWORD" has no value (shop 1.0.0 declares it required)',
    ]);
  });

  it('refuses a secret parameter given as plain text, and a parameter given twice', () => {
    const r = draftInstall(
      v1(),
      request({
        values: [{ name: 'DB_PASSWORD', value: 'hunter2' }],
        secrets: [{ name: 'DB_PASSWORD', secret: 's', key: 'k' }],
      }),
    );
    expect(messages(r)).toEqual([
      'spec.parameters.DB_PASSWORD: parameter "DB_PASSWORD" is secret: give it with --set-secret DB_PASSWORD=SECRET/KEY, never as plain text',
      'spec.parameters.DB_PASSWORD: parameter "DB_PASSWORD" is given twice',
    ]);
  });

  it('refuses an install name too long for the objects it renders', () => {
    const r = draftInstall(
      v1(),
      request({ name: 'x'.repeat(50), secrets: [{ name: 'DB_PASSWORD', secret: 's', key: 'k' }] }),
    );
    expect(messages(r)[0]).toMatch(/^metadata\.name: "x+-db" is longer than 52 characters/);
  });
});
