/**
 * One disk of a published restore point as the NFS flat extent serves it: its bytes read from the
 * store on demand (chunks fetched, decrypted and verified through the repository's reader, kept
 * in a bounded cache shared by every disk, the next ones fetched ahead of a sequential reader),
 * and writes kept in the publication's overlay: a sparse file of the disk's size in the data
 * directory plus a map of the 4 KiB blocks written. A written block is read back from the overlay;
 * the store is never written.
 *
 * A write that covers part of a block first fills the rest of the block from what the disk holds
 * (the overlay or the store), so a block in the overlay is always whole. The map's bit is set only
 * after the block's bytes are written, so a crash between the two loses only a write that was not
 * yet acknowledged. Stable writes and COMMIT flush the overlay, then the map.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { OpenedPointDisk } from '../export/index.js';
import { chunkFailure } from '../export/disk-chunks.js';

export const OVERLAY_BLOCK = 4096;

export interface ChunkCacheOptions {
  /** Chunks kept decoded in memory, over every published disk. */
  readonly chunks: number;
  /** Chunks fetched ahead of a sequential reader. */
  readonly readAhead: number;
}

export const DEFAULT_CACHE: ChunkCacheOptions = { chunks: 32, readAhead: 6 };

/** Decoded chunks by `<point>/<disk>/<slot>`, least recently used first out; fetches in flight shared. */
export class ChunkCache {
  private readonly done = new Map<string, Uint8Array>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();

  constructor(readonly options: ChunkCacheOptions) {}

