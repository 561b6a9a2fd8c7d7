// A backup store whose file system fills up, on a real one: a small tmpfs mounted for the suite
// (the suites run as root). What an administrator relies on: a write that finds no room fails
// with 'store-full' naming the problem, no partial restore point becomes visible, no temporary
// file is left, committed points still restore byte for byte, and with a reserve set new points
// stop before the file system is full, leaving room for maintenance.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, rmdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { exportReplicaSeed, initReplicaRepository } from '../../plugin-server/src/store/replica.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { replicatePoint } from '../../plugin-server/src/replication/index.js';
import { linkTo } from '../replication/sites.js';
import { FAST_SCRYPT, ingestImage, MiB, never, restoredSha, TestClock, tempDir, writeImage } from './store-fixtures.js';

const run = promisify(execFile);
const FS_MiB = 40;

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'resolved', message: '' };
  } catch (err) {
    return isStoreError(err) ? { code: err.code, message: err.message } : { code: 'other', message: String(err) };
  }
}

describe('repository: a full file system', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let mountPoint: string;
  let repoDir: string;
  const clock = new TestClock();

  let small: string;
  let big: string;
  let smallSum: string;

  const mount = async (): Promise<void> => {
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${FS_MiB}m,mode=0700`, 'tmpfs', mountPoint]);
    } catch (err) {
      throw new Error(`this suite mounts a ${FS_MiB} MiB tmpfs and must run as root: ${String(err)}`);
    }
  };

  beforeAll(async () => {
    dir = await tempDir('store-full');
    mountPoint = join(dir.path, 'fs');
    repoDir = join(mountPoint, 'repo');
    await mkdir(mountPoint);
    small = join(dir.path, 'small.img');
    big = join(dir.path, 'big.img');
    smallSum = await writeImage(small, 8 * MiB, (i) => ({ kind: 'random', seed: 100 + i }));
    await writeImage(big, 64 * MiB, (i) => ({ kind: 'random', seed: 200 + i }));
  });

  // Each spec gets an empty file system: chunks a failed write leaves stay locked for their
  // retention, like any other.
  beforeEach(async () => {
    await mount();
    await initRepository(repoDir, { encrypt: true, passphrase: 'full store', scrypt: FAST_SCRYPT, clock }, never);
  });

  afterEach(async () => {
    await run('umount', [mountPoint]);
  });

  afterAll(async () => {
    await rmdir(mountPoint).catch(() => undefined);
    await dir?.remove();
  });

  const free = async (): Promise<number> => {
    const s = await statfs(mountPoint);
    return s.bavail * s.bsize;
  };
  /** Files under the repository's chunks folder (none before a first chunk made it). */
  const chunkFiles = async (): Promise<number> => (await readdir(join(repoDir, 'chunks'), { recursive: true }).catch(() => [])).length;
  const open = (reserveBytes?: number) => Repository.open(repoDir, { passphrase: 'full store', clock, codecThreads: 2, reserveBytes }, never);

  it('fails a write that finds no room with store-full, shows no partial point, leaves no temporary file, and keeps what was committed', async () => {
    const repo = await open();
    try {
      const kept = (await ingestImage(repo, 'vm-kept', small)).point;
      const f = await failure(ingestImage(repo, 'vm-big', big));
      expect(f.code).withContext(f.message).toBe('store-full');
      expect(f.message).toContain('file system of the backup store is full');
      expect(repo.listPoints().map((p) => p.id)).toEqual([kept.id]);
      expect(repo.listPoints({ states: ['pending'] })).toEqual([]);
      expect(await readdir(join(repoDir, '.tmp'))).toEqual([]);
      expect(await restoredSha(repo, kept.id, join(dir.path, 'restored.img'))).toBe(smallSum);
    } finally {
      await repo.close();
    }
    // Reopened (recovery runs), the store is as it was.
    const again = await open();
    try {
      expect(again.listPoints().map((p) => p.vmId)).toEqual(['vm-kept']);
    } finally {
      await again.close();
    }
  });

  it('with a reserve, refuses a new point below it and stops one being written before the file system fills', async () => {
    const reserve = 16 * MiB;
    const repo = await open(reserve);
    try {
      const f = await failure(ingestImage(repo, 'vm-big', big));
      expect(f.code).withContext(f.message).toBe('store-full');
      expect(f.message).toMatch(/has [\d.]+ MiB free of [\d.]+ MiB(, and the writes under way would leave [\d.]+ (MiB|KiB|B))?, less than the 16\.0 MiB kept free for maintenance/);
      expect(repo.listPoints()).toEqual([]);
      // It stopped before the reserve, the chunks in flight included: room was held for each before it was written.
      expect(await free()).toBeGreaterThanOrEqual(reserve);
    } finally {
      await repo.close();
    }
    const refused = await open((await free()) + MiB);
    try {
      const chunksBefore = await chunkFiles();
      const f = await failure(ingestImage(refused, 'vm-small', small));
      expect(f.code).withContext(f.message).toBe('store-full');
      expect(await chunkFiles()).toBe(chunksBefore);
      expect(refused.listPoints()).toEqual([]);
    } finally {
      await refused.close();
    }
  });

  it("with a reserve, stops a replication into a DR site's replica before the reserve and shows no partial point there", async () => {
    // Site A's repository on an ordinary file system; its replica at the DR site on the small one.
    const sourceDir = join(dir.path, 'source');
    const replicaDir = join(mountPoint, 'replica');
    await initRepository(sourceDir, { encrypt: true, passphrase: 'source passphrase', scrypt: FAST_SCRYPT, clock }, never);
    const source = await Repository.open(sourceDir, { passphrase: 'source passphrase', clock }, never);
    try {
      const seed = await exportReplicaSeed(source, 'transfer secret', never, { scrypt: FAST_SCRYPT });
      await initReplicaRepository(replicaDir, seed, { transferSecret: 'transfer secret', passphrase: 'replica passphrase', source: 'site A', scrypt: FAST_SCRYPT }, never);
      const point = (await ingestImage(source, 'vm-big', big)).point;
      const reserve = 16 * MiB;
      const replica = await Repository.open(replicaDir, { passphrase: 'replica passphrase', clock, reserveBytes: reserve }, never);
      try {
        // The offer finds more room than the reserve; the 64 MiB of chunks then take more than is left.
        expect(await free()).toBeGreaterThan(reserve);
        const f = await failure(replicatePoint(source, point.id, linkTo(replica), { signal: never }));
        expect(f.code).withContext(f.message).toBe('store-full');
        expect(f.message).toContain('kept free for maintenance');
        expect(replica.listPoints()).toEqual([]);
        expect(await free()).toBeGreaterThanOrEqual(reserve);
      } finally {
        await replica.close();
      }
    } finally {
      await source.close();
      await rm(sourceDir, { recursive: true, force: true });
    }
  });

  it('reports the file system size and free room', async () => {
    const repo = await open(5 * MiB);
    try {
      const space = await repo.space(never);
      expect(space?.totalBytes).toBe(FS_MiB * MiB);
      expect(Math.abs((space?.freeBytes ?? 0) - (await free()))).toBeLessThan(MiB);
      expect(repo.reserveBytes).toBe(5 * MiB);
    } finally {
      await repo.close();
    }
  });
});
