import { RegistryError } from './errors.js';
import { answerStep, backoffDelay, connectionHint, isTransient, requestUrl } from './registry-transport.js';

const answer = (overrides: Partial<Parameters<typeof answerStep>[0]>) =>
  answerStep({
    status: 200,
    method: 'GET',
    ownHost: true,
    reauthenticated: false,
    streamBody: false,
    replayable: true,
    attempt: 0,
    retries: 4,
    ...overrides,
  });

describe('the request loop', () => {
  it('answers a 401 from the registry once with credentials, never for a stream body or another host', () => {
    expect(answer({ status: 401 })).toBe('reauthenticate');
    expect(answer({ status: 401, reauthenticated: true })).toBe('return');
    expect(answer({ status: 401, streamBody: true })).toBe('return');
    expect(answer({ status: 401, ownHost: false })).toBe('return');
  });

  it('retries 5xx and 429 while attempts are left and the request can be replayed', () => {
    expect(answer({ status: 503 })).toBe('retry');
    expect(answer({ status: 500, attempt: 3 })).toBe('retry');
    expect(answer({ status: 429 })).toBe('retry');
    expect(answer({ status: 503, attempt: 4 })).toBe('return');
    expect(answer({ status: 503, replayable: false })).toBe('return');
    expect(answer({ status: 404 })).toBe('return');
    expect(answer({ status: 400 })).toBe('return');
  });

  it('follows redirects for GET and HEAD only, at most 10', () => {
    for (const status of [301, 302, 303, 307, 308]) expect(answer({ status })).toBe('redirect');
    expect(answer({ status: 307, method: 'HEAD' })).toBe('redirect');
    expect(answer({ status: 307, method: 'PUT' })).toBe('return');
    expect(answer({ status: 302, attempt: 9 })).toBe('redirect');
    expect(answer({ status: 302, attempt: 10 })).toBe('return');
  });

  it('waits twice as long before each retry', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(250, attempt))).toEqual([250, 500, 1000, 2000]);
  });

  it('retries connection resets and timeouts, not other errors', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false);
    expect(isTransient(new Error('certificate has expired'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});

describe('request URLs', () => {
  const base = 'https://reg.example:5000';

  it('resolves a repository path against the registry and keeps absolute upload locations', () => {
    expect(requestUrl(base, '/v2/team/app/blobs/sha256:ab?x=1', 'reg').toString()).toBe(
      'https://reg.example:5000/v2/team/app/blobs/sha256:ab?x=1',
    );
    expect(requestUrl(base, 'https://cdn.example/upload/1?_state=a', 'reg').host).toBe('cdn.example');
  });

  it('refuses a path whose dot segments or escapes would reach another repository', () => {
    for (const path of ['/v2/a/../b/manifests/x', '/v2/a/%2e%2e/b/manifests/x', '/v2/./a/tags/list'])
      expect(() => requestUrl(base, path, 'reg')).toThrow(RegistryError);
    expect(() => requestUrl(base, '/v2/a/../b/manifests/x', 'reg')).toThrow(/not a plain repository path/);
  });
});

describe('connection hints', () => {
  it('points at --ca-file for TLS trouble and at --plain-http for an HTTP registry spoken to in TLS', () => {
    expect(connectionHint('self signed certificate in certificate chain', false)).toMatch(/--ca-file/);
    expect(connectionHint('SSL routines::wrong version number', false)).toMatch(/--ca-file/);
    expect(connectionHint('write EPROTO 1234', false)).toMatch(/--plain-http/);
    expect(connectionHint('write EPROTO 1234', true)).toBe('');
    expect(connectionHint('connect ECONNREFUSED', false)).toBe('');
  });
});
