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
