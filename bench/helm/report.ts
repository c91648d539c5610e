/** The table and the profile of a bench:helm run, and its section of RESULTS.md (bench.ts). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Row {
  helm: Record<string, number>;
  ferry: Record<string, number>;
  /** Helm's chart without the migration Job: install and upgrade. */
  plain: Record<string, number>;
}

const MARKER = 'the last run of npm run bench:helm, written by bench/helm/bench.ts';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Writes the run's section of `file` (one per variant `name`; every other text is kept) and returns
 * the table.
 */
export function writeResults(
  file: string,
  name: string,
  title: string,
  rows: Row[],
  profiles: { what: string; lines: string[] }[],
): string {
  const line = (step: string, label: string, helm: (r: Row) => number) => {
    const h = median(rows.map(helm));
    const f = median(rows.map((r) => r.ferry[step]!));
    const each = rows.map((r) => `${s(helm(r))} / ${s(r.ferry[step]!)}`).join('; ');
    return `| ${label} | ${s(h)} | ${s(f)} | ${(f / h).toFixed(2)}× | ${each} |`;
  };
  const table = [
    title,
    '',
    '| step | helm --wait | Ferry | Ferry / Helm | every round (helm / Ferry) |',
    '| --- | --- | --- | --- | --- |',
    ...['install', 'upgrade', 'rollback'].map((step) => line(step, step, (r) => r.helm[step]!)),
    ...['install', 'upgrade'].map((step) =>
      line(step, `${step}, Helm's chart without the migration Job`, (r) => r.plain[step]!),
    ),
  ].join('\n');
  const profile = [
    "Where the seconds went (seconds from the start of each step, on the bench's clock, from watched pods,",
    'workloads and Jobs; "rolled out": observed generation, every replica updated and available, no old pod counted):',
    '',
    '```',
    ...profiles.flatMap((p) => [p.what, ...p.lines.map((l) => `  ${l}`)]),
    '```',
  ].join('\n');
  const [begin, end] = [`<!-- begin ${name}: ${MARKER} -->`, `<!-- end ${name} -->`];
  const section = `${begin}\n\n${table}\n\n${profile}\n\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Helm side by side\n';
  const [from, to] = [text.indexOf(begin), text.indexOf(end)];
  writeFileSync(
    file,
    from >= 0 && to > from
      ? text.slice(0, from) + section + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${section}\n`,
  );
  return table;
}
