/**
 * Writing a restore point: register as a writer, ingest each disk into a fixed index (an
 * incremental disk starts from the base point's index), then commit.
 *
 * Commit order, so that a point is visible only when everything it references is durable:
 *   1. every chunk is already durable (put resolves only then) and locked at least until the
 *      point's retain-until (rounded up to a day): new chunks are written locked, re-used ones are
 *      locked as they are found, and chunks carried over from the base index are locked now — a
 *      chunk that vanished makes the commit fail instead of producing a broken point, and is
 *      recorded as damage of the base point, so that the next backup reads that data again and
 *      writes it anew instead of failing the same way;
 *   2. the disk indexes are written;
 *   3. the sealed manifest is written: from here on a crash recovers the point;
 *   4. the indexes, then the manifest, are locked;
 *   5. the catalog marks the point committed — the moment it becomes visible.
 * A crash before 3 leaves a pending catalog row that recovery removes with its indexes. A failure
 * (not a crash) before the manifest is locked is undone by abort(); after that the point is whole
 * and recovery commits it.
 *
 * Chunks the catalog lists as damaged (verify.ts) are written again whenever the data comes by,
 * whatever the base index or an existing object says (chunk-store.ts).
 */
import { createHash } from 'node:crypto';
import type { Consistency, DiskRow, PointRow } from '../../catalog/index.js';
import { forEachBounded } from '../bounded.js';
import type { AddedChunk } from '../chunks/chunk-store.js';
import { encodedBound } from '../chunks/chunk-format.js';
import { chunkKey, digestHex, isZeroDigest } from '../chunks/digest.js';
import { FixedIndexBuilder, type FixedIndex } from './fixed-index.js';
import { ingestDisk, type ChangedArea, type DiskAreaReader, type DiskIngestStats, type IngestProgress } from './ingest.js';
import { indexKey, manifestKey, sealManifest, type PointManifest } from './manifest.js';
import { processIdentity } from '../process-identity.js';
import { chunkLockUntil, DAY_MS, DEFAULT_RETAIN_DAYS, type Repository } from '../repository.js';
import { newPointId } from '../../domain/index.js';
import { StoreError, isStoreError } from '../store-error.js';

export interface PointSpec {
  vm: { id: string; name: string; config?: Record<string, unknown> };
  consistency: Consistency;
  /** When the point's data was frozen (the snapshot time); default: now. */
  createdAt?: number;
  /** Absolute retain-until (ms); default: createdAt + 7 days. */
  retainUntil?: number;
  /**
   * The point to build upon: 'latest' (default) is the VM's latest committed point, null means
   * none. Incremental disks copy its index; full reads still use it to skip unchanged chunks.
   */
  base?: 'latest' | string | null;
}

export interface DiskSource {
  /** Disk number within the VM, from 0. */
  disk: number;
  capacity: number;
  reader: DiskAreaReader;
  /**
   * What to read. Undefined: every chunk. Otherwise `areas` relative to `since`: the base
   * point's id for changed areas (CBT since that point's changeId), or null for the allocated
   * areas of a first backup, everything else being zeros.
   */
  changed?: { since: string | null; areas: readonly ChangedArea[] };
  changeId?: string | null;
  label?: string;
}

export interface DiskResult extends DiskIngestStats {
  disk: number;
  /** Whether the disk was ingested incrementally from the base point's index. */
  incremental: boolean;
}

interface DiskState {
  row: Omit<DiskRow, 'indexSha256'>;
  builder: FixedIndexBuilder;
  result: DiskResult;
}

export class PointWriter {
  private readonly disks = new Map<number, DiskState>();
  /** Chunks this writer already holds locked until chunkLockUntil(retainUntil). */
  private readonly locked = new Set<string>();
  /** Chunks the catalog listed as damaged when the writer began. */
  private readonly damaged: ReadonlySet<string>;
  private done = false;

