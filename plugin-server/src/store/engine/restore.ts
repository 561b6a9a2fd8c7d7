/**
 * The restore engine: writes a disk back from its fixed index. Like ingest it depends only on
 * interfaces it declares: something that reads chunks (verified) and something that writes disk
 * areas. Chunks are fetched and decoded ahead, a bounded number at a time, and written strictly
 * in ascending offset order, so the target may be a stream (a datastore upload) as well as a file.
 * A target that takes writes at any offset (a file) is filled differently: each distinct chunk is
 * fetched and decoded once and written to every slot that names it, several chunks at once.
 * A chunk that is missing or fails verification stops the restore with its id; nothing unverified
 * is ever written.
 */
import { abortError, forEachBounded, linkedController } from '../bounded.js';
import { BufferPool } from '../chunks/buffer-pool.js';
import { isZeroDigest } from '../chunks/digest.js';
import type { IndexView } from './fixed-index.js';
import { StoreError } from '../store-error.js';

/**
 * Something that reads chunks by digest, verified; `length` is the slot's length. `into`, when
 * given, is a buffer of at least `length` bytes it may fill and return a view of.
 */
export interface ChunkSource {
  read(digest: Uint8Array, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array>;
}

/**
 * Something that writes disk areas. Writes never overlap; they come with ascending offsets, one
 * at a time, unless the writer is `positional`.
 */
export interface DiskAreaWriter {
  /**
   * True when writes may come in any order and several at once (a file written at explicit
   * offsets): restore then decodes a chunk that several slots name only once and keeps several
   * writes in flight. The writer must not keep `data` after its promise settles.
   */
  readonly positional?: boolean;
  write(offset: number, data: Uint8Array, signal: AbortSignal): Promise<void>;
}

export interface RestoreStats {
  bytesWritten: number;
  zeroSlots: number;
  chunksRead: number;
}

export interface RestoreDiskArgs {
  index: IndexView;
  source: ChunkSource;
  writer: DiskAreaWriter;
  signal: AbortSignal;
  /**
   * 'skip': the target reads zeros where nothing was written (a new sparse file), so all-zero
   * slots, and all-zero 64 KiB runs inside chunks, are not written — the restored file is as
   * sparse as the disk was. 'write': every byte is written (streams, reused targets).
   */
  zeroSlots: 'skip' | 'write';
  /** Chunks fetched ahead of the writer. */
  concurrency?: number;
  onProgress?: (p: { bytesDone: number; bytesTotal: number }) => void;
}

const RUN = 64 * 1024;
const ZERO_RUN = Buffer.alloc(RUN);

/** The [start, end) ranges of a chunk that are not all zeros, in 64 KiB steps, merged. */
export function dataRuns(chunk: Uint8Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  for (let at = 0; at < b.byteLength; at += RUN) {
    const end = Math.min(at + RUN, b.byteLength);
    // Buffer.equals is a memcmp: far cheaper than writing the zeros.
    if (b.subarray(at, end).equals(ZERO_RUN.subarray(0, end - at))) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === at) last[1] = end;
    else runs.push([at, end]);
  }
  return runs;
}

interface Fetch {
  hex: string;
  data: Promise<Uint8Array>;
  buffer: Uint8Array;
  /** Window entries still to write it. */
  uses: number;
}

export async function restoreDisk(args: RestoreDiskArgs): Promise<RestoreStats> {
  return args.writer.positional ? restorePositional(args) : restoreInOrder(args);
}

/** Slots handled together by a positional restore: bounds its map of chunks to slots. */
const SEGMENT_SLOTS = 16384;

/**
 * The positional restore: slots are grouped by chunk, a segment of the disk at a time, and each
 * distinct chunk is fetched, verified and written to all its slots while others are on the way.
 */
