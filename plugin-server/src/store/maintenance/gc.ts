/**
 * Garbage collection, mark and sweep (Proxmox Backup Server's GC):
 *
 * Mark — read the index of every restore point the catalog knows (committed, or being deleted),
 *   then every other index object under points/ (a point a lost or older catalog does not know,
 *   one being written), and collect the digests they reference. If any index cannot be read, GC
 *   stops before sweeping: a chunk is never removed on incomplete knowledge.
 * Sweep — list every chunk object and remove one only if all hold:
 *   - no point references it;
 *   - its retention lock has passed (the backend refuses otherwise, atomically with the removal);
 *   - it was not created or touched after the cutoff = min(GC start, start of the oldest backup
 *     still running) − grace. A backup that re-uses an existing chunk raises its lock, which
 *     touches it, so chunks of backups in flight are never swept.
 * Quarantined copies of corrupt chunks (verify.ts) are referenced by nothing and go the same way
 * once their lock has passed.
 * Objects under points/ that belong to no point the catalog knows and have no manifest (left by a
 * crash) go too, once unlocked; a point with a manifest the catalog does not know is kept and
 * reported (catalog-rebuild.ts puts it back).
 *
 * One GC at a time per repository (a maintenance lock in the catalog); backups, prune and verify
 * may run meanwhile — see the locking table in docs/repository.md.
 */
import { forEachBounded } from '../bounded.js';
import { quarantinedFrom } from '../backend/backend.js';
import { CHUNK_PREFIX, digestOfChunkKey } from '../chunks/digest.js';
import { FixedIndex } from '../engine/fixed-index.js';
import { manifestKey } from '../engine/manifest.js';
import { identityAlive, processIdentity } from '../process-identity.js';
import type { Repository } from '../repository.js';
import { StoreError, isStoreError } from '../store-error.js';

/** Our touch times are exact (ctime), so the margin only covers clock differences between hosts. */
export const DEFAULT_GC_GRACE_MS = 60 * 60_000;

export interface GcOptions {
  graceMs?: number;
  signal: AbortSignal;
  onProgress?: (phase: 'mark' | 'sweep', done: number, total: number) => void;
}

export interface GcReport {
  cutoff: string;
  points: number;
  referencedChunks: number;
  chunksSeen: number;
  swept: number;
  sweptBytes: number;
  keptReferenced: number;
  keptLocked: number;
  keptRecent: number;
  orphanObjectsRemoved: number;
  /** Of the swept objects, quarantined copies of corrupt chunks whose lock had passed. */
  quarantinedSwept: number;
  /** Objects under chunks/ that are neither chunks nor quarantined copies; never touched. */
  keptOther: number;
  /** Indexes of points the catalog does not know (yet, or any more) whose chunks were kept too. */
  extraIndexesMarked: number;
  /** Points whose manifest is in the repository but not in the catalog: run rebuild-catalog. */
  pointsNotInCatalog: string[];
}

