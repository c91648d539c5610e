/** The demo's commands, shown as a person would type them, with their output. */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a ferry command as a person would type it, showing the command and its output. */
export function ferry(...args: string[]): void {
  ferryWith({}, ...args);
}

/** `ferry` with extra environment variables, shown before the command (secret values masked). */
export function ferryWith(env: Record<string, string>, ...args: string[]): void {
  const shown = Object.keys(env).map((name) => `${name}=${/PASSWORD/.test(name) ? '…' : env[name]} `);
  console.log(`$ ${shown.join('')}ferry ${args.join(' ')}`);
  execFileSync(join(root, 'scripts', 'node'), [join(root, 'dist', 'ferry', 'main.js'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}

/** `ferry` without blocking this process, so a prober keeps requesting while it runs. */
export function ferryAsync(...args: string[]): Promise<void> {
  console.log(`$ ferry ${args.join(' ')}`);
  const child = spawn(join(root, 'scripts', 'node'), [join(root, 'dist', 'ferry', 'main.js'), ...args], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ferry ${args[0]} exited ${code}`)),
    );
  });
}

/** kubectl with the demo cluster's kubeconfig; `quiet` neither shows the command nor its output. */
export function kubectl(
  bin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
  quiet = false,
): string {
  if (!quiet) console.log(`$ kubectl ${args.join(' ')}`);
  const out = execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input,
  });
  if (!quiet) process.stdout.write(out);
  return out;
}
