/**
 * Importing a restore point into a replica repository (replica.ts), from its objects as the
 * source repository stores them: the sealed manifest, the disk indexes and the chunks — the same
 * bytes, never decoded and encoded again. The replica holds the source's keys, so it checks all
 * of them itself and trusts nothing it is told: the manifest must open under the repository's
 * keys and describe the point, each index must be the one the manifest vouches for, and each
 * chunk is decoded and its id recomputed before it is stored.
 *
 * The order makes a crash harmless and a re-run cheap:
 *   1. begin: the indexes name the chunks the point needs; each one the repository holds (and
 *      that is not listed as damaged) is locked now, the others are the point's `missing` list.
 *      A chunk of the VM's previous point here (the manifest's parent, else the VM's newest
 *      point) is locked already until that point's chunk lock; when that is late enough for this
 *      point, the chunk is neither looked up nor locked again — an incremental point costs one
 *      lookup per chunk that changed, not one per chunk of the disk;
 *   2. putChunk: a missing chunk arrives, is verified, and is put durable and locked — a crash
 *      after that keeps it, so the next import finds it and does not ask for it again;
 *   (stageIndexes: meanwhile the indexes may be written, unlocked, so that the commit finds them
 *      there; nothing refers to them yet, and a crash leaves orphans that GC removes, gc.ts);
 *   3. commit, only when no chunk is missing: a pending catalog row and a writer, any chunk not
 *      yet locked by this import locked (one that vanished fails the commit), the indexes locked
 *      (written first when they are not there), the manifest written locked, then the catalog
 *      marks the point committed — the moment it becomes visible.
 * A crash before the manifest is written leaves a pending row that recovery removes (with its
 * indexes once their lock passes); after it, recovery commits the point (repository.ts). Nothing
 * is visible before every object it references is durable.
 *
 * Retention: the point keeps the source's id and retain-until (the manifest is the source's), and
 * every object is locked until at least `minRetainDays` after the point's creation, the replica
 * site's own rule, when that is later. There is no operation here, or anywhere an import's caller could reach, that deletes or
 * shortens anything.
 */
import { createHash } from 'node:crypto';
import type { DiskRow, PointRow } from '../../catalog/index.js';
import { isPointId } from '../../domain/index.js';
import { forEachBounded, Semaphore } from '../bounded.js';
import { BufferPool, isShared } from '../chunks/buffer-pool.js';
import { encodedBound } from '../chunks/chunk-format.js';
import { chunkKey, digestFromHex, digestHex, isZeroDigest } from '../chunks/digest.js';
import { processIdentity } from '../process-identity.js';
import { chunkLockUntil, DAY_MS, type Repository } from '../repository.js';
import { CorruptChunkError, StoreError, isStoreError } from '../store-error.js';
import { FixedIndex } from './fixed-index.js';
import { indexKey, manifestKey, openManifest, type PointManifest } from './manifest.js';

/** A restore point's own objects, as the source repository stores them. */
export interface PointParcel {
  pointId: string;
  /** The sealed manifest object. */
  manifest: Uint8Array;
  /** Every disk's index object. */
  indexes: ReadonlyArray<{ disk: number; bytes: Uint8Array }>;
}

export interface PointImportOptions {
  /**
   * The replica site's own least retention, in days from the point's creation; the source's
   * retain-until applies when it is later. Counted from the point's creation, not its arrival, so
   * that offering a point again changes nothing.
   */
  minRetainDays?: number;
}

/**
 * Chunks verified and put at once by one import; each holds a buffer of a stored chunk's largest
 * size from its verification to the end of its durable put. As many as a sender keeps in flight
 * (sender.ts): with fewer, chunks that arrived whole wait while earlier ones wait for their fsync,
 * and the codec workers idle meanwhile.
 */
const VERIFY_SLOTS = 8;

/** Reads a restore point's objects for export to a replica: the stored bytes, as they are. */
export async function readPointParcel(repo: Repository, pointId: string, signal: AbortSignal): Promise<PointParcel> {
  const disks = repo.pointDisks(pointId);
  const manifest = await repo.backend.get(manifestKey(pointId), signal);
  const indexes = [];
  for (const d of disks) {
    const bytes = await repo.backend.get(d.indexKey, signal);
    if (createHash('sha256').update(bytes).digest('hex') !== d.indexSha256) {
      throw new StoreError('index-invalid', `index ${d.indexKey} does not match the checksum its restore point recorded`, { key: d.indexKey });
    }
    indexes.push({ disk: d.disk, bytes });
  }
  return { pointId, manifest, indexes };
}

