/**
 * Disk images as plain files: the reader the CLI and the benchmark ingest from, and the writer a
 * restore fills. Reads land in buffers that own their memory, so they can be handed to the codec
 * workers without a copy.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { throwIfAborted } from './bounded.js';
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
  private constructor(private readonly fh: FileHandle) {}

  /** Creates (or truncates) the file at the disk's full size, so unwritten areas are holes. */
  static async create(path: string, capacity: number): Promise<FileDiskWriter> {
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.truncate(capacity);
      return new FileDiskWriter(fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async write(offset: number, data: Uint8Array, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, offset + done);
      done += bytesWritten;
    }
  }

  /** Flushes to stable storage and closes. */
  async close(sync = true): Promise<void> {
    try {
      if (sync) await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}
