/**
 * Instant revert: a VM runs from its restore point in seconds, whatever the size of its disks.
 * The point is published on Lifeline's NFS server, the NFS datastore is mounted on the VM's host
 * (nfs-datastore.ts), the VM is powered off if it ran, each of its disks is set aside (detached,
 * not deleted) and the published disk put in its slot, and the VM is powered on. Nothing is
 * copied first: ESXi reads the point's chunks on demand through NFS and the guest's writes go to
 * the publication's overlay, never to the store.
 * - Make permanent: each disk is moved to the datastore of the disk it replaced while the VM runs
 *   (RelocateVM_Task with disk locators, Storage vMotion), change tracking is reset (as after a
 *   copy-first revert made permanent), the set-aside disks are deleted, the point is unpublished
 *   (its overlay dropped) and the datastore released.
 * - Cancel: the VM is powered off, its own disks go back into their slots, the point is
 *   unpublished and the datastore released, and the VM is powered on again if it ran before.
 * Each step is recorded before it is taken (instant-store.ts); a step that fails puts the VM's own
 * disks back before the error is passed on.
 */
import { describeError, LifelineError } from '../errors/index.js';
import { currentDiskOf, vmKey, type VmRef } from '../domain/index.js';
import type { Publication, PublicationOwner } from '../nfs/index.js';
import type { PointManifest } from '../store/index.js';
import { VimTaskError, type DiskMode, type VmInfo } from '../vsphere/index.js';
import { awaitRelocation, relocateWithCancel, relocationCancelled, RelocationNotStarted, type RelocationOutcome } from './relocation.js';
import type { InstantDisk, InstantRevertRecord, InstantStore } from './instant-store.js';
import type { InstantVcenter } from './instant-vcenter.js';
import { ensureNfsDatastore, releaseNfsDatastore, type NfsExport } from './nfs-datastore.js';

export interface InstantPublications {
  /** Instant recovery publishes with the owner 'instant': a publication no record owns is then known as left by a crash. */
  publish(pointId: string, folder: string | undefined, owner: PublicationOwner): Promise<Publication>;
  unpublish(id: string): Promise<void>;
  list(): readonly Publication[];
}

export interface InstantDeps {
  readonly vcenter: InstantVcenter;
  readonly publications: InstantPublications;
  readonly repository: { readManifest(pointId: string, signal: AbortSignal): Promise<PointManifest> };
  readonly export: NfsExport;
  readonly store: InstantStore;
  readonly now?: () => Date;
}

export interface InstantContext {
  readonly signal: AbortSignal;
  log(message: string): void;
  /** 0–100 over the whole operation. */
  progress?(percent: number): void;
  /**
   * The user's cancel, for a step that moves disks: the job's `signal` then ignores it, and this
   * asks vCenter to cancel its relocation task instead (relocation.ts).
   */
  readonly cancel?: AbortSignal | undefined;
}

export interface InstantRevertRequest {
  readonly vm: VmRef;
  readonly pointId: string;
  /** The user confirmed that a running VM is powered off for the revert. */
  readonly powerOff: boolean;
}

function running(vm: VmInfo): boolean {
  return vm.powerState !== 'poweredOff';
}

function slotDisk(vm: VmInfo, d: InstantDisk) {
  return vm.disks.find((x) => x.controllerKey === d.controllerKey && x.unitNumber === d.unitNumber);
}

/** Puts the original or the published file into a disk's slot, unless it is already there. */
async function putInSlot(vc: InstantVcenter, vm: VmRef, d: InstantDisk, to: 'original' | 'published', signal: AbortSignal): Promise<void> {
  const file = to === 'original' ? d.originalFile : d.publishedFile;
  const other = to === 'original' ? d.publishedFile : d.originalFile;
  const info = await vc.getVm(vm.moref, signal);
  const cur = slotDisk(info, d);
  if (cur?.fileName === file) return;
  if (!cur || cur.fileName !== other) {
    throw new LifelineError('conflict', `slot ${d.controllerKey}:${d.unitNumber} of VM ${info.name} holds ${cur?.fileName ?? 'no disk'}, neither ${d.originalFile} nor ${d.publishedFile}; Lifeline leaves it as it is`, {
      vm: vm.moref,
      controllerKey: d.controllerKey,
      unitNumber: d.unitNumber,
    });
  }
  const capacityBytes = to === 'original' ? d.originalCapacity : d.capacity;
  await vc.swapDiskBacking(vm.moref, cur.key, file, { capacityBytes, ...(d.diskMode ? { diskMode: d.diskMode as DiskMode } : {}) }, { signal });
}