/**
 * The first `max` chunks, in index order, that a replica is likely to lack when it holds the
 * point's parent: those of the point that the parent does not reference (for a point with no
 * parent here, the point's first chunks). A replica answers an offer with the chunks it lacks in
 * index order too, so a sender that reads these while its offer is under way has the first ones
 * to send at hand. A guess only: nothing is wrong when it misses.
 */
export async function likelyLackedChunks(repo: Repository, parcel: PointParcel, max: number, signal: AbortSignal): Promise<string[]> {
  if (max <= 0) return [];
  const parentId = repo.catalog.getPoint(parcel.pointId)?.parentId ?? null;
  const parent = parentId !== null ? repo.catalog.getPoint(parentId) : undefined;
  const held = new Set<string>();
  if (parent?.state === 'committed') {
    for (const d of repo.catalog.pointDisks(parent.id)) {
      const index = FixedIndex.parse(await repo.backend.get(d.indexKey, signal), d.indexKey);
      for (let s = 0; s < index.slots; s++) held.add(digestHex(index.digest(s)));
    }
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const given of parcel.indexes) {
    const index = FixedIndex.parse(given.bytes, `disk ${given.disk}`);
    for (let s = 0; s < index.slots && out.length < max; s++) {
      const dg = index.digest(s);
      if (isZeroDigest(dg)) continue;
      const hex = digestHex(dg);
      if (held.has(hex) || seen.has(hex)) continue;
      seen.add(hex);
      out.push(hex);
    }
  }
  return out;
}

/** A chunk's stored form, as the repository holds it (for sending to a replica). */
export function readStoredChunk(repo: Repository, hex: string, signal: AbortSignal): Promise<Uint8Array> {
  digestFromHex(hex);
  return repo.backend.get(chunkKey(hex), signal);
}

export class PointImport {
  /** Chunks still to arrive (hex). */
  private readonly outstanding: Set<string>;
  private readonly lacked: ReadonlySet<string>;
  /** Chunks being verified and put now, at most VERIFY_SLOTS. */
  private verifySlots: Semaphore | undefined;
  /** Made on the first chunk that needs a copy: an import that ends as `present` or is abandoned holds none. */
  private verifyBuffers: BufferPool | undefined;
  private receivedChunks = 0;
  private receivedBytes = 0;
  private done = false;
  /** The indexes being written ahead of the commit (stageIndexes); settles, never rejects. */
  private staged: Promise<void> | undefined;
  /** Whether stageIndexes wrote every index, or found it with the same bytes. */
  private stagedWhole = false;

  private constructor(
    private readonly repo: Repository,
    private readonly parcel: PointParcel,
    readonly manifest: PointManifest,
    private readonly indexes: ReadonlyArray<{ row: DiskRow; bytes: Uint8Array; index: FixedIndex }>,
    /** Plaintext length of every chunk the point references, by hex id. */
    private readonly lengths: ReadonlyMap<string, number>,
    /** Chunks the repository lacked at begin, in index order. */
    readonly missing: readonly string[],
    private readonly damaged: ReadonlySet<string>,
    /** The point, when the repository already held it committed: nothing to do. */
    readonly present: PointRow | undefined,
    /** Until when the point's objects are locked here. */
    readonly retainUntil: number,
    /** Chunks begin looked up and locked; the others it found locked long enough already, or missing. */
    readonly lockedAtBegin = 0,
  ) {
    this.outstanding = new Set(missing);
    this.lacked = new Set(missing);
  }

  get pointId(): string {
    return this.manifest.id;
  }

  /** Distinct chunks the point references (all-zero slots are not chunks). */
  get chunkCount(): number {
    return this.lengths.size;
  }

