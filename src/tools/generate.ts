import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderApiDocs } from '../api/api-docs.js';
import { renderCrdFiles } from '../api/crd-files.js';

const outDir = process.argv[2] ?? 'crds';
mkdirSync(outDir, { recursive: true });
for (const [file, text] of renderCrdFiles()) {
  writeFileSync(join(outDir, file), text);
  console.log(`wrote ${join(outDir, file)}`);
}

const docs = process.argv[3] ?? 'docs/api.md';
mkdirSync(dirname(docs), { recursive: true });
writeFileSync(docs, renderApiDocs());
console.log(`wrote ${docs}`);
