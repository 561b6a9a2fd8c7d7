/**
 * The backup repository: deduplicated, compressed, encrypted, immutable storage of VM disk
 * images as restore points. It knows nothing of vSphere; the protection and recovery use cases
 * feed it disks through the small interfaces of ingest.ts and restore.ts.
 *
 * Design note
 * ===========
 *
 * Layout of a repository directory (every file except the catalog and the dot-directories is an
 * object of the Backend; local-backend.ts explains how objects and their locks map to files):
 *
 *   config                      sealed JSON: id, chunk size, encryption, compression (repository.ts)
 *   keys/<id>                   the master key, wrapped under a passphrase with scrypt (keys.ts)
 *   chunks/<2 hex>/<64 hex>     one chunk: header, zstd, AES-256-GCM (chunk-format.ts); read-only
 *   points/<id>/manifest        sealed restore point manifest (manifest.ts, sealed-document.ts)
 *   points/<id>/disk-<n>.fidx   fixed index of disk n: header + one digest per 4 MiB (fixed-index.ts)
 *   catalog.db                  SQLite catalog (../catalog): an index over the manifests plus
 *                               writers, maintenance locks, GC/verify runs and damage
 *   .tmp/  .locks/              temporary files and per-key lock files of the local backend
 *
 * A repository is self-contained: copy the directory (preserving times, which carry the
 * retention locks) and it opens elsewhere. A lost catalog is rebuilt from the manifests
 * (catalog-rebuild.ts).
 *
 * Chunks are fixed 4 MiB, aligned to the disk offset. The id is SHA-256 of the plaintext, or
 * keyed BLAKE3 under a key derived from the master key in an encrypted repository (HMAC-SHA256 in
 * encrypted repositories made before; the config says which, see digest.ts), so equal data is
 * stored once across all VMs. All-zero chunks are never stored: the index holds 32 zero bytes.
 * zstd (level 2 by default, recorded in the config) is kept only when it shrinks the chunk; a
 * chunk whose samples all look random is not run through the compressor at all.
 *
 * Immutability. Every restore point has a retain-until (7 days unless the policy says otherwise).
 * Its manifest and indexes are locked in the backend until then, and every chunk it references
 * until at least then (rounded up to a day). A locked object cannot be deleted or replaced by
 * anything — API, CLI, GC, an administrator through Lifeline — because the backend itself refuses.
 * Locks only grow. Destructive work (delete, prune, GC) is refused while the clock reads earlier
 * than the latest time the repository recorded.
 *
 * Locking table — what may run while another operation runs (per repository, across processes):
 *
 *                    | backup      | GC mark     | GC sweep    | prune/delete | verify
 *   -----------------+-------------+-------------+-------------+--------------+--------
 *   backup           | yes         | yes         | yes (1)     | yes (2)      | yes
 *   GC mark          | yes         | no (3)      | no (3)      | yes (4)      | yes
 *   GC sweep         | yes (1)     | no (3)      | no (3)      | yes          | yes (5)
 *   prune/delete     | yes (2)     | yes (4)     | yes         | yes (6)      | yes (5)
 *   verify           | yes         | yes         | yes (5)     | yes (5)      | yes
 *
 *   (1) A backup registers as a writer in the catalog. Every chunk it writes is locked from
 *       creation and every existing chunk it re-uses is locked (and so touched) when found; GC
 *       sweeps only unlocked chunks untouched since min(GC start, oldest writer start) − grace.
 *       The commit re-checks that every chunk exists, so a lost race fails the backup, never
 *       produces a broken point.
 *   (2) The point a backup builds upon is protected from prune and delete until it commits.
 *   (3) One GC at a time: a maintenance lock in the catalog, taken over if its process died.
 *   (4) A point deleted during mark only makes mark keep more than needed.
 *   (5) Verify reports a chunk that vanished together with its point as nothing: it only looks
 *       at points that still exist when it checks them.
 *   (6) Deletions are idempotent; two prunes may overlap.
 *
 * Crash safety. Objects appear whole or not at all (temp file, fsync, link, directory fsync). A
 * point becomes visible only when the catalog marks it committed, after its chunks, indexes and
 * manifest are durable and locked (point-writer.ts); recovery at open commits a point whose
 * manifest exists and discards one whose manifest does not. Temporary files of dead processes are
 * removed at open.
 *
 * Threads, memory and time. Hashing, compression and encryption run in a pool of worker threads
 * (codec-pool.ts). Chunks travel through fixed pools of shared-memory buffers (buffer-pool.ts):
 * read into one, hashed and encoded by a worker into another, written from there — no copies
 * between threads, no allocation per chunk, and the pools bound the memory of every pipeline
 * (about 120 MiB for ingest or restore, whatever the disk size, plus 32 bytes of index per
 * 4 MiB). Every fan-out is bounded (bounded.ts); every async operation takes an AbortSignal;
 * time comes from an injected Clock.
 *
 * The pools' memory starts on page boundaries, so chunk objects and restored disk areas are
 * written with direct I/O where the filesystem allows it: the bytes go to the disk once, without
 * a copy in the page cache that would only be written out (chunk objects are fsynced anyway) or
 * crowd out the cache.
 *
 * Restore writes a new file sparsely: all-zero chunks and all-zero 64 KiB runs inside chunks
 * are left as holes, so the restored file takes the space the disk's data takes. A file target
 * takes writes in any order, so each distinct chunk is decoded once and written to every slot
 * that names it, several chunks at once; a stream target gets its bytes strictly in order.
 */
