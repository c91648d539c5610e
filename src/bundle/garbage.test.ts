import { COLLECT_EVERY, bytesMoved } from './garbage.js';

describe('bytesMoved', () => {
  it('collects the young generation once every COLLECT_EVERY bytes', () => {
    expect(bytesMoved(COLLECT_EVERY - 1)).toBe(false);
    // the collector is reachable on the Node versions ferry runs on (>= 22.19)
    expect(bytesMoved(1)).toBe(true);
    expect(bytesMoved(COLLECT_EVERY / 2)).toBe(false);
    expect(bytesMoved(COLLECT_EVERY / 2)).toBe(true);
  });

  it('does not expose gc to the program', () => {
    bytesMoved(COLLECT_EVERY);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
