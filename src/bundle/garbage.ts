/**
 * Frees the buffers blob bytes leave behind. Every socket read hands Node's streams a fresh buffer
 * (64 KiB); once written to the package it is garbage, but V8 sees only its small wrapper objects,
 * so no young-generation collection comes due: the dead buffers pile up until their external
 * memory forces a full collection (after about 64 MiB of growth, and incremental marking lets more
 * arrive meanwhile). An export moving 300 MiB/s held 90–110 MiB of them, and the allocator kept
 * the pages. A young-generation collection every few MiB moved frees them at once; with little
 * alive it takes well under a millisecond.
 *
 * V8's `gc` is reached through a new context with --expose-gc set at run time (the documented
 * use of v8.setFlagsFromString); where that is refused, nothing is collected early.
 */
type Collect = (options: { type: 'minor' | 'major' }) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
      const found: unknown = process.getBuiltinModule('node:vm').runInNewContext('gc');
      collect = typeof found === 'function' ? (found as Collect) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Bytes between two collections: a few MiB of dead buffers at most. */
export const COLLECT_EVERY = 8 * 1024 * 1024;

let moved = 0;

/**
 * Counts bytes that passed through fresh buffers; collects the young generation every
 * COLLECT_EVERY. True when it collected.
 */
export function bytesMoved(n: number): boolean {
  moved += n;
  if (moved < COLLECT_EVERY) return false;
  moved = 0;
  const gc = collector();
  gc?.({ type: 'minor' });
  return !!gc;
}
