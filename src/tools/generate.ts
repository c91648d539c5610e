import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../api/crd-files.js';

const outDir = process.argv[2] ?? 'crds';
mkdirSync(outDir, { recursive: true });
for (const [file, text] of renderCrdFiles()) {
  writeFileSync(join(outDir, file), text);
  console.log(`wrote ${join(outDir, file)}`);
}
