import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Output } from '../output.js';
import { UsageError } from '../output.js';
import { bundleCommand } from './bundle-options.js';

export const keysHelp = `Usage: ferry keys generate -o PREFIX [--force]

Makes an ed25519 key pair for signing packages: PREFIX.key (private, PEM, mode 0600: keep it
with the vendor) and PREFIX.pub (public, PEM: give it to the sites, for \`ferry import --key\`).`;

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
    if (existsSync(file) && !values.force) throw new UsageError(`${file} exists; pass --force to replace it`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  output.out(
    `wrote ${privateFile} (private: sign with \`ferry export --sign-key\`) and ${publicFile} (public: \`ferry import --key\`)`,
  );
});
