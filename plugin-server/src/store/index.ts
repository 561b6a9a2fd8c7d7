/**
 * The backup repository: deduplicated, compressed, encrypted, immutable storage of VM disk
 * images as restore points. It knows nothing of vSphere; the protection and recovery use cases
 * feed it disks through the small interfaces of engine/ingest.ts and engine/restore.ts. Its design
 * (layout on disk, immutability, the locking table, crash safety, memory and time) is
 * docs/repository.md; its sub-folders are listed in docs/architecture.md.
 */
export type { Backend, ByteRange, ObjectInfo, ListedObject, PutOptions, PutResult } from './backend/backend.js';
export { LocalBackend } from './backend/local-backend.js';
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
export type { RepositoryConfig, InitOptions, OpenOptions, RepositoryContext, RepositoryStorage } from './repository.js';
export { parseS3Url, readS3Credentials } from './backend/s3-backend.js';
export type { S3Location, S3Credentials } from './backend/s3-backend.js';
export type { KeyExport, ScryptParams } from './keys.js';

// Ingest: the engine and the interfaces it asks for.
export { PointWriter } from './engine/point-writer.js';
export type { PointSpec, DiskSource, DiskResult } from './engine/point-writer.js';
export { ingestDisk, slotsToRead } from './engine/ingest.js';
export type { DiskAreaReader, ChunkAdder, IndexSlots, ChangedArea, DiskIngestStats, IngestProgress, IngestDiskArgs } from './engine/ingest.js';
export type { AddedChunk, AddOutcome } from './chunks/chunk-store.js';

// Restore: the engine and the interfaces it asks for.
export { restoreDisk } from './engine/restore.js';
export type { ChunkSource, DiskAreaWriter, RestoreStats, RestoreDiskArgs } from './engine/restore.js';
export { FixedIndex } from './engine/fixed-index.js';
export type { IndexView } from './engine/fixed-index.js';
export { FileDiskReader, FileDiskWriter } from './engine/file-disk.js';
export type { PointManifest, ManifestDisk } from './engine/manifest.js';
export { openManifest } from './engine/manifest.js';

// Replication: replica repositories and the import of restore points into them.
export { exportReplicaSeed, initReplicaRepository, replicaOrigin } from './replica.js';
export type { ReplicaSeed, ReplicaOrigin, ReplicaInitOptions } from './replica.js';
export { likelyLackedChunks, PointImport, readPointParcel, readStoredChunk } from './engine/point-import.js';
export { forEachBounded } from './bounded.js';
export { alignedSharedMemory, DIRECT_IO_ALIGN, roundUp } from './chunks/buffer-pool.js';
export { encodedBound } from './chunks/chunk-format.js';
export type { PointParcel, PointImportOptions } from './engine/point-import.js';

// Maintenance.
export { planPrune, checkRules } from './maintenance/prune-plan.js';
export type { KeepRules, PrunePoint, PruneDecision, PruneMark } from './maintenance/prune-plan.js';
export { prune } from './maintenance/prune.js';
export type { PruneResult } from './maintenance/prune.js';
export { collectGarbage, DEFAULT_GC_GRACE_MS } from './maintenance/gc.js';
export { rebuildCatalog, manifestPointIds } from './maintenance/catalog-rebuild.js';
export type { CatalogRebuildReport, RebuildSource } from './maintenance/catalog-rebuild.js';
export type { GcOptions, GcReport } from './maintenance/gc.js';
export { verifyRepository } from './maintenance/verify.js';
export type { VerifyOptions, VerifyReport, ChunkProblem } from './maintenance/verify.js';
export { repositoryStats } from './maintenance/stats.js';
export type { RepositoryStats } from './maintenance/stats.js';

// Copies of restore points on object storage.
export { ensureObjectCopy, initObjectCopy, openObjectCopy, copyPoint, pruneCopy } from './object-copy.js';
export type { CopyPruneOptions, CopyPruneReport, ObjectCopyOptions, PointCopyOptions, PointCopyReport } from './object-copy.js';
