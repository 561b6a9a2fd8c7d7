// Temporary revert against the vCenter simulator: the VM runs on restored disks holding the bytes
// backed up while its own disks are kept aside and its backups are held; cancel puts its own disks
// back byte for byte; make-permanent keeps the restored content and deletes the set-aside files;
// a fault on the upload or on ReconfigVM_Task leaves the VM as it was and no file behind.
import { existsSync } from 'node:fs';
import { vmKey } from '../../plugin-server/src/domain/index.js';
import { RecoveryError, type RevertResult } from '../../plugin-server/src/recovery/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { jobLog, MiB } from '../protection/backup-fixture.js';
import { attachedDiskHashes, backUpEveryVm, diskHashes, diskLayout, lifelineFolders, recoverySuite, waitJob, type RecoveryHarness } from './recovery-fixture.js';

const DISK = 16 * MiB;

describe('revert (temporary, cancel, make permanent)', () => {
  const suite = recoverySuite({ vms: 5, disks: 2, diskSize: DISK }, 'revert');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let points: Map<string, string>;
  /** Per VM: SHA-256 of each disk as backed up, and as it is now (changed since). */
  let backedUp: Map<string, string[]>;
  let current: Map<string, string[]>;
  const ref = suite.ref;
  const vmAt = (i: number): VcsimVm => sim.vms[i] as VcsimVm;

  beforeAll(async () => {
    ({ sim, h } = suite);
    // The guest writes on after the backup: this is what a revert replaces.
    ({ points, backedUp, current } = await backUpEveryVm(h, sim, DISK, { backedUp: 100, current: 500 }));
  }, 540_000);

  /** The VM as it was before a revert that did not happen: its disks, their bytes, running, no record, no folder of Lifeline's left. */
  async function expectAsBefore(vm: VcsimVm, before: Awaited<ReturnType<typeof diskLayout>>, folders: Awaited<ReturnType<typeof lifelineFolders>>): Promise<void> {
    expect(await diskLayout(h, vm.moref)).toEqual(before);
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
    expect((await h.vc.getVm(vm.moref)).powerState).toBe('poweredOn');
    expect(h.store.getRevert(ref(vm))).toBeUndefined();
    expect(await lifelineFolders(sim)).toEqual(folders);
  }

  it('refuses to power off a running VM without confirmation', async () => {
    const vm = vmAt(0);
    const err: unknown = await h.service.revert(ref(vm), points.get(vm.moref) ?? '', false, 'tester', AbortSignal.timeout(10_000)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecoveryError);
    expect((err as RecoveryError).code).toBe('conflict');
    expect((err as RecoveryError).message).toContain('powerOff: true');
    expect(h.store.getRevert(ref(vm))).toBeUndefined();
  });

  it('reverts temporarily with the own disks set aside, then cancel restores them byte for byte; the same point reverts again', async () => {
    const vm = vmAt(0);
    // Another spec's VM may by now run from its own restore folder (made permanent): only this
    // revert's folders must be gone afterwards.
    const folders = await lifelineFolders(sim);
    const before = await diskLayout(h, vm.moref);
    const pointId = points.get(vm.moref) ?? '';
    const { job } = await h.service.revert(ref(vm), pointId, true, 'tester', AbortSignal.timeout(10_000));
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    const result = done.result as RevertResult;
    expect(result.state).toBe('reverted');

    // Running on the restored disks, which hold the bytes backed up.
    const info = await h.vc.getVm(vm.moref);
    expect(info.powerState).toBe('poweredOn');
    expect(info.disks.every((d) => d.fileName.includes(`lifeline-restore-${job.id}/`))).toBeTrue();
    expect(await attachedDiskHashes(h, sim, vm.moref)).toEqual(backedUp.get(vm.moref) as string[]);
    // The own disks are set aside, untouched, and recorded; backups are held.
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
    const rec = h.service.revertOf(ref(vm));
    expect(rec?.state).toBe('reverted');
    expect(rec?.pointId).toBe(pointId);
    expect(rec?.disks.map((d) => d.originalFile).sort()).toEqual(vm.disks.map((d) => d.file).sort());
    expect(h.store.heldVms().has(vmKey(ref(vm)))).toBeTrue();
    // A second revert waits for this one to be settled.
    await expectAsync(h.service.revert(ref(vm), pointId, true, 'tester', AbortSignal.timeout(10_000))).toBeRejectedWithError(RecoveryError, /already reverted/);

    const cancel = await waitJob(h, (await h.service.cancelRevert(ref(vm), true, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(cancel.state).withContext(jobLog(h, cancel.id)).toBe('succeeded');
    expect(await diskLayout(h, vm.moref)).toEqual(before);
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
    expect((await h.vc.getVm(vm.moref)).powerState).toBe('poweredOn');
    expect(h.store.getRevert(ref(vm))).toBeUndefined();
    expect(h.store.heldVms().has(vmKey(ref(vm)))).toBeFalse();
    expect(await lifelineFolders(sim)).toEqual(folders);

    // The swaps gave the VM's disks new device keys; the point still names the old ones, and
    // reverting to it again finds its disks by their slots.
    const again = await waitJob(h, (await h.service.revert(ref(vm), pointId, true, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(again.state).withContext(jobLog(h, again.id)).toBe('succeeded');
    expect(await attachedDiskHashes(h, sim, vm.moref)).toEqual(backedUp.get(vm.moref) as string[]);
    const cancelAgain = await waitJob(h, (await h.service.cancelRevert(ref(vm), true, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(cancelAgain.state).withContext(jobLog(h, cancelAgain.id)).toBe('succeeded');
    expect(await diskLayout(h, vm.moref)).toEqual(before);
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref) as string[]);
  });

  it('made permanent, keeps the restored content, deletes the set-aside files and resets change tracking; the same point reverts again', async () => {
    const vm = vmAt(1);
    await h.vc.powerOff(vm.moref);
    await h.vc.setChangeTracking(vm.moref, true);
    const folders = await lifelineFolders(sim);
    const pointsBefore = h.repo.listPoints().map((p) => p.id);
    const { job } = await h.service.revert(ref(vm), points.get(vm.moref) ?? '', false, 'tester', AbortSignal.timeout(10_000));
    expect((await waitJob(h, job.id)).state).withContext(jobLog(h, job.id)).toBe('succeeded');
    expect((await h.vc.getVm(vm.moref)).powerState).toBe('poweredOff');

    const commit = await waitJob(h, h.service.commitRevert(ref(vm), 'tester').job.id);
    expect(commit.state).withContext(jobLog(h, commit.id)).toBe('succeeded');
    expect(await attachedDiskHashes(h, sim, vm.moref)).toEqual(backedUp.get(vm.moref) as string[]);
    for (const d of vm.disks) {
      expect(existsSync(d.path)).withContext(d.path).toBeFalse();
      expect(existsSync(d.descriptorPath)).withContext(d.descriptorPath).toBeFalse();
    }
    const info = await h.vc.getVm(vm.moref);
    expect(info.changeTrackingEnabled).toBeFalse();
    expect(h.store.getRevert(ref(vm))).toBeUndefined();
    expect(h.store.heldVms().size).toBe(0);
    expect(h.repo.listPoints().map((p) => p.id)).toEqual(pointsBefore);
    // Only the restored disks' folder is left: it holds the VM's disks now.
    expect(await lifelineFolders(sim)).toEqual([...folders, `[LocalDS_0] lifeline-restore-${job.id}`].sort());

    // Reverted again to the same point, whose disk keys the swaps have replaced: found by slot.
    const layout = await diskLayout(h, vm.moref);
    const again = await waitJob(h, (await h.service.revert(ref(vm), points.get(vm.moref) ?? '', false, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(again.state).withContext(jobLog(h, again.id)).toBe('succeeded');
    expect(await attachedDiskHashes(h, sim, vm.moref)).toEqual(backedUp.get(vm.moref) as string[]);
    const cancel = await waitJob(h, (await h.service.cancelRevert(ref(vm), false, 'tester', AbortSignal.timeout(10_000))).job.id);
    expect(cancel.state).withContext(jobLog(h, cancel.id)).toBe('succeeded');
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
  });

  it('leaves the VM as it was when ReconfigVM_Task fails during the swap', async () => {
    const vm = vmAt(2);
    const before = await diskLayout(h, vm.moref);
    const folders = await lifelineFolders(sim);
    // The first disk is swapped; the second swap fails, so the first must be swapped back.
    let swaps = 0;
    h.wrapRecoveryVcenter = (vc) =>
      Object.assign(Object.create(vc) as typeof vc, {
        swapDiskBacking: async (...args: Parameters<typeof vc.swapDiskBacking>) => {
          if (++swaps === 2) await sim.injectFault({ method: 'ReconfigVM_Task', fault: 'InvalidDeviceSpec', moref: vm.moref, count: 1 });
          return vc.swapDiskBacking(...args);
        },
      });
    try {
      const { job } = await h.service.revert(ref(vm), points.get(vm.moref) ?? '', true, 'tester', AbortSignal.timeout(10_000));
      const done = await waitJob(h, job.id);
      expect(done.state).toBe('failed');
      expect(done.error?.message).toContain('InvalidDeviceSpec');
      expect(swaps).toBeGreaterThanOrEqual(3);
    } finally {
      h.wrapRecoveryVcenter = null;
    }
    await expectAsBefore(vm, before, folders);
  });

  /**
   * Reverts VM 4 with `method` at vCenter answering `delayMs` late, cancels the job once it is in
   * `phase` (and `waitMs` more), and checks, once vCenter's late work has ended, that the VM and the
   * datastore are as before: had the job stopped waiting for vCenter, vCenter would finish the
   * call after the job's undo, unknown to it.
   */
  async function cancelRevertDuring(o: { method: string; delayMs: number; onVm: boolean; phase: string; waitMs: number }): Promise<void> {
    const vm = vmAt(4);
    const before = await diskLayout(h, vm.moref);
    const folders = await lifelineFolders(sim);
    await sim.injectDelay(o.method, o.delayMs, 1, o.onVm ? vm.moref : undefined);
    const { job } = await h.service.revert(ref(vm), points.get(vm.moref) ?? '', true, 'tester', AbortSignal.timeout(10_000));
    for (let i = 0; h.runner.get(job.id).phase !== o.phase; i++) {
      if (i > 3000) throw new Error(`the revert never reached its phase ${o.phase}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, o.waitMs));
    h.runner.cancel(job.id, 'tester');
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('cancelled');
    await new Promise((r) => setTimeout(r, o.delayMs));
    await expectAsBefore(vm, before, folders);
  }

  it('cancelled while vCenter swaps a disk, waits for the swap and puts the VM\'s own disks back', async () => {
    // Otherwise the swap would point the slot at a restored file the undo had deleted.
    await cancelRevertDuring({ method: 'ReconfigVM_Task', delayMs: 2000, onVm: true, phase: 'swap', waitMs: 500 });
  });

  it('cancelled while vCenter makes the restore folder, leaves no folder behind', async () => {
    // Otherwise vCenter would make the folder after the undo deleted the job's folders.
    await cancelRevertDuring({ method: 'MakeDirectory', delayMs: 1500, onVm: false, phase: 'upload', waitMs: 300 });
  });

  it('leaves the VM as it was when the upload is cut halfway', async () => {
    const vm = vmAt(3);
    const before = await diskLayout(h, vm.moref);
    const folders = await lifelineFolders(sim);
    await sim.injectFault({ method: 'HTTP PUT', afterBytes: DISK / 2, moref: `${vm.name}_1-flat.vmdk` });
    const { job } = await h.service.revert(ref(vm), points.get(vm.moref) ?? '', true, 'tester', AbortSignal.timeout(10_000));
    const done = await waitJob(h, job.id);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('restore-upload-failed');
    await expectAsBefore(vm, before, folders);
  });
});