  private constructor(
    private readonly repo: Repository,
    readonly pointId: string,
    private readonly writerId: string,
    readonly spec: PointSpec,
    readonly createdAt: number,
    readonly retainUntil: number,
    readonly base: PointRow | undefined,
  ) {
    this.damaged = new Set(repo.catalog.listDamage().map((d) => d.digest));
  }

  static async begin(repo: Repository, spec: PointSpec, signal: AbortSignal): Promise<PointWriter> {
    signal.throwIfAborted();
    const now = repo.now();
    const createdAt = spec.createdAt ?? now;
    const retainUntil = spec.retainUntil ?? createdAt + DEFAULT_RETAIN_DAYS * DAY_MS;
    if (retainUntil < createdAt) throw new StoreError('retention-shorten-refused', 'a restore point cannot be retained until before it was created');
    await repo.checkRoom(signal);
    let base: PointRow | undefined;
    if (spec.base === undefined || spec.base === 'latest') base = repo.latestPoint(spec.vm.id);
    else if (spec.base !== null) base = repo.getPoint(spec.base);
    const id = newPointId(createdAt, repo.random);
    const writerId = `${id}-w`;
    repo.catalog.transaction(() => {
      repo.catalog.insertPoint({
        id,
        vmId: spec.vm.id,
        vmName: spec.vm.name,
        state: 'pending',
        consistency: spec.consistency,
        createdAt,
        retainUntil,
        parentId: base?.id ?? null,
        damaged: false,
        logicalBytes: 0,
        dataBytes: 0,
        readBytes: 0,
        newChunks: 0,
        newStoredBytes: 0,
      });
      repo.catalog.registerWriter({ id: writerId, owner: processIdentity(), pointId: id, vmId: spec.vm.id, baseId: base?.id ?? null, startedAt: now });
    });
    return new PointWriter(repo, id, writerId, spec, createdAt, retainUntil, base);
  }

  /** Reads one disk into its index. Disks may be ingested one after another or concurrently. */
  async ingestDisk(src: DiskSource, signal: AbortSignal, onProgress?: (p: IngestProgress) => void): Promise<DiskResult> {
    if (this.done) throw new StoreError('point-not-found', `restore point ${this.pointId} is already committed or aborted`);
    if (!Number.isInteger(src.disk) || src.disk < 0 || this.disks.has(src.disk)) throw new RangeError(`bad or repeated disk number ${src.disk}`);
    const chunkSize = this.repo.config.chunkSize;
    // Only an incremental disk needs the base index; for others it only spares work.
    const baseIndex = await this.baseIndex(src.disk, chunkSize, signal, typeof src.changed?.since === 'string');
    let builder: FixedIndexBuilder;
    let areas: readonly ChangedArea[] | undefined;
    let incremental = false;
    if (!src.changed) {
      builder = FixedIndexBuilder.empty(src.capacity, chunkSize);
    } else if (src.changed.since === null) {
      builder = FixedIndexBuilder.empty(src.capacity, chunkSize);
      areas = src.changed.areas;
    } else {
      if (!this.base || src.changed.since !== this.base.id || !baseIndex) {
        throw new StoreError('point-not-found', `changed areas of disk ${src.disk} are relative to ${src.changed.since}, which is not this point's base`, {
          since: src.changed.since,
          base: this.base?.id ?? null,
        });
      }
      builder = FixedIndexBuilder.fromBase(baseIndex, src.capacity);
      // A slot the base could not provide (the disk grew past a short last slot) is read too, and
      // so is one whose base chunk is damaged: its data, unchanged, is what heals it.
      const extra: ChangedArea[] = [];
      for (let s = 0; s < builder.slots; s++) {
        const unusable =
          s >= baseIndex.slots || baseIndex.slotLength(s) !== builder.slotLength(s) || (this.damaged.size > 0 && this.damaged.has(digestHex(baseIndex.digest(s))));
        if (unusable) extra.push({ start: s * chunkSize, length: builder.slotLength(s) });
      }
      areas = [...src.changed.areas, ...extra];
      incremental = true;
    }
    const lockUntil = chunkLockUntil(this.retainUntil);
    const stats = await ingestDisk({
      reader: src.reader,
      index: builder,
      hints: baseIndex,
      areas,
      signal,
      onProgress,
      adder: {
        addChunk: async (data, known, sig): Promise<AddedChunk> => {
          // Room for the chunk's largest stored form is held before it is encoded and written
          // (Repository.roomFor): a store with a reserve stops before the reserve, chunks in flight included.
          const written = await this.repo.roomFor(encodedBound(data.byteLength), sig);
          let stored = 0;
          try {
            const added = await this.repo.chunks().add(data, { known, lockUntil, damaged: this.damaged, signal: sig });
            if (added.outcome === 'new' || added.outcome === 'existing') this.locked.add(digestHex(added.digest));
            if (added.outcome === 'new') stored = added.storedBytes;
            return added;
          } finally {
            written(stored);
          }
        },
      },
    });
    const result: DiskResult = { disk: src.disk, incremental, ...stats };
    this.disks.set(src.disk, {
      row: {
        pointId: this.pointId,
        disk: src.disk,
        label: src.label ?? `disk-${src.disk}`,
        capacity: src.capacity,
        chunkSize,
        indexKey: indexKey(this.pointId, src.disk),
        changeId: src.changeId ?? null,
      },
      builder,
      result,
    });
    return result;
  }