  /** Chunks still to arrive before commit. */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /**
   * Checks a parcel against the repository and finds the chunks it lacks. A point the repository
   * already holds committed comes back `present` (its retention raised to this import's when that
   * is later); one another live import is committing is 'repository-busy'.
   */
  static async begin(repo: Repository, parcel: PointParcel, opts: PointImportOptions, signal: AbortSignal): Promise<PointImport> {
    signal.throwIfAborted();
    const pointId = parcel.pointId;
    if (typeof pointId !== 'string' || !isPointId(pointId)) throw new StoreError('manifest-invalid', `${JSON.stringify(String(pointId)).slice(0, 80)} is not a restore point id`);
    // Sealed with this repository's keys, naming this point and this repository, or refused.
    const manifest = openManifest(parcel.manifest, repo.keys, pointId, repo.id);
    const bad = (why: string) => new StoreError('manifest-invalid', `restore point ${pointId} cannot be imported: ${why}`, { pointId });
    const createdAt = Date.parse(manifest.createdAt);
    const sourceUntil = Date.parse(manifest.retainUntil);
    if (!Number.isFinite(createdAt) || !Number.isFinite(sourceUntil) || sourceUntil < createdAt) throw bad('its times are not valid');
    if (manifest.disks.length === 0 || manifest.disks.length !== parcel.indexes.length) throw bad(`the manifest lists ${manifest.disks.length} disks and ${parcel.indexes.length} indexes came with it`);
    const indexes = [];
    const lengths = new Map<string, number>();
    for (const d of manifest.disks) {
      const given = parcel.indexes.find((i) => i.disk === d.disk);
      if (!given) throw bad(`no index came for disk ${d.disk}`);
      if (d.indexKey !== indexKey(pointId, d.disk)) throw bad(`disk ${d.disk} names the index ${d.indexKey}`);
      if (d.chunkSize !== repo.config.chunkSize) throw bad(`disk ${d.disk} has chunks of ${d.chunkSize} bytes, the repository ${repo.config.chunkSize}`);
      if (createHash('sha256').update(given.bytes).digest('hex') !== d.indexSha256) {
        throw new StoreError('index-invalid', `the index of disk ${d.disk} of restore point ${pointId} is not the one its manifest vouches for`, { pointId, disk: d.disk });
      }
      const index = FixedIndex.parse(given.bytes, d.indexKey);
      if (index.capacity !== d.capacity || index.chunkSize !== d.chunkSize) throw bad(`the index of disk ${d.disk} does not match the manifest's geometry`);
      for (let s = 0; s < index.slots; s++) {
        const dg = index.digest(s);
        if (!isZeroDigest(dg)) lengths.set(digestHex(dg), index.slotLength(s));
      }
      indexes.push({ row: { pointId, ...d }, bytes: given.bytes, index });
    }
    const retainUntil = Math.max(sourceUntil, createdAt + (opts.minRetainDays ?? 0) * DAY_MS);
    const damaged = new Set(repo.catalog.listDamage().map((r) => r.digest));

    const existing = repo.catalog.getPoint(pointId);
    if (existing?.state === 'committed') {
      const present = existing.retainUntil < retainUntil ? await repo.extendRetention(pointId, retainUntil, 'replicated again: the replica site\'s retention', signal) : existing;
      return new PointImport(repo, parcel, manifest, indexes, lengths, [], damaged, present, retainUntil);
    }
    if (existing) {
      throw new StoreError('repository-busy', `restore point ${pointId} is ${existing.state === 'pending' ? 'being imported by another process' : 'being deleted'}`, { pointId });
    }

    // A new point needs the room new points must leave free (RepositoryContext.reserveBytes).
    await repo.checkRoom(signal);

    // Chunks held here are locked now, so that nothing removes them before the commit; those of
    // the VM's previous point here are locked long enough already when its lock reaches as far.
    const chunkUntil = chunkLockUntil(retainUntil);
    const covered = await chunksLockedUntil(repo, manifest, chunkUntil, damaged, signal);
    const lacking = new Set<string>();
    let locked = 0;
    // Only the chunks to look up go through the fan-out: for an incremental point that is the
    // few that changed, not every chunk of the disk.
    const lookUp: string[] = [];
    for (const hex of lengths.keys()) {
      if (damaged.has(hex)) lacking.add(hex);
      else if (!covered.has(hex)) lookUp.push(hex);
    }
    await forEachBounded(lookUp, 16, signal, async (hex, sig) => {
      try {
        await repo.backend.lock(chunkKey(hex), chunkUntil, sig);
        locked++;
      } catch (err) {
        if (!isStoreError(err, 'object-not-found')) throw err;
        lacking.add(hex);
      }
    });
    const missing = [...lengths.keys()].filter((h) => lacking.has(h));
    return new PointImport(repo, parcel, manifest, indexes, lengths, missing, damaged, undefined, retainUntil, locked);
  }

