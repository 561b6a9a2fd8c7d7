/**
 * Revert, temporary first. A revert restores the point's disks into `lifeline-restore-<job>`
 * folders (one per datastore, beside the disks they replace) while the VM keeps running, then
 * powers it off if it ran, puts each restored disk in the slot of the disk it replaces (the
 * original is detached, not deleted: set aside and recorded), and powers the VM on again if it
 * was on. While the revert is temporary, scheduled backups of the VM are held.
 * - Cancel: the set-aside disks go back into their slots, the restored ones are deleted.
 * - Make permanent: the set-aside disks are deleted and change tracking is reset, so the next
 *   backup reads the whole disk again (re-baselines CBT) instead of trusting changeIds of disks
 *   that are gone.
 * Restore points are only read.
 *
 * Crash safety. Each step is recorded before it is taken (recovery-store.ts) and each is one disk
 * swap (a single ReconfigVM_Task: remove the old device keeping its file, add the other file in
 * the same slot), so at any moment every slot holds either its original or its restored disk, and
 * a VM is never without its disks. Which one a slot holds is read from the VM, so the clean-up of
 * an interrupted job knows exactly what happened:
 *   restoring, swapping → rolled back (originals in their slots, restored files deleted);
 *   reverted            → finished (powered on again if it was on);
 *   cancelling          → finished (as a cancel);
 *   committing          → finished (as a make-permanent).
 * A revert, cancel or make-permanent that fails is undone the same way before the job ends.
 */
import { describeError } from '../errors/index.js';
import type { VmInfo } from '../vsphere/index.js';
import { formatDatastorePath, parseDatastorePath, type DiskMode } from '../vsphere/index.js';
import { deleteIfPresent } from './datastore-restore.js';
import { RecoveryError } from './recovery-error.js';
import {
  cleanupSignal,
  datacenterOf,
  deleteFolders,
  diskInSlot,
  readPoint,
  undo,
  uploadDisks,
  type RecoveryContext,
  type RecoveryDeps,
} from './recovery-steps.js';
import { type RevertDisk, type RevertRecord } from './recovery-store.js';
import { currentDiskOf, vmKey, type VmRef } from '../domain/index.js';
import type { RecoveryVcenter } from './recovery-vcenter.js';
import { diskFilesOf } from './vmdk.js';

export interface RevertRequest {
  vm: VmRef;
  pointId: string;
  /** The user confirmed that a running VM is powered off for the revert. */
  powerOff: boolean;
}

export interface RevertResult {
  vm: VmRef;
  pointId: string;
  state: 'reverted' | 'cancelled' | 'committed';
  disks: Array<{ pointDisk: number; file: string; setAside: string | null }>;
  poweredOn: boolean;
}

export function restoreFolder(datastore: string, jobId: string): string {
  return formatDatastorePath(datastore, `lifeline-restore-${jobId}`);
}

/** Powered on or suspended: anything that powering off would stop. */
export function isRunning(vm: VmInfo): boolean {
  return vm.powerState !== 'poweredOff';
}

function requirePowerOff(vm: VmInfo, confirmed: boolean, what: string): void {
  if (isRunning(vm) && !confirmed) {
    throw new RecoveryError('conflict', `VM ${vm.name} is ${vm.powerState}; ${what} powers it off: confirm with powerOff: true`, { vm: vm.moref, reason: 'vm-running' });
  }
}

