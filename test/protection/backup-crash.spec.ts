// Killing the server in the middle of a backup: the backup runs in a child process (a Lifeline
// server reduced to one job) that is SIGKILLed while it reads. Reopening the store shows no
// partial point; restarting the job runner marks the job interrupted and its clean-up removes the
// snapshot the dead process left behind.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createJobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { createBackupJobHandler } from '../../plugin-server/src/protection/index.js';
import { initRepository, Repository } from '../../plugin-server/src/store/index.js';
import { connectVcenter } from '../../plugin-server/src/vsphere/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { fillDisk, lifelineSnapshots, MiB, never, policy } from './backup-fixture.js';

const DISK = 128 * MiB;

describe('backup killed mid-read', () => {
  let sim: Vcsim;
  let dir: string;

  beforeAll(async () => {
    sim = await startVcsim({ vms: 1, disks: 1, diskSize: DISK, cbt: true });
    dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-crash-'));
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves no partial point, marks the job interrupted and removes the orphaned snapshot at restart', async () => {
    const vm = sim.vms[0];
    const disk = vm?.disks[0];
    if (!vm || !disk) throw new Error('the simulator made no VM disk');
    await fillDisk(disk.path, DISK, 9);
    const repoDir = join(dir, 'repo');
    await initRepository(repoDir, { encrypt: false }, never);
    const jobsDb = join(dir, 'jobs.db');

    const child = spawn(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), 'backup-crash-child.js'),
        JSON.stringify({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password, repoDir, db: jobsDb, vcenterGuid: sim.instanceUuid, vm: vm.moref, readDelayMs: 100 }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    const jobId = await new Promise<string>((resolve, reject) => {
      lines.once('line', (l) => resolve((JSON.parse(l) as { jobId: string }).jobId));
      child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });

    // Kill once the point is pending (reading has begun) and a few ranges have been read.
    const catalog = new Database(join(repoDir, 'catalog.db'), { readonly: true, fileMustExist: true });
    const pending = catalog.prepare("SELECT COUNT(*) AS n FROM repo_points WHERE state = 'pending'");
    const deadline = Date.now() + 20_000;
    while ((pending.get() as { n: number }).n === 0) {
      if (Date.now() > deadline) throw new Error(`the backup never started reading: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 400));
    const watcher = await vcenter();
    expect(await lifelineSnapshots(watcher, vm.moref)).toEqual([`lifeline-${jobId}`]);
    watcher.close();
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    catalog.close();

    // The store: recovery at open discards the pending point of the dead writer.
    const repo = await Repository.open(repoDir, {}, never);
    try {
      expect(repo.listPoints({ states: ['pending', 'committed'] })).toEqual([]);

      // The runner: interrupted, and the clean-up removes the snapshot.
      const vc = await vcenter();
      const db = new Database(jobsDb);
      const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 } });
      const pol = policy('crash-test', { consistency: 'crash' });
      runner.register('backup', createBackupJobHandler({ repository: repo, policies: { getPolicy: () => pol }, vcenters: { vcenter: () => Promise.resolve(vc) }, clock: systemClock }));
      const report = await runner.start();
      expect(report.interrupted).toEqual([jobId]);
      expect(report.cleanedUp).toEqual([jobId]);
      const job = runner.get(jobId);
      expect(job.state).toBe('interrupted');
      expect(job.cleanup).toBe('done');
      expect(job.checkpoint).toEqual(jasmine.objectContaining({ snapshotName: `lifeline-${jobId}` }));
      expect(await lifelineSnapshots(vc, vm.moref)).toEqual([]);
      await runner.stop();
      db.close();
      vc.close();
    } finally {
      await repo.close();
    }
  }, 180_000);

  function vcenter() {
    return connectVcenter({ url: sim.url, thumbprint: sim.thumbprint, user: sim.username, password: sim.password });
  }
});