  /**
   * Takes one missing chunk in its stored form: decodes it and checks its id (a chunk that fails
   * is refused with 'chunk-corrupt' and nothing is stored), then puts it durable and locked.
   * Resolves once it is; from then on a new import of the point does not ask for it again. A
   * chunk that arrives twice is taken once.
   */
  async putChunk(hex: string, stored: Uint8Array, signal: AbortSignal): Promise<{ storedBytes: number }> {
    this.checkOpen();
    const length = this.lengths.get(hex);
    if (length === undefined || !this.lacked.has(hex)) {
      throw new StoreError('invalid-key', `chunk ${String(hex).slice(0, 80)} is not one that restore point ${this.pointId} lacks here`, { pointId: this.pointId });
    }
    if (!this.outstanding.has(hex)) return { storedBytes: 0 };
    const digest = digestFromHex(hex);
    const bound = encodedBound(this.repo.config.chunkSize);
    if (stored.byteLength > bound) throw this.refused(hex, `${stored.byteLength} bytes is more than any stored chunk takes`);
    const slots = (this.verifySlots ??= new Semaphore(VERIFY_SLOTS));
    await slots.acquire(signal);
    let buf: Uint8Array | undefined;
    let verified: Promise<void> | undefined;
    let written: ((bytes: number) => void) | undefined;
    try {
      // A replica with a reserve stops before it, the chunks in flight included, as a backup does
      // (Repository.roomFor): 'store-full' before a byte of this chunk is written.
      written = await this.repo.roomFor(stored.byteLength, signal);
      // Bytes in shared memory (the site listener reads chunk bodies there) are read by the codec
      // worker and written by the store as they are; they stay the caller's, untouched, until this
      // resolves. Others are copied there first.
      let view: Uint8Array;
      if (isShared(stored)) {
        view = stored;
      } else {
        const pool = (this.verifyBuffers ??= new BufferPool(VERIFY_SLOTS, bound));
        buf = await pool.acquire(signal);
        view = buf.subarray(0, stored.byteLength);
        view.set(stored);
      }
      // The verification runs while the store writes the bytes where no reader sees them
      // (vouchedBy): the chunk takes its key only once it verified, and a chunk that fails leaves
      // nothing behind. Its codec worker only reads `view`.
      verified = this.repo.codec().verify(view, digest, this.repo.config.chunkSize, signal).then(
        (n) => {
          if (n !== length) throw this.refused(hex, `it holds ${n} bytes where the index expects ${length}`);
        },
        (err: unknown) => {
          throw err instanceof CorruptChunkError ? this.refused(hex, err.message) : err;
        },
      );
      verified.catch(() => undefined);
      const key = chunkKey(hex);
      const until = chunkLockUntil(this.retainUntil);
      if (this.damaged.has(hex)) {
        // The object here is listed as damaged: it goes aside once the copy that takes its key verified.
        await verified;
        await this.repo.backend.quarantine(key, signal).catch((e: unknown) => {
          if (!isStoreError(e, 'object-not-found')) throw e;
        });
      }
      const put = await this.repo.backend.put(key, view, { signal, retainUntil: until, contentAddressed: true, vouchedBy: verified });
      written(put.created ? stored.byteLength : 0);
      // A chunk already here is locked only for bytes that verified, as one put would be.
      await verified;
      if (!put.created) await this.repo.backend.lock(key, until, signal);
      if (this.outstanding.delete(hex) && put.created) {
        this.receivedChunks++;
        this.receivedBytes += stored.byteLength;
      }
      return { storedBytes: put.created ? stored.byteLength : 0 };
    } finally {
      // The buffer goes back only once its codec worker is done reading it.
      await verified?.catch(() => undefined);
      written?.(0);
      if (buf) this.verifyBuffers?.release(buf);
      slots.release();
    }
  }

