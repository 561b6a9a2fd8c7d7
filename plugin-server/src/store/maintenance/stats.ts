/**
 * Space accounting, computed exactly from the indexes and a listing of the objects:
 *   logical  — the disks' capacities summed over all restore points (what restoring them all yields);
 *   data     — the bytes of those disks that are not all-zero chunks;
 *   unique   — the plaintext of the distinct chunks those points reference;
 *   stored   — what the objects take in the backend (chunks, indexes, manifests, keys).
 * dedup ratio = data / unique; compression ratio = unique / stored size of the referenced chunks.
 */
import { CHUNK_PREFIX, digestOfChunkKey } from '../chunks/digest.js';
import type { Repository } from '../repository.js';

export interface RepositoryStats {
  points: number;
  vms: number;
  logicalBytes: number;
  dataBytes: number;
  uniqueChunks: number;
  uniqueBytes: number;
  referencedStoredBytes: number;
  storedBytes: number;
  unreferencedChunks: number;
  dedupRatio: number;
  compressionRatio: number;
}

export async function repositoryStats(repo: Repository, signal: AbortSignal): Promise<RepositoryStats> {
  const points = repo.listPoints();
  const lengths = new Map<string, number>();
  let logical = 0;
  let data = 0;
  for (const p of points) {
    for (const d of repo.catalog.pointDisks(p.id)) {
      logical += d.capacity;
      const index = await repo.loadIndex(d.indexKey, d.indexSha256, signal);
      for (let s = 0; s < index.slots; s++) {
        const dg = index.digest(s);
        if (dg.every((b) => b === 0)) continue;
        const len = index.slotLength(s);
        data += len;
        lengths.set(Buffer.from(dg).toString('hex'), len);
      }
    }
  }
  let unique = 0;
  for (const l of lengths.values()) unique += l;
  let stored = 0;
  let referencedStored = 0;
  let unreferenced = 0;
  for await (const o of repo.backend.list('', signal)) {
    // The catalog's files sit beside the objects, but they are a local index, not repository data.
    if (o.key.startsWith('catalog.db')) continue;
    stored += o.size;
    if (!o.key.startsWith(CHUNK_PREFIX)) continue;
    const hex = digestOfChunkKey(o.key);
    if (hex !== undefined && lengths.has(hex)) referencedStored += o.size;
    else unreferenced++;
  }
  return {
    points: points.length,
    vms: new Set(points.map((p) => p.vmId)).size,
    logicalBytes: logical,
    dataBytes: data,
    uniqueChunks: lengths.size,
    uniqueBytes: unique,
    referencedStoredBytes: referencedStored,
    storedBytes: stored,
    unreferencedChunks: unreferenced,
    dedupRatio: unique > 0 ? data / unique : 1,
    compressionRatio: referencedStored > 0 ? unique / referencedStored : 1,
  };
}
