/**
 * Bundles the CLI (`npm run build`, after tsc): dist/cli/main.js and every module it loads —
 * ferry's own and the ES-module dependencies (zod, js-yaml) — into dist/ferry/, one chunk per
 * command plus what they share (each command still loads only its own chunk). This is the `ferry`
 * of package.json's bin. Why: a command in the tsc output loads ~230 modules (zod alone is 95),
 * and resolving, linking and evaluating them one by one cost ~60 ms of CPU per run, more than
 * anything a re-import of a present package does. The CommonJS dependencies
 * (@kubernetes/client-node, semver, pino, tar, fast-json-patch) stay in node_modules, loaded only
 * by the commands that use them. dist/cli/main.js stays as it was (the operator image runs it).
 *
 *   node dist/tools/bundle-cli.js [DIST]     (default: the dist/ this file is in)
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Dependencies bundled: ES modules whose many files are the start-up cost. */
const BUNDLED = new Set(['zod', 'js-yaml']);

export async function bundleCli(dist: string, root: string): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const external = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter(
    (name) => !BUNDLED.has(name),
  );
  const out = join(dist, 'ferry');
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: [join(dist, 'cli', 'main.js')],
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // class and function names as written: errors are told apart by name, stack traces stay readable
    keepNames: true,
    external,
    logLevel: 'warning',
  });
  // the console serves its assets from beside its module (console/server.ts), now a chunk here
  const assets = join(dist, 'console', 'assets');
  if (existsSync(assets)) cpSync(assets, join(out, 'assets'), { recursive: true });
  return join(out, 'main.js');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dist = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  await bundleCli(dist, join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
}
