// Runs `ferry verify` on argv in a process of its own and prints one JSON line: exit code, what it
// printed, peak RSS and wall time — so a test can bound the memory a hostile package costs.
// It runs the CLI as shipped (dist/, built by the test) and is itself run from source with Node's
// type stripping, so it never ships.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Cli from '../../cli/main.js';

const shipped = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'cli', 'main.js');
const { main } = (await import(pathToFileURL(shipped).href)) as typeof Cli;

const started = Date.now();
const lines: string[] = [];
const code = await main(['verify', ...process.argv.slice(2)], {
  out: (t) => void lines.push(t),
  err: (t) => void lines.push(t),
});
process.stdout.write(
  `${JSON.stringify({ code, output: lines.join('\n'), maxRssBytes: process.resourceUsage().maxRSS * 1024, ms: Date.now() - started })}\n`,
);
