/** Reports the progress of a long transfer: bars on a terminal, JSON lines otherwise. */
export interface Progress {
  /** Starts a phase that moves `totalBytes` (0 when unknown). */
  phase(name: string, totalBytes: number): void;
  advance(bytes: number): void;
  /** A discrete step worth a line of its own, e.g. a blob pushed. */
  event(name: string, fields: Record<string, unknown>): void;
  end(): void;
}

export const silentProgress: Progress = { phase() {}, advance() {}, event() {}, end() {} };

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

const formatDuration = (seconds: number) => {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Progress on stderr: a redrawn bar (bytes, rate, ETA) on a TTY, else one JSON object per line. */
export function streamProgress(stream: Writer = process.stderr, now = () => Date.now()): Progress {
  let name = '';
  let total = 0;
  let done = 0;
  let started = 0;
  let lastDraw = 0;
  const tty = Boolean(stream.isTTY);

  const line = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < (tty ? 100 : 1000)) return;
    lastDraw = t;
    const elapsed = Math.max((t - started) / 1000, 0.001);
    const rate = done / elapsed;
    if (!tty) {
      stream.write(
        `${JSON.stringify({ event: 'progress', phase: name, bytes: done, total, bytesPerSecond: Math.round(rate) })}\n`,
      );
      return;
    }
    const fraction = total ? Math.min(done / total, 1) : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '-');
    const eta = total && rate > 0 ? (total - done) / rate : NaN;
    const text = `${name.padEnd(8)} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}${
      total ? ` / ${formatBytes(total)}` : ''
    }  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}`;
    stream.write(`\r${text.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
  };

  return {
    phase(next, totalBytes) {
      if (name) this.end();
      name = next;
      total = totalBytes;
      done = 0;
      started = now();
      lastDraw = 0;
      line(true);
    },
    advance(bytes) {
      done += bytes;
      line(false);
    },
    event(event, fields) {
      if (!tty) stream.write(`${JSON.stringify({ event, ...fields })}\n`);
    },
    end() {
      if (!name) return;
      line(true);
      if (tty) stream.write('\n');
      name = '';
    },
  };
}
