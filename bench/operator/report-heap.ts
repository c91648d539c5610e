/** The live-heap rows of the report (heap snapshots of the operator, see operator.ts). */
import type { HeapSummary } from '../../src/tools/heap-summary.js';
import { N } from './config.js';

const MiB = 1024 ** 2;

/**
 * The live heap (heap snapshots, garbage collected) on the empty cluster and at the end of the run,
 * per install, projected to 10,000, and what it is made of: RSS also counts garbage V8 has not
 * collected yet, so it moves from run to run; the live heap does not.
 */
export function heapRows(baseline: HeapSummary, end: HeapSummary, upgraded: number): [string, string][] {
  const perInstall = (end.bytes - baseline.bytes) / N;
  const baselineGroups = new Map(baseline.groups.map((g) => [g.group, g.bytes]));
  const largest = end.groups
    .slice(0, 8)
    .map((g) => {
      const grown = (g.bytes - (baselineGroups.get(g.group) ?? 0)) / N;
      return `${g.group} ${(g.bytes / MiB).toFixed(1)} MiB (${(grown / 1024).toFixed(1)} KiB per install)`;
    })
    .join('; ');
  return [
    [
      `**live heap (heap snapshot after GC): empty cluster / at the end (${N} installs${upgraded ? `, ${upgraded} of them with 2 revisions` : ''})**`,
      `${(baseline.bytes / MiB).toFixed(1)} MiB / **${(end.bytes / MiB).toFixed(1)} MiB**`,
    ],
    [
      '**live heap per install; projected live heap at 10,000 installs**',
      `**${(perInstall / 1024).toFixed(1)} KiB**; ${((baseline.bytes + perInstall * 10_000) / MiB).toFixed(0)} MiB`,
    ],
    [
      'live heap at the end, largest kinds (objects by constructor; growth over the baseline per install)',
      largest,
    ],
  ];
}
