import { sha256Digest } from '../bundle/digest.js';
import { parseManifest } from '../bundle/media-types.js';
import { assembleImage, imageConfigJson } from './image.js';
import { buildLayer } from './layer.js';

const CONFIG = {
  entrypoint: ['/app/server'],
  cmd: ['--serve'],
  env: ['PATH=/usr/bin:/bin', 'VERSION=1.0.0'],
  user: '65532:65532',
  workdir: '/app',
  exposedPorts: ['8080', '9090/udp'],
  labels: { 'org.opencontainers.image.version': '1.0.0', 'a.b': 'first' },
};

describe('imageConfigJson', () => {
  it('maps the config to OCI fields, ports as port/proto, no timestamp unless given', () => {
    const json = JSON.parse(imageConfigJson(CONFIG, ['sha256:' + 'a'.repeat(64)]).toString()) as Record<
      string,
      unknown
    >;
    expect(json).toEqual({
      architecture: 'amd64',
      os: 'linux',
      config: {
        User: '65532:65532',
        ExposedPorts: { '8080/tcp': {}, '9090/udp': {} },
        Env: ['PATH=/usr/bin:/bin', 'VERSION=1.0.0'],
        Entrypoint: ['/app/server'],
        Cmd: ['--serve'],
        WorkingDir: '/app',
        Labels: { 'a.b': 'first', 'org.opencontainers.image.version': '1.0.0' },
      },
      rootfs: { type: 'layers', diff_ids: ['sha256:' + 'a'.repeat(64)] },
      history: [{ created_by: 'ferry image layer 1' }],
    });
    const dated = JSON.parse(imageConfigJson(CONFIG, [], { created: 0 }).toString()) as { created: string };
    expect(dated.created).toBe('1970-01-01T00:00:00.000Z');
  });

  it('does not depend on the order labels and ports were given in', () => {
    const reordered = {
      ...CONFIG,
      exposedPorts: ['9090/udp', '8080/tcp'],
      labels: { 'a.b': 'first', 'org.opencontainers.image.version': '1.0.0' },
    };
    expect(imageConfigJson(reordered, []).equals(imageConfigJson(CONFIG, []))).toBe(true);
  });

  it('refuses malformed input', () => {
    expect(() => imageConfigJson({ ...CONFIG, env: ['NOEQUALS'] }, [])).toThrow(/NAME=value/);
    expect(() => imageConfigJson({ ...CONFIG, exposedPorts: ['http'] }, [])).toThrow(/PORT/);
    expect(() => imageConfigJson({ ...CONFIG, workdir: 'relative' }, [])).toThrow();
    expect(() => imageConfigJson({ ...CONFIG, extra: 1 } as typeof CONFIG, [])).toThrow();
  });
});

describe('assembleImage', () => {
  it('builds a manifest naming config and layers, and an index naming the manifest', async () => {
    const layer = await buildLayer([{ type: 'file', path: 'x', content: { data: Buffer.from('x') } }]);
    const image = assembleImage([layer], CONFIG, { index: true, annotations: { z: '1', a: '2' } });
    expect(sha256Digest(image.config)).toBe(image.configDigest);
    const manifest = parseManifest(image.manifest, 'test');
    if (manifest.kind !== 'manifest') throw new Error('expected a manifest');
    expect(manifest.manifest.config.digest).toBe(image.configDigest);
    expect(manifest.manifest.layers).toEqual([layer.descriptor]);
    expect(
      Object.keys((JSON.parse(image.manifest.bytes.toString()) as { annotations: object }).annotations),
    ).toEqual(['a', 'z']);
    const index = parseManifest(image.root, 'test');
    if (index.kind !== 'index') throw new Error('expected an index');
    expect(index.index.manifests).toEqual([
      {
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ]);
    expect(assembleImage([layer], CONFIG, { annotations: { a: '2', z: '1' } }).root.digest).toBe(
      image.manifest.digest,
    );
  });

  it('gives equal digests for equal inputs and another for another config', async () => {
    const entries = [{ type: 'file' as const, path: 'x', content: { data: Buffer.from('x') } }];
    const one = assembleImage([await buildLayer(entries)], CONFIG);
    const two = assembleImage([await buildLayer(entries)], CONFIG);
    const other = assembleImage([await buildLayer(entries)], { ...CONFIG, env: ['VERSION=2.0.0'] });
    expect(two.root.digest).toBe(one.root.digest);
    expect(other.root.digest).not.toBe(one.root.digest);
    expect(other.layers[0]!.descriptor.digest).toBe(one.layers[0]!.descriptor.digest);
    expect(() => assembleImage([], CONFIG)).toThrow(/at least one layer/);
  });
});
