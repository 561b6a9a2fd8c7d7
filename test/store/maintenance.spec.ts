import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectGarbage } from '../../plugin-server/src/store/maintenance/gc.js';
import { prune } from '../../plugin-server/src/store/maintenance/prune.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { repositoryStats } from '../../plugin-server/src/store/maintenance/stats.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { digestHex } from '../../plugin-server/src/store/chunks/digest.js';
import { ingestImage, MiB, restoredSha, TestClock, never, tempDir, writeImage } from './store-fixtures.js';

const ingest = async (repo: Repository, vm: string, file: string, retainDays: number): Promise<string> => (await ingestImage(repo, vm, file, { retainDays })).point.id;

async function chunkFile(repo: Repository, pointId: string, slot: number): Promise<{ hex: string; path: string }> {
  const index = await repo.openIndex(pointId, 0, never);
  const hex = digestHex(index.digest(slot));
  return { hex, path: join(repo.dir, 'chunks', hex.slice(0, 2), hex) };
}

describe('repository maintenance', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: TestClock;
  let repo: Repository;

  beforeEach(async () => {
    dir = await tempDir('maint');
    clock = new TestClock();
    await initRepository(join(dir.path, 'repo'), { encrypt: false, clock }, never);
    repo = await Repository.open(join(dir.path, 'repo'), { clock }, never);
  });
  afterEach(async () => {
    await repo.close();
    await dir.remove();
  });

  it('prunes expired points by the keep rules, and GC then reclaims only chunks nothing references', async () => {
    const a = join(dir.path, 'a.img');
    const b = join(dir.path, 'b.img');
    // a and b share their first 8 MiB (two chunks); each has two chunks of its own.
    await writeImage(a, 16 * MiB, (i) => ({ kind: 'random', seed: i < 8 ? i : 100 + i }));
    const shaB = await writeImage(b, 16 * MiB, (i) => ({ kind: 'random', seed: i < 8 ? i : 200 + i }));
    const p1 = await ingest(repo, 'vm', a, 1);
    clock.advance(3_600_000);
    const p2 = await ingest(repo, 'vm', b, 1);

    const dry = await prune(repo, { last: 1 }, { dryRun: true, signal: never });
    expect(dry.plan.map((d) => [d.id, d.mark])).toEqual([[p2, 'keep'], [p1, 'protected']]);

    clock.advance(3 * DAY_MS);
    const wet = await prune(repo, { last: 1 }, { dryRun: false, signal: never });
    expect(wet.removed).toEqual([p1]);
    expect(repo.listPoints().map((p) => p.id)).toEqual([p2]);

    const gc = await collectGarbage(repo, { graceMs: 0, signal: never });
    expect(gc.referencedChunks).toBe(4);
    expect(gc.swept).toBe(2);
    expect(gc.keptReferenced).toBe(4);
    expect(await restoredSha(repo, p2, join(dir.path, 'out.img'))).toBe(shaB);
    const stats = await repositoryStats(repo, never);
    expect(stats.uniqueChunks).toBe(4);
    expect(stats.unreferencedChunks).toBe(0);
  });

  it('never sweeps a chunk that is still locked or was touched after the cutoff', async () => {
    const a = join(dir.path, 'a.img');
    await writeImage(a, 8 * MiB, (i) => ({ kind: 'random', seed: i }));
    const p = await ingest(repo, 'vm', a, 2);
    const { path } = await chunkFile(repo, p, 0);
    // The point goes (past its retention) but its chunks keep their day-rounded lock a little longer.
    clock.advance(2 * DAY_MS + 1);
    await repo.deletePoint(p, never);
    const early = await collectGarbage(repo, { graceMs: 0, signal: never });
    expect(early.swept).toBe(0);
    expect(early.keptLocked).toBe(2);
    expect((await readFile(path)).length).toBeGreaterThan(0);
    clock.advance(2 * DAY_MS);
    // A long grace keeps the unlocked orphans; none then.
    expect((await collectGarbage(repo, { graceMs: 30 * DAY_MS, signal: never })).keptRecent).toBe(2);
    expect((await collectGarbage(repo, { graceMs: 0, signal: never })).swept).toBe(2);
  });

  it('runs GC while backups write, and every committed point still restores', async () => {
    // Orphans that the new backups will want again: a VM backed up, expired and deleted.
    const images: Array<{ path: string; sha: string }> = [];
    for (let v = 0; v < 4; v++) {
      const path = join(dir.path, `vm${v}.img`);
      // Half of each image is shared with the deleted point, half with the other VMs.
      const sha = await writeImage(path, 24 * MiB, (i) => ({ kind: 'random', seed: i < 12 ? i : 50 + ((i + v * 4) % 24) }));
      images.push({ path, sha });
    }
    const old = await ingest(repo, 'old', images[0]?.path ?? '', 0);
    clock.advance(2 * DAY_MS);
    await repo.deletePoint(old, never);

    const committed: Array<{ id: string; sha: string }> = [];
    let writing = true;
    const backups = (async () => {
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          images.map(async (img, v) => {
            const id = await ingest(repo, `vm${v}`, img.path, 1);
            committed.push({ id, sha: img.sha });
          }),
        );
      }
    })().finally(() => {
      writing = false;
    });
    let gcRuns = 0;
    while (writing) {
      await collectGarbage(repo, { graceMs: 0, signal: never });
      gcRuns++;
      await new Promise((r) => setTimeout(r, 5));
    }
    await backups;
    await collectGarbage(repo, { graceMs: 0, signal: never });
    expect(gcRuns).toBeGreaterThan(0);
    expect(committed.length).toBe(12);
    for (const c of committed) expect(await restoredSha(repo, c.id, join(dir.path, 'check.img'))).withContext(c.id).toBe(c.sha);
    const report = await verifyRepository(repo, { signal: never });
    expect(report.problems).toEqual([]);
  });

  it('verifies all or a sample of the chunks and marks the points that damage affects', async () => {
    const a = join(dir.path, 'a.img');
    const b = join(dir.path, 'b.img');
    await writeImage(a, 16 * MiB, (i) => ({ kind: 'random', seed: i }));
    await writeImage(b, 16 * MiB, (i) => ({ kind: 'random', seed: i < 12 ? i : 300 + i }));
    const pa = await ingest(repo, 'a', a, 7);
    const pb = await ingest(repo, 'b', b, 7);
    const clean = await verifyRepository(repo, { signal: never });
    expect(clean.chunksChecked).toBe(5);
    expect(clean.bytesChecked).toBe(20 * MiB);
    expect(clean.problems).toEqual([]);

    const sample = await verifyRepository(repo, { percent: 40, signal: never });
    expect(sample.chunksChecked).toBe(2);

    // Bit rot in a chunk both points share, and a chunk of a alone gone missing.
    const shared = await chunkFile(repo, pa, 0);
    await chmod(shared.path, 0o644);
    const bytes = await readFile(shared.path);
    bytes[5000] = (bytes[5000] ?? 0) ^ 0x40;
    await writeFile(shared.path, bytes);
    const own = await chunkFile(repo, pa, 3);
    await rm(own.path);

    const report = await verifyRepository(repo, { concurrency: 4, signal: never });
    expect(report.problems.map((p) => [p.digest, p.problem, p.points.sort()]).sort()).toEqual(
      [
        [shared.hex, 'corrupt', [pa, pb].sort()],
        [own.hex, 'missing', [pa]],
      ].sort(),
    );
    expect(report.damagedPoints).toEqual([pa, pb].sort());
    expect(repo.getPoint(pa).damaged).toBe(true);
    expect(repo.getPoint(pb).damaged).toBe(true);
    expect(repo.catalog.listDamage().map((d) => d.digest).sort()).toEqual([shared.hex, own.hex].sort());
  });

  it('accounts logical size, deduplication and compression', async () => {
    const a = join(dir.path, 'a.img');
    await writeImage(a, 12 * MiB, (i) => (i < 4 ? { kind: 'text' } : i < 8 ? { kind: 'zero' } : { kind: 'random', seed: i }));
    await ingest(repo, 'a', a, 7);
    await ingest(repo, 'b', a, 7);
    const s = await repositoryStats(repo, never);
    expect(s.points).toBe(2);
    expect(s.logicalBytes).toBe(24 * MiB);
    expect(s.dataBytes).toBe(16 * MiB);
    expect(s.uniqueBytes).toBe(8 * MiB);
    expect(s.dedupRatio).toBe(2);
    expect(s.compressionRatio).toBeGreaterThan(1.5);
  });
});