  /** The base point's index of a disk; a damaged one counts as none unless it is `required`. */
  private async baseIndex(disk: number, chunkSize: number, signal: AbortSignal, required: boolean): Promise<FixedIndex | undefined> {
    if (!this.base) return undefined;
    const row = this.repo.catalog.pointDisks(this.base.id).find((d) => d.disk === disk);
    if (!row || row.chunkSize !== chunkSize) return undefined;
    try {
      return await this.repo.loadIndex(row.indexKey, row.indexSha256, signal);
    } catch (err) {
      if (required || !(isStoreError(err, 'index-invalid') || isStoreError(err, 'object-not-found'))) throw err;
      return undefined;
    }
  }

  /** Makes the point durable and visible; see the order at the top of this file. */
  async commit(signal: AbortSignal): Promise<PointRow> {
    if (this.done) throw new StoreError('point-not-found', `restore point ${this.pointId} is already committed or aborted`);
    if (this.disks.size === 0) throw new RangeError('a restore point needs at least one disk');
    const repo = this.repo;
    const disks = [...this.disks.values()].sort((a, b) => a.row.disk - b.row.disk);

    // 1. Chunks carried over from the base (or found via its hints) get their locks now.
    const toLock = new Set<string>();
    for (const d of disks) {
      for (let s = 0; s < d.builder.slots; s++) {
        const dg = d.builder.digest(s);
        if (isZeroDigest(dg)) continue;
        const hex = digestHex(dg);
        if (!this.locked.has(hex)) toLock.add(hex);
      }
    }
    const lockUntil = chunkLockUntil(this.retainUntil);
    const vanished: string[] = [];
    await forEachBounded(toLock, 16, signal, async (hex, sig) => {
      try {
        await repo.backend.lock(chunkKey(hex), lockUntil, sig);
      } catch (err) {
        if (!isStoreError(err, 'object-not-found')) throw err;
        vanished.push(hex);
      }
    });
    if (vanished.length > 0) throw this.baseDamaged(vanished.sort());

    // 2. Indexes.
    const rows: DiskRow[] = [];
    for (const d of disks) {
      const bytes = d.builder.finish(this.createdAt);
      await repo.backend.put(d.row.indexKey, bytes, { signal });
      rows.push({ ...d.row, indexSha256: createHash('sha256').update(bytes).digest('hex') });
    }

    // 3. The sealed manifest.
    const manifest: PointManifest = {
      format: 'lifeline-point/1',
      id: this.pointId,
      repositoryId: repo.id,
      vm: { id: this.spec.vm.id, name: this.spec.vm.name, config: this.spec.vm.config ?? {} },
      consistency: this.spec.consistency,
      createdAt: new Date(this.createdAt).toISOString(),
      retainUntil: new Date(this.retainUntil).toISOString(),
      parentId: this.base?.id ?? null,
      disks: rows.map(({ pointId: _p, ...d }) => d),
    };
    await repo.backend.put(manifestKey(this.pointId), sealManifest(manifest, repo.keys), { signal });

    // 4. Locks: the manifest last, so that until then abort() can still take the point back.
    for (const r of rows) await repo.backend.lock(r.indexKey, this.retainUntil, signal);
    await repo.backend.lock(manifestKey(this.pointId), this.retainUntil, signal);

    // 5. Visible.
    let dataBytes = 0;
    for (const d of disks) for (let s = 0; s < d.builder.slots; s++) if (!isZeroDigest(d.builder.digest(s))) dataBytes += d.builder.slotLength(s);
    const now = repo.now();
    repo.catalog.transaction(() => {
      repo.catalog.replaceDisks(this.pointId, rows);
      repo.catalog.updatePointStats(this.pointId, {
        logicalBytes: disks.reduce((n, d) => n + d.row.capacity, 0),
        dataBytes,
        readBytes: disks.reduce((n, d) => n + d.result.bytesRead, 0),
        newChunks: disks.reduce((n, d) => n + d.result.newChunks, 0),
        newStoredBytes: disks.reduce((n, d) => n + d.result.newStoredBytes, 0),
      });
      repo.catalog.recordRetention(this.pointId, this.retainUntil, now, 'created');
      repo.catalog.setPointState(this.pointId, 'committed');
      repo.catalog.removeWriter(this.writerId);
      repo.catalog.recordTime(now);
    });
    this.done = true;
    return repo.getPoint(this.pointId);
  }

