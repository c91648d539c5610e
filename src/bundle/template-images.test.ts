import type { AppTemplate } from '../api/index.js';
import { rewriteTemplate } from './import.js';
import type { VerifiedPackage } from './package-reader.js';
import { templateImages } from './export.js';
import { shopTemplate } from '../testing/fixtures.js';
import { imageUses, mapImages, specImages } from '../model/images.js';

const withExtras = (): AppTemplate => {
  const t = shopTemplate('2.0.0');
  t.spec.components[1]!.initContainers = [{ name: 'wait-db', image: 'registry.example.com/shop/tools:1.0' }];
  t.spec.components[1]!.sidecars = [{ name: 'proxy', image: 'registry.example.com/shop/proxy:1.0' }];
  t.spec.hooks![0]!.image = 'registry.example.com/shop/migrate:2.0.0';
  return t;
};

describe('template images', () => {
  it('lists every image once: components, init containers, sidecars and hooks', () => {
    const t = withExtras();
    expect(specImages(t.spec)).toEqual([
      'registry.example.com/shop/db:1.0.1',
      'registry.example.com/shop/api:2.0.0',
      'registry.example.com/shop/tools:1.0',
      'registry.example.com/shop/proxy:1.0',
      'registry.example.com/shop/web:2.0.0',
      'registry.example.com/shop/reports:2.0.0',
      'registry.example.com/shop/migrate:2.0.0',
    ]);
    expect(imageUses(t.spec).map((u) => u.where)).toContain('hook migrate');
    expect(templateImages([t])).toEqual(specImages(t.spec));
  });

  it('maps every image reference, and nothing else', () => {
    const t = withExtras();
    const mapped = mapImages(t.spec, (ref) => ref.replace('registry.example.com', 'site.local'));
    expect(specImages(mapped).every((i) => i.startsWith('site.local/'))).toBe(true);
    expect({ ...mapped, components: [], hooks: [] }).toEqual({ ...t.spec, components: [], hooks: [] });
    expect(mapped.hooks![0]).toEqual({ ...t.spec.hooks![0], image: 'site.local/shop/migrate:2.0.0' });
  });

  it('import rewrites hook images to the site registry, keeping their digests', () => {
    const t = withExtras();
    const pkg = {
      manifest: {
        images: specImages(t.spec).map((ref, i) => ({
          ref,
          repository: ref.replace('registry.example.com/', '').replace(/:.*/, ''),
          digest: `sha256:${String(i).repeat(64)}`,
        })),
      },
    } as unknown as VerifiedPackage;
    const site = rewriteTemplate(t, pkg, 'registry.site:5000', 'vendor');
    expect(site.spec.hooks![0]!.image).toBe(
      `registry.site:5000/vendor/shop/migrate@sha256:${'6'.repeat(64)}`,
    );
    expect(site.spec.components[1]!.sidecars![0]!.image).toMatch(
      /^registry\.site:5000\/vendor\/shop\/proxy@sha256:/,
    );
  });
});
