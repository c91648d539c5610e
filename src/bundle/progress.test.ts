import { formatBytes, streamProgress } from './progress.js';

function recorder(isTTY: boolean) {
  const lines: string[] = [];
  let clock = 0;
  const progress = streamProgress({ write: (t: string) => lines.push(t), isTTY, columns: 200 }, () => clock);
  return { lines, progress, tick: (ms: number) => (clock += ms) };
}

describe('progress', () => {
  it('draws a bar with bytes, rate and ETA on a terminal', () => {
    const { lines, progress, tick } = recorder(true);
    progress.phase('push', 100 * 1024 * 1024);
    tick(2000);
    progress.advance(50 * 1024 * 1024);
    const bar = lines.at(-1)!;
    expect(bar).toMatch(/^\rpush +\[#{15}-{15}\] +50% 50\.0 MiB \/ 100\.0 MiB {2}25\.0 MiB\/s {2}ETA 0:02/);
    progress.event('blob', { digest: 'sha256:x' });
    expect(lines.some((l) => l.includes('"event"'))).toBe(false);
    progress.end();
    expect(lines.at(-1)).toBe('\n');
  });

  it('writes JSON lines elsewhere, throttled to one a second plus every event', () => {
    const { lines, progress, tick } = recorder(false);
    progress.phase('export', 1000);
    progress.advance(10);
    progress.advance(10);
    tick(1500);
    progress.advance(10);
    progress.event('blob', { digest: 'sha256:x', action: 'pushed' });
    progress.end();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p.event, p.bytes])).toEqual([
      ['progress', 0],
      ['progress', 30],
      ['blob', undefined],
      ['progress', 30],
    ]);
    expect(parsed[2]).toEqual({ event: 'blob', digest: 'sha256:x', action: 'pushed' });
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
  });
});
