// Clone and attach against the vCenter simulator: a point's disks are cloned into their own
// folder and hot-added to a running VM at its next free SCSI slots with the bytes backed up;
// detach leaves the VM as it was and deletes the clones; attachments survive a restart of the
// state database; a fault on the upload or on ReconfigVM_Task leaves the VM unchanged and no file.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { systemClock } from '../../plugin-server/src/domain/index.js';
import { SqliteRecoveryStore, type AttachResult } from '../../plugin-server/src/recovery/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { fillDisk, jobLog, MiB, sha256File } from '../protection/backup-fixture.js';
import { backUp, diskLayout, lifelineFolders, localFile, recoverySuite, waitJob, type RecoveryHarness } from './recovery-fixture.js';

const DISK = 16 * MiB;

describe('clone and attach', () => {
  const suite = recoverySuite({ vms: 2, disks: 2, diskSize: DISK }, 'attach');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let source: VcsimVm;
  let target: VcsimVm;
  let pointId: string;
  const originals = new Map<number, string>();
  const ref = suite.ref;

  beforeAll(async () => {
    ({ sim, h } = suite);
    source = sim.vms[0] as VcsimVm;
    target = sim.vms[1] as VcsimVm;
    for (const [i, d] of source.disks.entries()) {
      await fillDisk(d.path, DISK, 20 + i);
      originals.set(d.key, await sha256File(d.path));
    }
    pointId = await backUp(h, ref(source));
  }, 360_000);

  it('hot-adds clones of every disk to a running VM with the bytes backed up, and detach leaves the VM as it was', async () => {
    expect((await h.vc.getVm(target.moref)).powerState).toBe('poweredOn');
    const before = await diskLayout(h, target.moref);
    const { job, attachmentId } = await h.service.attach(pointId, ref(target), null, null, 'tester', AbortSignal.timeout(30_000));
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    const result = done.result as AttachResult;
    expect(result.disks.map((d) => d.pointDisk)).toEqual([2000, 2001]);

    const vm = await h.vc.getVm(target.moref);
    expect(vm.powerState).toBe('poweredOn');
    for (const d of result.disks) {
      const attached = vm.disks.find((x) => x.fileName === d.file);
      expect(attached).withContext(d.file).toBeDefined();
      expect(attached?.controllerType).toBe('ParaVirtualSCSIController');
      expect(await sha256File(localFile(sim, d.file))).toBe(originals.get(d.pointDisk) as string);
    }
    // The next free slots of the first SCSI controller: units 0 and 1 hold the VM's own disks.
    expect(result.disks.map((d) => d.unitNumber)).toEqual([2, 3]);
    const listed = h.service.listAttachments(ref(target));
    expect(listed.map((a) => [a.id, a.state])).toEqual([[attachmentId, 'attached']]);

    const detach = h.service.detach(attachmentId, 'tester');
    const detached = await waitJob(h, detach.job.id);
    expect(detached.state).withContext(jobLog(h, detach.job.id)).toBe('succeeded');
    expect(await diskLayout(h, target.moref)).toEqual(before);
    expect((await h.vc.getVm(target.moref)).powerState).toBe('poweredOn');
    expect(h.service.listAttachments(ref(target))).toEqual([]);
    expect(await lifelineFolders(sim)).toEqual([]);
  });

  it('attaches a chosen disk to the source VM itself, and the attachment survives a restart', async () => {
    const { job, attachmentId } = await h.service.attach(pointId, ref(source), [2001], null, 'tester', AbortSignal.timeout(30_000));
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    const [disk] = (done.result as AttachResult).disks;
    expect(await sha256File(localFile(sim, disk?.file ?? ''))).toBe(originals.get(2001) as string);

    // The state database as another process opens it.
    const db = new Database(join(h.dir, 'recovery.db'));
    try {
      const reopened = new SqliteRecoveryStore(db, systemClock);
      expect(reopened.listAttachments(ref(source)).map((a) => [a.id, a.state, a.disks.map((d) => d.deviceKey)])).toEqual([[attachmentId, 'attached', [disk?.deviceKey ?? 0]]]);
    } finally {
      db.close();
    }
    const detach = await waitJob(h, h.service.detach(attachmentId, 'tester').job.id);
    expect(detach.state).toBe('succeeded');
    expect(await lifelineFolders(sim)).toEqual([]);
  });

  it('leaves attached clones out of the next backup of the VM they are attached to', async () => {
    const { job, attachmentId } = await h.service.attach(pointId, ref(target), null, null, 'tester', AbortSignal.timeout(30_000));
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    const own = target.disks.map((d) => d.key).sort((a, b) => a - b);
    const targetPoint = await backUp(h, ref(target));
    const manifest = await h.repo.readManifest(targetPoint, AbortSignal.timeout(30_000));
    expect(manifest.disks.map((d) => d.disk).sort((a, b) => a - b)).toEqual(own);
    const detach = await waitJob(h, h.service.detach(attachmentId, 'tester').job.id);
    expect(detach.state).withContext(jobLog(h, detach.id)).toBe('succeeded');
    expect(await lifelineFolders(sim)).toEqual([]);
  });

  it('leaves the VM unchanged and no file behind when ReconfigVM_Task fails', async () => {
    const before = await diskLayout(h, target.moref);
    // The first disk is added, the second reconfigure fails: the first must be taken off again.
    let calls = 0;
    h.wrapRecoveryVcenter = (vc) =>
      Object.assign(Object.create(vc) as typeof vc, {
        addExistingDisk: async (...args: Parameters<typeof vc.addExistingDisk>) => {
          if (++calls === 2) await sim.injectFault({ method: 'ReconfigVM_Task', fault: 'InvalidDeviceSpec', moref: target.moref, count: 1 });
          return vc.addExistingDisk(...args);
        },
      });
    try {
      const { job, attachmentId } = await h.service.attach(pointId, ref(target), null, null, 'tester', AbortSignal.timeout(30_000));
      const done = await waitJob(h, job.id);
      expect(done.state).toBe('failed');
      expect(done.error?.message).toContain('InvalidDeviceSpec');
      expect(calls).toBe(2);
      expect(await diskLayout(h, target.moref)).toEqual(before);
      expect(await lifelineFolders(sim)).toEqual([]);
      expect(h.store.getAttachment(attachmentId)).toBeUndefined();
    } finally {
      h.wrapRecoveryVcenter = null;
    }
  });

  it('leaves the VM unchanged and no file behind when the upload is cut halfway', async () => {
    const before = await diskLayout(h, target.moref);
    await sim.injectFault({ method: 'HTTP PUT', afterBytes: DISK / 2, moref: 'disk-2001-flat.vmdk' });
    const { job } = await h.service.attach(pointId, ref(target), null, null, 'tester', AbortSignal.timeout(30_000));
    const done = await waitJob(h, job.id);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('restore-upload-failed');
    expect(await diskLayout(h, target.moref)).toEqual(before);
    expect(await lifelineFolders(sim)).toEqual([]);
  });
});
