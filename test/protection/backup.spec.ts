// The backup pipeline against the vCenter simulator, a real repository and the SQLite job runner:
// full and incremental backups restore byte for byte, only changed areas are read, every injected
// fault ends the job failed with no point and no snapshot, consistency is recorded as achieved,
// hooks run around the snapshot, and orphaned snapshots are swept.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HookError, ScriptHooks, type BackupHooks, type PostSnapshotOutcome } from '../../plugin-server/src/hooks/index.js';
import { StoreRestorePointSource, sweepOrphanSnapshots, type BackupResult } from '../../plugin-server/src/protection/index.js';
import { vmKey, type VmRef } from '../../plugin-server/src/domain/index.js';
import { DatastoreHttpError } from '../../plugin-server/src/vsphere/index.js';
import { startVcsim, type Vcsim, type VcsimVm } from '../vcsim/harness.js';
import { backup, fillDisk, jobLog, lifelineSnapshots, MiB, never, openHarness, policy, restoreToFile, seeded, sha256File, writeDisk, type Harness } from './backup-fixture.js';

const DISK = 64 * MiB;
const CHUNK = 4 * MiB;
const CBT_BLOCK = 64 * 1024;

describe('backup pipeline', () => {
  let sim: Vcsim;
  let h: Harness;
  const ref = (vm: VcsimVm): VmRef => ({ vcenterGuid: sim.instanceUuid, moref: vm.moref });
  const vmAt = (i: number): VcsimVm => {
    const vm = sim.vms[i];
    if (!vm) throw new Error(`no VM ${i}`);
    return vm;
  };
  const diskOf = (vm: VcsimVm, i = 0) => {
    const d = vm.disks[i];
    if (!d) throw new Error(`no disk ${i}`);
    return d;
  };
  const pointsOf = (vm: VcsimVm) => h.repo.listPoints({ vmId: vmKey(ref(vm)), states: ['committed', 'pending'] });

  beforeAll(async () => {
    sim = await startVcsim({ vms: 5, disks: 2, diskSize: DISK });
    h = await openHarness(sim, 'backup', { hookTimeoutMs: 2000 });
    h.policies.set('app', policy('app', { excludedDisks: [{ deviceKey: 2001 }] }));
    h.policies.set('app-or-crash', policy('app-or-crash', { onQuiesceFailure: 'crash-consistent', excludedDisks: [{ deviceKey: 2001 }] }));
    h.policies.set('crash', policy('crash', { consistency: 'crash' }));
    for (let i = 0; i < sim.vms.length; i++) await fillDisk(diskOf(vmAt(i)).path, DISK, i + 1);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });

  afterEach(async () => {
    h.wrapVcenter = null;
    h.faulty.clear();
    await sim.clearFaults();
  });

  it('backs up fully, then incrementally reading only the changed areas; every point restores byte for byte', async () => {
    const vm = vmAt(0);
    const disk = diskOf(vm);
    const before = await sha256File(disk.path);

    const first = await backup(h, ref(vm), 'app');
    expect(first.state).withContext(jobLog(h, first.id)).toBe('succeeded');
    const r1 = first.result as BackupResult;
    expect(r1.consistency).toBe('application');
    expect(r1.excludedDisks).toEqual([2001]);
    expect(r1.disks.map((d) => d.deviceKey)).toEqual([2000]);
    expect(r1.disks[0]?.mode).toBe('allocated');
    expect(jobLog(h, first.id)).toContain('change tracking is off');
    expect(h.repo.pointDisks(r1.pointId).map((d) => d.disk)).toEqual([2000]);
    expect(h.repo.pointDisks(r1.pointId)[0]?.changeId).toBe(r1.disks[0]?.changeId ?? 'missing');
    expect(await restoreToFile(h.repo, r1.pointId, 2000, join(h.dir, 'p1.img'))).toBe(before);
    expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);
    expect((await h.repo.readManifest(r1.pointId, never)).consistency).toBe('application');

    // Change 1% of the 64 KiB blocks (10 of 1024), falling in three 4 MiB slots.
    const changed = [0, 1, 2, 3, 40, 41, 42, 900, 901, 902];
    for (const b of changed) await writeDisk(disk.path, b * CBT_BLOCK, seeded(500 + b, CBT_BLOCK));
    const after = await sha256File(disk.path);
    await sim.callCounts(true);

    const second = await backup(h, ref(vm), 'app');
    expect(second.state).withContext(jobLog(h, second.id)).toBe('succeeded');
    const r2 = second.result as BackupResult;
    expect(r2.basePointId).toBe(r1.pointId);
    expect(r2.disks[0]?.mode).toBe('incremental');
    expect(r2.disks[0]?.changedBytes).toBe(changed.length * CBT_BLOCK);
    const slots = new Set(changed.map((b) => Math.floor((b * CBT_BLOCK) / CHUNK))).size;
    expect(r2.bytesRead).toBe(slots * CHUNK);
    expect(r2.disks[0]?.bytesRead).toBe(slots * CHUNK);
    const calls = await sim.callCounts();
    expect(calls['QueryChangedDiskAreas']).toBe(DISK / sim.cbtSpan);
    expect(calls['CreateSnapshot_Task']).toBe(1);
    expect(calls['RemoveSnapshot_Task']).toBe(1);

    expect(await restoreToFile(h.repo, r2.pointId, 2000, join(h.dir, 'p2.img'))).toBe(after);
    expect(await restoreToFile(h.repo, r1.pointId, 2000, join(h.dir, 'p1b.img'))).toBe(before);
    expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);

    // A CBT reset: vCenter refuses the recorded changeId, the backup falls back to a full read.
    await writeDisk(disk.path, 20 * MiB, seeded(777, MiB));
    const afterReset = await sha256File(disk.path);
    await sim.resetCbt(vm.moref);
    const third = await backup(h, ref(vm), 'app');
    expect(third.state).withContext(jobLog(h, third.id)).toBe('succeeded');
    const r3 = third.result as BackupResult;
    expect(r3.disks[0]?.mode).not.toBe('incremental');
    expect(jobLog(h, third.id)).toMatch(/full read/);
    expect(await restoreToFile(h.repo, r3.pointId, 2000, join(h.dir, 'p3.img'))).toBe(afterReset);

    // The scheduler's view: the newest good point.
    const last = await new StoreRestorePointSource(h.repo).lastGoodPoints([ref(vm), { vcenterGuid: sim.instanceUuid, moref: 'vm-none' }], never);
    expect(last.get(vmKey(ref(vm)))).toBe(h.repo.getPoint(r3.pointId).createdAt);
    expect(last.get(`${sim.instanceUuid}:vm-none`)).toBeNull();
  }, 180_000);

  it('says in the job log that a policy naming a replication site gets a replication job after the backup, and backs up', async () => {
    h.policies.set('to-site-b', policy('to-site-b', { consistency: 'crash', replicationSite: 'site-b' }));
    const job = await backup(h, ref(vmAt(3)), 'to-site-b');
    expect(job.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    expect(jobLog(h, job.id)).toMatch(/info: policy to-site-b names the replication site site-b: a replication job copies the new restore point there/);
  });

  it('falls back to a full read when QueryChangedDiskAreas refuses the changeId with FileFault', async () => {
    const vm = vmAt(4);
    const first = await backup(h, ref(vm), 'crash');
    expect(first.state).withContext(jobLog(h, first.id)).toBe('succeeded');
    await writeDisk(diskOf(vm).path, 5 * MiB, seeded(4242, MiB));
    const sum = await sha256File(diskOf(vm).path);
    await sim.injectFault({ method: 'QueryChangedDiskAreas', fault: 'FileFault', fields: { file: diskOf(vm).file }, moref: vm.moref });
    const second = await backup(h, ref(vm), 'crash');
    expect(second.state).withContext(jobLog(h, second.id)).toBe('succeeded');
    const r = second.result as BackupResult;
    const d = r.disks.find((x) => x.deviceKey === 2000);
    expect(d?.mode).toBe('allocated');
    expect(d?.reason).toContain('refused changeId');
    expect(jobLog(h, second.id)).toContain('allocated areas (full read)');
    // The second disk was not refused and stays incremental.
    expect(r.disks.find((x) => x.deviceKey === 2001)?.mode).toBe('incremental');
    expect(await restoreToFile(h.repo, r.pointId, 2000, join(h.dir, 'ff.img'))).toBe(sum);
  }, 120_000);

  describe('faults: the job fails with the cause, no restore point, no snapshot left', () => {
    let vm: VcsimVm;
    let posts: PostSnapshotOutcome[];
    beforeEach(() => {
      vm = vmAt(1);
      posts = [];
      h.hooks.set(vm.moref, {
        preSnapshot: () => Promise.resolve({ ran: 1, messages: ['pre ok'] }),
        postSnapshot: (_t, o) => {
          posts.push(o);
          return Promise.resolve({ ran: 1, messages: ['post ok'] });
        },
      });
    });
    const expectClean = async (job: { state: string; error: { code: string; message: string } | null }, cause: RegExp) => {
      expect(job.state).toBe('failed');
      expect(`${job.error?.code ?? ''} ${job.error?.message ?? ''}`).toMatch(cause);
      expect(pointsOf(vm)).toEqual([]);
      expect(h.repo.listPoints({ states: ['pending'] })).toEqual([]);
      expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);
    };

    it('CreateSnapshot_Task fails (and the post-snapshot hook still runs)', async () => {
      await sim.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'the VM is busy', moref: vm.moref });
      const job = await backup(h, ref(vm), 'app');
      await expectClean(job, /InvalidState/);
      expect(posts).toEqual([{ snapshotTaken: false, error: jasmine.stringMatching(/InvalidState/) as unknown as string }]);
    }, 120_000);

    it('QueryChangedDiskAreas fails', async () => {
      await sim.injectFault({ method: 'QueryChangedDiskAreas', fault: 'InvalidArgument', message: 'bad query', moref: vm.moref });
      await expectClean(await backup(h, ref(vm), 'app'), /InvalidArgument/);
      expect(posts.length).toBe(1);
      expect(posts[0]?.snapshotTaken).toBeTrue();
    }, 120_000);

    it('a disk read fails', async () => {
      h.wrapVcenter = (inner) => {
        let reads = 0;
        return Object.assign(Object.create(inner) as typeof inner, {
          readRangeInto: (file: Parameters<typeof inner.readRangeInto>[0], offset: number, target: Buffer, signal?: AbortSignal) => {
            if (++reads === 3) return Promise.reject(new DatastoreHttpError(503, 'GET', file.datastorePath, 'datastore unavailable'));
            return inner.readRangeInto(file, offset, target, signal);
          },
        });
      };
      await expectClean(await backup(h, ref(vm), 'app'), /HTTP 503/);
    }, 120_000);

    it('a store write fails', async () => {
      h.faulty.inject({ op: 'put', match: /^chunks\//, times: 1 });
      await expectClean(await backup(h, ref(vm), 'app'), /backend-io/);
    }, 120_000);
  });

  describe('consistency and hooks', () => {
    let vm: VcsimVm;
    beforeEach(() => {
      vm = vmAt(2);
      h.hooks.delete(vm.moref);
    });

    it('quiesce failure with onQuiesceFailure "fail" fails the job', async () => {
      const before = pointsOf(vm).length;
      await sim.injectFault({ method: 'CreateSnapshot_Task', fault: 'ApplicationQuiesceFault', message: 'VSS writer failed', moref: vm.moref });
      const job = await backup(h, ref(vm), 'app');
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('backup-quiesce-failed');
      expect(job.error?.message).toContain('onQuiesceFailure');
      expect(pointsOf(vm).length).toBe(before);
      expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);
    }, 120_000);

    it('quiesce failure with onQuiesceFailure "crash-consistent" records a crash-consistent point', async () => {
      await sim.injectFault({ method: 'CreateSnapshot_Task', fault: 'ApplicationQuiesceFault', message: 'VSS writer failed', moref: vm.moref });
      const job = await backup(h, ref(vm), 'app-or-crash');
      expect(job.state).withContext(jobLog(h, job.id)).toBe('succeeded');
      const r = job.result as BackupResult;
      expect(r.consistency).toBe('crash');
      expect(h.repo.getPoint(r.pointId).consistency).toBe('crash');
      expect((await h.repo.readManifest(r.pointId, never)).consistency).toBe('crash');
      expect(jobLog(h, job.id)).toContain('could not be quiesced');
      expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);
    }, 120_000);

    it('a failing pre-snapshot script fails the job cleanly under "fail"; the post-snapshot script still runs', async () => {
      const marker = join(h.dir, 'post-fail.txt');
      h.hooks.set(
        vm.moref,
        new ScriptHooks({
          pre: [{ command: 'sh', args: ['-c', 'echo flush failed >&2; exit 3'], timeoutMs: 5000 }],
          post: [{ command: 'sh', args: ['-c', `echo "$LIFELINE_HOOK $LIFELINE_SNAPSHOT_TAKEN" > ${marker}`], timeoutMs: 5000 }],
        }),
      );
      const before = pointsOf(vm).length;
      await sim.callCounts(true);
      const job = await backup(h, ref(vm), 'app');
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('backup-pre-hook-failed');
      expect((await sim.callCounts())['CreateSnapshot_Task'] ?? 0).toBe(0);
      expect(job.error?.message).toContain('flush failed');
      expect(pointsOf(vm).length).toBe(before);
      expect((await readFile(marker, 'utf8')).trim()).toBe('post-snapshot false');
      expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual([]);
    }, 120_000);

    it('a pre-snapshot hook that times out continues crash-consistent under "crash-consistent"', async () => {
      const marker = join(h.dir, 'post-ok.txt');
      h.hooks.set(
        vm.moref,
        new ScriptHooks({
          pre: [{ command: 'sleep', args: ['30'], timeoutMs: 300, killGraceMs: 100 }],
          post: [{ command: 'sh', args: ['-c', `echo "$LIFELINE_SNAPSHOT_TAKEN" > ${marker}`], timeoutMs: 5000 }],
        }),
      );
      const job = await backup(h, ref(vm), 'app-or-crash');
      expect(job.state).withContext(jobLog(h, job.id)).toBe('succeeded');
      expect((job.result as BackupResult).consistency).toBe('crash');
      expect(jobLog(h, job.id)).toMatch(/pre-snapshot hook failed .*did not finish/);
      expect((await readFile(marker, 'utf8')).trim()).toBe('true');
    }, 120_000);

    it('a hook that ignores its deadline is cut off by the per-hook timeout; a failing post hook only warns', async () => {
      const hooks: BackupHooks = {
        preSnapshot: () => new Promise(() => undefined),
        postSnapshot: () => Promise.reject(new HookError('hook-failed', 'thaw failed')),
      };
      h.hooks.set(vm.moref, hooks);
      const job = await backup(h, ref(vm), 'app-or-crash');
      expect(job.state).withContext(jobLog(h, job.id)).toBe('succeeded');
      const r = job.result as BackupResult;
      expect(r.consistency).toBe('crash');
      expect(r.warnings.join('\n')).toContain('thaw failed');
      expect(jobLog(h, job.id)).toContain('did not finish within 2000 ms');
    }, 120_000);
  });

  it('sweeps orphaned lifeline snapshots of jobs that are not running', async () => {
    const vm = vmAt(3);
    const done = await backup(h, ref(vm), 'crash');
    expect(done.state).toBe('succeeded');
    // As if the backup had died before removing its snapshot, plus one of a job this server never saw.
    await h.vc.createSnapshot(vm.moref, { name: `lifeline-${done.id}` });
    await h.vc.createSnapshot(vm.moref, { name: 'lifeline-elsewhere' });
    await h.vc.createSnapshot(vm.moref, { name: 'before upgrade' });
    const report = await sweepOrphanSnapshots(h.vc, h.runner, Date.now(), never);
    expect(report.removed.map((d) => d.name)).toEqual([`lifeline-${done.id}`]);
    expect(report.kept.map((d) => d.name)).toEqual(['lifeline-elsewhere']);
    expect(await lifelineSnapshots(h.vc, vm.moref)).toEqual(['lifeline-elsewhere']);
    // Once old enough, a snapshot of an unknown job goes too; the user's own snapshot stays.
    const later = await sweepOrphanSnapshots(h.vc, h.runner, Date.now() + 2 * 86_400_000, never);
    expect(later.removed.map((d) => d.name)).toEqual(['lifeline-elsewhere']);
    expect((await h.vc.snapshotTree(vm.moref)).roots.map((s) => s.name)).toEqual(['before upgrade']);
  }, 120_000);
});