  /**
   * Starts writing the point's indexes now, unlocked, while its chunks arrive, so that the commit
   * has only the manifest left to write. Until the manifest names them they are orphans: an import
   * abandoned here leaves them for GC (after its grace), and a new import of the point finds them
   * with the same bytes. A failure here is the commit's to meet: it writes what is not there.
   */
  stageIndexes(signal: AbortSignal): void {
    if (this.present || this.done || this.staged) return;
    this.staged = (async () => {
      for (const i of this.indexes) await this.putSame(i.row.indexKey, i.bytes, signal);
      this.stagedWhole = true;
    })().catch(() => undefined);
  }

  private refused(hex: string, why: string): CorruptChunkError {
    const e = new CorruptChunkError(hex, `${why.replace(/^chunk \S+ is corrupt: /, '')} (sent for restore point ${this.pointId}; refused, nothing was stored)`);
    return e;
  }

  private checkOpen(): void {
    if (this.done || this.present) throw new StoreError('point-not-found', `the import of restore point ${this.pointId} is finished`, { pointId: this.pointId });
  }

  /** Makes the point durable and visible; see the order at the top of this file. */
  async commit(signal: AbortSignal): Promise<PointRow> {
    if (this.present) return this.present;
    this.checkOpen();
    const repo = this.repo;
    const pointId = this.pointId;
    if (this.outstanding.size > 0) {
      const first = this.outstanding.values().next().value ?? '';
      throw new StoreError('object-not-found', `restore point ${pointId} cannot be committed: ${this.outstanding.size} of its chunks have not arrived (${first}, …)`, {
        pointId,
        outstanding: this.outstanding.size,
      });
    }
    const m = this.manifest;
    const createdAt = Date.parse(m.createdAt);
    const writerId = `${pointId}-r`;
    const now = repo.now();
    const rows: DiskRow[] = this.indexes.map((i) => i.row);
    repo.catalog.transaction(() => {
      repo.catalog.insertPoint({
        id: pointId,
        vmId: m.vm.id,
        vmName: m.vm.name,
        state: 'pending',
        consistency: m.consistency,
        createdAt,
        retainUntil: this.retainUntil,
        parentId: m.parentId,
        damaged: false,
        logicalBytes: 0,
        dataBytes: 0,
        readBytes: 0,
        newChunks: 0,
        newStoredBytes: 0,
      });
      repo.catalog.registerWriter({ id: writerId, owner: processIdentity(), pointId, vmId: m.vm.id, baseId: null, startedAt: now });
    });
    let manifestLocked = false;
    try {
      // Every chunk is locked long enough since begin or since it arrived. One that a verification
      // has listed as damaged since then may have been moved aside: it is looked up again.
      const vanished: string[] = [];
      const chunkUntil = chunkLockUntil(this.retainUntil);
      const damagedSince = repo.catalog
        .listDamage()
        .map((r) => r.digest)
        .filter((hex) => this.lengths.has(hex) && !this.damaged.has(hex));
      await forEachBounded(damagedSince, 16, signal, async (hex, sig) => {
        try {
          await repo.backend.lock(chunkKey(hex), chunkUntil, sig);
        } catch (err) {
          if (!isStoreError(err, 'object-not-found')) throw err;
          vanished.push(hex);
        }
      });
      if (vanished.length > 0) {
        throw new StoreError('object-not-found', `restore point ${pointId} cannot be committed: ${vanished.length} of its chunks vanished from this repository since they were found (${vanished.sort()[0] ?? ''}, …); import it again`, {
          pointId,
          vanished: vanished.length,
        });
      }
      // The indexes, locked before the manifest names them. Those staged whole need only their
      // lock (one removed since, by GC after its grace, is written again); otherwise each is
      // written, or one there already must hold the same bytes.
      await this.staged;
      const staged = this.stagedWhole;
      await forEachBounded(this.indexes, 4, signal, async (i, sig) => {
        if (staged) {
          try {
            await repo.backend.lock(i.row.indexKey, this.retainUntil, sig);
            return;
          } catch (err) {
            if (!isStoreError(err, 'object-not-found')) throw err;
          }
        }
        await this.putSame(i.row.indexKey, i.bytes, sig, this.retainUntil);
      });
      await this.putSame(manifestKey(pointId), this.parcel.manifest, signal, this.retainUntil);
      manifestLocked = true;
      let dataBytes = 0;
      for (const i of this.indexes) for (let s = 0; s < i.index.slots; s++) if (!isZeroDigest(i.index.digest(s))) dataBytes += i.index.slotLength(s);
      const at = repo.now();
      repo.catalog.transaction(() => {
        repo.catalog.replaceDisks(pointId, rows);
        repo.catalog.updatePointStats(pointId, {
          logicalBytes: this.indexes.reduce((n, i) => n + i.row.capacity, 0),
          dataBytes,
          readBytes: 0,
          newChunks: this.receivedChunks,
          newStoredBytes: this.receivedBytes,
        });
        repo.catalog.recordRetention(pointId, this.retainUntil, at, `replicated from repository ${repo.id}`);
        repo.catalog.setPointState(pointId, 'committed');
        repo.catalog.removeWriter(writerId);
        repo.catalog.recordTime(at);
      });
      this.done = true;
      return repo.getPoint(pointId);
    } catch (err) {
      // Not a crash: take the pending point back unless it is whole (then recovery commits it).
      if (!manifestLocked) {
        const gone = await repo.deleteUnlessLocked(manifestKey(pointId), signal).catch(() => false);
        if (gone) for (const i of this.indexes) await repo.deleteUnlessLocked(i.row.indexKey, signal).catch(() => false);
        repo.catalog.transaction(() => {
          if (gone) repo.catalog.deletePoint(pointId);
          repo.catalog.removeWriter(writerId);
        });
      }
      throw err;
    }
  }

