import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BundleError } from '../../bundle/errors.js';
import { DEFAULT_MAX_EXPANSION } from '../../bundle/package-budget.js';
import type { VerifiedPackage } from '../../bundle/package-reader.js';
import { loadPublicKey } from '../../bundle/package-format.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';

/** parseArgs options of the commands that read a package. */
export const packageReadOptions = {
  key: { type: 'string', multiple: true },
  'max-expansion': { type: 'string' },
} as const;

export const packageReadHelp = `Trust and limits:
  --key PEM              trust this ed25519 public key (repeatable): a valid signature by one
                         of the trusted keys is then required. Without --key, the keys in
                         $FERRY_TRUSTED_KEYS (files or directories of *.pub, ":"-separated) or
                         else in ~/.config/ferry/trusted-keys/*.pub are trusted the same way;
                         with none at all the signature is NOT verified, and ferry says so
  --max-expansion N      a compressed package may expand to N times its size on disk before
                         it is refused as a decompression bomb (default ${DEFAULT_MAX_EXPANSION})`;

export interface TrustedKeys {
  keys: KeyObject[];
  /** Where they came from, for messages: --key, $FERRY_TRUSTED_KEYS or the directory. */
  source: string;
}

const defaultKeyDir = (env: NodeJS.ProcessEnv) =>
  join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ferry', 'trusted-keys');

function keysIn(path: string, what: string): string[] {
  let info;
  try {
    info = statSync(path);
  } catch {
    throw new BundleError(
      `${what}: ${path} does not exist (refusing to go on without the keys it should hold)`,
    );
  }
  if (!info.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.pub'))
    .sort()
    .map((f) => join(path, f));
  if (!files.length) throw new BundleError(`${what}: ${path} holds no *.pub key`);
  return files;
}

/**
 * The keys a package must be signed by: --key, else $FERRY_TRUSTED_KEYS, else the default
 * directory when it exists. A configured source that yields no key fails closed.
 */
export function trustedKeys(flags: string[] | undefined, env: NodeJS.ProcessEnv = process.env): TrustedKeys {
  if (flags?.length) return { keys: flags.map(loadPublicKey), source: '--key' };
  const fromEnv = env.FERRY_TRUSTED_KEYS;
  if (fromEnv !== undefined) {
    const paths = fromEnv.split(':').filter(Boolean);
    if (!paths.length) throw new BundleError('FERRY_TRUSTED_KEYS is set but names no key file or directory');
    return {
      keys: paths.flatMap((p) => keysIn(p, 'FERRY_TRUSTED_KEYS')).map(loadPublicKey),
      source: '$FERRY_TRUSTED_KEYS',
    };
  }
  const dir = defaultKeyDir(env);
  if (existsSync(dir)) return { keys: keysIn(dir, 'trusted keys').map(loadPublicKey), source: dir };
  return { keys: [], source: 'none' };
}

export function maxExpansion(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const value = Number(flag);
  if (!Number.isFinite(value) || value < 1) throw new UsageError('--max-expansion must be a number >= 1');
  return value;
}

/** The signature line every command that read a package prints. */
export function signatureLine(pkg: VerifiedPackage): string {
  switch (pkg.signature) {
    case 'verified':
      return `signature: verified (key ${pkg.signedBy})`;
    case 'signed-not-checked':
      return 'signature: NOT verified (the package is signed, but no trusted key was given)';
    default:
      return 'signature: NOT verified (the package is unsigned)';
  }
}

/** Never silent about trust: without a trusted key, a warning on stderr says what that means. */
export function warnUnverified(pkg: VerifiedPackage, output: Output): void {
  if (pkg.signature === 'verified') return;
  output.err(
    `warning: signature NOT verified: anyone could have made or changed ${pkg.file}. ` +
      'Require a signature with --key PUB (or FERRY_TRUSTED_KEYS, or ~/.config/ferry/trusted-keys/).',
  );
}
