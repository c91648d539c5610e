import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciLayoutReader, blobPath } from '../bundle/oci-layout.js';
import { diskReader, directoryEntries } from './fs-source.js';
import { assembleImage } from './image.js';
import { buildLayer } from './layer.js';
import { writeLayout } from './write.js';

const has = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('directoryEntries + writeLayout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-image-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function makeTree(root: string, mtime: number): void {
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'share', 'doc'), { recursive: true });
    writeFileSync(join(root, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
    chmodSync(join(root, 'bin', 'tool'), 0o755);
    writeFileSync(join(root, 'share', 'doc', 'README'), 'read me\n');
    linkSync(join(root, 'share', 'doc', 'README'), join(root, 'share', 'README'));
    symlinkSync('../bin/tool', join(root, 'share', 'tool'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    for (const p of ['bin/tool', 'share/doc/README', 'bin', 'share', ''])
      utimesSync(join(root, p), mtime, mtime);
  }

  async function pack(root: string) {
    const { entries, skipped } = await directoryEntries(root, {
      prefix: '/opt/x',
      exclude: (p) => p === 'share/doc',
    });
    const layer = await buildLayer(entries, { read: diskReader, mtime: 1 });
    return { layer, skipped, entries };
  }

  it('packs a tree reproducibly whatever the disk timestamps, with links, modes and exclusions', async () => {
    makeTree(join(dir, 'one'), 1000);
    makeTree(join(dir, 'two'), 2_000_000);
    const one = await pack(join(dir, 'one'));
    const two = await pack(join(dir, 'two'));
    expect(one.skipped).toEqual(['fifo']);
    expect(two.layer.descriptor.digest).toBe(one.layer.descriptor.digest);
    expect(one.entries.map((e) => e.path).sort()).toEqual([
      'opt/x/bin',
      'opt/x/bin/tool',
      'opt/x/share',
      'opt/x/share/README',
      'opt/x/share/tool',
    ]);

    // a real tar reads it back the same
    writeFileSync(join(dir, 'layer.tgz'), one.layer.bytes);
    const listing = execFileSync('tar', ['-tvzf', join(dir, 'layer.tgz'), '--numeric-owner'], {
      encoding: 'utf8',
    });
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 +18 1970-01-01 00:00 opt\/x\/bin\/tool$/m);
    expect(listing).toMatch(/^lrwxrwxrwx 0\/0 +0 1970-01-01 00:00 opt\/x\/share\/tool -> \.\.\/bin\/tool$/m);
    expect(listing).not.toMatch(/doc/);
  });

  it('writes an OCI layout that reads back (and that skopeo accepts, when installed)', async () => {
    makeTree(join(dir, 'tree'), 5);
    const { layer } = await pack(join(dir, 'tree'));
    const image = assembleImage([layer], { entrypoint: ['/opt/x/bin/tool'] }, { index: true });
    const layout = join(dir, 'layout');
    await writeLayout(layout, [{ image, name: 'example/tool:1.0.0' }]);
    const reader = new OciLayoutReader(layout);
    const index = await reader.index();
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: image.root.digest,
        size: image.root.bytes.length,
        annotations: { 'org.opencontainers.image.ref.name': 'example/tool:1.0.0' },
      },
    ]);
    for (const digest of [image.manifest.digest, image.configDigest, layer.descriptor.digest])
      expect(await readFile(join(layout, blobPath(digest)))).toBeTruthy();
    // written again over itself: fine; over a directory that is something else: refused
    await writeLayout(layout, [{ image, name: 'example/tool:1.0.0' }]);
    await expect(writeLayout(join(dir, 'tree'), [{ image, name: 'x' }])).rejects.toThrow(
      /not an OCI layout: not replacing/,
    );
    expect(readFileSync(join(dir, 'tree', 'bin', 'tool'), 'utf8')).toMatch(/echo hi/);
    if (has('skopeo')) {
      const out = JSON.parse(
        execFileSync('skopeo', ['inspect', `oci:${layout}:example/tool:1.0.0`], { encoding: 'utf8' }),
      ) as { Digest: string; Layers: string[] };
      expect([image.root.digest, image.manifest.digest]).toContain(out.Digest);
      expect(out.Layers).toEqual([layer.descriptor.digest]);
    }
  });
});
