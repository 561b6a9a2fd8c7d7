/**
 * Export to a file, all or nothing: the bytes go to a temporary file beside the target, which
 * takes the target's name only once it is complete (and flushed when asked); any failure or
 * interruption removes the temporary file. Without `overwrite` an existing target is never
 * replaced, even one that appeared while the export ran.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ValidationError } from '../errors/index.js';
import type { ByteSink } from './byte-sink.js';

export interface FileOutputOptions {
  readonly overwrite: boolean;
  /** fsync the file before it takes the target's name. */
  readonly sync: boolean;
}

/**
 * Runs `fill` on a new temporary file (created with size `size` when given, so unwritten areas are
 * holes), then gives it the name `target`.
 */
export async function writeFileAtomically<T>(target: string, opts: FileOutputOptions & { size?: number }, fill: (fh: FileHandle, tempPath: string) => Promise<T>): Promise<T> {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.partial`);
  const fh = await open(temp, 'wx', 0o600);
  let done = false;
  try {
    if (opts.size !== undefined) await fh.truncate(opts.size);
    const result = await fill(fh, temp);
    if (opts.sync) await fh.sync();
    await fh.close();
    if (opts.overwrite) {
      await rename(temp, target);
    } else {
      try {
        await link(temp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ValidationError(`${target} exists; give --overwrite to replace it`);
        throw err;
      }
      await unlink(temp);
    }
    done = true;
    return result;
  } finally {
    if (!done) {
      await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

/** Appends to a file handle, front to back. */
export class FileSink implements ByteSink {
  private position = 0;

  constructor(private readonly fh: FileHandle) {}

  async write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, this.position + done);
      done += bytesWritten;
    }
    this.position += data.byteLength;
  }
}
