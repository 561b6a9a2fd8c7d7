/**
 * Writes a restore point's disk as a stream-optimized VMDK (vmdk-format.ts) to a sink, front to
 * back, without knowing the output size in advance: the grain tables and the directory trail the
 * grains they describe, and the footer repeats the header with the directory's offset.
 *
 * All-zero grains are left out. Grains are compressed with zlib's deflate in libuv's thread pool,
 * several at a time so every core works, and written strictly in LBA order; grains that look
 * random are stored rather than compressed (still a zlib stream, as the format wants). Memory stays bounded:
 * the chunks read ahead (disk-chunks.ts), the grains being compressed, one coalescing block.
 */
import { promisify } from 'node:util';
import { constants as zlibConstants, deflate } from 'node:zlib';
import { CoalescingSink, type ByteSink } from './byte-sink.js';
import { readSlots, type PointDisk } from './disk-chunks.js';
import { ExportError } from './export-error.js';
import {
  contentId,
  descriptor,
  GD_AT_END,
  geometry,
  GRAIN_BYTES,
  GRAIN_SECTORS,
  grainMarker,
  GT_SECTORS,
  GTES_PER_GT,
  MARKER_FOOTER,
  MARKER_GD,
  MARKER_GT,
  marker,
  MAX_SECTOR_OFFSET,
  OVERHEAD_SECTORS,
  SECTOR,
  sparseHeader,
} from './vmdk-format.js';

const deflateAsync = promisify(deflate);

export interface VmdkExportOptions {
  /** The file name the descriptor's extent line gives (the name the download is saved under). */
  readonly fileName: string;
  /** Chunks read ahead. */
  readonly ahead?: number;
  /** Grains being compressed at once (default 8: enough for every core of a small appliance). */
  readonly deflateInFlight?: number;
  /** zlib level, 1 (fast) to 9 (small); default 6, zlib's own default. */
  readonly level?: number;
  /** Called after each chunk with the disk bytes done and in all. */
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  readonly signal: AbortSignal;
}

export interface VmdkExportStats {
  /** Bytes of VMDK written. */
  readonly bytes: number;
  /** Grains written (the others were all zeros). */
  readonly grains: number;
}

const ZERO_SECTOR = Buffer.alloc(SECTOR);
const ZERO_GRAIN = Buffer.alloc(GRAIN_BYTES);

const PROBES = 8;
const PROBE_BYTES = 1024;
/** Bits per byte above which a sample is taken for random (already compressed, encrypted) data. */
const RANDOM_ENTROPY = 7.8;

/**
 * Whether a grain looks incompressible, from the byte entropy of a few samples spread over it.
 * Deflate would spend its full effort on such a grain to gain nothing (random data runs at a
 * tenth of the speed of text), so it is stored in the zlib stream instead; a grain with any
 * structure is compressed. A misjudged grain costs size, never correctness.
 */
export function looksRandom(grain: Uint8Array): boolean {
  const counts = new Uint32Array(256);
  const stride = Math.floor((grain.byteLength - PROBE_BYTES) / (PROBES - 1));
  if (stride < PROBE_BYTES) return false;
  for (let p = 0; p < PROBES; p++) {
    const base = p * stride;
    for (let i = base; i < base + PROBE_BYTES; i++) {
      const b = grain[i] as number;
      counts[b] = (counts[b] as number) + 1;
    }
  }
  const n = PROBES * PROBE_BYTES;
  let bits = 0;
  for (const c of counts) if (c > 0) bits -= (c / n) * Math.log2(c / n);
  return bits > RANDOM_ENTROPY;
}

