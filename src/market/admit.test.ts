import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AppTemplate } from '../api/index.js';
import { keyFingerprint } from '../bundle/package-format.js';
import type { TrustPolicy } from './admit.js';
import { admitVersion, appPublisher, marketTemplate, selectApps, trustedFingerprints } from './admit.js';
import { emptyIndex, signVersion } from './format.js';

const acme = generateKeyPairSync('ed25519').privateKey;
const rival = generateKeyPairSync('ed25519').privateKey;
const pem = (k: typeof acme) => createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();
const ACME = keyFingerprint(createPublicKey(acme));
const RIVAL = keyFingerprint(createPublicKey(rival));
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('selectApps', () => {
  const index = emptyIndex();
  index.apps = {
    shop: { listed: true, changedAt: 'x' },
    shipping: { listed: true, changedAt: 'x' },
    hidden: { listed: false, changedAt: 'x' },
  };
  it.each([
    ['no patterns: every listed app', undefined, ['shipping', 'shop']],
    ['a glob matches listed apps only', ['sh*', 'hid*'], ['shipping', 'shop']],
    ['an exact name is synced even when unlisted', ['hidden'], ['hidden']],
    ['an exact name the index does not know', ['other'], ['other']],
    ['? matches one character', ['sho?'], ['shop']],
  ] as [string, string[] | undefined, string[]][])('%s', (_name, patterns, names) => {
    expect(selectApps(patterns, index).map((a) => a.name)).toEqual(names);
  });
  it('says which apps are listed; no index lists nothing', () => {
    expect(selectApps(['hidden', 'shop'], index)).toEqual([
      { name: 'hidden', listed: false },
      { name: 'shop', listed: true },
    ]);
    expect(selectApps(undefined, undefined)).toEqual([]);
  });
});

describe('admitVersion', () => {
  const open: TrustPolicy = { trusted: [], requireSignatures: false, requiredBy: '' };
  const trustAcme: TrustPolicy = { trusted: [ACME], requireSignatures: true, requiredBy: 'spec.trustedKeys' };
  const v = (key?: typeof acme, digest = DIGEST) => ({
    app: 'shop',
    version: '1.0.0',
    digest,
    ...(key ? { signature: signVersion('shop', '1.0.0', DIGEST, key) } : {}),
  });

  it.each([
    ['unsigned, nothing required', v(), undefined, open, { ok: true }],
    ['signed by a trusted key', v(acme), undefined, trustAcme, { ok: true, publisher: ACME }],
    ['signed, the app has that publisher', v(acme), ACME, open, { ok: true, publisher: ACME }],
  ] as const)('%s: admitted', (_n, version, publisher, policy, expected) => {
    expect(admitVersion(version, publisher, policy)).toEqual(expected);
  });

  it.each([
    [
      'unsigned where signatures are required',
      v(),
      undefined,
      trustAcme,
      /unsigned, and spec.trustedKeys requires/,
    ],
    ['unsigned, but the app has a publisher', v(), ACME, open, /unsigned, but shop's publisher is/],
    ['signed by an untrusted key', v(rival), undefined, trustAcme, /which spec.trustedKeys does not hold/],
    ['signed by another publisher', v(rival), ACME, open, /signed by sha256:\S+, but shop's publisher is/],
    [
      'a signature for another digest',
      v(acme, `sha256:${'b'.repeat(64)}`),
      undefined,
      open,
      /the signature is for/,
    ],
  ] as const)('%s: refused', (_n, version, publisher, policy, problem) => {
    const result = admitVersion(version, publisher, policy);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });

  it('keeps the remembered publisher when the market binding changes', () => {
    expect(appPublisher('shop', ACME, { publisher: RIVAL })).toEqual({
      publisher: ACME,
      problem: expect.stringContaining(`now binds shop to publisher ${RIVAL}`),
    });
    expect(appPublisher('shop', undefined, { publisher: RIVAL })).toEqual({ publisher: RIVAL });
    expect(appPublisher('shop', undefined, undefined)).toEqual({ publisher: undefined });
  });

  it('reads trusted keys, refusing what is not an ed25519 PEM key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(
      trustedFingerprints([pem(acme), 'junk', rsa.export({ type: 'spki', format: 'pem' }).toString()]),
    ).toEqual({
      fingerprints: [ACME],
      problems: ['trustedKeys[1] is not a PEM public key', 'trustedKeys[2] is not an ed25519 key'],
    });
  });
});

describe('marketTemplate', () => {
  it("points each image at the market's copy, by digest, and labels the template with its market", () => {
    const template = {
      apiVersion: 'ferry.dev/v1alpha1',
      kind: 'AppTemplate',
      metadata: { name: 'shop.1.0.0' },
      spec: {
        app: 'shop',
        version: '1.0.0',
        components: [
          { name: 'web', image: 'vendor.example/acme/web:1.0.0' },
          { name: 'api', image: 'vendor.example/acme/web:1.0.0' },
        ],
      },
    } as unknown as AppTemplate;
    const made = marketTemplate({
      market: 'acme',
      location: { registry: 'market.example:5000', prefix: 'stores/acme' },
      template,
      images: [{ ref: 'vendor.example/acme/web:1.0.0', repository: 'acme/web', digest: DIGEST }],
      digest: `sha256:${'c'.repeat(64)}`,
      publisher: ACME,
    });
    expect(made.spec.components.map((c) => c.image)).toEqual([
      `market.example:5000/stores/acme/shop/acme/web@${DIGEST}`,
      `market.example:5000/stores/acme/shop/acme/web@${DIGEST}`,
    ]);
    expect(made.metadata).toEqual({
      name: 'shop.1.0.0',
      labels: { 'ferry.dev/origin': 'market', 'ferry.dev/market': 'acme' },
      annotations: { 'ferry.dev/market-digest': `sha256:${'c'.repeat(64)}`, 'ferry.dev/publisher': ACME },
    });
    expect(template.spec.components[0]!.image).toBe('vendor.example/acme/web:1.0.0'); // not mutated
  });
});
