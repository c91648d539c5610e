// Runs `ferry verify` on argv in a process of its own and prints one JSON line: exit code, what it
// printed, peak RSS and wall time — so a test can bound the memory a hostile package costs.
import { main } from '../../cli/main.js';

const started = Date.now();
const lines: string[] = [];
const code = await main(['verify', ...process.argv.slice(2)], {
  out: (t) => void lines.push(t),
  err: (t) => void lines.push(t),
});
process.stdout.write(
  `${JSON.stringify({ code, output: lines.join('\n'), maxRssBytes: process.resourceUsage().maxRSS * 1024, ms: Date.now() - started })}\n`,
);