export async function exportStreamOptimizedVmdk(disk: PointDisk, sink: ByteSink, opts: VmdkExportOptions): Promise<VmdkExportStats> {
  const { index } = disk;
  const { signal } = opts;
  if (index.chunkSize % GRAIN_BYTES !== 0) {
    throw new RangeError(`a chunk size of ${index.chunkSize} bytes is not a whole number of ${GRAIN_BYTES}-byte grains`);
  }
  const geo = geometry(index.capacity);
  const level = opts.level ?? zlibConstants.Z_DEFAULT_COMPRESSION;
  const inFlight = Math.max(1, opts.deflateInFlight ?? 8);
  const desc = Buffer.from(descriptor({ capacitySectors: geo.capacitySectors, cid: contentId(`${disk.pointId}/${disk.disk}`), fileName: opts.fileName }), 'latin1');
  const descriptorSectors = Math.max(20, Math.ceil(desc.byteLength / SECTOR));
  if (1 + descriptorSectors > OVERHEAD_SECTORS) throw new RangeError('the VMDK descriptor does not fit before the first grain');

  const out = new CoalescingSink(sink);
  let position = 0;
  const emit = async (data: Uint8Array): Promise<void> => {
    await out.write(data, signal);
    position += data.byteLength;
  };
  const padToSector = async (): Promise<void> => {
    const rest = position % SECTOR;
    if (rest !== 0) await emit(ZERO_SECTOR.subarray(0, SECTOR - rest));
  };
  /** The sector the next structure starts at, which a u32 must be able to hold. */
  const sectorHere = (): number => {
    const sector = position / SECTOR;
    if (sector > MAX_SECTOR_OFFSET) {
      throw new ExportError('export-too-large', `disk ${disk.disk} of restore point ${disk.pointId} compresses to more than the 2 TiB a stream-optimized VMDK can address; export it as raw`, {
        pointId: disk.pointId,
        disk: disk.disk,
      });
    }
    return sector;
  };

  const directory = Buffer.alloc(geo.gdSectors * SECTOR);
  let table = Buffer.alloc(GT_SECTORS * SECTOR);
  let tableIndex = -1;
  let tableUsed = false;
  const closeTable = async (): Promise<void> => {
    if (tableIndex >= 0 && tableUsed) {
      await emit(marker(MARKER_GT, GT_SECTORS));
      directory.writeUInt32LE(sectorHere(), tableIndex * 4);
      await emit(table);
    }
    table = Buffer.alloc(GT_SECTORS * SECTOR);
    tableUsed = false;
  };
  let grains = 0;
  const writeGrain = async (grain: number, compressed: Buffer): Promise<void> => {
    const t = Math.floor(grain / GTES_PER_GT);
    if (t !== tableIndex) {
      await closeTable();
      tableIndex = t;
    }
    table.writeUInt32LE(sectorHere(), (grain % GTES_PER_GT) * 4);
    tableUsed = true;
    await emit(grainMarker(grain * GRAIN_SECTORS, compressed.byteLength));
    await emit(compressed);
    await padToSector();
    grains++;
  };

  let started = false;
  const start = async (): Promise<void> => {
    started = true;
    await emit(sparseHeader({ capacitySectors: geo.capacitySectors, descriptorSectors, gdOffset: GD_AT_END }));
    await emit(desc);
    await emit(Buffer.alloc(OVERHEAD_SECTORS * SECTOR - position));
  };

  for await (const s of readSlots(disk, { ahead: opts.ahead, signal })) {
    // After the first slot is read: a point damaged at its start fails before any byte is sent.
    if (!started) await start();
    if (!s.data) {
      opts.onProgress?.(s.offset + s.length, index.capacity);
      continue;
    }
    const data = s.data;
    const queue: Array<{ grain: number; compressed: Promise<Buffer> }> = [];
    const drainOne = async (): Promise<void> => {
      const head = queue.shift();
      if (head) await writeGrain(head.grain, await head.compressed);
    };
    try {
      for (let at = 0; at < s.length; at += GRAIN_BYTES) {
        let bytes = data.subarray(at, Math.min(at + GRAIN_BYTES, s.length));
        if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(ZERO_GRAIN.subarray(0, bytes.byteLength))) continue;
        if (bytes.byteLength < GRAIN_BYTES) {
          // The disk's last grain: whole grains are what every reader expects.
          const whole = Buffer.alloc(GRAIN_BYTES);
          whole.set(bytes);
          bytes = whole;
        }
        const grain = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const compressed = deflateAsync(grain, { level: looksRandom(grain) ? zlibConstants.Z_NO_COMPRESSION : level });
        compressed.catch(() => undefined);
        queue.push({ grain: (s.offset + at) / GRAIN_BYTES, compressed });
        if (queue.length >= inFlight) await drainOne();
      }
      while (queue.length > 0) await drainOne();
    } finally {
      // The slot's buffer is reused once the loop moves on: no compression may still read it.
      await Promise.allSettled(queue.map((q) => q.compressed));
    }
    opts.onProgress?.(s.offset + s.length, index.capacity);
  }
  if (!started) await start();
  await closeTable();

  await emit(marker(MARKER_GD, geo.gdSectors));
  const gdOffset = sectorHere();
  await emit(directory);
  await emit(marker(MARKER_FOOTER, 1));
  await emit(sparseHeader({ capacitySectors: geo.capacitySectors, descriptorSectors, gdOffset }));
  await emit(ZERO_SECTOR);
  await out.flush(signal);
  return { bytes: position, grains };
}