async function restorePositional(args: RestoreDiskArgs): Promise<RestoreStats> {
  const { index, source, writer, signal } = args;
  const ahead = Math.max(1, args.concurrency ?? 8);
  const stats: RestoreStats = { bytesWritten: 0, zeroSlots: 0, chunksRead: 0 };
  const buffers = new BufferPool(ahead, index.chunkSize);
  const zeros = args.zeroSlots === 'write' ? new Uint8Array(index.chunkSize) : undefined;
  let bytesTotal = 0;
  for (let s = 0; s < index.slots; s++) bytesTotal += index.slotLength(s);
  let done = 0;
  const progress = (length: number): void => {
    done += length;
    args.onProgress?.({ bytesDone: done, bytesTotal });
  };
  for (let first = 0; first < index.slots; first += SEGMENT_SLOTS) {
    const end = Math.min(index.slots, first + SEGMENT_SLOTS);
    // Distinct chunks in order of first use, each with the slots that name it; zero slots apart.
    const bySlot = new Map<string, number[]>();
    const zeroSlots: number[] = [];
    for (let s = first; s < end; s++) {
      const d = index.digest(s);
      if (isZeroDigest(d)) {
        zeroSlots.push(s);
        continue;
      }
      const hex = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
      const slots = bySlot.get(hex);
      if (slots) slots.push(s);
      else bySlot.set(hex, [s]);
    }
    stats.zeroSlots += zeroSlots.length;
    if (zeros) {
      await forEachBounded(zeroSlots, ahead, signal, async (slot, sig) => {
        const length = index.slotLength(slot);
        await writer.write(slot * index.chunkSize, zeros.subarray(0, length), sig);
        stats.bytesWritten += length;
        progress(length);
      });
    } else {
      for (const slot of zeroSlots) progress(index.slotLength(slot));
    }
    await forEachBounded(bySlot.values(), ahead, signal, async (slots, sig) => {
      const slot0 = slots[0] as number;
      const length = index.slotLength(slot0);
      const buffer = await buffers.acquire(sig);
      try {
        const chunk = (await source.read(Uint8Array.from(index.digest(slot0)), length, sig, buffer)).subarray(0, length);
        stats.chunksRead++;
        const runs: Array<[number, number]> = zeros ? [[0, length]] : dataRuns(chunk);
        for (const slot of slots) {
          // Equal digests mean equal content, so every slot naming the chunk has its length.
          if (index.slotLength(slot) !== length) {
            throw new StoreError('index-invalid', `slot ${slot} covers ${index.slotLength(slot)} bytes but names a chunk of ${length} bytes`, { slot });
          }
          const at = slot * index.chunkSize;
          for (const [from, to] of runs) await writer.write(at + from, chunk.subarray(from, to), sig);
          stats.bytesWritten += length;
          progress(length);
        }
      } finally {
        buffers.release(buffer);
      }
    });
  }
  return stats;
}

/** The ordered restore, for streams: a window of chunks fetched ahead, written strictly in order. */
async function restoreInOrder(args: RestoreDiskArgs): Promise<RestoreStats> {
  const { index, source, writer, signal } = args;
  const ahead = Math.max(1, args.concurrency ?? 8);
  const inner = linkedController(signal, ahead);
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const stats: RestoreStats = { bytesWritten: 0, zeroSlots: 0, chunksRead: 0 };
  // One buffer per chunk ahead of the writer: the memory bound of the restore. Slots in the
  // window that name the same chunk (a repeated block, a template) share one fetch.
  const buffers = new BufferPool(ahead, index.chunkSize);
  const inWindow = new Map<string, Fetch>();
  const window: Array<{ slot: number; fetch: Fetch | null }> = [];
  const zeros = args.zeroSlots === 'write' ? new Uint8Array(index.chunkSize) : undefined;

  const start = async (slot: number): Promise<void> => {
    const d = index.digest(slot);
    if (isZeroDigest(d)) {
      window.push({ slot, fetch: null });
      return;
    }
    const hex = Buffer.from(d).toString('hex');
    let f = inWindow.get(hex);
    if (!f) {
      const buffer = await buffers.acquire(inner.signal);
      const data = source.read(Uint8Array.from(d), index.slotLength(slot), inner.signal, buffer);
      // A rejection is observed when the slot's turn comes; this keeps it from being reported twice.
      data.catch(() => undefined);
      f = { hex, data, buffer, uses: 0 };
      inWindow.set(hex, f);
      stats.chunksRead++;
    }
    f.uses++;
    window.push({ slot, fetch: f });
  };
  const finish = (f: Fetch): void => {
    if (--f.uses > 0) return;
    inWindow.delete(f.hex);
    buffers.release(f.buffer);
  };

  let bytesTotal = 0;
  for (let s = 0; s < index.slots; s++) bytesTotal += index.slotLength(s);
  let done = 0;
  try {
    let next = 0;
    while (next < index.slots || window.length > 0) {
      // Keep `ahead` distinct chunks in flight; zero slots cost nothing and do not count.
      while (next < index.slots && inWindow.size < ahead && window.length < 4 * ahead) await start(next++);
      const head = window.shift();
      if (!head) break;
      const length = index.slotLength(head.slot);
      if (head.fetch) {
        try {
          const data = await head.fetch.data;
          if (inner.signal.aborted) throw abortError(inner.signal);
          const at = head.slot * index.chunkSize;
          const chunk = data.subarray(0, length);
          if (zeros) await writer.write(at, chunk, inner.signal);
          else for (const [from, to] of dataRuns(chunk)) await writer.write(at + from, chunk.subarray(from, to), inner.signal);
        } finally {
          finish(head.fetch);
        }
        stats.bytesWritten += length;
      } else {
        stats.zeroSlots++;
        if (zeros) {
          await writer.write(head.slot * index.chunkSize, zeros.subarray(0, length), inner.signal);
          stats.bytesWritten += length;
        }
      }
      done += length;
      args.onProgress?.({ bytesDone: done, bytesTotal });
    }
  } catch (err) {
    inner.abort(err);
    await Promise.allSettled([...inWindow.values()].map((f) => f.data));
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return stats;
}
