/**
 * Files holding secrets (the store passphrase) must be readable by their owner only: a file that
 * its group or every user can read gives the backups away. Checked each time such a file is read,
 * not only when it was made, since a copy or an editor may have opened it up since.
 */
import { stat } from 'node:fs/promises';
import { LifelineError } from '../errors/index.js';

/** Throws `secret-file-exposed` when `path` is readable (or writable) by its group or others. */
export async function requirePrivateFile(path: string, what: string): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new LifelineError(
      'secret-file-exposed',
      `the ${what} file ${path} has mode ${mode.toString(8).padStart(4, '0')}: its group or other users can read it; make it readable by its owner only (chmod 600 ${path})`,
      { file: path, mode: mode.toString(8).padStart(4, '0') },
    );
  }
}
