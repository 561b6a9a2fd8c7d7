/**
 * Reads a restore point's disk slot by slot, in order, for the exporters: chunks are fetched and
 * verified ahead of the consumer, a bounded number at a time, into buffers that are recycled, so
 * an export holds at most `ahead` chunks in memory whatever the size of the disk.
 *
 * Two choices differ from the store's restore engine, because an export goes to a client that
 * cannot take back what it was sent:
 * - The first slot is handed out only once the whole first read-ahead window is verified, so a
 *   damaged chunk near the start is reported before a single byte (or an HTTP header) goes out.
 * - Any failed fetch ends the read at once, not when its slot's turn comes.
 * A failure names the damaged point, the disk, the chunk and the bytes it covers.
 */
import { setMaxListeners } from 'node:events';
import { CorruptChunkError, isStoreError, type ChunkSource, type IndexView } from '../store/index.js';
import { ExportError } from './export-error.js';

/** One disk of one restore point, ready to be read. */
export interface PointDisk {
  readonly pointId: string;
  readonly disk: number;
  readonly index: IndexView;
  /** Reads chunks verified (the repository's chunk store). */
  readonly source: ChunkSource;
}

export interface DiskSlot {
  readonly slot: number;
  /** Disk offset of the slot's first byte. */
  readonly offset: number;
  readonly length: number;
  /**
   * The slot's bytes, verified, or null for an all-zero slot (never stored). The view is valid
   * only until the consumer asks for the next slot: its buffer is then reused.
   */
  readonly data: Uint8Array | null;
}

export interface ReadSlotsOptions {
  /** First slot to read (default 0). */
  readonly first?: number;
  /** Slot after the last one to read (default: every slot). */
  readonly end?: number;
  /** Chunks fetched ahead of the consumer (default 8). */
  readonly ahead?: number;
  readonly signal: AbortSignal;
}

export const DEFAULT_READ_AHEAD = 8;

interface Pending {
  readonly slot: number;
  readonly fetch: Promise<Uint8Array> | null;
  readonly buffer: Uint8Array | null;
}

function isZero(d: Uint8Array): boolean {
  for (let i = 0; i < d.byteLength; i++) if (d[i] !== 0) return false;
  return true;
}

/** The error a failed chunk read becomes: the point named when the chunk is damaged or gone. */
export function chunkFailure(disk: Pick<PointDisk, 'pointId' | 'disk'>, hex: string, offset: number, length: number, err: unknown): unknown {
  const where = `chunk ${hex} of disk ${disk.disk} (bytes ${offset}-${offset + length - 1})`;
  const details = { pointId: disk.pointId, disk: disk.disk, chunk: hex, offset };
  if (err instanceof CorruptChunkError) {
    const reason = typeof err.details['reason'] === 'string' ? err.details['reason'] : err.message;
    return new ExportError('chunk-corrupt', `restore point ${disk.pointId} is damaged: ${where} is corrupt (${reason})`, details, { cause: err });
  }
  if (isStoreError(err, 'object-not-found')) {
    return new ExportError('chunk-missing', `restore point ${disk.pointId} is damaged: ${where} is missing from the repository`, details, { cause: err });
  }
  return err;
}

/**
 * The disk's chunk source for the store's restore engine (restoreDisk), with the same failures as
 * readSlots: a damaged or missing chunk names the point, the disk, the chunk and the first bytes
 * it covers.
 */
export function namingChunkSource(disk: PointDisk): ChunkSource {
  return {
    read: (digest, length, signal, into) =>
      disk.source.read(digest, length, signal, into).catch((err: unknown) => {
        const hex = Buffer.from(digest).toString('hex');
        let slot = 0;
        while (slot < disk.index.slots && Buffer.compare(disk.index.digest(slot), digest) !== 0) slot++;
        throw chunkFailure(disk, hex, slot * disk.index.chunkSize, length, err);
      }),
  };
}

/**
 * The slots of `disk` from `first` to `end`, in order. Stopping the iteration early (break,
 * return, an exception in the consumer) stops the reads and waits for those in flight.
 */
export async function* readSlots(disk: PointDisk, opts: ReadSlotsOptions): AsyncGenerator<DiskSlot, void, undefined> {
  const { index, source } = disk;
  const first = opts.first ?? 0;
  const end = Math.min(opts.end ?? index.slots, index.slots);
  if (!Number.isInteger(first) || first < 0 || first > end) throw new RangeError(`bad slot range ${first}..${end}`);
  const ahead = Math.max(1, opts.ahead ?? DEFAULT_READ_AHEAD);
  opts.signal.throwIfAborted();

  const inner = new AbortController();
  // Every read in flight may listen on it.
  setMaxListeners(Math.max(10, ahead * 4), inner.signal);
  const onAbort = () => inner.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const free: Uint8Array[] = [];
  let fetching = 0;
  let failure: { err: unknown } | undefined;
  // Set by fetches as they fail; read through a call so the checks below see the latest value.
  const failed = (): { err: unknown } | undefined => failure;
  const pending: Pending[] = [];
  const started = new Set<Promise<Uint8Array>>();
  let next = first;

  const fill = (): void => {
    // Zero slots cost nothing; they are bounded only so the queue stays short.
    while (next < end && fetching < ahead && pending.length < 4 * ahead && !failure) {
      const slot = next++;
      const digest = index.digest(slot);
      if (isZero(digest)) {
        pending.push({ slot, fetch: null, buffer: null });
        continue;
      }
      const length = index.slotLength(slot);
      const buffer = free.pop() ?? new Uint8Array(new SharedArrayBuffer(index.chunkSize));
      const hex = Buffer.from(digest).toString('hex');
      const offset = slot * index.chunkSize;
      const fetch = source.read(Uint8Array.from(digest), length, inner.signal, buffer).catch((err: unknown) => {
        const named = chunkFailure(disk, hex, offset, length, err);
        if (!failure && !inner.signal.aborted) {
          failure = { err: named };
          inner.abort(named);
        }
        throw named;
      });
      // Observed when the slot's turn comes, or through `failure` before that.
      fetch.catch(() => undefined);
      started.add(fetch);
      void fetch.finally(() => started.delete(fetch)).catch(() => undefined);
      fetching++;
      pending.push({ slot, fetch, buffer });
    }
  };

  try {
    fill();
    // Primed: the whole first window verified before anything is handed out.
    await Promise.allSettled(pending.map((p) => p.fetch));
    while (pending.length > 0) {
      const early = failed();
      if (early) throw early.err;
      if (opts.signal.aborted) throw opts.signal.reason;
      const head = pending.shift() as Pending;
      let data: Uint8Array | null = null;
      if (head.fetch) {
        try {
          data = await head.fetch;
        } catch (err) {
          throw failed()?.err ?? err;
        }
        const late = failed();
        if (late) throw late.err;
      }
      const length = index.slotLength(head.slot);
      yield { slot: head.slot, offset: head.slot * index.chunkSize, length, data: data && data.subarray(0, length) };
      if (head.buffer) {
        free.push(head.buffer);
        fetching--;
      }
      fill();
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    if (started.size > 0) {
      inner.abort(failed()?.err ?? new Error('the export stopped reading'));
      await Promise.allSettled([...started]);
    }
  }
}
