/**
 * Verify (scrubbing): re-read, decrypt and re-hash chunks — all of them or a random sample — in
 * parallel, and check every point's sealed manifest and index checksums. Damage is recorded in
 * the catalog with the restore points it affects, which are marked damaged.
 *
 * Healing, as in Proxmox Backup Server: a corrupt chunk object is moved aside to a quarantine key
 * (Backend.quarantine: bytes and retention lock kept, never deleted), so its key is free again;
 * the chunk store writes any chunk listed as damaged anew the next time a backup meets its data
 * (a missing chunk needs nothing moved), and the next backup of a damaged point's VM reads its
 * disks in full to meet it. A chunk recorded as damaged that now verifies is cleared, and a point
 * that no damaged chunk affects any more and whose manifest and indexes checked fine in this run
 * is no longer damaged. A sampled run clears only what it checked.
 */
import type { DamageRow } from '../../catalog/index.js';
import { forEachBounded } from '../bounded.js';
import { chunkKey, digestFromHex } from '../chunks/digest.js';
import type { Repository } from '../repository.js';
import { isStoreError } from '../store-error.js';

export interface VerifyOptions {
  /** Share of distinct chunks to check, (0, 100]; default 100. */
  percent?: number;
  /** Chunks verified at once. */
  concurrency?: number;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ChunkProblem {
  digest: string;
  problem: 'corrupt' | 'missing';
  detail: string;
  points: string[];
  /** Where a corrupt chunk's object was moved aside (its key is free for a good copy); null when nothing was moved. */
  quarantinedAs: string | null;
}

export interface VerifyReport {
  points: number;
  chunksReferenced: number;
  chunksChecked: number;
  bytesChecked: number;
  problems: ChunkProblem[];
  /** Points whose manifest or index is itself damaged. */
  pointProblems: Array<{ pointId: string; detail: string }>;
  damagedPoints: string[];
  /** Points that were damaged and are whole again. */
  healedPoints: string[];
}

export async function verifyRepository(repo: Repository, opts: VerifyOptions): Promise<VerifyReport> {
  const { signal } = opts;
  const percent = opts.percent ?? 100;
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`verify percentage must be in (0, 100], not ${percent}`);
  const run = repo.catalog.startRun('verify', repo.now());
  let report: VerifyReport | undefined;
  try {
    // Pass 1: manifests, indexes, and the set of referenced chunks.
    const points = repo.listPoints();
    const digests = new Set<string>();
    const pointProblems: VerifyReport['pointProblems'] = [];
    const pointsSound: string[] = [];
    for (const p of points) {
      try {
        await repo.readManifest(p.id, signal);
        for (const d of repo.catalog.pointDisks(p.id)) {
          const index = await repo.loadIndex(d.indexKey, d.indexSha256, signal);
          for (const hex of index.distinctDigests()) digests.add(hex);
        }
        pointsSound.push(p.id);
      } catch (err) {
        if (!isStoreError(err)) throw err;
        pointProblems.push({ pointId: p.id, detail: err.message });
      }
    }
    const all = [...digests];
    const sample = percent >= 100 ? all : pickSample(all, Math.ceil((all.length * percent) / 100), repo);

    // Pass 2: the chunks, in parallel through the codec workers.
    const found: Array<Omit<ChunkProblem, 'points' | 'quarantinedAs'>> = [];
    const healthy: string[] = [];
    let checked = 0;
    let bytes = 0;
    await forEachBounded(sample, opts.concurrency ?? 8, signal, async (hex, sig) => {
      try {
        const length = await repo.chunks().verify(hex, digestFromHex(hex), sig);
        bytes += length;
        healthy.push(hex);
      } catch (err) {
        if (isStoreError(err, 'chunk-corrupt')) found.push({ digest: hex, problem: 'corrupt', detail: err.message });
        else if (isStoreError(err, 'object-not-found')) found.push({ digest: hex, problem: 'missing', detail: `chunk ${hex} is missing` });
        else throw err;
      }
      checked++;
      opts.onProgress?.(checked, sample.length);
    });

    // Pass 3, only when something is wrong: which points reference the damaged chunks.
    const affected = new Map<string, string[]>(found.map((f) => [f.digest, []]));
    if (found.length > 0) {
      for (const p of points) {
        for (const d of repo.catalog.pointDisks(p.id)) {
          const index = await repo.loadIndex(d.indexKey, d.indexSha256, signal).catch(() => undefined);
          if (!index) continue;
          const refs = index.distinctDigests();
          for (const [digest, list] of affected) if (refs.has(digest) && !list.includes(p.id)) list.push(p.id);
        }
      }
    }
    const problems: ChunkProblem[] = found
      .map((f): ChunkProblem => ({ ...f, points: affected.get(f.digest) ?? [], quarantinedAs: null }))
      .sort((a, b) => a.digest.localeCompare(b.digest));
    const now = repo.now();
    const rows: DamageRow[] = problems.map((p) => ({ digest: p.digest, problem: p.problem, detail: p.detail, foundAt: now }));
    // Recorded before anything is moved: from here on backups write these chunks anew.
    repo.catalog.recordDamage(rows, run, affected);
    repo.catalog.setDamaged(pointProblems.map((p) => p.pointId), true);
    for (const p of problems) if (p.problem === 'corrupt') p.quarantinedAs = await quarantineIfCorrupt(repo, p.digest, signal);
    const previouslyDamaged = new Set(repo.catalog.listDamage().map((d) => d.digest));
    const repaired = healthy.filter((h) => previouslyDamaged.has(h) && !affected.has(h));
    if (repaired.length > 0) repo.catalog.clearDamage(repaired);
    const healedPoints = repo.catalog.clearHealedPoints(pointsSound).sort();
    const damagedPoints = [...new Set([...problems.flatMap((p) => p.points), ...pointProblems.map((p) => p.pointId)])].sort();
    report = {
      points: points.length,
      chunksReferenced: all.length,
      chunksChecked: checked,
      bytesChecked: bytes,
      problems,
      pointProblems,
      damagedPoints,
      healedPoints,
    };
    return report;
  } finally {
    const summary = report
      ? {
          percent,
          checked: report.chunksChecked,
          problems: report.problems.length,
          quarantined: report.problems.filter((p) => p.quarantinedAs !== null).length,
          damagedPoints: report.damagedPoints.length,
          healedPoints: report.healedPoints.length,
        }
      : {};
    repo.catalog.finishRun(run, repo.now(), report ? (report.damagedPoints.length > 0 ? 'damage' : 'ok') : 'failed', summary);
  }
}

/**
 * Moves a corrupt chunk's object aside and returns its quarantine key. The chunk is checked once
 * more first: a backup may have written a good copy since this run found it corrupt, and that
 * copy must stay. Null when there is nothing (left) to move.
 */
async function quarantineIfCorrupt(repo: Repository, hex: string, signal: AbortSignal): Promise<string | null> {
  try {
    await repo.chunks().verify(hex, digestFromHex(hex), signal);
    return null;
  } catch (err) {
    if (isStoreError(err, 'object-not-found')) return null;
    if (!isStoreError(err, 'chunk-corrupt')) throw err;
  }
  try {
    return await repo.backend.quarantine(chunkKey(hex), signal);
  } catch (err) {
    if (isStoreError(err, 'object-not-found')) return null;
    throw err;
  }
}

/** A uniform random sample of k items (partial Fisher–Yates), driven by the repository's randomness. */
function pickSample<T>(items: T[], k: number, repo: Repository): T[] {
  const a = items.slice();
  const bytes = Buffer.from(repo.random(4 * k));
  for (let i = 0; i < k; i++) {
    const j = i + (bytes.readUInt32LE(4 * i) % (a.length - i));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a.slice(0, k);
}