  /**
   * Chunks carried over from the base are gone: the base point is marked damaged by them (as
   * verify would), which makes the next backup read their data again and write them anew.
   */
  private baseDamaged(vanished: string[]): StoreError {
    const base = this.base?.id ?? null;
    const now = this.repo.now();
    const detail = (hex: string): string => `chunk ${hex} is missing (found when a backup carried it over from restore point ${base ?? 'none'})`;
    this.repo.catalog.recordDamage(
      vanished.map((hex) => ({ digest: hex, problem: 'missing', detail: detail(hex), foundAt: now })),
      null,
      new Map(vanished.map((hex) => [hex, base ? [base] : []])),
    );
    const what = vanished.length === 1 ? `chunk ${vanished[0] ?? ''} is` : `${vanished.length} chunks (${vanished[0] ?? ''}, …) are`;
    return new StoreError(
      'object-not-found',
      `${what} missing from the repository although restore point ${base ?? '(none)'} references it; that point is now marked damaged, and the next backup of this VM reads that data again and writes it anew`,
      { digests: vanished, basePointId: base },
    );
  }

  /**
   * Gives up: the pending point and its objects go; chunks already written are left for GC. An
   * index already locked stays until its lock passes (GC then removes it as an orphan). If the
   * manifest is already locked the point is whole: it stays pending and recovery commits it.
   */
  async abort(signal: AbortSignal): Promise<void> {
    if (this.done) return;
    this.done = true;
    const repo = this.repo;
    const manifestGone = await repo.deleteUnlessLocked(manifestKey(this.pointId), signal);
    if (manifestGone) {
      for await (const o of repo.backend.list(`points/${this.pointId}/`, signal)) await repo.deleteUnlessLocked(o.key, signal);
    }
    repo.catalog.transaction(() => {
      if (manifestGone) repo.catalog.deletePoint(this.pointId);
      repo.catalog.removeWriter(this.writerId);
    });
  }

  results(): DiskResult[] {
    return [...this.disks.values()].map((d) => d.result).sort((a, b) => a.disk - b.disk);
  }
}
