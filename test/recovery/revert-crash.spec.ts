// Killing the server in the middle of a revert: the revert runs in a child process (a Lifeline
// server reduced to one job) that is SIGKILLed at a chosen step. The VM never lacks a disk, and
// restarting the job runner on the same state database rolls the revert back (killed while
// uploading or between two disk swaps) or finishes it (killed while powering the reverted VM on).
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createJobRunner } from '../../plugin-server/src/jobs/index.js';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { silentLogger } from '../../plugin-server/src/log/index.js';
import { createRestoreJobHandler, SqliteRecoveryStore } from '../../plugin-server/src/recovery/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { MiB } from '../protection/backup-fixture.js';
import { attachedDiskHashes, backUpEveryVm, diskHashes, diskLayout, lifelineFolders, recoverySuite, waitJob, type RecoveryHarness } from './recovery-fixture.js';

const DISK = 16 * MiB;
type Step = 'upload' | 'swap-2' | 'power-on';

describe('revert killed midway', () => {
  const suite = recoverySuite({ vms: 3, disks: 2, diskSize: DISK }, 'revert-crash');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let points: Map<string, string>;
  let backedUp: Map<string, string[]>;
  let current: Map<string, string[]>;
  const ref = suite.ref;

  beforeAll(async () => {
    ({ sim, h } = suite);
    ({ points, backedUp, current } = await backUpEveryVm(h, sim, DISK, { backedUp: 300, current: 700 }));
  }, 540_000);

  /** Runs the revert in a child, kills it at `step`, restarts a runner on its database. */
  async function killAt(vm: VcsimVm, step: Step, dbFile: string): Promise<{ jobId: string; restart: () => Promise<{ store: SqliteRecoveryStore; close: () => Promise<void> }> }> {
    const child = spawn(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), 'revert-crash-child.js'),
        JSON.stringify({
          url: sim.url,
          thumbprint: sim.thumbprint,
          user: sim.username,
          password: sim.password,
          repoDir: join(h.dir, 'repo'),
          db: dbFile,
          vcenterGuid: sim.instanceUuid,
          vm: vm.moref,
          pointId: points.get(vm.moref),
          stallAt: step,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    let jobId = '';
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (l) => {
        const msg = JSON.parse(l) as { jobId?: string; stalled?: string; state?: string };
        if (msg.jobId) jobId = msg.jobId;
        if (msg.stalled === step) resolve();
        if (msg.state) reject(new Error(`the revert ended (${msg.state}) before reaching ${step}`));
      });
      child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    // At the moment of the kill the VM has all its disks.
    expect((await h.vc.getVm(vm.moref)).disks.length).toBe(vm.disks.length);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    return {
      jobId,
      restart: async () => {
        const db = new Database(dbFile);
        const runner = createJobRunner(db, { clock: systemClock, random: () => 0.5, log: silentLogger, limits: { global: 2 } });
        const store = new SqliteRecoveryStore(db, systemClock);
        runner.register('restore', createRestoreJobHandler({ repository: h.repo, vcenters: { vcenter: () => Promise.resolve(h.vc) }, store }));
        const report = await runner.start();
        expect(report.interrupted).toEqual([jobId]);
        expect(report.cleanedUp).withContext(runner.readLog(jobId).map((l) => l.message).join('\n')).toEqual([jobId]);
        return {
          store,
          close: async () => {
            await runner.stop();
            db.close();
          },
        };
      },
    };
  }

  for (const [i, step] of (['upload', 'swap-2'] as const).entries()) {
    it(`rolls back a revert killed at ${step}: the VM's own disks, bytes and power state as before, no file left`, async () => {
      const vm = sim.vms[i] as VcsimVm;
      const before = await diskLayout(h, vm.moref);
      const dbFile = join(h.dir, `state-${step}.db`);
      const { restart } = await killAt(vm, step, dbFile);
      const { store, close } = await restart();
      try {
        expect(await diskLayout(h, vm.moref)).toEqual(before);
        expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
        expect((await h.vc.getVm(vm.moref)).powerState).toBe('poweredOn');
        expect(store.getRevert(ref(vm))).toBeUndefined();
        expect(await lifelineFolders(sim)).toEqual([]);
      } finally {
        await close();
      }
    }, 270_000);
  }

  it('finishes a revert killed while powering the reverted VM on', async () => {
    const vm = sim.vms[2] as VcsimVm;
    const dbFile = join(h.dir, 'state-power-on.db');
    const { jobId, restart } = await killAt(vm, 'power-on', dbFile);
    const { store, close } = await restart();
    try {
      const info = await h.vc.getVm(vm.moref);
      expect(info.powerState).toBe('poweredOn');
      expect(info.disks.every((d) => d.fileName.includes(`lifeline-restore-${jobId}/`))).toBeTrue();
      expect(await attachedDiskHashes(h, sim, vm.moref)).toEqual(backedUp.get(vm.moref) as string[]);
      expect(store.getRevert(ref(vm))?.state).toBe('reverted');
      expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
    } finally {
      await close();
    }
    // The finished revert can be cancelled like any other: moved into the suite's state database.
    const db = new Database(dbFile);
    const rec = new SqliteRecoveryStore(db, systemClock).getRevert(ref(vm));
    db.close();
    if (!rec) throw new Error('no revert recorded');
    h.store.putRevert(rec);
    const cancel = await waitJob(h, (await h.service.cancelRevert(ref(vm), true, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(cancel.state).toBe('succeeded');
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
    expect(await lifelineFolders(sim)).toEqual([]);
  }, 270_000);
});
