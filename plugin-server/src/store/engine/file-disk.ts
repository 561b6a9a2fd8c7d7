/**
 * Disk images as plain files: the reader the CLI and the benchmark ingest from, and the writer a
 * restore fills. Reads land in buffers that own their memory, so they can be handed to the codec
 * workers without a copy.
 */
import { constants as fsc } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { throwIfAborted } from '../bounded.js';
import { DIRECT_IO_ALIGN, directIoReady } from '../chunks/buffer-pool.js';
import type { DiskAreaReader } from './ingest.js';
import type { DiskAreaWriter } from './restore.js';

export class FileDiskReader implements DiskAreaReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly capacity: number,
  ) {}

  static async open(path: string): Promise<FileDiskReader> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile() && !st.isBlockDevice()) throw new Error(`${path} is not a file`);
      return new FileDiskReader(fh, st.size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async read(offset: number, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    throwIfAborted(signal);
    const buf = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) {
        // Past the end of a file that shrank: what is not there reads as zeros.
        buf.fill(0, done);
        break;
      }
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export class FileDiskWriter implements DiskAreaWriter {
  /** Writes land at their offsets, in any order, several at once. */
  readonly positional = true;

  private constructor(
    private readonly fh: FileHandle,
    /** The same file opened for direct I/O, where the filesystem allows it. */
    private readonly directHandle: FileHandle | undefined,
    /** Whether close() closes `fh` too (not when the caller opened it: attach()). */
    private readonly ownsFile: boolean,
  ) {}

  /** Whether aligned writes still go through direct I/O (until the filesystem refuses one). */
  private useDirect = true;

  /**
   * Creates (or truncates) the file at the disk's full size, so unwritten areas are holes. Whole
   * aligned pages from aligned memory (the restore's buffers) are written with direct I/O: they
   * go to the disk without passing through (and crowding) the page cache; anything else is
   * written through the page cache as usual.
   */
  static async create(path: string, capacity: number): Promise<FileDiskWriter> {
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.truncate(capacity);
      return new FileDiskWriter(fh, await openDirect(path), true);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * Writes into a new, empty file the caller has opened at `path` and sized (e.g. the temporary
   * file of writeFileAtomically). close() then leaves `fh` to the caller.
   */
  static async attach(fh: FileHandle, path: string): Promise<FileDiskWriter> {
    return new FileDiskWriter(fh, await openDirect(path), false);
  }

  async write(offset: number, data: Uint8Array, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const n = data.byteLength;
    const direct = this.useDirect && offset % DIRECT_IO_ALIGN === 0 && n % DIRECT_IO_ALIGN === 0 && directIoReady(data, n) ? this.directHandle : undefined;
    if (direct) {
      try {
        await writeAt(direct, offset, data);
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EINVAL') throw err;
        // The filesystem took the open but not the write: through the page cache from now on.
        this.useDirect = false;
      }
    }
    await writeAt(this.fh, offset, data);
  }

  /** Flushes to stable storage (unless `sync` is false) and closes what it opened. */
  async close(sync = true): Promise<void> {
    try {
      if (sync) await this.fh.sync();
    } finally {
      try {
        await this.directHandle?.close();
      } finally {
        if (this.ownsFile) await this.fh.close();
      }
    }
  }
}

/** The file opened again for direct I/O, or undefined where the system or filesystem has none. */
async function openDirect(path: string): Promise<FileHandle | undefined> {
  return fsc.O_DIRECT === undefined ? undefined : open(path, fsc.O_WRONLY | fsc.O_DIRECT).catch(() => undefined);
}

async function writeAt(fh: FileHandle, offset: number, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    const { bytesWritten } = await fh.write(data, done, data.byteLength - done, offset + done);
    done += bytesWritten;
  }
}
