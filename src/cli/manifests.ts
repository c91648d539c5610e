import { readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { ManifestReadError } from './output.js';

export interface ManifestDocument {
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  kind: string | undefined;
  body: unknown;
}

export { ManifestReadError };

/** Reads every YAML document of the files, skipping empty ones; a parse error names the file. */
export function readManifests(files: readonly string[]): ManifestDocument[] {
  const docs: ManifestDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ManifestReadError(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown[];
    try {
      parsed = yaml.loadAll(text);
    } catch (error) {
      throw new ManifestReadError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
    parsed.forEach((body, i) => {
      if (body === null || body === undefined) return;
      const kind =
        typeof body === 'object' && 'kind' in body ? String((body as { kind: unknown }).kind) : undefined;
      docs.push({ file, index: i + 1, kind, body });
    });
  }
  return docs;
}

export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) => yaml.dump(o, { lineWidth: 120, noRefs: true })).join('---\n');
}