  /** Puts an object, locked until `retainUntil` when given; one already there (an earlier attempt) must hold the same bytes. */
  private async putSame(key: string, bytes: Uint8Array, signal: AbortSignal, retainUntil?: number): Promise<void> {
    const put = await this.repo.backend.put(key, bytes, { signal, ...(retainUntil !== undefined ? { retainUntil } : {}) });
    if (put.created) return;
    const there = await this.repo.backend.get(key, signal);
    if (Buffer.compare(Buffer.from(there), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) !== 0) {
      throw new StoreError('index-invalid', `${key} already exists in this repository with other content`, { key });
    }
    if (retainUntil !== undefined) await this.repo.backend.lock(key, retainUntil, signal);
  }
}

/**
 * Chunks of the point's VM's previous point in this repository (the manifest's parent, else the
 * VM's newest committed point) when that point's chunks are locked until `chunkUntil` or later:
 * every committed point's chunks are locked until chunkLockUntil(its retain-until) — by its
 * writer, its import or a retention extension — and a locked object cannot be removed, so these
 * need no lookup. None when there is no such point, it is damaged, or its lock ends sooner.
 * Chunks listed as damaged are left out (they may have been moved aside).
 */
async function chunksLockedUntil(repo: Repository, manifest: PointManifest, chunkUntil: number, damaged: ReadonlySet<string>, signal: AbortSignal): Promise<Set<string>> {
  const covered = new Set<string>();
  const parent = manifest.parentId !== null ? repo.catalog.getPoint(manifest.parentId) : undefined;
  const base = parent?.state === 'committed' ? parent : repo.catalog.listPoints({ vmId: manifest.vm.id, limit: 1 })[0];
  if (!base || base.state !== 'committed' || base.damaged || chunkLockUntil(base.retainUntil) < chunkUntil) return covered;
  for (const d of repo.catalog.pointDisks(base.id)) {
    const bytes = await repo.backend.get(d.indexKey, signal);
    // An index that is not the one its point recorded vouches for nothing.
    if (createHash('sha256').update(bytes).digest('hex') !== d.indexSha256) return new Set();
    const index = FixedIndex.parse(bytes, d.indexKey);
    for (let s = 0; s < index.slots; s++) {
      const dg = index.digest(s);
      if (!isZeroDigest(dg)) covered.add(digestHex(dg));
    }
  }
  for (const hex of damaged) covered.delete(hex);
  return covered;
}