export type { Backend, ByteRange, ObjectInfo, ListedObject, PutOptions, PutResult } from './backend.js';
export { LocalBackend } from './local-backend.js';
export { MemoryBackend } from './memory-backend.js';
export { FaultyBackend } from './faulty-backend.js';
export type { Fault, BackendOp } from './faulty-backend.js';
export { StoreError, CorruptChunkError, isStoreError } from './store-error.js';
export type { StoreErrorCode } from './store-error.js';

export {
  Repository,
  initRepository,
  chunkLockUntil,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_RETAIN_DAYS,
  DAY_MS,
} from './repository.js';
export type { RepositoryConfig, InitOptions, OpenOptions, RepositoryContext } from './repository.js';
export type { KeyExport, ScryptParams } from './keys.js';

// Ingest: the engine and the interfaces it asks for.
export { PointWriter } from './point-writer.js';
export type { PointSpec, DiskSource, DiskResult } from './point-writer.js';
export { ingestDisk, slotsToRead } from './ingest.js';
export type { DiskAreaReader, ChunkAdder, IndexSlots, ChangedArea, DiskIngestStats, IngestProgress, IngestDiskArgs } from './ingest.js';
export type { AddedChunk, AddOutcome } from './chunk-store.js';

// Restore: the engine and the interfaces it asks for.
export { restoreDisk } from './restore.js';
export type { ChunkSource, DiskAreaWriter, RestoreStats, RestoreDiskArgs } from './restore.js';
export { FixedIndex } from './fixed-index.js';
export type { IndexView } from './fixed-index.js';
export { FileDiskReader, FileDiskWriter } from './file-disk.js';
export type { PointManifest, ManifestDisk } from './manifest.js';

// Maintenance.
export { planPrune, checkRules } from './prune-plan.js';
export type { KeepRules, PrunePoint, PruneDecision, PruneMark } from './prune-plan.js';
export { prune } from './prune.js';
export type { PruneResult } from './prune.js';
export { collectGarbage, DEFAULT_GC_GRACE_MS } from './gc.js';
export { rebuildCatalog, manifestPointIds } from './catalog-rebuild.js';
export type { CatalogRebuildReport, RebuildSource } from './catalog-rebuild.js';
export type { GcOptions, GcReport } from './gc.js';
export { verifyRepository } from './verify.js';
export type { VerifyOptions, VerifyReport, ChunkProblem } from './verify.js';
export { repositoryStats } from './stats.js';
export type { RepositoryStats } from './stats.js';
