/**
 * A repository on S3 with Object Lock, on a real (throwaway) Ceph cluster: backup, verify,
 * immutability against Lifeline and against the same credentials through the S3 API, prune and
 * GC, and a radosgw killed in the middle of a backup.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Backend } from '../../plugin-server/src/store/backend/backend.js';
import { collectGarbage } from '../../plugin-server/src/store/maintenance/gc.js';
import { prune } from '../../plugin-server/src/store/maintenance/prune.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { manifestKey } from '../../plugin-server/src/store/engine/manifest.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { lastLine, lifeline } from './cli-process.js';
import { ingestImage, MiB, never, restoredSha, TestClock, tempDir, writeImage } from './store-fixtures.js';

describe('repository on S3 with Object Lock (Ceph RGW)', () => {
  const ceph = useCephCluster();
  let dir: { path: string; remove: () => Promise<void> };
  let bucketNo = 0;

  beforeEach(async () => {
    dir = await tempDir('s3repo');
  });
  afterEach(async () => {
    await dir.remove();
  });

  async function makeRepo(clock: TestClock, wrapBackend?: (b: Backend) => Backend): Promise<{ repo: Repository; bucket: string }> {
    const bucket = `repo-${++bucketNo}`;
    const { credentials } = ceph();
    const path = join(dir.path, 'repo');
    await initRepository(path, { encrypt: false, clock, s3: ceph().location(bucket, 'lifeline/'), s3Credentials: credentials }, never);
    const repo = await Repository.open(path, { clock, s3Credentials: credentials, ...(wrapBackend ? { wrapBackend } : {}) }, never);
    return { repo, bucket };
  }

  async function keysIn(bucket: string, prefix: string): Promise<string[]> {
    const out = await ceph().client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  }

  it('backs up into the bucket, verifies, keeps a locked point from Lifeline and from the S3 API with the same credentials, and restores it byte for byte', async () => {
    const clock = new TestClock();
    const { repo, bucket } = await makeRepo(clock);
    try {
      const image = join(dir.path, 'a.img');
      const sha = await writeImage(image, 20 * MiB, (i) => (i % 5 === 0 ? { kind: 'zero' } : i % 3 === 0 ? { kind: 'text' } : { kind: 'random', seed: i }));
      const { point } = await ingestImage(repo, 'vm-1', image, { retainDays: 7 });
      // The objects are in the bucket; the directory keeps the catalog and the note of the location.
      expect((await keysIn(bucket, 'lifeline/chunks/')).length).toBeGreaterThan(0);
      expect(await keysIn(bucket, `lifeline/points/${point.id}/`)).toContain(`lifeline/${manifestKey(point.id)}`);
      expect((await readdir(join(dir.path, 'repo'))).filter((n) => !n.startsWith('catalog.db'))).toEqual(['backend.json']);
      const report = await verifyRepository(repo, { signal: never });
      expect(report.problems).toEqual([]);

      await expectAsync(repo.deletePoint(point.id, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
      // Straight through the S3 API with Lifeline's own credentials: the server refuses.
      const key = `lifeline/${manifestKey(point.id)}`;
      const head = await ceph().client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ObjectLockRetainUntilDate?.getTime()).toBeGreaterThanOrEqual(point.retainUntil);
      await expectAsync(ceph().client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: head.VersionId }))).toBeRejectedWith(
        jasmine.objectContaining({ name: 'AccessDenied' }),
      );
      const chunk = (await keysIn(bucket, 'lifeline/chunks/'))[0]!;
      const chunkHead = await ceph().client.send(new HeadObjectCommand({ Bucket: bucket, Key: chunk }));
      await expectAsync(ceph().client.send(new DeleteObjectCommand({ Bucket: bucket, Key: chunk, VersionId: chunkHead.VersionId }))).toBeRejectedWith(
        jasmine.objectContaining({ name: 'AccessDenied' }),
      );
      // The backend's own delete is refused too, with our error code.
      await expectAsync(repo.backend.delete(manifestKey(point.id), never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
      expect(await restoredSha(repo, point.id, join(dir.path, 'out.img'))).toBe(sha);
    } finally {
      await repo.close();
    }
  });

  it('prunes points past their retain-until and GC sweeps their chunks from the bucket', async () => {
    // The server judges retention by its own clock, which cannot be moved: the points are made
    // with a clock two days back, so that their locks (chunks: to the next whole day) have run
    // out on the server by the time the clock is moved to now.
    const now = Date.now();
    const clock = new TestClock(Math.floor(now / DAY_MS) * DAY_MS - DAY_MS);
    if (clock.t + DAY_MS + 3_600_000 > now) clock.t -= DAY_MS;
    const { repo, bucket } = await makeRepo(clock);
    try {
      const a = join(dir.path, 'a.img');
      const b = join(dir.path, 'b.img');
      await writeImage(a, 16 * MiB, (i) => ({ kind: 'random', seed: i < 8 ? i : 100 + i }));
      const shaB = await writeImage(b, 16 * MiB, (i) => ({ kind: 'random', seed: i < 8 ? i : 200 + i }));
      const p1 = (await ingestImage(repo, 'vm', a, { retainDays: 1 / 24 })).point.id;
      clock.advance(60_000);
      const p2 = (await ingestImage(repo, 'vm', b, { retainDays: 1 / 24 })).point.id;
      expect((await keysIn(bucket, 'lifeline/chunks/')).length).toBe(6);

      // Now, and a little later: GC spares objects created after its start, and an object's
      // creation time is the server's (the wall clock's), seconds ago.
      clock.t = Date.now() + 120_000;
      const pruned = await prune(repo, { last: 1 }, { dryRun: false, signal: never });
      expect(pruned.removed).toEqual([p1]);
      expect(await keysIn(bucket, `lifeline/points/${p1}/`)).toEqual([]);
      const gc = await collectGarbage(repo, { graceMs: 0, signal: never });
      expect(gc.swept).toBe(2);
      expect((await keysIn(bucket, 'lifeline/chunks/')).length).toBe(4);
      expect(await restoredSha(repo, p2, join(dir.path, 'out.img'))).toBe(shaB);
      expect((await verifyRepository(repo, { signal: never })).problems).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('creates a repository on S3 from the command line, refuses a bucket without Object Lock, and says in stats that it is object storage with Object Lock', async () => {
    const { cluster } = ceph();
    const creds = join(dir.path, 's3.json');
    await writeFile(creds, JSON.stringify({ accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey }), { mode: 0o600 });
    const s3 = ['--s3-endpoint', cluster.endpoint, '--s3-credentials-file', creds];
    await ceph().client.send(new CreateBucketCommand({ Bucket: 'cli-plain' }));
    const refused = await lifeline(['repo', 'init', '--repo', join(dir.path, 'plain'), '--backend', 's3://cli-plain/x', ...s3]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('has no Object Lock');
    const bad = await lifeline(['repo', 'init', '--repo', join(dir.path, 'bad'), '--backend', 's3://Upper/x', ...s3]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('not an S3 location');

    const repoDir = join(dir.path, 'cli');
    const init = await lifeline(['repo', 'init', '--repo', repoDir, '--backend', 's3://cli-locked/site-a', ...s3]);
    expect(init.stderr).toBe('');
    expect(init.stdout).toContain('its objects in s3://cli-locked/site-a/');
    const image = join(dir.path, 'c.img');
    await writeImage(image, 8 * MiB, (i) => ({ kind: 'random', seed: 900 + i }));
    const ingest = await lifeline(['repo', 'ingest', '--repo', repoDir, '--vm', 'vm-cli', '--disk', image]);
    expect(ingest.code).withContext(ingest.stderr).toBe(0);
    expect(await keysIn('cli-locked', `site-a/points/${lastLine(ingest.stdout)}/`)).toContain(`site-a/points/${lastLine(ingest.stdout)}/manifest`);
    const stats = await lifeline(['repo', 'stats', '--repo', repoDir]);
    expect(stats.stdout).toContain('object storage s3://cli-locked/site-a/');
    expect(stats.stdout).toContain('(no fixed capacity), Object Lock COMPLIANCE');
    expect(stats.stdout).not.toContain(cluster.secretAccessKey);
  });

  it('backs up into a bucket without Object Lock when that was waived, without asking the server for locks it cannot keep', async () => {
    const clock = new TestClock();
    const { credentials } = ceph();
    await ceph().client.send(new CreateBucketCommand({ Bucket: 'waived' }));
    const path = join(dir.path, 'waived');
    await expectAsync(initRepository(path, { encrypt: false, clock, s3: ceph().location('waived'), s3Credentials: credentials }, never)).toBeRejectedWith(
      jasmine.objectContaining({ code: 'backend-refused' }),
    );
    await initRepository(path, { encrypt: false, clock, s3: ceph().location('waived'), s3Credentials: credentials, requireObjectLock: false }, never);
    const repo = await Repository.open(path, { clock, s3Credentials: credentials }, never);
    try {
      expect(await repo.storage(never)).toEqual({ kind: 'object-storage', location: jasmine.stringContaining('s3://waived/') as unknown as string, lockMode: 'none' });
      const image = join(dir.path, 'w.img');
      const sha = await writeImage(image, 8 * MiB, (i) => ({ kind: 'random', seed: 700 + i }));
      const { point } = await ingestImage(repo, 'vm-w', image, { retainDays: 7 });
      // The catalog still holds the point back; the server holds nothing.
      await expectAsync(repo.deletePoint(point.id, never)).toBeRejectedWith(jasmine.objectContaining({ code: 'retention-locked' }));
      const head = await ceph().client.send(new HeadObjectCommand({ Bucket: 'waived', Key: manifestKey(point.id) }));
      expect(head.ObjectLockMode).toBeUndefined();
      expect(await restoredSha(repo, point.id, join(dir.path, 'out.img'))).toBe(sha);
    } finally {
      await repo.close();
    }
  });

  it('leaves no partial point when radosgw is killed in the middle of a backup, and the next backup completes', async () => {
    const clock = new TestClock();
    let puts = 0;
    let killed: Promise<void> | undefined;
    const killer = (inner: Backend): Backend =>
      new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop === 'put') {
            return async (...args: Parameters<Backend['put']>) => {
              if (args[0].startsWith('chunks/') && ++puts === 3) killed = ceph().cluster.killRgw();
              if (killed) await killed;
              return target.put(...args);
            };
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    const { repo, bucket } = await makeRepo(clock, killer);
    try {
      const image = join(dir.path, 'a.img');
      const sha = await writeImage(image, 24 * MiB, (i) => ({ kind: 'random', seed: 500 + i }));
      const failed = await ingestImage(repo, 'vm-k', image, { retainDays: 7 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isStoreError(failed, 'backend-io')).withContext(String(failed)).toBeTrue();
      await ceph().cluster.startRgw();
      expect(repo.listPoints()).toEqual([]);
      expect(await keysIn(bucket, 'lifeline/points/')).toEqual([]);

      const { point } = await ingestImage(repo, 'vm-k', image, { retainDays: 7 });
      expect(repo.listPoints().map((p) => p.id)).toEqual([point.id]);
      expect(await restoredSha(repo, point.id, join(dir.path, 'out.img'))).toBe(sha);
    } finally {
      await repo.close();
    }
  });
});
