// Several images ingested into one repository at once, sharing chunks — within one process and
// from several processes — must all restore exactly, with shared chunks stored once.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileDiskReader } from '../../plugin-server/src/store/engine/file-disk.js';
import { PointWriter } from '../../plugin-server/src/store/engine/point-writer.js';
import { initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { repositoryStats } from '../../plugin-server/src/store/maintenance/stats.js';
import { lastLine, lifeline } from './cli-process.js';
import { MiB, never, restoredSha, tempDir, writeImage } from './store-fixtures.js';

async function chunkCount(repoDir: string): Promise<number> {
  return (await readdir(join(repoDir, 'chunks'), { recursive: true })).filter((n) => /[0-9a-f]{64}$/.test(n)).length;
}

describe('concurrent ingest into one repository', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const images: Array<{ path: string; sha: string }> = [];

  beforeAll(async () => {
    dir = await tempDir('concurrent');
    // Four VMs cloned from one template: chunks 0-3 equal everywhere, 4-5 their own.
    for (let v = 0; v < 4; v++) {
      const path = join(dir.path, `vm${v}.img`);
      const sha = await writeImage(path, 24 * MiB, (i) => (i < 16 ? { kind: 'random', seed: i } : { kind: 'random', seed: 1000 * (v + 1) + i }));
      images.push({ path, sha });
    }
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('in one process: four backups at once, two disks each', async () => {
    const repoDir = join(dir.path, 'in-process');
    await initRepository(repoDir, { encrypt: true, passphrase: 'concurrency test', scrypt: { N: 1024, r: 8, p: 1 } }, never);
    const repo = await Repository.open(repoDir, { passphrase: 'concurrency test' }, never);
    try {
      const ids = await Promise.all(
        images.map(async (img, v) => {
          const w = await PointWriter.begin(repo, { vm: { id: `vm${v}`, name: `vm${v}` }, consistency: 'crash' }, never);
          const readers = await Promise.all([FileDiskReader.open(img.path), FileDiskReader.open(images[(v + 1) % 4]?.path ?? '')]);
          try {
            await Promise.all(readers.map((reader, disk) => w.ingestDisk({ disk, capacity: reader.capacity, reader }, never)));
          } finally {
            await Promise.all(readers.map((r) => r.close()));
          }
          return (await w.commit(never)).id;
        }),
      );
      for (const [v, id] of ids.entries()) {
        expect(await restoredSha(repo, id, join(dir.path, 'r.img'), 0)).toBe(images[v]?.sha ?? '');
        expect(await restoredSha(repo, id, join(dir.path, 'r.img'), 1)).toBe(images[(v + 1) % 4]?.sha ?? '');
      }
      // 4 template chunks + 2 of each VM's own.
      expect(await chunkCount(repoDir)).toBe(4 + 4 * 2);
      expect((await repositoryStats(repo, never)).dedupRatio).toBeCloseTo((8 * 24) / (16 + 4 * 8), 5);
    } finally {
      await repo.close();
    }
  }, 180_000);

  it('from several processes at once through the command line', async () => {
    const repoDir = join(dir.path, 'processes');
    expect((await lifeline(['repo', 'init', '--repo', repoDir])).code).toBe(0);
    const results = await Promise.all(images.map((img, v) => lifeline(['repo', 'ingest', '--repo', repoDir, '--vm', `vm${v}`, '--disk', img.path])));
    for (const r of results) expect(r.code).withContext(r.stderr).toBe(0);
    const repo = await Repository.open(repoDir, {}, never);
    try {
      for (const [v, r] of results.entries()) {
        expect(await restoredSha(repo, lastLine(r.stdout), join(dir.path, 'p.img'), 0)).toBe(images[v]?.sha ?? '');
      }
      expect(await chunkCount(repoDir)).toBe(4 + 4 * 2);
      expect(await readdir(join(repoDir, '.locks'))).toEqual([]);
    } finally {
      await repo.close();
    }
  }, 180_000);
});
