import { RegistryError } from './errors.js';
import { RegistryAuth, TokenCache } from './registry-auth.js';

describe('TokenCache', () => {
  it('finds a token by its scopes in any order until shortly before it expires', () => {
    const cache = new TokenCache();
    cache.set(['repository:a:pull', 'repository:b:pull,push'], 'Bearer t', 300, 1_000_000);
    expect(cache.get(['repository:b:pull,push', 'repository:a:pull'], 1_000_000)).toBe('Bearer t');
    expect(cache.get(['repository:a:pull'], 1_000_000)).toBeUndefined();
    // renewed 15 s early
    expect(cache.get(['repository:a:pull', 'repository:b:pull,push'], 1_000_000 + 284_000)).toBe('Bearer t');
    expect(cache.get(['repository:a:pull', 'repository:b:pull,push'], 1_000_000 + 285_000)).toBeUndefined();
  });

  it('keeps a token at least 30 s, 45 s when the service gives no lifetime', () => {
    const cache = new TokenCache();
    cache.set(['s'], 'short', 5, 0);
    expect(cache.get(['s'], 29_999)).toBe('short');
    expect(cache.get(['s'], 30_000)).toBeUndefined();
    cache.set(['s'], 'default', undefined, 0);
    expect(cache.get(['s'], 44_999)).toBe('default');
    expect(cache.get(['s'], 45_000)).toBeUndefined();
    cache.delete(['s']);
    expect(cache.get(['s'], 0)).toBeUndefined();
  });
});

describe('RegistryAuth', () => {
  const bearer = 'Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"';

  function withTokenService(answer: (url: URL) => { status: number; text: string }) {
    const requests: { url: URL; headers: Record<string, string> }[] = [];
    const auth = new RegistryAuth(
      'reg',
      { username: 'u', password: 'p' },
      'ferry-test',
      async (url, headers) => {
        requests.push({ url, headers });
        return answer(url);
      },
    );
    return { auth, requests };
  }

  it('sends nothing before a challenge, then a token for the scopes asked plus the challenge’s, reused', async () => {
    let n = 0;
    const { auth, requests } = withTokenService(() => ({
      status: 200,
      text: JSON.stringify({ token: `t${++n}`, expires_in: 300 }),
    }));
    expect(await auth.authorization(['repository:x:pull'])).toBeUndefined();
    await auth.learnChallenge(bearer, ['repository:x:pull,push']);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url.searchParams.get('service')).toBe('reg');
    expect(requests[0]!.url.searchParams.getAll('scope')).toEqual([
      'repository:x:pull,push',
      'repository:x:pull',
    ]);
    expect(requests[0]!.headers.Authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await auth.authorization(['repository:x:pull', 'repository:x:pull,push'])).toBe('Bearer t1');
    expect(requests).toHaveLength(1);
    expect(await auth.authorization(['repository:y:pull'])).toBe('Bearer t2');
    expect(requests).toHaveLength(2);
  });

  it('answers a Basic challenge with the credentials, and says what to pass without them', async () => {
    const { auth } = withTokenService(() => ({ status: 500, text: '' }));
    await auth.learnChallenge('Basic realm="reg"', []);
    expect(await auth.authorization([])).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const anonymous = new RegistryAuth('reg', undefined, 'ferry', async () => ({ status: 200, text: '' }));
    await expect(anonymous.learnChallenge('Basic realm="reg"', [])).rejects.toThrow(/--username\/--password/);
    await expect(anonymous.learnChallenge('Negotiate', [])).rejects.toThrow(/unsupported authentication/);
  });

  it('reports a token service that refuses or sends no token', async () => {
    const refused = withTokenService(() => ({
      status: 401,
      text: '{"details":"authentication failed"}',
    })).auth;
    await expect(refused.learnChallenge(bearer, [])).rejects.toThrow(
      'reg: the token service https://auth.example/token rejected the credentials (401: authentication failed); check --username/--password',
    );
    // a service that echoes what it was sent does not get the password into the message
    const echoing = new RegistryAuth('reg', { username: 'u', password: 'p4ss' }, 'ferry', async () => ({
      status: 403,
      text: 'bad password p4ss for u',
    }));
    await expect(echoing.learnChallenge(bearer, [])).rejects.toThrow('(403: bad password *** for u)');
    const anonymous = new RegistryAuth('reg', undefined, 'ferry', async () => ({ status: 401, text: '' }));
    await expect(anonymous.learnChallenge(bearer, [])).rejects.toThrow(
      /wants credentials \(401\): pass --username\/--password/,
    );
    const broken = withTokenService(() => ({ status: 500, text: 'oops' })).auth;
    await expect(broken.learnChallenge(bearer, [])).rejects.toThrow(
      'reg: the token service https://auth.example/token answered 500: oops',
    );
    const empty = withTokenService(() => ({ status: 200, text: '{}' })).auth;
    await expect(empty.learnChallenge(bearer, [])).rejects.toThrow(RegistryError);
    const noRealm = withTokenService(() => ({ status: 200, text: '{"token":"t"}' })).auth;
    await expect(noRealm.learnChallenge('Bearer service="reg"', [])).rejects.toThrow(/without a realm/);
  });
});
