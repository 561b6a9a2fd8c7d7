/**
 * Clone and attach: a point's disks (all or chosen) restored as new files into
 * `[ds] lifeline-attach-<attachment>/` and attached to any VM at its next free SCSI slots (hot-added
 * when it runs: the same reconfigure), for item-level recovery. Detach removes those devices and
 * deletes the folder. The restore point is only read.
 *
 * Order, so that a crash anywhere is undone by the clean-up: the attachment is recorded
 * ('uploading') before the folder is made; the slots are recorded ('attaching') before the first
 * reconfigure; each clone is recognised on the VM by its file in the attachment's folder. An
 * attach that fails or is interrupted is rolled back (clones detached, folder deleted, record
 * removed); a detach that is interrupted is finished.
 */
import { describeError } from '../errors/index.js';
import type { DatastoreInfo, VmInfo } from '../vsphere/index.js';
import { formatDatastorePath } from '../vsphere/index.js';
import { RecoveryError } from './recovery-error.js';
import {
  cleanupSignal,
  datacenterOf,
  deleteFolders,
  findVm,
  freeScsiSlots,
  homeDatastoreOf,
  isInFolder,
  readPoint,
  undo,
  uploadDisks,
  type RecoveryContext,
  type RecoveryDeps,
} from './recovery-steps.js';
import type { AttachmentRecord } from './recovery-store.js';
import type { VmRef } from '../domain/index.js';
import type { RecoveryVcenter } from './recovery-vcenter.js';

export interface AttachRequest {
  attachmentId: string;
  pointId: string;
  vm: VmRef;
  /** Point disk numbers; null for all. */
  disks: number[] | null;
  /** The datastore for the clones; null for the VM's own. */
  datastore: string | null;
}

export interface AttachResult {
  attachmentId: string;
  pointId: string;
  vm: VmRef;
  disks: Array<{ pointDisk: number; file: string; deviceKey: number; controllerKey: number; unitNumber: number }>;
}

export function attachmentFolder(datastore: string, attachmentId: string): string {
  return formatDatastorePath(datastore, `lifeline-attach-${attachmentId}`);
}

/**
 * The VM disks are attached to and the datastore their clones go to: the one named, or the VM's
 * own. It must be a datastore of the VM's datacenter (a name is never pasted into a datastore path
 * unchecked).
 */
export async function resolveAttachTargets(vc: RecoveryVcenter, vmMoref: string, datastore: string | null, signal: AbortSignal): Promise<{ vm: VmInfo; datastore: DatastoreInfo }> {
  const vm = await vc.getVm(vmMoref, signal);
  const datacenter = datacenterOf(vm);
  const name = datastore ?? homeDatastoreOf(vm);
  const found = (await vc.inventory(signal)).datastores.find((d) => d.name === name && d.datacenter === datacenter.moref);
  if (!found) {
    throw new RecoveryError('validation', `datastore ${name} is not a datastore of VM ${vm.name}'s datacenter; choose one of its datastores`, { field: 'datastore' });
  }
  return { vm, datastore: found };
}

