/**
 * Rebuilding the catalog from the repository. The catalog is an index over the sealed manifests
 * under points/: when it is lost, replaced by an older copy, or the repository is copied without
 * it, the restore points are still all there, and this puts them back in it.
 *
 * A point comes back committed, with the retention its objects' locks carry (an extension that
 * only the lost catalog recorded is still on the manifest's lock), and with its totals recomputed
 * from its indexes. A point whose index is missing or does not match the checksum its manifest
 * gives comes back marked damaged, so it is seen (and verify names it) rather than forgotten. A
 * manifest that does not verify under the repository's key is reported and left where it is.
 *
 * The rebuild holds the GC lock: no sweep runs while points are being put back.
 */
import type { Catalog, DiskRow, PointRow } from '../../catalog/index.js';
import { isPointId } from '../../domain/index.js';
import type { Backend } from '../backend/backend.js';
import type { FixedIndex } from '../engine/fixed-index.js';
import { manifestKey, type PointManifest } from '../engine/manifest.js';
import { isZeroDigest } from '../chunks/digest.js';
import { identityAlive, processIdentity } from '../process-identity.js';
import { StoreError, isStoreError } from '../store-error.js';

/**
 * The parts of a Repository a rebuild uses. Spelled out here rather than imported because the
 * repository runs a rebuild when it opens without its catalog: repository.ts imports this file.
 */
export interface RebuildSource {
  readonly backend: Backend;
  readonly catalog: Catalog;
  now(): number;
  readManifest(pointId: string, signal: AbortSignal): Promise<PointManifest>;
  loadIndex(key: string, sha256: string, signal: AbortSignal): Promise<FixedIndex>;
}

export interface CatalogRebuildReport {
  /** Manifests found in the repository. */
  manifests: number;
  /** Points the catalog already knew. */
  known: number;
  /** Points put back into the catalog, oldest first. */
  added: string[];
  /** Of those, the ones whose indexes are missing or damaged (marked damaged). */
  damaged: string[];
  /** Manifests that could not be read or did not verify; left untouched. */
  invalid: Array<{ key: string; detail: string }>;
}

/** Point ids that have a manifest object in the repository, ascending. */
export async function manifestPointIds(repo: RebuildSource, signal: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of repo.backend.list('points/', signal)) {
    const parts = o.key.split('/');
    if (parts.length === 3 && parts[2] === 'manifest' && parts[1]) ids.push(parts[1]);
  }
  return ids.sort();
}

export async function rebuildCatalog(repo: RebuildSource, opts: { signal: AbortSignal }): Promise<CatalogRebuildReport> {
  const { signal } = opts;
  const me = processIdentity();
  const took = repo.catalog.tryTakeMaintenance('gc', me, repo.now(), identityAlive);
  if (!took.taken) {
    throw new StoreError('repository-busy', `garbage collection or a catalog rebuild is running (since ${new Date(took.since).toISOString()})`, { holder: took.holder });
  }
  try {
    const report: CatalogRebuildReport = { manifests: 0, known: 0, added: [], damaged: [], invalid: [] };
    let newest = 0;
    for (const id of await manifestPointIds(repo, signal)) {
      report.manifests++;
      if (repo.catalog.getPoint(id) !== undefined) {
        report.known++;
        continue;
      }
      const key = manifestKey(id);
      const restored = await restorePoint(repo, id, signal).catch((err: unknown) => {
        // A manifest that cannot be read for a fault of the storage is not an invalid one.
        if (isStoreError(err) && err.code !== 'backend-io' && err.code !== 'backend-refused') {
          report.invalid.push({ key, detail: err.message });
          return undefined;
        }
        throw err;
      });
      if (!restored) continue;
      report.added.push(id);
      if (restored.damaged) report.damaged.push(id);
      newest = Math.max(newest, restored.createdAt);
    }
    // The clock guard's memory came back with the points: the newest time they record.
    if (newest > 0) repo.catalog.recordTime(newest);
    return report;
  } finally {
    repo.catalog.releaseMaintenance('gc', me);
  }
}

/** Reads one point's manifest and indexes and inserts it committed; throws when the manifest does not verify. */
async function restorePoint(repo: RebuildSource, id: string, signal: AbortSignal): Promise<PointRow> {
  if (!isPointId(id)) throw new StoreError('manifest-invalid', `points/${id}/manifest is not under a restore point id`, { pointId: id });
  const manifest = await repo.readManifest(id, signal);
  const createdAt = Date.parse(manifest.createdAt);
  const recorded = Date.parse(manifest.retainUntil);
  if (!Number.isFinite(createdAt) || !Number.isFinite(recorded)) {
    throw new StoreError('manifest-invalid', `manifest of restore point ${id} has unreadable times`, { pointId: id });
  }
  const lock = (await repo.backend.stat(manifestKey(id), signal))?.retainUntil ?? 0;
  const disks: DiskRow[] = manifest.disks.map((d) => ({ pointId: id, ...d }));
  let damaged = false;
  let logicalBytes = 0;
  let dataBytes = 0;
  for (const d of disks) {
    logicalBytes += d.capacity;
    try {
      const index = await repo.loadIndex(d.indexKey, d.indexSha256, signal);
      for (let s = 0; s < index.slots; s++) if (!isZeroDigest(index.digest(s))) dataBytes += index.slotLength(s);
    } catch (err) {
      if (!isStoreError(err, 'object-not-found') && !isStoreError(err, 'index-invalid')) throw err;
      damaged = true;
    }
  }
  const row: PointRow = {
    id,
    vmId: manifest.vm.id,
    vmName: manifest.vm.name,
    state: 'committed',
    consistency: manifest.consistency,
    createdAt,
    retainUntil: Math.max(recorded, lock),
    parentId: manifest.parentId,
    damaged,
    logicalBytes,
    dataBytes,
    readBytes: 0,
    newChunks: 0,
    newStoredBytes: 0,
  };
  repo.catalog.transaction(() => {
    repo.catalog.insertPoint(row);
    repo.catalog.replaceDisks(id, disks);
    repo.catalog.recordRetention(id, row.retainUntil, repo.now(), 'catalog rebuilt from the repository');
  });
  return row;
}
