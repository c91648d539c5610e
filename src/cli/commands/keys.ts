import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeFsError } from '../../bundle/compression.js';
import { BundleError } from '../../bundle/errors.js';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { bundleCommand } from './bundle-options.js';

export const keysHelp = `Usage: ferry keys generate -o PREFIX [--force]

Makes an ed25519 key pair for signing packages: PREFIX.key (private, PEM, mode 0600: keep it
with the vendor) and PREFIX.pub (public, PEM: give it to the sites, for \`ferry import --key\`).
An existing file (or symbolic link) is refused; --force replaces both files atomically (a new
file renamed over the old one: a link is replaced, never followed).`;

const exists = (file: string) => {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
};

/**
 * Writes `data` to `file` with `mode` through a new file beside it (O_EXCL|O_NOFOLLOW, so never
 * through a link), then renames it over `file`: readers see the old file or the whole new one.
 */
function writeAtomically(file: string, data: string, mode: number): void {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
  } catch (error) {
    throw new BundleError(`cannot write ${file}: ${describeFsError(error)}`, { cause: error });
  }
  try {
    writeSync(fd, data);
    closeSync(fd);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new BundleError(`cannot write ${file}: ${describeFsError(error)}`, { cause: error });
  }
}

export const keysCommand = bundleCommand(async (args: string[], output: Output) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
  });
  if (positionals[0] !== 'generate' || positionals.length !== 1)
    throw new UsageError('expected `ferry keys generate -o PREFIX`');
  if (!values.output) throw new UsageError('-o PREFIX is required');
  const privateFile = `${values.output}.key`;
  const publicFile = `${values.output}.pub`;
  for (const file of [privateFile, publicFile]) {
    if (exists(file) && !values.force) throw new UsageError(`${file} exists; pass --force to replace it`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeAtomically(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  writeAtomically(publicFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  output.out(
    `wrote ${privateFile} (private: sign with \`ferry export --sign-key\`) and ${publicFile} (public: \`ferry import --key\`)`,
  );
});
