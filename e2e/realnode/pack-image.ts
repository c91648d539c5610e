// Packs one static binary as an OCI image archive (see oci-image.ts); used by e2e/cluster.sh for
// the pause image. Run with: scripts/node --experimental-transform-types --import
// ./e2e/bundle/ts-loader.mjs e2e/realnode/pack-image.ts BINARY REFERENCE OUT.tar [ARG...]
// Prints DIGEST=<manifest digest>.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { packBinaryImage, writeOciArchive } from './oci-image.js';

const [binary, reference, out, ...args] = process.argv.slice(2);
if (!binary || !reference || !out) {
  console.error('usage: pack-image.ts BINARY REFERENCE OUT.tar [ARG...]');
  process.exit(2);
}
const image = await packBinaryImage({
  reference,
  path: basename(binary),
  binary: readFileSync(binary),
  args,
});
writeOciArchive(out, image, reference);
console.log(`DIGEST=${image.manifest.digest}`);
