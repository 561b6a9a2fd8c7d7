/**
 * GET /api/v1/storage (System.Read on the inventory root): what the backup store holds and what
 * deduplication and compression save, with the data added on each of the last 30 UTC days, for
 * the dashboard.
 *
 * The figures come from the totals the catalog keeps of the stats every restore point recorded
 * when it committed, so an answer costs two small reads and one range scan however many points
 * the store holds; it is still cached for a short while, because every open dashboard asks.
 *   logicalBytes — the disks' capacities summed over all restore points (what restoring them all yields);
 *   dataBytes    — the part of those disks that is not all-zero chunks;
 *   storedBytes  — the stored (compressed, encrypted) size of the chunks the points added;
 *   savedBytes   — dataBytes − storedBytes: what full copies of every point would take beyond what is stored.
 * dedupRatio × compressionRatio = dataBytes / storedBytes exactly. The split between the two
 * counts each added chunk at the full chunk size (the catalog keeps no plaintext length per
 * chunk), so a disk whose size is not a multiple of the chunk size makes the dedup ratio slightly
 * low and the compression ratio slightly high. A chunk added by a point that prune later removed
 * no longer counts, though later points may still use it until GC.
 */
import { Router } from 'express';
import { LifelineError } from '../../errors/index.js';
import type { Repository } from '../../store/index.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';

const DAY_MS = 86_400_000;
/** Days in `dataAddedPerDay`, today (UTC) included. */
export const STORAGE_DAYS = 30;
/** How long one answer serves every dashboard. */
export const STORAGE_CACHE_MS = 30_000;

export interface DayAdded {
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** Stored bytes of the chunks the day's points added. */
  newBytes: number;
  points: number;
}

export interface StorageFigures {
  points: number;
  vms: number;
  logicalBytes: number;
  dataBytes: number;
  storedBytes: number;
  savedBytes: number;
  dedupRatio: number;
  compressionRatio: number;
  dataAddedPerDay: DayAdded[];
  /** When the figures were read (ISO-8601). */
  asOf: string;
  /**
   * The store's file system: size, free room, and the room backups leave free (below it they are
   * refused). Null when the storage has no fixed bound.
   */
  capacity?: StorageCapacity | null;
  /** What the store keeps its objects on (a directory, or object storage with its lock mode). */
  storage?: { kind: 'directory' } | { kind: 'object-storage'; location: string; lockMode: 'compliance' | 'none' };
}

export interface StorageCapacity {
  totalBytes: number;
  freeBytes: number;
  reserveBytes: number;
}

/** The storage figures of `repo` at time `now` (ms). */
export function storageFigures(repo: Repository, now: number): StorageFigures {
  const t = repo.catalog.pointTotals();
  const chunkSize = repo.config.chunkSize;
  // Every chunk counted at the full chunk size, but never more than the data that references it.
  const uniqueBytes = Math.min(t.newChunks * chunkSize, t.dataBytes);
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const first = today - (STORAGE_DAYS - 1) * DAY_MS;
  const byDay = new Map(repo.catalog.pointTotalsByDay(first).map((d) => [d.dayStart, d]));
  const dataAddedPerDay: DayAdded[] = [];
  for (let day = first; day <= today; day += DAY_MS) {
    const d = byDay.get(day);
    dataAddedPerDay.push({ day: new Date(day).toISOString().slice(0, 10), newBytes: d?.newStoredBytes ?? 0, points: d?.points ?? 0 });
  }
  return {
    points: t.points,
    vms: t.vms,
    logicalBytes: t.logicalBytes,
    dataBytes: t.dataBytes,
    storedBytes: t.newStoredBytes,
    savedBytes: Math.max(0, t.dataBytes - t.newStoredBytes),
    dedupRatio: uniqueBytes > 0 ? t.dataBytes / uniqueBytes : 1,
    compressionRatio: t.newStoredBytes > 0 && uniqueBytes > 0 ? uniqueBytes / t.newStoredBytes : 1,
    dataAddedPerDay,
    asOf: new Date(now).toISOString(),
  };
}

export function storageRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  let cached: { at: number; figures: StorageFigures } | null = null;

  router.get('/storage', auth.require({ privileges: [READ_PRIVILEGE] }), async (req, res) => {
    const repo = svc.repository;
    if (!repo) throw new LifelineError('backup-unavailable', 'Storage figures are not available in this Lifeline server: it has no backup store.');
    const now = svc.clock.now();
    // A clock set back also ends the cached answer: it was read in what is now the future.
    if (cached === null || now - cached.at >= STORAGE_CACHE_MS || now < cached.at) {
      const space = await repo.space(requestContext(req).signal);
      const capacity = space && { totalBytes: space.totalBytes, freeBytes: space.freeBytes, reserveBytes: repo.reserveBytes };
      const kind = await repo.storage(requestContext(req).signal);
      const storage = kind.kind === 'directory' ? { kind: kind.kind } : kind;
      cached = { at: now, figures: { ...storageFigures(repo, now), capacity, storage } };
    }
    res.json(cached.figures);
  });
  return router;
}