  get(key: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.done.get(key);
    if (hit) {
      this.done.delete(key);
      this.done.set(key, hit);
      return Promise.resolve(hit);
    }
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const p = load().then(
      (data) => {
        this.loading.delete(key);
        this.done.set(key, data);
        while (this.done.size > Math.max(1, this.options.chunks)) this.done.delete(this.done.keys().next().value as string);
        return data;
      },
      (err: unknown) => {
        this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  has(key: string): boolean {
    return this.done.has(key) || this.loading.has(key);
  }

  /** Forgets every chunk of a point (when it is unpublished). */
  forget(pointId: string): void {
    for (const k of [...this.done.keys()]) if (k.startsWith(`${pointId}/`)) this.done.delete(k);
  }
}

function isZero(d: Uint8Array): boolean {
  for (let i = 0; i < d.byteLength; i++) if (d[i] !== 0) return false;
  return true;
}

const never = new AbortController().signal;

export class PublishedDisk {
  private lastSlot = -2;
  private lock: Promise<unknown> = Promise.resolve();
  private dirtySince = false;
  /** Blocks the map says are written: counted once at open, then kept up to date. */
  private writtenBlocks = 0;
  /** Bumped on every write: the flat extent's modification time. */
  mtimeMs: number;

  private constructor(
    private readonly disk: OpenedPointDisk,
    private readonly cache: ChunkCache,
    private readonly data: FileHandle,
    private readonly mapFile: FileHandle,
    private readonly map: Buffer,
    createdMs: number,
  ) {
    this.mtimeMs = createdMs;
    for (const b of map) {
      for (let v = b; v; v >>= 1) this.writtenBlocks += v & 1;
    }
  }

  /** Opens (or creates) the overlay `<base>.overlay` and its map `<base>.map` for the disk. */
  static async open(disk: OpenedPointDisk, cache: ChunkCache, base: string, createdMs: number): Promise<PublishedDisk> {
    const blocks = Math.ceil(disk.capacity / OVERLAY_BLOCK);
    const data = await open(`${base}.overlay`, 'a+').then(async (h) => {
      await h.close();
      return open(`${base}.overlay`, 'r+');
    });
    const mapFile = await open(`${base}.map`, 'a+').then(async (h) => {
      await h.close();
      return open(`${base}.map`, 'r+');
    });
    if ((await data.stat()).size !== disk.capacity) await data.truncate(disk.capacity);
    const map = Buffer.alloc(Math.ceil(blocks / 8));
    await mapFile.read(map, 0, map.length, 0);
    if ((await mapFile.stat()).size < map.length) await mapFile.truncate(map.length);
    return new PublishedDisk(disk, cache, data, mapFile, map, createdMs);
  }

  get capacity(): number {
    return this.disk.capacity;
  }

  /** Bytes the overlay holds (blocks written). */
  get overlayBytes(): number {
    return this.writtenBlocks * OVERLAY_BLOCK;
  }

  private written(block: number): boolean {
    return ((this.map[block >> 3] ?? 0) & (1 << (block & 7))) !== 0;
  }

  async close(): Promise<void> {
    await this.lock.catch(() => undefined);
    await this.data.close();
    await this.mapFile.close();
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the disk). */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.capacity, offset + length);
    if (offset >= end) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    let pos = offset;
    while (pos < end) {
      const block = Math.floor(pos / OVERLAY_BLOCK);
      const fromOverlay = this.written(block);
      let runEnd = Math.min(end, (block + 1) * OVERLAY_BLOCK);
      while (runEnd < end && this.written(Math.floor(runEnd / OVERLAY_BLOCK)) === fromOverlay) runEnd = Math.min(end, runEnd + OVERLAY_BLOCK);
      if (fromOverlay) await this.data.read(out, pos - offset, runEnd - pos, pos);
      else await this.readBase(pos, runEnd, out.subarray(pos - offset, runEnd - offset));
      pos = runEnd;
    }
    return out;
  }

  /** The point's own bytes from `start` to `end` into `into` (already zeroed). */
  private async readBase(start: number, end: number, into: Buffer): Promise<void> {
    const { index } = this.disk;
    const size = index.chunkSize;
    const first = Math.floor(start / size);
    const last = Math.floor((end - 1) / size);
    const slots: Promise<void>[] = [];
    for (let slot = first; slot <= last; slot++) {
      const slotStart = slot * size;
      const from = Math.max(start, slotStart);
      const to = Math.min(end, slotStart + index.slotLength(slot));
      slots.push(this.chunk(slot).then((data) => {
        if (data && to > from) into.set(data.subarray(from - slotStart, to - slotStart), from - start);
      }));
    }
    await Promise.all(slots);
    // Sequential reading (this slot follows or repeats the last one): fetch the next ones ahead.
    if (first === this.lastSlot || first === this.lastSlot + 1) {
      for (let s = last + 1; s <= last + this.cache.options.readAhead && s < index.slots; s++) {
        if (!this.cache.has(this.key(s))) this.chunk(s).catch(() => undefined);
      }
    }
    this.lastSlot = last;
  }

  private key(slot: number): string {
    return `${this.disk.pointId}/${this.disk.disk}/${slot}`;
  }

  /** A slot's verified bytes, or null for a slot of zeros (never stored). */
  private async chunk(slot: number): Promise<Uint8Array | null> {
    const { index, source } = this.disk;
    const digest = Uint8Array.from(index.digest(slot));
    if (isZero(digest)) return null;
    const length = index.slotLength(slot);
    return this.cache.get(this.key(slot), () =>
      source.read(digest, length, never).catch((err: unknown) => {
        throw chunkFailure(this.disk, Buffer.from(digest).toString('hex'), slot * index.chunkSize, length, err);
      }),
    );
  }

  /** Writes `data` at `offset` into the overlay; with `stable`, on disk before it returns. */
  write(offset: number, data: Buffer, stable: boolean): Promise<void> {
    const run = this.lock.then(() => this.writeLocked(offset, data, stable));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async writeLocked(offset: number, data: Buffer, stable: boolean): Promise<void> {
    if (data.length === 0) return;
    const end = offset + data.length;
    const firstBlock = Math.floor(offset / OVERLAY_BLOCK);
    const lastBlock = Math.floor((end - 1) / OVERLAY_BLOCK);
    const alignedStart = firstBlock * OVERLAY_BLOCK;
    const alignedEnd = Math.min(this.capacity, (lastBlock + 1) * OVERLAY_BLOCK);
    let whole: Buffer;
    if (alignedStart === offset && alignedEnd === end) whole = data;
    else {
      // The blocks' present bytes around the write, then the write over them.
      whole = Buffer.alloc(alignedEnd - alignedStart);
      if (alignedStart < offset) (await this.read(alignedStart, OVERLAY_BLOCK)).copy(whole, 0);
      if (end < alignedEnd) {
        const tailStart = lastBlock * OVERLAY_BLOCK;
        (await this.read(tailStart, alignedEnd - tailStart)).copy(whole, tailStart - alignedStart);
      }
      data.copy(whole, offset - alignedStart);
    }
    await this.data.write(whole, 0, whole.length, alignedStart);
    for (let b = firstBlock; b <= lastBlock; b++) {
      if (!this.written(b)) this.writtenBlocks++;
      this.map[b >> 3] = (this.map[b >> 3] ?? 0) | (1 << (b & 7));
    }
    const mapStart = firstBlock >> 3;
    const mapEnd = (lastBlock >> 3) + 1;
    await this.mapFile.write(this.map, mapStart, mapEnd - mapStart, mapStart);
    this.mtimeMs = Date.now();
    this.dirtySince = true;
    if (stable) await this.flushLocked();
  }

  /** Everything written so far on disk: the overlay's bytes, then its map. */
  commit(): Promise<void> {
    const run = this.lock.then(() => this.flushLocked());
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async flushLocked(): Promise<void> {
    if (!this.dirtySince) return;
    await this.data.datasync();
    await this.mapFile.datasync();
    this.dirtySince = false;
  }
}
