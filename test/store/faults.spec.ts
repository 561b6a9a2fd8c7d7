// Failures injected under the repository (FaultyBackend): nothing half-done may become visible,
// damaged bytes are never returned, and the repository works again once the fault is gone.
import { join } from 'node:path';
import { FaultyBackend } from '../../plugin-server/src/store/testing.js';
import { FileDiskReader, FileDiskWriter } from '../../plugin-server/src/store/engine/file-disk.js';
import { collectGarbage } from '../../plugin-server/src/store/maintenance/gc.js';
import { PointWriter } from '../../plugin-server/src/store/engine/point-writer.js';
import { DAY_MS, initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { restoreDisk } from '../../plugin-server/src/store/engine/restore.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { MiB, TestClock, never, sha256File, tempDir, writeImage } from './store-fixtures.js';

describe('repository under injected backend faults', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let faulty: FaultyBackend;
  let repo: Repository;
  let image: string;
  let sha: string;
  const clock = new TestClock();

  beforeEach(async () => {
    dir = await tempDir('faults');
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: 'faults everywhere', scrypt: { N: 1024, r: 8, p: 1 }, clock }, never);
    repo = await Repository.open(repoDir, {
      passphrase: 'faults everywhere',
      clock,
      wrapBackend: (b) => {
        faulty = new FaultyBackend(b);
        return faulty;
      },
    }, never);
    image = join(dir.path, 'disk.img');
    sha = await writeImage(image, 20 * MiB, (i) => (i % 4 === 3 ? { kind: 'text' } : { kind: 'random', seed: i }));
  });
  afterEach(async () => {
    await repo.close();
    await dir.remove();
  });

  async function backup(vm: string): Promise<string> {
    const reader = await FileDiskReader.open(image);
    const w = await PointWriter.begin(repo, { vm: { id: vm, name: vm }, consistency: 'crash' }, never);
    try {
      await w.ingestDisk({ disk: 0, capacity: reader.capacity, reader }, never);
      return (await w.commit(never)).id;
    } catch (err) {
      await w.abort(never);
      throw err;
    } finally {
      await reader.close();
    }
  }

  async function restore(id: string): Promise<string> {
    const index = await repo.openIndex(id, 0, never);
    const out = join(dir.path, 'out.img');
    const writer = await FileDiskWriter.create(out, index.capacity);
    try {
      await restoreDisk({ index, source: repo.chunks(), writer, signal: never, zeroSlots: 'skip' });
    } finally {
      await writer.close(false);
    }
    return sha256File(out);
  }

  for (const [label, fault] of [
    ['a chunk write', { op: 'put', match: /^chunks\//, times: 1 }],
    ['the index write', { op: 'put', match: /\.fidx$/, times: 1 }],
    ['the manifest write', { op: 'put', match: /manifest$/, times: 1 }],
    ['a lock at commit', { op: 'lock', match: /\.fidx$/, times: 1 }],
  ] as const) {
    it(`shows no restore point when ${label} fails, and the next backup succeeds`, async () => {
      faulty.inject(fault);
      await expectAsync(backup('vm')).toBeRejected();
      expect(repo.listPoints()).toEqual([]);
      expect(repo.catalog.listPoints({ states: ['pending'] })).toEqual([]);
      const id = await backup('vm');
      expect(await restore(id)).toBe(sha);
    });
  }

  it('refuses to return a chunk that comes back damaged', async () => {
    const id = await backup('vm');
    faulty.inject({ op: 'get', match: /^chunks\//, times: 1, corrupt: true });
    let err: unknown;
    try {
      await restore(id);
    } catch (e) {
      err = e;
    }
    expect(isStoreError(err, 'chunk-corrupt')).toBe(true);
    expect(await restore(id)).toBe(sha);
  });

  it('stops GC before sweeping when an index cannot be read, and deletes nothing referenced', async () => {
    const keep = await backup('vm');
    clock.advance(8 * DAY_MS);
    faulty.inject({ op: 'get', match: /\.fidx$/, times: 1 });
    await expectAsync(collectGarbage(repo, { graceMs: 0, signal: never })).toBeRejected();
    expect(faulty.calls.delete).toBe(0);
    const gc = await collectGarbage(repo, { graceMs: 0, signal: never });
    expect(gc.swept).toBe(0);
    expect(await restore(keep)).toBe(sha);
  });
});
