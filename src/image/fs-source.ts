import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentReader } from './layer.js';
import type { LayerEntry } from './spec.js';

/** Reads files on disk (content `{ source, size }`), in memory ones from their buffer. */
export const diskReader: ContentReader = (content) =>
  'data' in content ? [content.data] : (createReadStream(content.source) as AsyncIterable<Buffer>);

export interface DirectoryOptions {
  /** Where the directory's content goes in the image ('' or '/' for the root). */
  prefix?: string;
  /** Owner of every entry (default root). */
  uid?: number;
  gid?: number;
  /** Relative paths ('/'-separated, no leading '/') to leave out, with everything under them. */
  exclude?: (path: string) => boolean;
}

export interface DirectoryEntries {
  entries: LayerEntry[];
  /** Devices, FIFOs and sockets: never part of an image (the runtime provides /dev). */
  skipped: string[];
}

/**
 * Lists a directory tree as layer entries: modes as on disk (permission bits only), owners as
 * given (not as on disk), symlinks as links, hard links by inode. Nothing of the disk's timestamps
 * or owners reaches the layer, and the order of readdir does not matter (the layer sorts).
 */
export async function directoryEntries(
  dir: string,
  options: DirectoryOptions = {},
): Promise<DirectoryEntries> {
  const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const owner = { uid: options.uid ?? 0, gid: options.gid ?? 0 };
  const entries: LayerEntry[] = [];
  const skipped: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(rel ? join(dir, rel) : dir)) {
      const path = rel ? `${rel}/${name}` : name;
      if (options.exclude?.(path)) continue;
      const full = join(dir, path);
      const st = await lstat(full);
      const target = prefix ? `${prefix}/${path}` : path;
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        entries.push({ type: 'dir', path: target, mode, ...owner });
        await walk(path);
      } else if (st.isFile()) {
        entries.push({
          type: 'file',
          path: target,
          mode,
          ...owner,
          content: { source: full, size: st.size },
          ...(st.nlink > 1 ? { linkKey: `${st.dev}:${st.ino}` } : {}),
        });
      } else if (st.isSymbolicLink()) {
        entries.push({ type: 'symlink', path: target, target: await readlink(full), ...owner });
      } else skipped.push(path);
    }
  };
  await walk('');
  return { entries, skipped };
}
