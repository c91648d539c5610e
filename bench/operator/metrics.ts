/** Prometheus text from the operator's /metrics: sums, per-label sums, histogram buckets and quantiles. */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Metrics {
  readonly samples: Sample[] = [];
  constructor(text: string) {
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
      this.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
    }
  }
  sum(name: string, match: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
      .reduce((n, s) => n + s.value, 0);
  }
  byLabel(name: string, label: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.samples.filter((x) => x.name === name))
      out.set(s.labels[label] ?? '', (out.get(s.labels[label] ?? '') ?? 0) + s.value);
    return out;
  }
  /** Cumulative histogram buckets of `name` for the labels, [le, count] sorted by le. */
  buckets(name: string, match: Record<string, string>): [number, number][] {
    return this.samples
      .filter(
        (s) => s.name === `${name}_bucket` && Object.entries(match).every(([k, v]) => s.labels[k] === v),
      )
      .map((s) => [s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  }
}

/** Bucket counts of `after` minus `before` (a histogram of what was observed in between). */
export const bucketDelta = (after: [number, number][], before: [number, number][]) =>
  after.map(([le, n]) => [le, n - (before.find((b) => b[0] === le)?.[1] ?? 0)] as [number, number]);

/**
 * Quantile from cumulative buckets by linear interpolation inside the bucket that holds the rank
 * (as Prometheus' histogram_quantile does); above the last finite bound it reports that bound.
 */
export function quantile(q: number, buckets: [number, number][]): string {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (!total) return 'n/a';
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return `> ${prevLe} s`;
      const v = prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
      return v < 1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`;
    }
    prevLe = le;
    prevCount = count;
  }
  return 'n/a';
}