async function powerOffIfOn(vc: InstantVcenter, vm: string, signal: AbortSignal): Promise<void> {
  if (running(await vc.getVm(vm, signal))) await vc.powerOff(vm, { signal });
}

async function powerOnIfOff(vc: InstantVcenter, vm: string, signal: AbortSignal): Promise<void> {
  if ((await vc.getVm(vm, signal)).powerState !== 'poweredOn') await vc.powerOn(vm, { signal });
}

/** The VM's own disks back, the publication and the datastore gone, power as it was. */
async function undo(deps: InstantDeps, rec: InstantRevertRecord, signal: AbortSignal): Promise<void> {
  const vc = deps.vcenter;
  await powerOffIfOn(vc, rec.vm.moref, signal);
  for (const d of rec.disks) await putInSlot(vc, rec.vm, d, 'original', signal);
  if (deps.publications.list().some((p) => p.id === rec.publicationId)) await deps.publications.unpublish(rec.publicationId);
  await deps.store.delete(rec.vm);
  await releaseNfsDatastore(vc, deps.export, deps.publications.list().length, signal);
  if (rec.wasPoweredOn) await powerOnIfOff(vc, rec.vm.moref, signal);
}

export async function runInstantRevert(deps: InstantDeps, req: InstantRevertRequest, ctx: InstantContext): Promise<InstantRevertRecord> {
  const { signal } = ctx;
  const vc = deps.vcenter;
  const existing = deps.store.get(req.vm);
  if (existing) {
    throw new LifelineError('conflict', `VM ${req.vm.moref} already runs from restore point ${existing.pointId} (${existing.state}); cancel it or make it permanent first`, {
      vm: req.vm.moref,
      pointId: existing.pointId,
      state: existing.state,
    });
  }
  const manifest = await deps.repository.readManifest(req.pointId, signal);
  if (manifest.vm.id !== vmKey(req.vm)) {
    throw new LifelineError('validation', `restore point ${req.pointId} is of VM ${manifest.vm.name}, not of ${req.vm.moref}`, { field: 'pointId' });
  }
  const vm = await vc.getVm(req.vm.moref, signal);
  if (running(vm) && !req.powerOff) {
    throw new LifelineError('conflict', `VM ${vm.name} is ${vm.powerState}; an instant revert powers it off: confirm with powerOff: true`, { vm: vm.moref, reason: 'vm-running' });
  }
  if (!vm.host) throw new LifelineError('conflict', `VM ${vm.name} is on no host; an instant revert needs the host that will mount the NFS datastore`, { vm: vm.moref });
  if (!vm.datacenter) throw new LifelineError('conflict', `VM ${vm.name} is in no datacenter`, { vm: vm.moref });
  const planned = manifest.disks.map((pd) => {
    const cur = currentDiskOf(manifest.vm.config, pd.disk, vm.disks);
    if (!cur || cur.unitNumber === undefined) {
      throw new LifelineError('conflict', `VM ${vm.name} no longer has disk ${pd.disk} of restore point ${req.pointId}; restore the point as a new instance or attach its disks instead`, {
        pointId: req.pointId,
        disk: pd.disk,
      });
    }
    if (!cur.datastore.moref) throw new LifelineError('conflict', `vCenter does not say which datastore holds ${cur.fileName}`, { vm: vm.moref, disk: pd.disk });
    return { pd, cur, datastore: cur.datastore.moref, unitNumber: cur.unitNumber };
  });

  ctx.progress?.(0);
  const pub = await deps.publications.publish(req.pointId, undefined, 'instant');
  let rec: InstantRevertRecord | undefined;
  try {
    const ds = await ensureNfsDatastore(vc, deps.export, vm.host, signal);
    ctx.log(`restore point ${req.pointId} published as ${pub.folder} on datastore ${ds.name}`);
    const disks: InstantDisk[] = planned.map(({ pd, cur, datastore, unitNumber }) => ({
      pointDisk: pd.disk,
      controllerKey: cur.controllerKey,
      unitNumber,
      diskMode: cur.diskMode ?? null,
      originalFile: cur.fileName,
      originalCapacity: cur.capacityBytes,
      originalDatastore: datastore,
      publishedFile: `[${ds.name}] ${pub.folder}/disk${pd.disk}.vmdk`,
      capacity: pd.capacity,
    }));
    rec = await deps.store.put({
      vm: req.vm,
      pointId: req.pointId,
      publicationId: pub.id,
      datastore: ds.moref,
      datacenter: vm.datacenter.moref,
      wasPoweredOn: running(vm),
      state: 'starting',
      disks,
      createdAt: (deps.now?.() ?? new Date()).toISOString(),
    });
    ctx.progress?.(30);
    await powerOffIfOn(vc, req.vm.moref, signal);
    for (const d of disks) {
      await putInSlot(vc, req.vm, d, 'published', signal);
      ctx.log(`slot ${d.controllerKey}:${d.unitNumber}: ${d.publishedFile} in, ${d.originalFile} set aside`);
    }
    ctx.progress?.(80);
    await vc.powerOn(req.vm.moref, { signal });
    rec = await deps.store.put({ ...rec, state: 'running' });
    ctx.progress?.(100);
    ctx.log(`VM ${vm.name} runs from restore point ${req.pointId}; make it permanent to move its disks home, or cancel`);
    return rec;
  } catch (err) {
    ctx.log(`instant revert failed (${describeError(err)}); putting the VM's own disks back`);
    if (rec) await undo(deps, rec, AbortSignal.timeout(120_000));
    else await deps.publications.unpublish(pub.id);
    throw err;
  }
}