export async function collectGarbage(repo: Repository, opts: GcOptions): Promise<GcReport> {
  const { signal } = opts;
  const startedAt = repo.guardClock('collect garbage');
  const me = processIdentity();
  const took = repo.catalog.tryTakeMaintenance('gc', me, startedAt, identityAlive);
  if (!took.taken) {
    throw new StoreError('repository-busy', `garbage collection is already running (since ${new Date(took.since).toISOString()})`, { holder: took.holder });
  }
  const run = repo.catalog.startRun('gc', startedAt);
  let report: GcReport | undefined;
  try {
    let oldestWriter = startedAt;
    for (const w of repo.catalog.listWriters()) if (identityAlive(w.owner)) oldestWriter = Math.min(oldestWriter, w.startedAt);
    const cutoff = Math.min(startedAt, oldestWriter) - (opts.graceMs ?? DEFAULT_GC_GRACE_MS);

    // Mark.
    const points = repo.listPoints({ states: ['committed', 'deleting'] });
    const marked = new Set<string>();
    const knownIndexes = new Set<string>();
    let done = 0;
    for (const p of points) {
      for (const d of repo.catalog.pointDisks(p.id)) {
        const index = await repo.loadIndex(d.indexKey, d.indexSha256, signal).catch((err: unknown) => {
          if (repo.catalog.getPoint(p.id) === undefined) return undefined; // deleted meanwhile
          throw new StoreError('index-invalid', `GC stopped before sweeping: index of restore point ${p.id} disk ${d.disk} is unreadable (${err instanceof Error ? err.message : String(err)})`, {
            pointId: p.id,
          });
        });
        if (index) for (const hex of index.distinctDigests()) marked.add(hex);
        knownIndexes.add(d.indexKey);
      }
      done++;
      opts.onProgress?.('mark', done, points.length);
    }
    // Every index in the repository counts, not only those of points the catalog knows: a lost or
    // older catalog, or a point still being written, must never cost a chunk. An index that
    // cannot be read stops GC here too.
    const pointsNotInCatalog = new Set<string>();
    // Objects of point ids the catalog does not know, for the orphan step below (one listing).
    const unknownObjects = new Map<string, string[]>();
    let extraIndexes = 0;
    for await (const o of repo.backend.list('points/', signal)) {
      const [, id = '', name = ''] = o.key.split('/');
      if (repo.catalog.getPoint(id) === undefined) {
        if (name === 'manifest') pointsNotInCatalog.add(id);
        const keys = unknownObjects.get(id);
        if (keys) keys.push(o.key);
        else unknownObjects.set(id, [o.key]);
      }
      if (!/^disk-\d+\.fidx$/.test(name) || knownIndexes.has(o.key)) continue;
      let index: FixedIndex;
      try {
        index = FixedIndex.parse(await repo.backend.get(o.key, signal), o.key);
      } catch (err) {
        if (isStoreError(err, 'object-not-found')) continue; // removed meanwhile
        throw new StoreError('index-invalid', `GC stopped before sweeping: index ${o.key} is unreadable (${err instanceof Error ? err.message : String(err)})`, { key: o.key });
      }
      for (const hex of index.distinctDigests()) marked.add(hex);
      extraIndexes++;
    }

    // Sweep.
    const r: GcReport = {
      cutoff: new Date(cutoff).toISOString(),
      points: points.length,
      referencedChunks: marked.size,
      chunksSeen: 0,
      swept: 0,
      sweptBytes: 0,
      keptReferenced: 0,
      keptLocked: 0,
      keptRecent: 0,
      orphanObjectsRemoved: 0,
      quarantinedSwept: 0,
      keptOther: 0,
      extraIndexesMarked: extraIndexes,
      pointsNotInCatalog: [...pointsNotInCatalog].sort(),
    };
    const now = repo.now();
    await forEachBounded(repo.backend.list(CHUNK_PREFIX, signal), 16, signal, async (o, sig) => {
      const hex = digestOfChunkKey(o.key);
      // A quarantined copy (verify moved a corrupt chunk aside) is referenced by nothing: it goes
      // like an unreferenced chunk once its lock has passed. Anything else not a chunk stays.
      const quarantined = hex === undefined && quarantinedFrom(o.key) !== undefined;
      if (hex === undefined && !quarantined) {
        r.keptOther++;
        return;
      }
      r.chunksSeen++;
      if (hex !== undefined && marked.has(hex)) {
        r.keptReferenced++;
        return;
      }
      const info = await repo.backend.stat(o.key, sig);
      if (!info) return;
      if (info.retainUntil > now) r.keptLocked++;
      else if (info.touchedAt >= cutoff) r.keptRecent++;
      else {
        try {
          if (await repo.backend.delete(o.key, sig)) {
            r.swept++;
            r.sweptBytes += info.size;
            if (quarantined) r.quarantinedSwept++;
          }
        } catch (err) {
          // A backup re-used the chunk between the stat and the delete.
          if (!isStoreError(err, 'retention-locked')) throw err;
          r.keptLocked++;
        }
      }
      if (r.chunksSeen % 256 === 0) opts.onProgress?.('sweep', r.chunksSeen, 0);
    });

    // Orphaned point objects: a point id the catalog does not know at all and that has no
    // manifest (what a crashed writer left). A point with a manifest is kept whatever the catalog
    // says: rebuild-catalog puts it back.
    for (const [id, keys] of unknownObjects) {
      if (pointsNotInCatalog.has(id) || repo.catalog.getPoint(id) !== undefined) continue;
      if ((await repo.backend.stat(manifestKey(id), signal)) !== null) continue;
      for (const key of keys) {
        const info = await repo.backend.stat(key, signal);
        if (!info || info.retainUntil > now || info.touchedAt >= cutoff) continue;
        if (await repo.backend.delete(key, signal)) r.orphanObjectsRemoved++;
      }
    }
    report = r;
    return r;
  } finally {
    const end = repo.now();
    repo.catalog.finishRun(run, end, report ? 'ok' : 'failed', report ? { ...report } : {});
    repo.catalog.recordTime(end);
    repo.catalog.releaseMaintenance('gc', me);
  }
}
