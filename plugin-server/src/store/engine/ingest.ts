/**
 * The ingest engine: turns a disk (or the changed areas of one) into index slots. It depends only
 * on the three small interfaces it declares — something that reads disk areas, something that
 * adds chunks, and the index slots it fills — so the protection use case can feed it a snapshot
 * through any transport and the CLI can feed it an image file.
 *
 * Chunks are fixed 4 MiB (the repository's chunk size) and aligned to the disk offset, the last
 * one shorter when the capacity is not a multiple. An incremental ingest starts from a copy of the
 * base point's index and reads only the slots that overlap a changed area: a changed byte anywhere
 * in a slot means the whole slot is read again, because the digest covers the whole chunk.
 */
import { forEachBounded } from '../bounded.js';
import { BufferPool } from '../chunks/buffer-pool.js';
import type { AddedChunk } from '../chunks/chunk-store.js';
import { isZeroDigest } from '../chunks/digest.js';
import type { IndexView } from './fixed-index.js';

/** Something that can read disk areas: a VM snapshot through a transport, or an image file. */
export interface DiskAreaReader {
  /**
   * Exactly `length` bytes from `offset`; areas never written read as zeros. `into`, when given,
   * is a buffer of `length` bytes the reader may fill and return, sparing an allocation.
   */
  read(offset: number, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array>;
}

/**
 * Something that can add chunks; `known` is the digest the slot held in the base point. It may
 * read `data` until its promise settles and must not keep it: the buffer is reused.
 */
export interface ChunkAdder {
  addChunk(data: Uint8Array, known: Uint8Array | undefined, signal: AbortSignal): Promise<AddedChunk>;
}

/** The slots of the index being built. */
export interface IndexSlots {
  readonly capacity: number;
  readonly chunkSize: number;
  readonly slots: number;
  digest(slot: number): Uint8Array;
  slotLength(slot: number): number;
  set(slot: number, digest: Uint8Array): void;
}

/** A byte range of the disk, as vSphere's QueryChangedDiskAreas reports them. */
export interface ChangedArea {
  start: number;
  length: number;
}

export interface DiskIngestStats {
  slotsRead: number;
  bytesRead: number;
  zeroChunks: number;
  /** Same as the base point's slot. */
  unchangedChunks: number;
  /** Already in the repository from elsewhere (another VM, another disk, an earlier slot). */
  existingChunks: number;
  newChunks: number;
  newStoredBytes: number;
}

export interface IngestProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** The slots overlapping any of the areas, ascending; all slots when `areas` is undefined. */
export function slotsToRead(capacity: number, chunkSize: number, areas: readonly ChangedArea[] | undefined): number[] {
  const count = Math.ceil(capacity / chunkSize);
  if (!areas) return Array.from({ length: count }, (_, i) => i);
  const wanted = new Set<number>();
  for (const a of areas) {
    if (!Number.isSafeInteger(a.start) || !Number.isSafeInteger(a.length) || a.start < 0 || a.length < 0) {
      throw new RangeError(`bad changed area ${a.start}+${a.length}`);
    }
    if (a.length === 0) continue;
    const end = Math.min(a.start + a.length, capacity);
    for (let s = Math.floor(a.start / chunkSize); s * chunkSize < end; s++) wanted.add(s);
  }
  return [...wanted].sort((x, y) => x - y);
}

export interface IngestDiskArgs {
  reader: DiskAreaReader;
  adder: ChunkAdder;
  index: IndexSlots;
  /**
   * The base point's index of this disk, if any: a slot whose new digest equals the base's is
   * known to be present and protected, so nothing is looked up or written for it.
   */
  hints: IndexView | undefined;
  /** Areas to read; undefined reads every slot. Other slots keep what the index holds. */
  areas: readonly ChangedArea[] | undefined;
  signal: AbortSignal;
  /** Chunks in flight at once (reads, hashing, writes together); bounds memory to about 2× this many chunks. */
  concurrency?: number;
  /**
   * Where the chunks are read into; default: the process's ingest buffers for the chunk size
   * (ingestBuffers()), shared by every ingest so that many backups at once hold no more.
   */
  buffers?: BufferPool;
  onProgress?: (p: IngestProgress) => void;
}

/** Chunk buffers all ingests of one chunk size share: the ingest's memory bound, whatever the number of backups. */
export const INGEST_BUFFERS = 16;
const sharedBuffers = new Map<number, BufferPool>();

/**
 * The process's ingest buffers for a chunk size, made once and reused by every backup. A pool per
 * ingest would cost fresh shared memory per backup, and shared memory is returned only when every
 * thread that saw it (the codec workers included, which collect their own garbage rarely) has let
 * go of it: the server's RSS would then grow by about the size of each backup's reads until the
 * workers happened to collect — a megabyte per megabyte read. Shared, the pages touched stay
 * the same ones: at most INGEST_BUFFERS chunks of memory, however many disks are read at once.
 */
export function ingestBuffers(chunkSize: number): BufferPool {
  let pool = sharedBuffers.get(chunkSize);
  if (!pool) {
    pool = new BufferPool(INGEST_BUFFERS, chunkSize);
    sharedBuffers.set(chunkSize, pool);
  }
  return pool;
}

export async function ingestDisk(args: IngestDiskArgs): Promise<DiskIngestStats> {
  const { reader, adder, index, signal } = args;
  const slots = slotsToRead(index.capacity, index.chunkSize, args.areas);
  const stats: DiskIngestStats = { slotsRead: 0, bytesRead: 0, zeroChunks: 0, unchangedChunks: 0, existingChunks: 0, newChunks: 0, newStoredBytes: 0 };
  let bytesTotal = 0;
  for (const s of slots) bytesTotal += index.slotLength(s);
  const concurrency = args.concurrency ?? 8;
  const buffers = args.buffers ?? ingestBuffers(index.chunkSize);
  if (buffers.size < index.chunkSize) throw new RangeError(`ingest buffers of ${buffers.size} bytes cannot hold ${index.chunkSize}-byte chunks`);
  await forEachBounded(slots, concurrency, signal, async (slot, sig) => {
    const length = index.slotLength(slot);
    const buf = await buffers.acquire(sig);
    let added: AddedChunk;
    try {
      const data = await reader.read(slot * index.chunkSize, length, sig, buf.subarray(0, length));
      if (data.byteLength !== length) throw new RangeError(`reader returned ${data.byteLength} bytes for a ${length}-byte chunk`);
      const hint = args.hints && slot < args.hints.slots && args.hints.slotLength(slot) === length ? args.hints.digest(slot) : undefined;
      const known = hint && !isZeroDigest(hint) ? Uint8Array.from(hint) : undefined;
      added = await adder.addChunk(data, known, sig);
    } finally {
      buffers.release(buf);
    }
    index.set(slot, added.digest);
    stats.slotsRead++;
    stats.bytesRead += length;
    if (added.outcome === 'zero') stats.zeroChunks++;
    else if (added.outcome === 'known') stats.unchangedChunks++;
    else if (added.outcome === 'existing') stats.existingChunks++;
    else {
      stats.newChunks++;
      stats.newStoredBytes += added.storedBytes;
    }
    args.onProgress?.({ bytesDone: stats.bytesRead, bytesTotal });
  });
  return stats;
}
