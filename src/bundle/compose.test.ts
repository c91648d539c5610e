import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import type { AppTemplate } from '../api/index.js';
import { validateTemplate } from '../model/validate.js';
import { composeFile, envFile, loadedImageName } from './compose.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shop = (): AppTemplate => {
  const result = validateTemplate(
    yaml.load(readFileSync(join(root, 'examples/shop/shop-2.0.0.yaml'), 'utf8')),
  );
  if (!result.ok) throw new Error('example template invalid');
  return result.value;
};

describe('compose export', () => {
  it('maps components to services with ports, env, volumes, config files and depends_on', () => {
    const doc = yaml.load(composeFile(shop())) as {
      services: Record<
        string,
        {
          image: string;
          ports?: string[];
          environment?: Record<string, string>;
          volumes?: string[];
          depends_on?: string[];
        }
      >;
      volumes: Record<string, object>;
    };
    expect(Object.keys(doc.services)).toEqual(['db', 'api', 'web', 'reports']);
    expect(doc.services.db).toMatchObject({
      image: 'registry.example.com/shop/db:1.0.1',
      ports: ['5432:5432'],
      volumes: [
        'db-data:/var/lib/postgresql/data',
        './config/db/postgresql.conf:/etc/postgresql/postgresql.conf:ro',
      ],
    });
    expect(doc.services.db!.environment!.POSTGRES_PASSWORD).toBe('${DB_PASSWORD}');
    expect(doc.services.api!.depends_on).toEqual(['db']);
    expect(doc.services.api!.environment).toMatchObject({ DB_HOST: 'db', DB_PORT: '5432' });
    expect(doc.volumes).toEqual({ 'db-data': {} });
  });

  it('escapes literal $ in values so compose does not interpolate them', () => {
    const t = shop();
    t.spec.components[0]!.env = [{ name: 'PRICE', value: '$5 and ${params.PUBLIC_URL}' }];
    const doc = yaml.load(composeFile(t)) as { services: { db: { environment: Record<string, string> } } };
    expect(doc.services.db.environment.PRICE).toBe('$$5 and ${PUBLIC_URL}');
  });

  it('writes parameters to .env with defaults and marks required ones', () => {
    const env = envFile(shop());
    expect(env).toMatch(/# required, secret\nDB_PASSWORD=\n/);
    expect(env).toMatch(/PUBLIC_URL=http:\/\/shop.local\n/);
  });

  it('names loaded images by tag, or by a digest-derived tag when only pinned by digest', () => {
    expect(loadedImageName('r.example/a/b:1.0')).toBe('r.example/a/b:1.0');
    expect(loadedImageName(`r.example/a/b:1.0@sha256:${'a'.repeat(64)}`)).toBe('r.example/a/b:1.0');
    expect(loadedImageName(`r.example/a/b@sha256:${'b'.repeat(64)}`)).toBe(
      `r.example/a/b:ferry-${'b'.repeat(12)}`,
    );
    expect(loadedImageName('r.example:5000/a')).toBe('r.example:5000/a:latest');
  });
});
