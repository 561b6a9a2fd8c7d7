/**
 * The raw image of a restore point's disk, or a byte range of it: every byte of the disk in
 * order, zeros where the point holds all-zero chunks. Chunks are read ahead and verified
 * (disk-chunks.ts); the sink's pace sets the pace of the reads.
 */
import type { ByteSink } from './byte-sink.js';
import { readSlots, type PointDisk } from './disk-chunks.js';

/** [start, end) in bytes. */
export interface ExportRange {
  readonly start: number;
  readonly end: number;
}

export interface RawExportOptions {
  /** Default: the whole disk. */
  readonly range?: ExportRange;
  /** Chunks read ahead of the sink. */
  readonly ahead?: number;
  /** Called after each chunk with the disk bytes done and in all. */
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  readonly signal: AbortSignal;
}

const ZEROS = Buffer.alloc(1024 * 1024);

/** Writes the disk's bytes in `range` to `sink`; resolves with the number of bytes written. */
export async function exportRaw(disk: PointDisk, sink: ByteSink, opts: RawExportOptions): Promise<number> {
  const { index } = disk;
  const range = opts.range ?? { start: 0, end: index.capacity };
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end > index.capacity || range.start > range.end) {
    throw new RangeError(`bad range ${range.start}-${range.end} of a disk of ${index.capacity} bytes`);
  }
  if (range.start === range.end) return 0;
  const first = Math.floor(range.start / index.chunkSize);
  const end = Math.ceil(range.end / index.chunkSize);
  let written = 0;
  for await (const s of readSlots(disk, { first, end, ahead: opts.ahead, signal: opts.signal })) {
    const from = Math.max(range.start, s.offset) - s.offset;
    const to = Math.min(range.end, s.offset + s.length) - s.offset;
    if (s.data) {
      await sink.write(s.data.subarray(from, to), opts.signal);
    } else {
      // The zero buffer is never written to, so the sink may hold on to it as long as it likes.
      for (let at = from; at < to; at += ZEROS.byteLength) await sink.write(ZEROS.subarray(0, Math.min(ZEROS.byteLength, to - at)), opts.signal);
    }
    written += to - from;
    opts.onProgress?.(written, range.end - range.start);
  }
  return written;
}

/** Something that writes at disk offsets (a new file, which reads as zeros where nothing was written). */
export interface AreaWriter {
  write(offset: number, data: Uint8Array, signal: AbortSignal): Promise<void>;
}

const RUN = 64 * 1024;

/**
 * Writes the whole disk into a target that reads zeros where nothing was written (a new file of
 * the disk's size): all-zero chunks and all-zero 64 KiB runs are skipped, so the file is as
 * sparse as the disk was. Resolves with the bytes actually written.
 */
export async function exportSparse(disk: PointDisk, writer: AreaWriter, opts: Omit<RawExportOptions, 'range'>): Promise<number> {
  let written = 0;
  for await (const s of readSlots(disk, { ahead: opts.ahead, signal: opts.signal })) {
    if (!s.data) {
      opts.onProgress?.(s.offset + s.length, disk.index.capacity);
      continue;
    }
    const b = Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    const flush = async (from: number, to: number): Promise<void> => {
      await writer.write(s.offset + from, b.subarray(from, to), opts.signal);
      written += to - from;
    };
    let runStart = -1;
    for (let at = 0; at < b.byteLength; at += RUN) {
      const end = Math.min(at + RUN, b.byteLength);
      const zero = b.subarray(at, end).equals(ZEROS.subarray(0, end - at));
      if (!zero && runStart < 0) runStart = at;
      if (zero && runStart >= 0) {
        await flush(runStart, at);
        runStart = -1;
      }
    }
    if (runStart >= 0) await flush(runStart, b.byteLength);
    opts.onProgress?.(s.offset + s.length, disk.index.capacity);
  }
  return written;
}
