/**
 * What a V8 heap snapshot (`.heapsnapshot`, as `--heapsnapshot-signal` or v8.writeHeapSnapshot()
 * write it) holds: the live heap's bytes by kind of node. V8 collects garbage before it writes a
 * snapshot, so unlike RSS this counts only what is reachable (the benchmark's memory per install).
 */
import { readFileSync } from 'node:fs';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  /** `strings`, `code`, `internal arrays`, ... or `Name objects` for objects by constructor. */
  group: string;
  bytes: number;
  count: number;
}

export interface HeapSummary {
  /** Sum of every node's self size: the live heap. */
  bytes: number;
  nodes: number;
  /** Largest first. */
  groups: HeapGroup[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);
const GROUP_OF_TYPE: Record<string, string> = {
  array: 'internal arrays (elements, properties, ...)',
  hidden: 'hidden (V8 internals)',
  code: 'code',
  closure: 'closures',
  regexp: 'regexps',
  number: 'heap numbers',
  native: 'native',
  'object shape': 'object shapes (maps)',
  synthetic: 'synthetic',
  symbol: 'symbols',
  bigint: 'bigints',
};

/** The group of one node: strings together, objects by constructor, the rest by V8's node type. */
function groupOf(type: string, name: string): string {
  if (STRING_TYPES.has(type)) return 'strings';
  if (type === 'object') return `${name} objects`;
  return GROUP_OF_TYPE[type] ?? type;
}

export function summarizeHeap(snapshot: HeapSnapshotFile): HeapSummary {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => {
    const at = fields.indexOf(f);
    if (at < 0) throw new Error(`heap snapshot without the node field ${f}`);
    return at;
  }) as [number, number, number];
  const groups = new Map<string, HeapGroup>();
  let bytes = 0;
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const size = nodes[i + sizeAt]!;
    const group = groupOf(types[nodes[i + typeAt]!] ?? 'unknown', strings[nodes[i + nameAt]!] ?? '');
    const entry = groups.get(group) ?? { group, bytes: 0, count: 0 };
    entry.bytes += size;
    entry.count++;
    groups.set(group, entry);
    bytes += size;
  }
  return {
    bytes,
    nodes: nodes.length / width,
    groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes),
  };
}

export const summarizeHeapFile = (path: string): HeapSummary =>
  summarizeHeap(JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotFile);
