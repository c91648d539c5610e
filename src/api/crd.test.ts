import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../testing/fixtures.js';
import { INT_OR_STRING, intOrString } from './common.js';
import { renderApiDocs } from './api-docs.js';
import { renderCrdFiles } from './crd-files.js';
import { allCrds, toStructural } from './crd.js';

describe('generated CRDs', () => {
  it('match crds/ exactly (run `npm run generate` after changing src/api)', () => {
    const generated = new Map(renderCrdFiles());
    const committed = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(committed.sort()).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) {
      expect(`${file}\n${readFileSync(join(repoRoot, 'crds', file), 'utf8')}`).toEqual(`${file}\n${text}`);
    }
  });

  it('and docs/api.md match the schemas (run `npm run generate`)', () => {
    expect(readFileSync(join(repoRoot, 'docs', 'api.md'), 'utf8')).toEqual(renderApiDocs());
  });

  it('carry no union, no preserve-unknown-fields and no additionalProperties beside properties', () => {
    const walk = (node: unknown, path: string): string[] => {
      if (!node || typeof node !== 'object') return [];
      const n = node as Record<string, unknown>;
      const bad: string[] = [];
      if (n.anyOf || n.oneOf || n.allOf) bad.push(`${path}: union`);
      if (n['x-kubernetes-preserve-unknown-fields']) bad.push(`${path}: preserve-unknown-fields`);
      if (n.properties && n.additionalProperties) bad.push(`${path}: additionalProperties beside properties`);
      if (n.type === 'integer' && !n.format) bad.push(`${path}: integer without format`);
      return [...bad, ...Object.entries(n).flatMap(([k, v]) => walk(v, `${path}.${k}`))];
    };
    const schemas = allCrds().map((crd) => [
      (crd.metadata as { name: string }).name,
      (crd.spec as { versions: { schema: unknown }[] }).versions[0]!.schema,
    ]);
    expect(schemas.flatMap(([name, schema]) => walk(schema, name as string))).toEqual([]);
  });

  it('describe every field of every spec and status', () => {
    const undescribed = (node: Record<string, unknown>, path: string): string[] => {
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      const items = node.items as Record<string, unknown> | undefined;
      return [
        ...Object.entries(props).flatMap(([k, v]) => [
          ...(v.description ? [] : [`${path}.${k}`]),
          ...undescribed(v, `${path}.${k}`),
        ]),
        ...(items ? undescribed(items, `${path}[]`) : []),
      ];
    };
    const missing = allCrds().flatMap((crd) => {
      const root = (crd.spec as { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] })
        .versions[0]!.schema.openAPIV3Schema;
      const props = root.properties as Record<string, Record<string, unknown>>;
      const kind = (crd.spec as { names: { kind: string } }).names.kind;
      return [...undescribed(props.spec!, `${kind}.spec`), ...undescribed(props.status!, `${kind}.status`)];
    });
    expect(missing).toEqual([]);
  });
});

describe('toStructural', () => {
  const convert = (schema: z.ZodType) =>
    toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>);

  it('gives integers a format instead of the ±2^53 bounds', () => {
    expect(convert(z.object({ a: z.int32().min(1), b: z.int() }))).toEqual({
      type: 'object',
      properties: {
        a: { type: 'integer', minimum: 1, format: 'int32' },
        b: { type: 'integer', format: 'int64' },
      },
      required: ['a', 'b'],
    });
  });

  it('turns a marked union into x-kubernetes-int-or-string and refuses other unions', () => {
    expect(convert(intOrString('surge'))).toEqual({ [INT_OR_STRING]: true, description: 'surge' });
    expect(() => convert(z.union([z.string(), z.boolean()]))).toThrow(/unions are not structural/);
  });

  it('drops $schema and additionalProperties: false', () => {
    const out = convert(z.strictObject({ a: z.string() }));
    expect(out).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
  });
});
