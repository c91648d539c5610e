import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './world.js';

/** The Lua health check docs/gitops.md tells Argo CD users to copy, exactly as written there. */
export function gitopsHealthScript(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'gitops.md'), 'utf8');
  const block = /resource\.customizations\.health\.ferry\.dev_AppInstall: \|\n((?: {4}.*\n)+)/.exec(doc);
  if (!block) throw new Error('docs/gitops.md: no resource.customizations.health.ferry.dev_AppInstall block');
  return block[1]!.replace(/^ {4}/gm, '');
}

/** A JSON value as a Lua expression (null and absent are both nil, as in Argo CD's conversion). */
function lua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(lua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${lua(v)}`)
    .join(', ')}}`;
}

/**
 * Runs the script as Argo CD does (the object as global `obj`, the script's return value as the
 * health) with the Lua 5.4 interpreter (Debian's lua5.4, installed by e2e/install-deps.sh; Argo CD
 * embeds gopher-lua, a Lua 5.1 — the script uses nothing that differs between them).
 */
export function argoHealth(
  object: unknown,
  script = gitopsHealthScript(),
): { status: string; message?: string } {
  const program = [
    `obj = ${lua(object)}`,
    `local function health()\n${script}\nend`,
    'local hs = health()',
    'io.write(hs.status, "\\n", hs.message or "")',
  ].join('\n');
  const out = execFileSync('lua5.4', ['-'], { input: program, encoding: 'utf8' });
  const [status, ...message] = out.split('\n');
  return { status: status!, message: message.join('\n') || undefined };
}