function requireRevert(deps: InstantDeps, vm: VmRef): InstantRevertRecord {
  const rec = deps.store.get(vm);
  if (!rec) throw new LifelineError('not-found', `VM ${vm.moref} does not run from a restore point`, { vm: vm.moref });
  return rec;
}

/** Cancel: the VM's own disks back in their slots, the publication dropped with its overlay. */
export async function runInstantCancel(deps: InstantDeps, vm: VmRef, ctx: InstantContext): Promise<void> {
  const rec = requireRevert(deps, vm);
  if (rec.state === 'migrating') throw new LifelineError('conflict', `the instant revert of VM ${vm.moref} is being made permanent; cancel its make-permanent job first (vCenter then stops moving the disks) or let it end`, { state: rec.state });
  await deps.store.put({ ...rec, state: 'cancelling' });
  await undo(deps, rec, ctx.signal);
  ctx.log(`instant revert of VM ${vm.moref} cancelled; its own disks are back`);
}

/**
 * Make permanent: each disk moved to its original datastore while the VM runs, the set-aside
 * disks deleted, the publication dropped.
 */
export async function runInstantCommit(deps: InstantDeps, vm: VmRef, ctx: InstantContext): Promise<void> {
  const { signal } = ctx;
  const vc = deps.vcenter;
  let rec = requireRevert(deps, vm);
  if (rec.state !== 'running' && rec.state !== 'migrating') {
    throw new LifelineError('conflict', `the instant revert of VM ${vm.moref} is ${rec.state}; only a running one can be made permanent`, { state: rec.state });
  }
  rec = await deps.store.put({ ...rec, state: 'migrating' });
  const info = await vc.getVm(vm.moref, signal);
  const moves = rec.disks
    .map((d) => ({ d, cur: slotDisk(info, d) }))
    .filter(({ d, cur }) => cur?.fileName === d.publishedFile)
    .map(({ d, cur }) => ({ deviceKey: cur!.key, datastore: d.originalDatastore }));
  ctx.progress?.(0);
  if (moves.length > 0) {
    let started = false;
    let outcome: RelocationOutcome;
    try {
      outcome = await relocateWithCancel(vc, vm.moref, moves, {
        signal,
        cancel: ctx.cancel,
        onTask: (task) => {
          started = true;
          return deps.store.put({ ...rec, relocationTask: task });
        },
        onProgress: (p) => ctx.progress?.(Math.min(95, Math.round(p * 0.95))),
        log: ctx.log,
      });
    } catch (err) {
      // As an instant recovery's migration (instant-run.ts): refused outright, failed, or cancelled
      // before vCenter started it, the VM still runs from the backup, and the revert can be made
      // permanent again or cancelled.
      if (!started || err instanceof VimTaskError) await deps.store.put({ ...rec, state: 'running', relocationTask: null });
      throw err instanceof RelocationNotStarted ? err.reason : err;
    }
    if (outcome === 'cancelled') {
      await deps.store.put({ ...rec, state: 'running', relocationTask: null });
      ctx.log(`make permanent cancelled: VM ${vm.moref} runs from restore point ${rec.pointId} on Lifeline's NFS datastore as before; make it permanent again or cancel the revert`);
      throw relocationCancelled(ctx, `the make permanent of VM ${vm.moref}`);
    }
  }
  ctx.log(`disks of VM ${vm.moref} moved to production storage`);
  if ((await vc.getVm(vm.moref, signal)).changeTrackingEnabled) {
    // The VM's disks are others now: the next backup finds tracking off, turns it on and reads
    // them whole instead of trusting changeIds of the disks set aside.
    await vc.reconfigure(vm.moref, { changeTrackingEnabled: false }, { signal });
    ctx.log('change tracking reset: the next backup reads the whole disk');
  }
  // A disk is its descriptor and its data file; vCenter deletes each file by its own name.
  for (const file of rec.disks.flatMap((d) => [d.originalFile, d.originalFile.replace(/\.vmdk$/, '-flat.vmdk')])) {
    try {
      await vc.deleteFile(rec.datacenter, file, { signal });
    } catch (err) {
      ctx.log(`the set-aside file ${file} could not be deleted (${describeError(err)}); delete it by hand`);
    }
  }
  if (deps.publications.list().some((p) => p.id === rec.publicationId)) await deps.publications.unpublish(rec.publicationId);
  await deps.store.delete(vm);
  await releaseNfsDatastore(vc, deps.export, deps.publications.list().length, signal);
  ctx.progress?.(100);
  ctx.log(`instant revert of VM ${vm.moref} made permanent`);
}

/**
 * The clean-up of an instant-revert job a stop of Lifeline interrupted: an unfinished revert is
 * undone, an unfinished cancel finished, an unfinished make permanent finished once the relocation
 * task it recorded has ended (its relocation asked again for the disks still on the NFS datastore;
 * one the user had cancelled leaves the VM running from its point). A VM running from its point
 * stays so.
 */
export async function settleInstantRevert(deps: InstantDeps, vm: VmRef, signal: AbortSignal): Promise<void> {
  const rec = deps.store.get(vm);
  switch (rec?.state) {
    case 'starting':
    case 'cancelling':
      await undo(deps, rec, signal);
      return;
    case 'migrating':
      // A relocation vCenter may still run: its end first. Cancelled by the user before the
      // stop, the VM runs on from the backup; otherwise the make permanent is finished.
      if (rec.relocationTask && (await awaitRelocation(deps.vcenter, rec.relocationTask, signal)) === 'cancelled') {
        await deps.store.put({ ...rec, state: 'running', relocationTask: null });
        return;
      }
      await runInstantCommit(deps, vm, { signal, log: () => undefined });
      return;
    default:
      return;
  }
}
