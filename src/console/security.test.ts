import { admit, cookieName, newSecrets, parseCookies, sameSecret, sessionCookie } from './security.js';

const secrets = newSecrets();
const port = 4242;
const cookie = `other=1; ${cookieName(port)}=${secrets.token}`;
const form = 'application/x-www-form-urlencoded';

describe('admit', () => {
  it('takes the token from the URL once, then from the cookie', () => {
    expect(
      admit({ method: 'GET', host: '127.0.0.1:4242', queryToken: secrets.token }, port, secrets),
    ).toEqual({
      ok: true,
      fromUrl: true,
    });
    expect(admit({ method: 'GET', host: 'localhost:4242', cookie }, port, secrets)).toEqual({
      ok: true,
      fromUrl: false,
    });
    expect(sessionCookie(port, 'x')).toBe('ferry_console_4242=x; Path=/; HttpOnly; SameSite=Strict');
  });

  it('refuses requests without the token, or with a wrong one', () => {
    expect(admit({ method: 'GET', host: '127.0.0.1:4242' }, port, secrets)).toMatchObject({ status: 401 });
    expect(
      admit({ method: 'GET', host: '127.0.0.1:4242', queryToken: 'guess' }, port, secrets),
    ).toMatchObject({
      status: 401,
    });
    const otherPort = `${cookieName(4243)}=${secrets.token}`;
    expect(admit({ method: 'GET', host: '127.0.0.1:4242', cookie: otherPort }, port, secrets)).toMatchObject({
      status: 401,
    });
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', () => {
    for (const host of ['evil.example:4242', '127.0.0.1:80', undefined])
      expect(admit({ method: 'GET', host, cookie }, port, secrets)).toMatchObject({ status: 403 });
  });

  it('refuses cross-origin requests and writes that are not same-origin form posts', () => {
    const host = '127.0.0.1:4242';
    expect(
      admit({ method: 'GET', host, cookie, origin: 'http://evil.example' }, port, secrets),
    ).toMatchObject({
      status: 403,
    });
    const post = { method: 'POST', host, cookie, contentType: form };
    expect(admit({ ...post, origin: 'http://127.0.0.1:4242' }, port, secrets)).toEqual({
      ok: true,
      fromUrl: false,
    });
    expect(admit({ ...post, origin: 'http://evil.example' }, port, secrets)).toMatchObject({ status: 403 });
    expect(admit(post, port, secrets)).toMatchObject({ status: 403 });
    expect(admit({ ...post, secFetchSite: 'same-origin' }, port, secrets)).toMatchObject({ ok: true });
    expect(
      admit({ ...post, origin: 'http://127.0.0.1:4242', secFetchSite: 'cross-site' }, port, secrets),
    ).toMatchObject({ status: 403 });
    expect(
      admit({ ...post, origin: 'http://127.0.0.1:4242', contentType: 'application/json' }, port, secrets),
    ).toMatchObject({ status: 400 });
    // the URL token never authorizes a write
    expect(
      admit(
        { ...post, cookie: undefined, origin: 'http://127.0.0.1:4242', queryToken: secrets.token },
        port,
        secrets,
      ),
    ).toMatchObject({ status: 401 });
  });
});

describe('secrets', () => {
  it('are random, compared in constant time, parsed from cookies', () => {
    expect(newSecrets().token).not.toBe(secrets.token);
    expect(sameSecret(secrets.token, secrets.token)).toBe(true);
    expect(sameSecret(`${secrets.token}x`, secrets.token)).toBe(false);
    expect(sameSecret(undefined, secrets.token)).toBe(false);
    expect(parseCookies('a=1; b = 2;c')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
  });
});
