import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { summarizeHeap, summarizeHeapFile } from './heap-summary.js';

class CachedThing {
  constructor(readonly payload: string) {}
}

describe('summarizeHeap', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ferry-heap-test-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds what a real snapshot of this process holds: objects by constructor, strings by bytes', () => {
    // kept reachable while the snapshot is written
    const held = Array.from({ length: 5000 }, (_, i) => new CachedThing(`payload ${i} ${'x'.repeat(200)}`));
    const summary = summarizeHeapFile(writeHeapSnapshot(join(dir, 'test.heapsnapshot')));
    const things = summary.groups.find((g) => g.group === 'CachedThing objects');
    expect(things?.count).toBeGreaterThanOrEqual(held.length);
    const strings = summary.groups.find((g) => g.group === 'strings')!;
    expect(strings.bytes).toBeGreaterThan(held.length * 200);
    expect(summary.bytes).toBe(summary.groups.reduce((n, g) => n + g.bytes, 0));
    expect(summary.groups[0]!.bytes).toBeGreaterThanOrEqual(summary.groups.at(-1)!.bytes);
  });

  it('refuses a snapshot whose nodes do not say their size', () => {
    expect(() =>
      summarizeHeap({
        snapshot: { meta: { node_fields: ['type', 'name'], node_types: [['object']] } },
        nodes: [0, 0],
        strings: ['Object'],
      }),
    ).toThrow('heap snapshot without the node field self_size');
  });
});
