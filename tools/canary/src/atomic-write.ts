import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces an existing file's content atomically: writes a temporary file in the same
 * directory (same file system), flushes it, keeps the original's permission bits, then
 * renames it over the original. A reader sees the old or the new text, never a mix;
 * on failure the original is untouched and the temporary file is removed. A symbolic
 * link is followed, so the link stays and its target is replaced.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const target = await realpath(file);
  const { mode } = await stat(target);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      // Set after creating: the mode given to open() is masked by the umask.
      await handle.chmod(mode & 0o7777);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
