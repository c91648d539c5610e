import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import {
  SAMPLE_IMAGES,
  buildSampleServer,
  packSampleImages,
  sampleImageConfig,
  sourceKey,
} from './samples.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sourceDir = join(root, 'examples', 'sample-app');

const hasGo = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasGo && process.env.CI === 'true')
  throw new Error('go is required under CI (it builds the sample app)');

describe('sample images', () => {
  it('cover every image and port of examples/shop', () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const template = yaml.load(
        readFileSync(join(root, 'examples', 'shop', `shop-${version}.yaml`), 'utf8'),
      ) as {
        spec: { components: { name: string; image: string; ports: { port: number }[] }[] };
      };
      for (const component of template.spec.components) {
        const [repository, tag] = component.image.replace('registry.example.com/', '').split(':');
        const sample = SAMPLE_IMAGES.find((s) => s.repository === repository && s.tag === tag);
        expect(sample).toBeDefined();
        expect(sample!.role).toBe(component.name);
        expect(component.ports[0]!.port).toBe(sample!.port);
      }
    }
  });

  it('configure each image non-root, with its version, port and upstream', () => {
    const web = sampleImageConfig(
      SAMPLE_IMAGES.find((s) => s.repository === 'shop/web' && s.tag === '2.0.0')!,
      'k',
    );
    expect(web).toMatchObject({
      entrypoint: ['/app/server'],
      user: '65532:65532',
      exposedPorts: ['8080/tcp'],
      env: ['PATH=/app', 'ROLE=web', 'VERSION=2.0.0', 'PORT=8080', 'UPSTREAM_NAME=api'],
    });
    const db = sampleImageConfig(SAMPLE_IMAGES[0]!, 'k');
    expect(db.env).toContain('DATA_DIR=/var/lib/postgresql/data');
  });

  it('key builds by Go version and source content, not file order', () => {
    const a = { name: 'main.go', bytes: Buffer.from('package main') };
    const b = { name: 'go.mod', bytes: Buffer.from('module x') };
    const key = sourceKey('go1.26.8', [a, b]);
    expect(sourceKey('go1.26.8', [b, a])).toBe(key);
    expect(sourceKey('go1.26.9', [a, b])).not.toBe(key);
    expect(sourceKey('go1.26.8', [a, { ...b, bytes: Buffer.from('module y') }])).not.toBe(key);
  });

  (hasGo ? it : it.skip)(
    'build the same digests from two cold builds (and reuse the cache)',
    async () => {
      const caches = [
        mkdtempSync(join(tmpdir(), 'ferry-samples-')),
        mkdtempSync(join(tmpdir(), 'ferry-samples-')),
      ];
      try {
        const first = buildSampleServer(sourceDir, caches[0]);
        const second = buildSampleServer(sourceDir, caches[1]);
        expect([first.cached, second.cached]).toEqual([false, false]);
        expect(second.key).toBe(first.key);
        expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);
        expect(buildSampleServer(sourceDir, caches[0]).cached).toBe(true);
        expect(execFileSync(first.path, ['--version'], { encoding: 'utf8' }).trim()).toBe(
          `sample-${first.key.slice(0, 12)}`,
        );

        const one = await packSampleImages(first);
        const two = await packSampleImages(second);
        expect(two.map((i) => i.image.root.digest)).toEqual(one.map((i) => i.image.root.digest));
        expect(new Set(one.map((i) => i.image.root.digest)).size).toBe(SAMPLE_IMAGES.length);
        // web 1.0.0 and 2.0.0: the same layers, another config
        const web = one.filter((i) => i.sample.repository === 'shop/web').map((i) => i.image);
        expect(web[1]!.layers.map((l) => l.descriptor.digest)).toEqual(
          web[0]!.layers.map((l) => l.descriptor.digest),
        );
        expect(web[1]!.configDigest).not.toBe(web[0]!.configDigest);
      } finally {
        for (const cache of caches) rmSync(cache, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
