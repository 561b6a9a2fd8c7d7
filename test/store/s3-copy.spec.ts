/**
 * Copies of restore points on object storage (store/object-copy.ts), on a real (throwaway) Ceph
 * cluster: only the chunks the copy lacks are uploaded, in their stored form, locked for the
 * copy's own retention, and the copy restores byte for byte on its own, with the local store gone.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { manifestKey } from '../../plugin-server/src/store/engine/manifest.js';
import { copyPoint, ensureObjectCopy, initObjectCopy, openObjectCopy, pruneCopy } from '../../plugin-server/src/store/object-copy.js';
import { DAY_MS, initRepository, prepareS3Location, Repository } from '../../plugin-server/src/store/repository.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { FAST_SCRYPT, ingestImage, MiB, never, restoredSha, TestClock, tempDir, writeImage } from './store-fixtures.js';

const PASS = 'copy to object storage';

describe('copy of restore points to object storage (Ceph RGW)', () => {
  const ceph = useCephCluster();
  let dir: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    dir = await tempDir('s3copy');
  });
  afterEach(async () => {
    await dir.remove();
  });

  async function chunkKeys(bucket: string): Promise<string[]> {
    const out = await ceph().client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'archive/chunks/' }));
    return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  it("uploads only the chunks the copy lacks, in stored form, locked for the copy's retention, and restores from the copy byte for byte with the local store gone", async () => {
    const clock = new TestClock();
    const { credentials } = ceph();
    const localDir = join(dir.path, 'local');
    await initRepository(localDir, { encrypt: true, passphrase: PASS, scrypt: FAST_SCRYPT, clock, chunkSize: MiB }, never);
    const local = await Repository.open(localDir, { passphrase: PASS, clock }, never);
    const copyDir = join(dir.path, 'copy');
    let copy: Repository | undefined;
    let shaA = '';
    let shaB = '';
    try {
      const a = join(dir.path, 'a.img');
      const b = join(dir.path, 'b.img');
      shaA = await writeImage(a, 8 * MiB, (i) => (i === 7 ? { kind: 'zero' } : { kind: 'random', seed: i }));
      shaB = await writeImage(b, 8 * MiB, (i) => (i === 7 ? { kind: 'zero' } : { kind: 'random', seed: i < 5 ? i : 100 + i }));
      const p1 = (await ingestImage(local, 'vm-1', a, { retainDays: 1 })).point;
      clock.advance(3_600_000);
      const p2 = (await ingestImage(local, 'vm-1', b, { retainDays: 1 })).point;

      await initObjectCopy(copyDir, local, ceph().location('archive-1', 'archive/'), { passphrase: PASS, s3Credentials: credentials, scrypt: FAST_SCRYPT, clock }, never);
      copy = await openObjectCopy(copyDir, local, { s3Credentials: credentials }, never);

      const r1 = await copyPoint(local, copy, p1.id, { minRetainDays: 30, signal: never });
      expect(r1).toEqual(jasmine.objectContaining({ present: false, chunks: 7, chunksSent: 7 }));
      expect((await chunkKeys('archive-1')).length).toBe(7);
      // The second point shares five chunks with the first: only its two new ones go up.
      const before = await chunkKeys('archive-1');
      const r2 = await copyPoint(local, copy, p2.id, { minRetainDays: 30, signal: never });
      expect(r2).toEqual(jasmine.objectContaining({ present: false, chunks: 7, chunksSent: 2 }));
      const after = await chunkKeys('archive-1');
      expect(after.length).toBe(9);
      expect(after.filter((k) => !before.includes(k)).length).toBe(2);
      // Copying again sends nothing.
      expect(await copyPoint(local, copy, p2.id, { minRetainDays: 30, signal: never })).toEqual(jasmine.objectContaining({ present: true, chunksSent: 0, bytesSent: 0 }));
      expect((await chunkKeys('archive-1')).length).toBe(9);

      // In the stored form: the object in the bucket is the local store's chunk object, byte for byte.
      const key = after[0]!;
      const got = await ceph().client.send(new GetObjectCommand({ Bucket: 'archive-1', Key: key }));
      const inBucket = Buffer.from(await got.Body!.transformToByteArray());
      expect(inBucket.equals(Buffer.from(await readFile(join(localDir, key.slice('archive/'.length)))))).toBeTrue();

      // The copy's own, longer retention, enforced by the server; the local point keeps its day.
      const head = await ceph().client.send(new HeadObjectCommand({ Bucket: 'archive-1', Key: `archive/${manifestKey(p1.id)}` }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(p1.createdAt + 30 * DAY_MS);
      expect(copy.getPoint(p1.id).retainUntil).toBe(p1.createdAt + 30 * DAY_MS);
      expect(local.getPoint(p1.id).retainUntil).toBe(p1.retainUntil);
      await copy.close();
      copy = undefined;
    } finally {
      await copy?.close();
      await local.close();
    }

    // The local store is gone; the copy opens with the passphrase alone and restores both points.
    await rm(localDir, { recursive: true, force: true });
    const alone = await Repository.open(copyDir, { passphrase: PASS, clock, s3Credentials: credentials }, never);
    try {
      const points = alone.listPoints({ vmId: 'vm-1' }).map((p) => p.id);
      expect(points.length).toBe(2);
      const [newest, oldest] = points as [string, string];
      expect(await restoredSha(alone, oldest, join(dir.path, 'out-a.img'))).toBe(shaA);
      expect(await restoredSha(alone, newest, join(dir.path, 'out-b.img'))).toBe(shaB);
    } finally {
      await alone.close();
    }
  });

  it('finishes a set-up an earlier run left half done, and refuses what it cannot finish with an error naming what to change', async () => {
    const clock = new TestClock();
    const { credentials } = ceph();
    const localDir = join(dir.path, 'local');
    await initRepository(localDir, { encrypt: true, passphrase: PASS, scrypt: FAST_SCRYPT, clock, chunkSize: MiB }, never);
    const local = await Repository.open(localDir, { passphrase: PASS, clock }, never);
    const copyDir = join(dir.path, 'copy');
    const loc = ceph().location('archive-2', 'archive/');
    const opts = { passphrase: PASS, s3Credentials: credentials, scrypt: FAST_SCRYPT, clock };
    try {
      const a = join(dir.path, 'a.img');
      const sha = await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 40 + i }));
      const p = (await ingestImage(local, 'vm-1', a, { retainDays: 1 })).point;

      // Credentials the storage refuses: the error says so and names copyS3; nothing is left to clear.
      const wrong = ensureObjectCopy(copyDir, local, loc, { ...opts, s3Credentials: { ...credentials, secretAccessKey: 'not-the-secret' } }, never);
      await expectAsync(wrong).toBeRejectedWith(jasmine.objectContaining({ code: 'backend-refused', message: jasmine.stringMatching(/refused the copy's credentials .*copyS3/) }));

      // The bucket made and the location noted, then the run stopped: no key file, catalog or config.
      await prepareS3Location(copyDir, loc, { ...opts, encrypt: true, requireObjectLock: true }, never);
      await expectAsync(openObjectCopy(copyDir, local, { s3Credentials: credentials }, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'not-a-repository' }));
      const copy = await ensureObjectCopy(copyDir, local, loc, opts, never);
      try {
        expect((await copyPoint(local, copy, p.id, { minRetainDays: 30, signal: never })).chunksSent).toBe(4);
        expect(await restoredSha(copy, p.id, join(dir.path, 'out.img'))).toBe(sha);
      } finally {
        await copy.close();
      }
      // Opened again, it is the same copy.
      const again = await ensureObjectCopy(copyDir, local, loc, opts, never);
      expect(again.catalog.getPoint(p.id)?.state).toBe('committed');
      await again.close();

      // The directory kept for another location, and a location holding someone else's objects.
      await expectAsync(ensureObjectCopy(copyDir, local, ceph().location('archive-2', 'elsewhere/'), opts, never)).toBeRejectedWith(
        jasmine.objectContaining({ code: 'not-a-repository', message: jasmine.stringMatching(/keeps the copy in s3:\/\/archive-2\/archive\/.*but copyS3 names s3:\/\/archive-2\/elsewhere\//) }),
      );
      await ceph().client.send(new PutObjectCommand({ Bucket: 'archive-2', Key: 'other/notes.txt', Body: 'not ours' }));
      await expectAsync(ensureObjectCopy(join(dir.path, 'copy-other'), local, ceph().location('archive-2', 'other/'), opts, never)).toBeRejectedWith(
        jasmine.objectContaining({ code: 'not-a-repository', message: jasmine.stringMatching(/not empty.*name another bucket or prefix in copyS3/) }),
      );
    } finally {
      await local.close();
    }
  });

  it("deletes a point from the copy once its lock there has run out, never one still locked, and GC leaves locked chunks to the storage server's lock", async () => {
    // The local store's clock starts a day less 12 seconds ago: a point kept one day is unlocked
    // 12 seconds from now, in the storage server's real time too.
    const clock = new TestClock(Date.now() - DAY_MS + 12_000);
    const { credentials } = ceph();
    const localDir = join(dir.path, 'local');
    await initRepository(localDir, { encrypt: true, passphrase: PASS, scrypt: FAST_SCRYPT, clock, chunkSize: MiB }, never);
    const local = await Repository.open(localDir, { passphrase: PASS, clock }, never);
    const copyDir = join(dir.path, 'copy');
    let copy: Repository | undefined;
    try {
      const a = join(dir.path, 'a.img');
      const b = join(dir.path, 'b.img');
      await writeImage(a, 4 * MiB, (i) => ({ kind: 'random', seed: 60 + i }));
      const shaB = await writeImage(b, 4 * MiB, (i) => ({ kind: 'random', seed: i < 2 ? 60 + i : 80 + i }));
      const short = (await ingestImage(local, 'vm-1', a, { retainDays: 1 })).point;
      const long = (await ingestImage(local, 'vm-1', b, { retainDays: 1 })).point;
      copy = await ensureObjectCopy(copyDir, local, ceph().location('archive-3', 'archive/'), { passphrase: PASS, s3Credentials: credentials, scrypt: FAST_SCRYPT, clock }, never);
      // The first keeps its own day in the copy; the second is locked there for 30 days.
      expect((await copyPoint(local, copy, short.id, { minRetainDays: 0, signal: never })).retainUntil).toBe(short.retainUntil);
      await copyPoint(local, copy, long.id, { minRetainDays: 30, signal: never });

      // While both are locked, pruning deletes nothing.
      expect(await pruneCopy(copy, { vmId: 'vm-1', signal: never })).toEqual({ pointsDeleted: [], pointsKept: 2, gc: null });

      // Once the first point's lock has passed (on the storage server's clock too), it goes.
      while (Date.now() <= short.retainUntil + 2000) await new Promise((r) => setTimeout(r, 250));
      clock.t = Date.now();
      const pruned = await pruneCopy(copy, { vmId: 'vm-1', signal: never, gcGraceMs: 0 });
      expect(pruned.pointsDeleted).toEqual([short.id]);
      expect(pruned.pointsKept).toBe(1);
      expect(copy.listPoints({ vmId: 'vm-1' }).map((p) => p.id)).toEqual([long.id]);
      const manifests = await ceph().client.send(new ListObjectsV2Command({ Bucket: 'archive-3', Prefix: `archive/points/${short.id}` }));
      expect(manifests.Contents ?? []).toEqual([]);
      // Its two chunks of its own are no longer referenced, but their lock (rounded up to whole
      // days) has not passed: GC keeps them, as the storage server would refuse their delete.
      expect(pruned.gc).toEqual(jasmine.objectContaining({ swept: 0, keptLocked: 2, keptReferenced: 4 }));
      const own = (await chunkKeys('archive-3')).length;
      expect(own).toBe(6);
      // The point still locked restores from the copy.
      expect(await restoredSha(copy, long.id, join(dir.path, 'out.img'))).toBe(shaB);
    } finally {
      await copy?.close();
      await local.close();
    }
  });
});
