/**
 * Ferry's image packer: reproducible OCI images from files, without a container engine.
 *
 *   const layer = await buildLayer([{ type: 'file', path: 'app/server', mode: 0o755, content }]);
 *   const image = assembleImage([layer], { entrypoint: ['/app/server'], user: '65532:65532' });
 *   await writeLayout(dir, [{ image, name: 'shop/web:1.0.0' }]);   // or pushPackedImage(client, ...)
 *
 * Same entries and config → same digests (see layer.ts for what that covers).
 */
export * from './spec.js';
export * from './layer.js';
export * from './image.js';
export * from './fs-source.js';
export * from './write.js';
