// Crash safety: `lifeline repo ingest` killed with SIGKILL at random moments. After every kill the
// repository opens with no partial restore point visible, no temporary file left, every committed
// point intact; in the end every committed point restores to exactly the image it was taken from.
import { readdir } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { FileDiskWriter } from '../../plugin-server/src/store/engine/file-disk.js';
import { initRepository, Repository } from '../../plugin-server/src/store/repository.js';
import { restoreDisk } from '../../plugin-server/src/store/engine/restore.js';
import { verifyRepository } from '../../plugin-server/src/store/maintenance/verify.js';
import { lastLine, lifeline, spawnLifeline } from './cli-process.js';
import { MiB, never, patchFile, pseudoRandom, sha256File, tempDir, writeImage } from './store-fixtures.js';

/** Kills that must land while the process still runs; runs that finish first do not count. */
const KILLS = 20;
const MAX_RUNS = 45;

/** A small seeded generator, so a failing run can be repeated. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crash safety of ingest', () => {
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('crash');
  });
  afterAll(async () => {
    await dir.remove();
  });

  it(`leaves a consistent repository after ${KILLS} SIGKILLs at random moments of ingest`, async () => {
    const seed = Number(process.env['LIFELINE_CRASH_SEED'] ?? Date.now() % 100000);
    const random = mulberry32(seed);
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: false }, never);
    const image = join(dir.path, 'disk.img');
    const size = 32 * MiB;
    await writeImage(image, size, (i) => (i % 5 === 4 ? { kind: 'zero' } : i % 5 === 3 ? { kind: 'text' } : { kind: 'random', seed: i }));

    // Kills aim at the work itself: the parent watches the catalog (read-only, as another
    // process may) for the pending point the child registers, then kills at a random moment of
    // the time a whole run takes from there, biased towards the end where the commit happens.
    // A quarter of the kills land earlier, during start-up and crash recovery.
    const catalog = new Database(join(repoDir, 'catalog.db'), { readonly: true, fileMustExist: true });
    const pending = catalog.prepare("SELECT COUNT(*) AS n FROM repo_points WHERE state = 'pending'");
    const hasPending = () => (pending.get() as { n: number }).n > 0;
    const run = async (vm: string, kill: { early?: number; work?: number }) => {
      const child = spawnLifeline(['repo', 'ingest', '--repo', repoDir, '--vm', vm, '--disk', image, '--retain-days', '1']);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      let exitCode: number | null | undefined;
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { exitCode = code; resolve(code); }));
      const t0 = performance.now();
      let seenAt: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      if (kill.early !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.early);
      else {
        while (exitCode === undefined && !hasPending()) await new Promise((r) => setTimeout(r, 2));
        seenAt = performance.now();
        if (exitCode === undefined && kill.work !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.work);
      }
      const code = await exited;
      clearTimeout(timer);
      return { code, stderr, startMs: (seenAt ?? t0) - t0, workMs: performance.now() - (seenAt ?? t0) };
    };

    const calibration = await run('vm-0', {});
    expect(calibration.code).withContext(calibration.stderr).toBe(0);
    let startMs = calibration.startMs;
    let workMs = calibration.workMs;
    const expected = new Map<string, string>([['vm-0', await sha256File(image)]]);

    let killedMidway = 0;
    let runs = 0;
    for (let i = 1; killedMidway < KILLS && i <= MAX_RUNS; i++) {
      runs = i;
      // New content in every chunk each time, so that every run does the same amount of work.
      for (let c = 0; c < size / (4 * MiB); c++) {
        await patchFile(image, c * 4 * MiB + Math.floor(random() * 3 * MiB), pseudoRandom(seed * 1000 + i * 16 + c, 64 * 1024));
      }
      expected.set(`vm-${i}`, await sha256File(image));
      const early = random() < 0.25;
      const r = await run(`vm-${i}`, early ? { early: random() * startMs } : { work: workMs * (0.2 + 0.9 * Math.sqrt(random())) });
      if (r.code === null) killedMidway++;
      else {
        expect(r.code).withContext(`run ${i} exited by itself: ${r.stderr}`).toBe(0);
        if (!early) {
          startMs = r.startMs;
          workMs = r.workMs;
        }
      }

      // Reopening recovers; what is visible must be whole.
      const repo = await Repository.open(repoDir, {}, never);
      try {
        expect(repo.catalog.listPoints({ states: ['pending', 'deleting'] })).withContext(`run ${i}`).toEqual([]);
        expect(repo.catalog.listWriters()).toEqual([]);
        expect(await readdir(join(repoDir, '.tmp'))).withContext(`temporary files after run ${i}`).toEqual([]);
        for (const p of repo.listPoints()) {
          await repo.readManifest(p.id, never);
          for (const d of repo.pointDisks(p.id)) await repo.openIndex(p.id, d.disk, never);
        }
      } finally {
        await repo.close();
      }
    }
    catalog.close();
    expect(killedMidway).withContext(`seed ${seed}, ${runs} runs`).toBe(KILLS);

    // Ingest still works, and every committed point verifies and restores to its image.
    const last = await lifeline(['repo', 'ingest', '--repo', repoDir, '--vm', 'after', '--disk', image]);
    expect(last.code).withContext(last.stderr).toBe(0);
    expected.set('after', await sha256File(image));
    const repo = await Repository.open(repoDir, {}, never);
    try {
      const report = await verifyRepository(repo, { signal: never });
      expect(report.problems).withContext(`seed ${seed}`).toEqual([]);
      expect(report.damagedPoints).toEqual([]);
      const points = repo.listPoints();
      expect(points.length).toBeGreaterThanOrEqual(2);
      for (const p of points) {
        const index = await repo.openIndex(p.id, 0, never);
        const out = join(dir.path, 'restored.img');
        const writer = await FileDiskWriter.create(out, index.capacity);
        await restoreDisk({ index, source: repo.chunks(), writer, signal: never, zeroSlots: 'skip' });
        await writer.close(false);
        expect(await sha256File(out)).withContext(`${p.vmName} (seed ${seed})`).toBe(expected.get(p.vmName) ?? 'unknown VM');
      }
      const ids = new Set(points.map((p) => p.id));
      expect(ids.has(lastLine(last.stdout))).toBe(true);
    } finally {
      await repo.close();
    }
  }, 540_000);
});
