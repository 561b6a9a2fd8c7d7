/**
 * The store's DiskAreaReader over a snapshot's disk, read through vCenter's datastore file access
 * (ranged GETs of the flat extent). Another transport (NBD) can take its place behind the same
 * interface.
 *
 * Why the flat extent: `/folder` serves files as they lie on the datastore, so only a flat disk's
 * `-flat.vmdk` reads as the guest's disk image. A snapshot's disk backed by a delta file (the VM
 * already had snapshots of its own) is not a flat image; the pipeline refuses such a disk with
 * 'backup-disk-unsupported' instead of storing garbage.
 */
import { LifelineError } from '../errors/index.js';
import type { ChangedArea, DiskAreaReader } from '../store/index.js';
import type { DatastoreFile } from '../vsphere/index.js';

/** The one adapter call the reader needs. */
export interface RangeReader {
  readRangeInto(file: DatastoreFile, offset: number, target: Buffer, signal?: AbortSignal): Promise<number>;
}

const DELTA = /-\d{6}\.vmdk$/;

/** The flat extent of a flat disk's descriptor, "[ds] vm/vm.vmdk" → "[ds] vm/vm-flat.vmdk". */
export function flatExtentOf(descriptor: string): string {
  if (DELTA.test(descriptor)) {
    throw new LifelineError(
      'backup-disk-unsupported',
      `disk ${descriptor} is a snapshot delta (the VM has snapshots of its own); the datastore transport reads only flat disks — remove the VM's snapshots or use a transport that reads through the disk chain`,
      { file: descriptor },
    );
  }
  if (!descriptor.endsWith('.vmdk')) throw new LifelineError('backup-disk-unsupported', `disk ${descriptor} is not a VMDK`, { file: descriptor });
  return descriptor.endsWith('-flat.vmdk') ? descriptor : `${descriptor.slice(0, -'.vmdk'.length)}-flat.vmdk`;
}

/**
 * Zero gaps up to this size between two allocated areas are read rather than skipped: one ranged
 * GET costs a round trip and a reply head, while 256 KiB more of a reply costs about as much.
 */
const MERGE_GAP = 256 * 1024;

/**
 * What unallocated parts are filled from. Filling with a buffer is a native memset-like copy; a
 * numeric fill of a buffer in shared memory (the ingest's chunk buffers) goes byte by byte, some
 * twenty times slower.
 */
const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Reads a snapshot's disk for the ingest. Given the disk's allocated areas (QueryChangedDiskAreas
 * with changeId "*", where everything else reads as zeros), it fetches only those parts of each
 * chunk, several at once, and fills the rest with zeros; without them it reads whole ranges.
 */
export class SnapshotDiskReader implements DiskAreaReader {
  /** Bytes fetched from vCenter so far (the transport's share of a backup). */
  bytesRead = 0;
  private readonly allocated: readonly ChangedArea[] | undefined;

  constructor(
    private readonly vcenter: RangeReader,
    readonly file: DatastoreFile,
    readonly capacity: number,
    /** The disk's allocated areas; undefined when any byte may hold data (an incremental's slot, a full read). */
    allocated?: readonly ChangedArea[],
  ) {
    this.allocated = allocated && mergeAreas(allocated, MERGE_GAP);
  }

  async read(offset: number, length: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    const target = into && into.byteLength >= length ? Buffer.from(into.buffer, into.byteOffset, length) : Buffer.allocUnsafe(length);
    const pieces = this.allocated ? overlapping(this.allocated, offset, length) : [{ start: offset, length }];
    let filled = 0;
    // The first failure stops the other pieces of the chunk: their bytes are of no use any more.
    const stop = new AbortController();
    const pieceSignal = pieces.length > 1 ? AbortSignal.any([signal, stop.signal]) : signal;
    let firstError: { err: unknown } | undefined;
    const reads = pieces.map(async (p) => {
      const at = p.start - offset;
      try {
        const n = await this.vcenter.readRangeInto(this.file, p.start, target.subarray(at, at + p.length), pieceSignal);
        this.bytesRead += n;
        return n;
      } catch (err) {
        firstError ??= { err };
        stop.abort(err);
        throw err;
      }
    });
    // Every read must have stopped writing into the target before it goes back to the caller,
    // which reuses it: wait for all of them, not only until the first failure.
    const settled = await Promise.allSettled(reads);
    if (firstError) throw firstError.err;
    // Zeros where nothing is allocated, and where the flat extent ends before the capacity (a thin
    // file never written at its end).
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] as ChangedArea;
      const n = (settled[i] as PromiseFulfilledResult<number>).value;
      zero(target, filled, p.start - offset);
      filled = p.start - offset + n;
    }
    zero(target, filled, length);
    return target;
  }
}

function zero(b: Buffer, from: number, to: number): void {
  if (to > from) b.fill(ZEROS, from, to);
}

/** Sorted areas, with those closer than `gap` bytes (or overlapping) joined into one. */
export function mergeAreas(areas: readonly ChangedArea[], gap: number): ChangedArea[] {
  const sorted = areas.filter((a) => a.length > 0).sort((x, y) => x.start - y.start);
  const out: ChangedArea[] = [];
  for (const a of sorted) {
    const last = out[out.length - 1];
    if (last && a.start <= last.start + last.length + gap) {
      last.length = Math.max(last.length, a.start + a.length - last.start);
    } else {
      out.push({ start: a.start, length: a.length });
    }
  }
  return out;
}

/** The parts of sorted, disjoint areas that fall in [offset, offset + length), in order. */
export function overlapping(areas: readonly ChangedArea[], offset: number, length: number): ChangedArea[] {
  const end = offset + length;
  // The first area that ends after offset.
  let lo = 0;
  let hi = areas.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = areas[mid] as ChangedArea;
    if (a.start + a.length <= offset) lo = mid + 1;
    else hi = mid;
  }
  const out: ChangedArea[] = [];
  for (let i = lo; i < areas.length; i++) {
    const a = areas[i] as ChangedArea;
    if (a.start >= end) break;
    const s = Math.max(a.start, offset);
    out.push({ start: s, length: Math.min(a.start + a.length, end) - s });
  }
  return out;
}
