import { clone, shopInstall, shopTemplate } from '../testing/fixtures.js';
import type { RevisionContent } from './snapshot.js';
import {
  COMPRESS_ABOVE_BYTES,
  decodeSnapshot,
  encodeSnapshot,
  inputsDigest,
  storableParameters,
} from './snapshot.js';

const content = (): RevisionContent => ({
  template: shopTemplate('1.0.0').spec,
  effective: shopTemplate('1.0.0').spec,
  parameters: storableParameters(shopInstall().spec.parameters!, new Set(['DB_PASSWORD'])),
  overrides: shopInstall().spec.overrides!,
  retained: [],
  prune: [],
});

describe('revision snapshots', () => {
  it('round-trips small content as plain JSON', () => {
    const snapshot = encodeSnapshot(content());
    expect(snapshot.encoding).toBe('json');
    expect(decodeSnapshot(snapshot)).toEqual(content());
  });

  it('compresses large content and still round-trips it', () => {
    const big = content();
    big.effective = clone(big.effective);
    big.effective.components[0]!.configFiles![0]!.content = 'x = 1\n'.repeat(COMPRESS_ABOVE_BYTES / 4);
    const snapshot = encodeSnapshot(big);
    expect(snapshot.encoding).toBe('gzip+base64');
    expect(snapshot.data.length).toBeLessThan(COMPRESS_ABOVE_BYTES / 10);
    expect(decodeSnapshot(snapshot)).toEqual(big);
  });

  it('refuses data that does not match its digest', () => {
    const snapshot = encodeSnapshot(content());
    expect(() => decodeSnapshot({ ...snapshot, data: snapshot.data.replace('shop', 'shoq') })).toThrow(
      'revision snapshot does not match its sha256',
    );
  });

  it('never stores the plain value of a secret parameter', () => {
    const stored = storableParameters(
      [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'PUBLIC_URL', value: 'https://x' },
      ],
      new Set(['DB_PASSWORD']),
    );
    expect(stored).toEqual([
      { name: 'DB_PASSWORD', redacted: true },
      { name: 'PUBLIC_URL', value: 'https://x' },
    ]);
  });
});

describe('inputsDigest', () => {
  const spec = shopInstall().spec;
  it('ignores list order and changes with any input', () => {
    const base = inputsDigest(spec);
    expect(inputsDigest({ ...spec, overrides: [...spec.overrides!].reverse() })).toBe(base);
    expect(inputsDigest({ ...spec, version: '2.0.0' })).not.toBe(base);
    expect(inputsDigest({ ...spec, parameters: [{ name: 'DB_PASSWORD', value: 'x' }] })).not.toBe(base);
    expect(inputsDigest({ ...spec, components: ['api'] })).not.toBe(base);
  });
});
