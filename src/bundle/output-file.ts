import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeFsError } from './compression.js';
import { BundleError } from './errors.js';

/**
 * Writes `output` through a temporary file beside it, so the output is either whole or absent:
 * the temporary file is created exclusively (never an existing file or a symlink's target),
 * removed when `write` fails and when the process is interrupted (SIGINT, SIGTERM), and renamed
 * over `output` only once `write` resolved. It is opened before `write` runs, so a missing or
 * unwritable directory is reported before any work is done.
 */
export async function writeOutputFile<T>(
  output: string,
  write: (handle: FileHandle, temp: string) => Promise<T>,
): Promise<T> {
  const temp = join(
    dirname(output),
    `.${basename(output)}.part-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    throw new BundleError(`cannot write ${output}: ${describeFsError(error)}`, { cause: error });
  }
  const interrupted = (signal: NodeJS.Signals) => {
    rmSync(temp, { force: true });
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    const result = await write(handle, temp);
    await handle.close().catch(() => {});
    await rename(temp, output).catch((error: unknown) => {
      throw new BundleError(`cannot write ${output}: ${describeFsError(error)}`, { cause: error });
    });
    return result;
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