function baseName(file: string): string {
  const path = parseDatastorePath(file).path;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Puts `file` into the slot of `d`, unless the slot already holds it. Returns whether it swapped. */
async function putInSlot(vc: RecoveryVcenter, vm: VmRef, d: RevertDisk, to: 'original' | 'restored', signal: AbortSignal): Promise<boolean> {
  const file = to === 'original' ? d.originalFile : d.restoredFile;
  const other = to === 'original' ? d.restoredFile : d.originalFile;
  const info = await vc.getVm(vm.moref, signal);
  const inSlot = diskInSlot(info, d.controllerKey, d.unitNumber);
  if (inSlot?.fileName === file) return false;
  if (!inSlot || inSlot.fileName !== other) {
    throw new RecoveryError(
      'restore-vm-changed',
      `slot ${d.controllerKey}:${d.unitNumber} of VM ${info.name} holds ${inSlot?.fileName ?? 'no disk'}, neither ${d.originalFile} nor ${d.restoredFile}; Lifeline leaves it as it is`,
      { vm: vm.moref, controllerKey: d.controllerKey, unitNumber: d.unitNumber },
    );
  }
  await vc.swapDiskBacking(
    vm.moref,
    inSlot.key,
    file,
    { capacityBytes: to === 'original' ? d.originalCapacity : d.restoredCapacity, ...(d.diskMode ? { diskMode: d.diskMode as DiskMode } : {}) },
    { signal },
  );
  return true;
}

/**
 * The signal a vCenter task of a revert or its cancel runs under: not the job's. A cancel or a
 * stop does not cut a power change or a disk swap short, since vCenter would finish it unknown to
 * the job, whose undo would then find the slot as it was before and delete the files the swap puts
 * in it; the task is awaited (within the clean-up time) and the cancel taken between tasks.
 */
function untilDone(deps: Pick<RecoveryDeps, 'cleanupTimeoutMs'>): AbortSignal {
  return AbortSignal.timeout(deps.cleanupTimeoutMs ?? 10 * 60_000);
}

async function powerOffIfOn(vc: RecoveryVcenter, moref: string, ctx: Pick<RecoveryContext, 'log'>, signal: AbortSignal): Promise<void> {
  const vm = await vc.getVm(moref, signal);
  if (!isRunning(vm)) return;
  await vc.powerOff(moref, { signal });
  ctx.log(`VM ${vm.name} powered off`);
}

async function powerOnIfOff(vc: RecoveryVcenter, moref: string, ctx: Pick<RecoveryContext, 'log'>, signal: AbortSignal): Promise<void> {
  const vm = await vc.getVm(moref, signal);
  if (vm.powerState === 'poweredOn') return;
  await vc.powerOn(moref, { signal });
  ctx.log(`VM ${vm.name} powered on`);
}

const quiet = { log: () => undefined };

/** Originals back in their slots, restored files deleted, power as it was, record removed. */
async function rollBack(vc: RecoveryVcenter, deps: RecoveryDeps, rec: RevertRecord, signal: AbortSignal): Promise<void> {
  for (const d of rec.disks) await putInSlot(vc, rec.vm, d, 'original', signal);
  await deleteFolders(vc, rec.datacenter, rec.folders, signal);
  if (rec.wasPoweredOn) await powerOnIfOff(vc, rec.vm.moref, quiet, signal);
  deps.store.deleteRevert(rec.vm);
}

export async function runRevert(deps: RecoveryDeps, req: RevertRequest, ctx: RecoveryContext): Promise<RevertResult> {
  const { store } = deps;
  const signal = ctx.signal;
  ctx.phase('prepare');
  const existing = store.getRevert(req.vm);
  if (existing) {
    throw new RecoveryError('conflict', `VM ${req.vm.moref} is already reverted to ${existing.pointId} (${existing.state}); cancel the revert or make it permanent first`, {
      vm: req.vm.moref,
      pointId: existing.pointId,
      state: existing.state,
    });
  }
  const manifest = await readPoint(deps.repository, req.pointId, signal);
  if (manifest.vm.id !== vmKey(req.vm)) {
    throw new RecoveryError('validation', `restore point ${req.pointId} is of VM ${manifest.vm.name}, not of ${req.vm.moref}; restore it as a new instance or attach its disks instead`, {
      pointId: req.pointId,
    });
  }
  const vc = await deps.vcenters.vcenter(req.vm.vcenterGuid, signal);
  const vm = await vc.getVm(req.vm.moref, signal);
  requirePowerOff(vm, req.powerOff, 'a revert');
  const datacenter = datacenterOf(vm);
  const disks: RevertDisk[] = manifest.disks.map((pd) => {
    const cur = currentDiskOf(manifest.vm.config, pd.disk, vm.disks);
    if (!cur || cur.unitNumber === undefined) {
      throw new RecoveryError('restore-vm-changed', `VM ${vm.name} no longer has disk ${pd.disk} (${pd.label}) of restore point ${req.pointId}; restore the point as a new instance or attach its disks instead`, {
        pointId: req.pointId,
        disk: pd.disk,
      });
    }
    const folder = restoreFolder(cur.datastore.name || parseDatastorePath(cur.fileName).datastore, ctx.jobId);
    return {
      pointDisk: pd.disk,
      label: cur.label,
      controllerKey: cur.controllerKey,
      unitNumber: cur.unitNumber,
      diskMode: cur.diskMode ?? null,
      originalFile: cur.fileName,
      originalCapacity: cur.capacityBytes,
      restoredFile: `${folder}/${baseName(cur.fileName)}`,
      restoredCapacity: pd.capacity,
    };
  });
  const folders = [...new Set(disks.map((d) => d.restoredFile.slice(0, d.restoredFile.lastIndexOf('/'))))];
  const now = store.now();
  let rec = store.putRevert({
    vm: req.vm,
    pointId: req.pointId,
    jobId: ctx.jobId,
    state: 'restoring',
    datacenter,
    folders,
    wasPoweredOn: isRunning(vm),
    disks,
    createdAt: now,
    updatedAt: now,
    revertedAt: null,
  });
  try {
    // The VM keeps running while its disks are restored; it stops only for the swap.
    ctx.phase('upload');
    await uploadDisks(deps, vc, ctx, req.pointId, datacenter, folders, disks.map((d) => ({ pointDisk: d.pointDisk, descriptor: d.restoredFile })));
    ctx.phase('power-off');
    signal.throwIfAborted();
    // Not confirmed, a VM powered on while its disks were restored is not stopped: the revert is refused.
    if (req.powerOff) await powerOffIfOn(vc, req.vm.moref, ctx, untilDone(deps));
    else requirePowerOff(await vc.getVm(req.vm.moref, signal), false, 'a revert');
    ctx.phase('swap');
    rec = store.putRevert({ ...rec, state: 'swapping' });
    for (const d of disks) {
      signal.throwIfAborted();
      await putInSlot(vc, req.vm, d, 'restored', untilDone(deps));
      ctx.log(`slot ${d.controllerKey}:${d.unitNumber}: ${d.restoredFile} in, ${d.originalFile} set aside`);
    }
    rec = store.putRevert({ ...rec, state: 'reverted', revertedAt: store.now() });
    if (rec.wasPoweredOn) {
      ctx.phase('power-on');
      await powerOnIfOff(vc, req.vm.moref, ctx, untilDone(deps));
    }
  } catch (err) {
    ctx.log(`revert failed (${describeError(err)}); putting the VM's own disks back`, 'error');
    await undo(`rolling back the revert of ${req.vm.moref}`, err, () => rollBack(vc, deps, rec, cleanupSignal(signal, deps.cleanupTimeoutMs)));
    throw err;
  }
  ctx.log(`VM ${vm.name} reverted to ${req.pointId}; its own disks are set aside until the revert is cancelled or made permanent, and scheduled backups are held`);
  return {
    vm: req.vm,
    pointId: req.pointId,
    state: 'reverted',
    disks: disks.map((d) => ({ pointDisk: d.pointDisk, file: d.restoredFile, setAside: d.originalFile })),
    poweredOn: rec.wasPoweredOn,
  };
}

function revertOf(deps: RecoveryDeps, vm: VmRef): RevertRecord {
  const rec = deps.store.getRevert(vm);
  if (!rec) throw new RecoveryError('not-found', `VM ${vm.moref} is not in a revert`, { vm: vm.moref });
  return rec;
}

/** Puts the set-aside disks back and deletes the restored ones (also finishes a revert that was cut short). */
export async function runCancelRevert(deps: RecoveryDeps, req: { vm: VmRef; powerOff: boolean }, ctx: RecoveryContext): Promise<RevertResult> {
  const signal = ctx.signal;
  ctx.phase('prepare');
  let rec = revertOf(deps, req.vm);
  if (rec.state === 'committing') {
    throw new RecoveryError('conflict', `the revert of VM ${req.vm.moref} is being made permanent; it can no longer be cancelled`, { vm: req.vm.moref, state: rec.state });
  }
  const vc = await deps.vcenters.vcenter(req.vm.vcenterGuid, signal);
  const vm = await vc.getVm(req.vm.moref, signal);
  requirePowerOff(vm, req.powerOff, 'cancelling the revert');
  // A revert cut short ('restoring', 'swapping') is rolled back to the power state it found.
  const wasPoweredOn = rec.state === 'reverted' ? isRunning(vm) : rec.wasPoweredOn || isRunning(vm);
  rec = deps.store.putRevert({ ...rec, state: 'cancelling', jobId: ctx.jobId, wasPoweredOn });
  try {
    ctx.phase('power-off');
    signal.throwIfAborted();
    // Not confirmed, a VM powered on since the cancel was asked is not stopped: the cancel is refused.
    if (req.powerOff) await powerOffIfOn(vc, req.vm.moref, ctx, untilDone(deps));
    else requirePowerOff(await vc.getVm(req.vm.moref, signal), false, 'cancelling the revert');
    ctx.phase('swap');
    for (const d of rec.disks) {
      signal.throwIfAborted();
      if (await putInSlot(vc, req.vm, d, 'original', untilDone(deps))) ctx.log(`slot ${d.controllerKey}:${d.unitNumber}: ${d.originalFile} back`);
    }
  } catch (err) {
    ctx.log(`cancel failed (${describeError(err)}); keeping the VM reverted`, 'error');
    await undo(`restoring the revert of ${req.vm.moref}`, err, async () => {
      const s = cleanupSignal(signal, deps.cleanupTimeoutMs);
      for (const d of rec.disks) await putInSlot(vc, req.vm, d, 'restored', s);
      deps.store.putRevert({ ...rec, state: 'reverted' });
      if (wasPoweredOn) await powerOnIfOff(vc, req.vm.moref, quiet, s);
    });
    throw err;
  }
  await finishCancel(vc, deps, rec, ctx, signal);
  return { vm: req.vm, pointId: rec.pointId, state: 'cancelled', disks: rec.disks.map((d) => ({ pointDisk: d.pointDisk, file: d.originalFile, setAside: null })), poweredOn: wasPoweredOn };
}

/** With the originals in their slots: restored files deleted, power restored, record removed. */
async function finishCancel(vc: RecoveryVcenter, deps: RecoveryDeps, rec: RevertRecord, ctx: Pick<RecoveryContext, 'log' | 'phase'>, signal: AbortSignal): Promise<void> {
  ctx.phase('delete-restored');
  await deleteFolders(vc, rec.datacenter, rec.folders, signal);
  ctx.log(`restored disks deleted (${rec.folders.join(', ')})`);
  if (rec.wasPoweredOn) {
    ctx.phase('power-on');
    await powerOnIfOff(vc, rec.vm.moref, ctx, signal);
  }
  deps.store.deleteRevert(rec.vm);
  ctx.log(`revert of ${rec.vm.moref} to ${rec.pointId} cancelled; scheduled backups resume`);
}

/** Deletes the set-aside disks and resets change tracking; the VM keeps the restored disks. */
export async function runCommitRevert(deps: RecoveryDeps, req: { vm: VmRef }, ctx: RecoveryContext): Promise<RevertResult> {
  const signal = ctx.signal;
  ctx.phase('prepare');
  let rec = revertOf(deps, req.vm);
  if (rec.state !== 'reverted' && rec.state !== 'committing') {
    throw new RecoveryError('conflict', `the revert of VM ${req.vm.moref} is ${rec.state}; only a completed revert can be made permanent`, { vm: req.vm.moref, state: rec.state });
  }
  const vc = await deps.vcenters.vcenter(req.vm.vcenterGuid, signal);
  rec = deps.store.putRevert({ ...rec, state: 'committing', jobId: ctx.jobId });
  await finishCommit(vc, deps, rec, ctx, signal);
  return { vm: req.vm, pointId: rec.pointId, state: 'committed', disks: rec.disks.map((d) => ({ pointDisk: d.pointDisk, file: d.restoredFile, setAside: null })), poweredOn: false };
}

async function finishCommit(vc: RecoveryVcenter, deps: RecoveryDeps, rec: RevertRecord, ctx: Pick<RecoveryContext, 'log' | 'phase'>, signal: AbortSignal): Promise<void> {
  const vm = await vc.getVm(rec.vm.moref, signal);
  // Never delete a file the VM uses: every slot must hold its restored disk.
  for (const d of rec.disks) {
    const inSlot = diskInSlot(vm, d.controllerKey, d.unitNumber);
    if (inSlot?.fileName !== d.restoredFile) {
      throw new RecoveryError('restore-vm-changed', `slot ${d.controllerKey}:${d.unitNumber} of VM ${vm.name} holds ${inSlot?.fileName ?? 'no disk'}, not the restored ${d.restoredFile}; nothing was deleted`, {
        vm: rec.vm.moref,
      });
    }
    if (vm.disks.some((x) => x.fileName === d.originalFile)) {
      throw new RecoveryError('restore-vm-changed', `VM ${vm.name} uses ${d.originalFile} again; it is not deleted`, { vm: rec.vm.moref });
    }
  }
  ctx.phase('delete-set-aside');
  for (const d of rec.disks) {
    await deleteIfPresent(vc, rec.datacenter.moref, diskFilesOf(d.originalFile), signal);
    ctx.log(`set-aside disk ${d.originalFile} deleted`);
  }
  if (vm.changeTrackingEnabled) {
    // The next backup then finds tracking off, turns it on and reads the whole disk.
    await vc.reconfigure(rec.vm.moref, { changeTrackingEnabled: false }, { signal });
    ctx.log('change tracking reset: the next backup reads the whole disk');
  }
  deps.store.deleteRevert(rec.vm);
  ctx.log(`revert of ${vm.name} to ${rec.pointId} made permanent; scheduled backups resume`);
}

/**
 * The clean-up of an interrupted revert, cancel or make-permanent job: rolls back a revert that
 * had not completed, finishes the rest (see the table at the top). Idempotent.
 */
export async function resolveRevert(deps: RecoveryDeps, vm: VmRef, jobId: string, signal: AbortSignal): Promise<void> {
  const rec = deps.store.getRevert(vm);
  if (!rec || rec.jobId !== jobId) return;
  const vc = await deps.vcenters.vcenter(vm.vcenterGuid, signal);
  switch (rec.state) {
    case 'restoring':
    case 'swapping':
      await rollBack(vc, deps, rec, signal);
      return;
    case 'reverted':
      if (rec.wasPoweredOn) await powerOnIfOff(vc, vm.moref, quiet, signal);
      return;
    case 'cancelling':
      for (const d of rec.disks) await putInSlot(vc, vm, d, 'original', signal);
      await finishCancel(vc, deps, rec, { log: () => undefined, phase: () => undefined }, signal);
      return;
    case 'committing':
      await finishCommit(vc, deps, rec, { log: () => undefined, phase: () => undefined }, signal);
      return;
  }
}