export async function runAttach(deps: RecoveryDeps, req: AttachRequest, ctx: RecoveryContext): Promise<AttachResult> {
  const { store } = deps;
  const signal = ctx.signal;
  ctx.phase('prepare');
  const manifest = await readPoint(deps.repository, req.pointId, signal);
  const chosen = req.disks ?? manifest.disks.map((d) => d.disk);
  for (const n of chosen) {
    if (!manifest.disks.some((d) => d.disk === n)) throw new RecoveryError('validation', `restore point ${req.pointId} has no disk ${n}`, { pointId: req.pointId, disk: n });
  }
  const vc = await deps.vcenters.vcenter(req.vm.vcenterGuid, signal);
  const { vm, datastore } = await resolveAttachTargets(vc, req.vm.moref, req.datastore, signal);
  const datacenter = datacenterOf(vm);
  const folder = attachmentFolder(datastore.name, req.attachmentId);
  const now = store.now();
  let rec: AttachmentRecord = store.putAttachment({
    id: req.attachmentId,
    vm: req.vm,
    pointId: req.pointId,
    jobId: ctx.jobId,
    state: 'uploading',
    datacenter,
    folder,
    disks: chosen.map((n) => {
      const d = manifest.disks.find((x) => x.disk === n);
      return { pointDisk: n, label: d?.label ?? `disk ${n}`, file: `${folder}/disk-${n}.vmdk`, capacity: d?.capacity ?? 0, controllerKey: null, unitNumber: null, deviceKey: null };
    }),
    createdAt: now,
    updatedAt: now,
  });
  try {
    ctx.phase('upload');
    await uploadDisks(deps, vc, ctx, req.pointId, datacenter, [folder], rec.disks.map((d) => ({ pointDisk: d.pointDisk, descriptor: d.file })));

    ctx.phase('attach');
    const current = await vc.getVm(req.vm.moref, signal);
    const slots = freeScsiSlots(current);
    if (slots.length < rec.disks.length) {
      throw new RecoveryError('conflict', `VM ${current.name} has ${slots.length} free SCSI slots, ${rec.disks.length} are needed`, { vm: req.vm.moref, free: slots.length });
    }
    rec = store.putAttachment({
      ...rec,
      state: 'attaching',
      disks: rec.disks.map((d, i) => ({ ...d, controllerKey: slots[i]?.controllerKey ?? null, unitNumber: slots[i]?.unitNumber ?? null })),
    });
    const poweredOn = current.powerState === 'poweredOn';
    for (const [i, d] of rec.disks.entries()) {
      if (d.controllerKey === null || d.unitNumber === null) throw new Error('slot not recorded');
      const added = await vc.addExistingDisk(req.vm.moref, { fileName: d.file, controllerKey: d.controllerKey, unitNumber: d.unitNumber, capacityBytes: d.capacity }, { signal });
      rec = store.putAttachment({ ...rec, disks: rec.disks.map((x, j) => (j === i ? { ...x, deviceKey: added.key } : x)) });
      ctx.log(`${d.file} attached to ${current.name} as device ${added.key} (SCSI ${d.controllerKey}:${d.unitNumber})${poweredOn ? ', hot-added' : ''}`);
    }
    rec = store.putAttachment({ ...rec, state: 'attached' });
  } catch (err) {
    ctx.log(`attach failed (${describeError(err)}); detaching and deleting the clones`, 'error');
    await undo(`removing the clones in ${folder}`, err, async () => {
      await removeAttachment(vc, deps, rec, cleanupSignal(signal, deps.cleanupTimeoutMs));
    });
    throw err;
  }
  return {
    attachmentId: rec.id,
    pointId: rec.pointId,
    vm: rec.vm,
    disks: rec.disks.map((d) => ({ pointDisk: d.pointDisk, file: d.file, deviceKey: d.deviceKey ?? -1, controllerKey: d.controllerKey ?? -1, unitNumber: d.unitNumber ?? -1 })),
  };
}

/** Removes from the VM every disk whose file lies in the folder; returns how many. */
async function removeClones(vc: RecoveryVcenter, vm: VmInfo, folder: string, signal: AbortSignal): Promise<number> {
  const ours = vm.disks.filter((d) => isInFolder(d.fileName, folder));
  for (const d of ours) await vc.removeDisk(vm.moref, d.key, { deleteFile: false }, { signal });
  return ours.length;
}

export async function runDetach(deps: RecoveryDeps, attachmentId: string, ctx: RecoveryContext): Promise<{ attachmentId: string; removed: number }> {
  const rec = deps.store.getAttachment(attachmentId);
  if (!rec) throw new RecoveryError('not-found', `attachment ${attachmentId} does not exist`, { attachmentId });
  ctx.phase('detach');
  const vc = await deps.vcenters.vcenter(rec.vm.vcenterGuid, ctx.signal);
  const detaching = deps.store.putAttachment({ ...rec, state: 'detaching', jobId: ctx.jobId });
  const removed = await removeAttachment(vc, deps, detaching, ctx.signal);
  ctx.log(`${removed} cloned disk(s) of ${rec.pointId} detached from ${rec.vm.moref}; ${rec.folder} deleted`);
  return { attachmentId, removed };
}

/**
 * Removes the clones, deletes the folder and the record: what a detach does and what undoes an
 * attach. Idempotent, so a clean-up can repeat it.
 */
async function removeAttachment(vc: RecoveryVcenter, deps: RecoveryDeps, rec: AttachmentRecord, signal: AbortSignal): Promise<number> {
  const vm = await findVm(vc, rec.vm.moref, signal);
  const removed = vm ? await removeClones(vc, vm, rec.folder, signal) : 0;
  await deleteFolders(vc, rec.datacenter, [rec.folder], signal);
  deps.store.deleteAttachment(rec.id);
  return removed;
}

/**
 * After a crash: an attach in flight is rolled back, a detach in flight finished; an attachment
 * that completed stays.
 */
export async function resolveAttachment(deps: RecoveryDeps, attachmentId: string, signal: AbortSignal): Promise<void> {
  const rec = deps.store.getAttachment(attachmentId);
  if (!rec || rec.state === 'attached') return;
  const vc = await deps.vcenters.vcenter(rec.vm.vcenterGuid, signal);
  await removeAttachment(vc, deps, rec, signal);
}
