/**
 * Bundles the CLI (`npm run build`, after tsc): dist/cli/main.js and every module it loads —
 * ferry's own and the ES-module dependencies whose many files are the start-up cost (zod,
 * js-yaml, @kubernetes/client-node) — into dist/ferry/, one chunk per command plus what they
 * share (each command still loads only its own chunks). This is the `ferry` of package.json's
 * bin. Why: a command in the tsc output loads ~230 modules (zod alone is 95) and a command that
 * talks to a cluster ~1,300 more (@kubernetes/client-node); resolving, linking and evaluating
 * them one by one cost ~60 ms of CPU per run without a cluster and ~300 ms (and ~50 MiB) with one.
 * Every other package (CommonJS ones: semver, pino, tar, fast-json-patch; the client's own
 * dependencies: undici, openid-client, ws, ...) stays in node_modules, loaded by the commands
 * that use it; the build fails unless each resolves from dist/ferry/. dist/cli/main.js stays
 * as it was (the operator image runs it).
 *
 *   node dist/tools/bundle-cli.js [DIST]     (default: the dist/ this file is in)
 */
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { build } from 'esbuild';

/** Packages bundled: ES modules whose many files are the start-up cost. */
const BUNDLED = /^(zod|js-yaml|@kubernetes\/client-node)(\/|$)/;

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Whether `name` resolves from `dir` as Node would look for it (node_modules up the tree). */
function resolvesFrom(dir: string, name: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', name, 'package.json'))) return true;
    if (dirname(at) === at) return false;
  }
}

export async function bundleCli(dist: string): Promise<string> {
  const out = join(dist, 'ferry');
  const external = new Set<string>();
  const plugin: Plugin = {
    name: 'ferry-externals',
    setup(b) {
      // every bare specifier but BUNDLED stays an import: of a built-in module, or of node_modules
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (BUNDLED.test(args.path)) return undefined;
        external.add(packageName(args.path));
        return { path: args.path, external: true };
      });
    },
  };
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
    plugins: [plugin],
    logLevel: 'warning',
  });
  const missing = [...external].filter((name) => !resolvesFrom(out, name));
  if (missing.length)
    throw new Error(`${out}: these packages would not resolve from the bundle: ${missing.join(', ')}`);
  // the chunks are ES modules wherever the bundle lies: without a package.json of its own, a copy
  // under node_modules/ (where package scopes stop) would have Node parse every chunk to guess
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  // the console serves its assets from beside its module (console/server.ts), now a chunk here
  const assets = join(dist, 'console', 'assets');
  if (existsSync(assets)) cpSync(assets, join(out, 'assets'), { recursive: true });
  return join(out, 'main.js');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await bundleCli(resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..')));
}
