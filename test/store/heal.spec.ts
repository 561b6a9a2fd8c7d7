import { randomBytes } from 'node:crypto';
import { chmod, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { collectGarbage } from '../../plugin-server/src/store/maintenance/gc.js';
import { FileDiskWriter } from '../../plugin-server/src/store/engine/file-disk.js';
import { restoreDisk } from '../../plugin-server/src/store/engine/restore.js';
import type { DiskSource } from '../../plugin-server/src/store/engine/point-writer.js';
import { chunkLockUntil, DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { digestHex } from '../../plugin-server/src/store/chunks/digest.js';
import { ingestImage, MiB, restoredSha, sha256File, TestClock, never, patchFile, tempDir, writeImage } from './store-fixtures.js';

const RETAIN_DAYS = 7;

/** Backs up an image file as a point of `vm`, a minute after the last; `changed` makes it incremental (or allocated). */
async function ingest(repo: Repository, clock: TestClock, vm: string, file: string, changed?: DiskSource['changed']): Promise<{ id: string; newChunks: number }> {
  clock.advance(60_000);
  const { point, result } = await ingestImage(repo, vm, file, { retainDays: RETAIN_DAYS, changed });
  return { id: point.id, newChunks: result.newChunks };
}

async function chunkOf(repo: Repository, pointId: string, slot: number): Promise<{ hex: string; key: string; path: string }> {
  const index = await repo.openIndex(pointId, 0, never);
  const hex = digestHex(index.digest(slot));
  const key = `chunks/${hex.slice(0, 2)}/${hex}`;
  return { hex, key, path: join(repo.dir, key) };
}

/** Flips bytes in the middle of a chunk file the way bit rot would: in place, its lock (mtime) untouched. */
async function rot(path: string): Promise<Buffer> {
  const before = await stat(path);
  await chmod(path, 0o644);
  const size = before.size;
  const at = Math.floor(size / 2);
  const old = (await readFile(path)).subarray(at, at + 16);
  await patchFile(path, at, Buffer.from(old.map((b) => b ^ 0x5a)));
  await chmod(path, 0o444);
  await utimes(path, before.atime, before.mtime);
  return readFile(path);
}

describe('damaged restore points heal', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: TestClock;
  let repo: Repository;
  /** Sampling follows the repository's randomness; all zeros makes verify sample the first chunks of the first point. */
  let zeroRandom = false;

  beforeEach(async () => {
    dir = await tempDir('heal');
    clock = new TestClock();
    zeroRandom = false;
    await initRepository(join(dir.path, 'repo'), { encrypt: false, clock }, never);
    repo = await Repository.open(join(dir.path, 'repo'), { clock, random: (n) => (zeroRandom ? new Uint8Array(n) : randomBytes(n)) }, never);
  });
  afterEach(async () => {
    await repo.close();
    await dir.remove();
  });

  async function image(): Promise<{ path: string; sha: string }> {
    const path = join(dir.path, 'disk.img');
    const sha = await writeImage(path, 16 * MiB, (i) => ({ kind: 'random', seed: i }));
    return { path, sha };
  }

  it('quarantines a corrupt chunk, writes it again on the next backup of the data, and clears the damage', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const bad = await chunkOf(repo, p1, 1);
    const lock = (await repo.backend.stat(bad.key, never))?.retainUntil ?? 0;
    expect(lock).toBe(chunkLockUntil(repo.getPoint(p1).retainUntil));
    const rotten = await rot(bad.path);

    const found = await verifyRepository(repo, { signal: never });
    expect(found.problems.map((p) => [p.digest, p.problem, p.points, p.quarantinedAs])).toEqual([[bad.hex, 'corrupt', [p1], `${bad.key}.bad`]]);
    expect(repo.getPoint(p1).damaged).toBe(true);
    // Moved aside, not deleted: the same bytes, still locked, and the key free for a good copy.
    expect(await repo.backend.stat(bad.key, never)).toBeNull();
    expect(Buffer.from(await repo.backend.get(`${bad.key}.bad`, never)).equals(rotten)).toBe(true);
    expect((await repo.backend.stat(`${bad.key}.bad`, never))?.retainUntil).toBe(lock);
    await expectAsync(repo.backend.delete(`${bad.key}.bad`, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));

    // The same data again (the base point is p1, whose index names the damaged chunk).
    const p2 = await ingest(repo, clock, 'vm', img.path);
    expect(p2.newChunks).toBe(1);

    const healed = await verifyRepository(repo, { signal: never });
    expect(healed.problems).toEqual([]);
    expect(healed.healedPoints).toEqual([p1]);
    expect(repo.getPoint(p1).damaged).toBe(false);
    expect(repo.getPoint(p2.id).damaged).toBe(false);
    expect(repo.catalog.listDamage()).toEqual([]);
    expect(await restoredSha(repo, p1, join(dir.path, 'out.img'))).toBe(img.sha);
    expect(await restoredSha(repo, p2.id, join(dir.path, 'out.img'))).toBe(img.sha);
  });

  it('writes a missing chunk again on the next backup of the data and clears the damage', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const gone = await chunkOf(repo, p1, 2);
    await rm(gone.path);

    const found = await verifyRepository(repo, { signal: never });
    expect(found.problems.map((p) => [p.digest, p.problem, p.points, p.quarantinedAs])).toEqual([[gone.hex, 'missing', [p1], null]]);
    expect(repo.getPoint(p1).damaged).toBe(true);

    const p2 = await ingest(repo, clock, 'vm', img.path);
    expect(p2.newChunks).toBe(1);
    const healed = await verifyRepository(repo, { signal: never });
    expect(healed.problems).toEqual([]);
    expect(healed.healedPoints).toEqual([p1]);
    expect(repo.getPoint(p1).damaged).toBe(false);
    expect(await restoredSha(repo, p1, join(dir.path, 'out.img'))).toBe(img.sha);
  });

  it('leaves the damage of a chunk a sampled verify did not check, and clears it once a verify checks it', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const gone = await chunkOf(repo, p1, 3);
    await rm(gone.path);
    await verifyRepository(repo, { signal: never });
    await ingest(repo, clock, 'vm', img.path);

    // A quarter of the four chunks with zero randomness: the chunk of slot 0 only.
    zeroRandom = true;
    const sample = await verifyRepository(repo, { percent: 25, signal: never });
    zeroRandom = false;
    expect(sample.chunksChecked).toBe(1);
    expect(sample.healedPoints).toEqual([]);
    expect(repo.getPoint(p1).damaged).toBe(true);
    expect(repo.catalog.listDamage().map((d) => d.digest)).toEqual([gone.hex]);

    const full = await verifyRepository(repo, { signal: never });
    expect(full.healedPoints).toEqual([p1]);
    expect(repo.getPoint(p1).damaged).toBe(false);
  });

  it('backs up in full on a base whose index is damaged, and refuses an incremental on it', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const indexPath = join(repo.dir, repo.pointDisks(p1)[0]?.indexKey ?? 'none');
    await rot(indexPath);
    const found = await verifyRepository(repo, { signal: never });
    expect(found.pointProblems.map((p) => p.pointId)).toEqual([p1]);

    const incremental = await ingest(repo, clock, 'vm', img.path, { since: p1, areas: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStoreError(incremental, 'index-invalid')).withContext(String(incremental)).toBe(true);
    const p2 = await ingest(repo, clock, 'vm', img.path);
    expect(repo.getPoint(p2.id).parentId).toBe(p1);
    expect(await restoredSha(repo, p2.id, join(dir.path, 'out.img'))).toBe(img.sha);
    // The damaged index cannot heal: p1 stays damaged, p2 is sound.
    const again = await verifyRepository(repo, { signal: never });
    expect(again.damagedPoints).toEqual([p1]);
    expect(repo.getPoint(p2.id).damaged).toBe(false);
  });

  it('marks the base damaged when an incremental finds a carried-over chunk gone, and the next incremental heals it', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const gone = await chunkOf(repo, p1, 2);
    await rm(gone.path);

    // Nothing changed since p1: every slot would be carried over, the missing chunk with them.
    const failed = await ingest(repo, clock, 'vm', img.path, { since: p1, areas: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStoreError(failed, 'object-not-found')).withContext(String(failed)).toBe(true);
    expect((failed as Error).message).toContain(`chunk ${gone.hex} is missing`);
    expect((failed as Error).message).toContain(`restore point ${p1}`);
    expect(repo.getPoint(p1).damaged).toBe(true);
    expect(repo.listPoints().map((p) => p.id)).toEqual([p1]);

    const p2 = await ingest(repo, clock, 'vm', img.path, { since: p1, areas: [] });
    expect(p2.newChunks).toBe(1);
    expect(await restoredSha(repo, p1, join(dir.path, 'out.img'))).toBe(img.sha);
    expect(await restoredSha(repo, p2.id, join(dir.path, 'out.img'))).toBe(img.sha);
    const healed = await verifyRepository(repo, { signal: never });
    expect(healed.problems).toEqual([]);
    expect(healed.healedPoints).toEqual([p1]);
    expect(repo.getPoint(p1).damaged).toBe(false);
  });

  it('GC removes a quarantined copy only once its lock has passed, and never the chunk written again', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const bad = await chunkOf(repo, p1, 3);
    await rot(bad.path);
    await verifyRepository(repo, { signal: never });
    await ingest(repo, clock, 'vm', img.path);

    const early = await collectGarbage(repo, { graceMs: 0, signal: never });
    expect([early.swept, early.keptLocked]).toEqual([0, 1]);
    expect(await repo.backend.stat(`${bad.key}.bad`, never)).not.toBeNull();

    clock.advance((RETAIN_DAYS + 2) * DAY_MS);
    const late = await collectGarbage(repo, { graceMs: 0, signal: never });
    expect([late.swept, late.quarantinedSwept]).toEqual([1, 1]);
    expect(await repo.backend.stat(`${bad.key}.bad`, never)).toBeNull();
    expect(await restoredSha(repo, p1, join(dir.path, 'out.img'))).toBe(img.sha);
  });

  it('a point recovered after a crash whose chunk vanished meanwhile opens committed and damaged, and heals', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const gone = await chunkOf(repo, p1, 0);
    // What a crash between the manifest and the catalog's commit leaves: a pending row, no writer.
    repo.catalog.setPointState(p1, 'pending');
    await rm(gone.path);
    await repo.close();

    repo = await Repository.open(join(dir.path, 'repo'), { clock }, never);
    expect(repo.getPoint(p1).damaged).toBe(true);
    expect(repo.catalog.listDamage().map((d) => [d.digest, d.problem])).toEqual([[gone.hex, 'missing']]);
    await ingest(repo, clock, 'vm', img.path);
    const healed = await verifyRepository(repo, { signal: never });
    expect(healed.healedPoints).toEqual([p1]);
    expect(await restoredSha(repo, p1, join(dir.path, 'out.img'))).toBe(img.sha);
  });

  it('a restore that meets a corrupt or missing chunk fails naming it and marks the point damaged; the next backup and verify heal it', async () => {
    const img = await image();
    const p1 = (await ingest(repo, clock, 'vm', img.path)).id;
    const bad = await chunkOf(repo, p1, 1);
    const gone = await chunkOf(repo, p1, 0);
    await rot(bad.path);
    const restore = async (): Promise<unknown> => {
      const index = await repo.openIndex(p1, 0, never);
      const writer = await FileDiskWriter.create(join(dir.path, 'out.img'), index.capacity);
      try {
        await restoreDisk({ index, source: repo.pointChunks(p1), writer, signal: never, zeroSlots: 'skip', concurrency: 1 });
        return undefined;
      } catch (err) {
        return err;
      } finally {
        await writer.close(false);
      }
    };
    const err = await restore();
    expect(isStoreError(err, 'chunk-corrupt')).withContext(String(err)).toBeTrue();
    expect(String(err)).toContain(bad.hex);
    expect(repo.getPoint(p1).damaged).toBe(true);
    expect(repo.catalog.listDamage().map((d) => [d.digest, d.problem])).toEqual([[bad.hex, 'corrupt']]);
    // The same for a chunk that is gone (slot 0: met before the corrupt one).
    await rm(gone.path);
    const missing = await restore();
    expect(isStoreError(missing, 'object-not-found')).withContext(String(missing)).toBeTrue();
    expect(repo.catalog.listDamage().map((d) => d.digest).sort()).toEqual([bad.hex, gone.hex].sort());

    await ingest(repo, clock, 'vm', img.path);
    const healed = await verifyRepository(repo, { signal: never });
    expect(healed.problems).toEqual([]);
    expect(healed.healedPoints).toEqual([p1]);
    expect(await restore()).toBeUndefined();
    expect(await sha256File(join(dir.path, 'out.img'))).toBe(img.sha);
  });
});
