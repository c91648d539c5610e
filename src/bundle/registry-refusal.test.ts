import {
  explainRefusal,
  grantedAccess,
  missingAccess,
  operation,
  parseScope,
  redact,
} from './registry-refusal.js';

const jwt = (claims: object) =>
  `Bearer ${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('explaining a registry refusal', () => {
  it('parses scopes and reads the access claim of a token without verifying it', () => {
    expect(parseScope('repository:market/shop:pull,push')).toEqual({
      type: 'repository',
      name: 'market/shop',
      actions: ['pull', 'push'],
    });
    expect(parseScope('repository(plugin):a:b:pull')?.name).toBe('a:b');
    expect(parseScope('nonsense')).toBeUndefined();
    const access = [{ type: 'repository', name: 'market/shop', actions: ['pull'] }];
    expect(grantedAccess(jwt({ sub: 'reader', access }))).toEqual(access);
    expect(grantedAccess(jwt({ sub: 'anonymous' }))).toEqual([]);
    expect(grantedAccess('Bearer opaque-token')).toBeUndefined();
    expect(grantedAccess(`Basic ${Buffer.from('u:p').toString('base64')}`)).toBeUndefined();
    expect(grantedAccess(undefined)).toBeUndefined();
  });

  it('finds the actions the grant lacks, resource by resource; * covers all', () => {
    const granted = [
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'repository', name: 'b', actions: ['*'] },
    ];
    expect(missingAccess(['repository:a:pull,push', 'repository:b:pull,push,delete'], granted)).toEqual([
      { type: 'repository', name: 'a', actions: ['push'] },
    ]);
    expect(missingAccess(['repository:c:pull'], granted)).toEqual([
      { type: 'repository', name: 'c', actions: ['pull'] },
    ]);
    expect(missingAccess(['repository:a:pull'], granted)).toEqual([]);
    expect(operation('r', { type: 'repository', name: 'x', actions: ['pull', 'push'] })).toBe('push to r/x');
    expect(operation('r', { type: 'repository', name: 'x', actions: ['pull'] })).toBe('pull from r/x');
    expect(operation('r', { type: 'repository', name: 'x', actions: ['delete'] })).toBe('delete in r/x');
    expect(operation('r', { type: 'registry', name: 'catalog', actions: ['*'] })).toBe(
      'listing the catalog of r',
    );
  });

  const refusal = {
    registry: 'reg:5000',
    what: 'POST /v2/market/other/blobs/uploads/',
    status: 401,
    scopes: ['repository:market/other:pull,push'],
    hasCredentials: true,
  };

  it('names the missing scope and what the token server granted', () => {
    const authorization = jwt({ access: [{ type: 'repository', name: 'market/other', actions: ['pull'] }] });
    expect(explainRefusal({ ...refusal, authorization })).toBe(
      'push to reg:5000/market/other refused: the credentials for reg:5000 lack "repository:market/other:push" (the token server granted "pull"; POST /v2/market/other/blobs/uploads/ answered 401)',
    );
    expect(explainRefusal({ ...refusal, authorization: jwt({ access: [] }) })).toContain(
      'lack "repository:market/other:pull,push" (the token server granted nothing;',
    );
    const mount = {
      ...refusal,
      scopes: ['repository:market/other:pull,push', 'repository:market/shop:pull'],
      authorization: jwt({ access: [{ type: 'repository', name: 'market/shop', actions: ['pull'] }] }),
    };
    expect(explainRefusal(mount)).toContain(
      'lack "repository:market/other:pull,push" (the token server granted "repository:market/shop:pull";',
    );
    expect(explainRefusal({ ...refusal, hasCredentials: false, authorization: jwt({ access: [] }) })).toMatch(
      /^push to .* refused: anonymous access to reg:5000 lacks .*; pass --username\/--password/,
    );
  });

  it('says the credentials were rejected for Basic auth, and leaves the rest to the generic message', () => {
    expect(
      explainRefusal({ ...refusal, authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }),
    ).toBe(
      'reg:5000: the registry rejected the credentials (POST /v2/market/other/blobs/uploads/ answered 401); check --username/--password, FERRY_REGISTRY_USERNAME/PASSWORD or docker config.json',
    );
    const full = jwt({ access: [{ type: 'repository', name: 'market/other', actions: ['pull', 'push'] }] });
    expect(explainRefusal({ ...refusal, authorization: full })).toBeUndefined();
    expect(explainRefusal({ ...refusal, authorization: 'Bearer opaque' })).toBeUndefined();
    expect(explainRefusal({ ...refusal, authorization: undefined })).toBeUndefined();
  });

  it('redacts the password and the Basic credentials', () => {
    const basic = `Basic ${Buffer.from('u:hunter2').toString('base64')}`;
    expect(redact(`got hunter2 in ${basic.slice(6)}`, 'hunter2', basic)).toBe('got *** in ***');
    expect(redact('a short pw', 'a')).toBe('a short pw');
  });
});
