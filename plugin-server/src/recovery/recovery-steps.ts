/**
 * What the recovery operations share: their dependencies, the parts of a job's context they use,
 * uploading a point's disks with one progress for all, and the small inspections of a VM that tell
 * a clean-up which step happened.
 */
import { describeError } from '../errors/index.js';
import type { LogLevel } from '../jobs/index.js';
import { isStoreError, type PointManifest, type Repository } from '../store/index.js';
import { isVimFault, parseDatastorePath, type VmDisk, type VmInfo } from '../vsphere/index.js';
import { deleteIfPresent, restoreDiskToDatastore } from './datastore-restore.js';
import { RecoveryError } from './recovery-error.js';
import type { DatacenterRef, RecoveryStore } from './recovery-store.js';
import type { RecoveryVcenter, RecoveryVcenterProvider } from './recovery-vcenter.js';

/**
 * Where a restore reads the point from: the local store, or the copy of the store on object
 * storage (object-copy/), e.g. once the point was pruned locally or the local store was lost.
 */
export type PointSource = 'local' | 'object-storage';

export interface RecoveryDeps {
  readonly repository: Repository;
  /** The copy on object storage, opened on first use; absent or null when the server has none. */
  readonly objectCopy?: ((signal: AbortSignal) => Promise<Repository>) | null;
  readonly vcenters: RecoveryVcenterProvider;
  readonly store: RecoveryStore;
  /** Chunks fetched and verified ahead of each upload. Default 8. */
  readonly concurrency?: number;
  /** How long undoing a failed or cancelled operation may take. Default 10 minutes. */
  readonly cleanupTimeoutMs?: number;
}

/** The parts of a job's context recovery uses. */
export interface RecoveryContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  phase(name: string): void;
  progress(bytesDone: number, bytesTotal?: number | null): void;
  log(message: string, level?: LogLevel): void;
}

/** A signal for undoing work: it runs even after a cancel, but not forever. */
export function cleanupSignal(signal: AbortSignal, ms = 10 * 60_000): AbortSignal {
  return signal.aborted ? AbortSignal.timeout(ms) : AbortSignal.any([AbortSignal.timeout(ms), signal]);
}

export function datacenterOf(vm: VmInfo): DatacenterRef {
  if (!vm.datacenter) throw new RecoveryError('conflict', `VM ${vm.name} (${vm.moref}) is in no datacenter`, { vm: vm.moref });
  return { moref: vm.datacenter.moref, path: vm.datacenter.path };
}

/** The datastore of the VM's configuration file, where new files for it go by default. */
export function homeDatastoreOf(vm: VmInfo): string {
  const path = vm.vmxPath ?? vm.disks[0]?.fileName;
  if (!path) throw new RecoveryError('conflict', `VM ${vm.name} (${vm.moref}) has neither a configuration file nor disks to place files beside`, { vm: vm.moref });
  return parseDatastorePath(path).datastore;
}

/** Whether a datastore path lies inside a folder ("[ds] folder"). */
export function isInFolder(file: string, folder: string): boolean {
  return file.startsWith(`${folder}/`);
}

/** The VM, or undefined when vCenter no longer knows it. */
export async function findVm(vc: RecoveryVcenter, moref: string, signal: AbortSignal): Promise<VmInfo | undefined> {
  try {
    return await vc.getVm(moref, signal);
  } catch (err) {
    if (isVimFault(err, 'ManagedObjectNotFound', 'NotFound')) return undefined;
    throw err;
  }
}

/** The repository a restore from `source` reads. */
export async function repositoryOf(deps: Pick<RecoveryDeps, 'repository' | 'objectCopy'>, source: PointSource | undefined, signal: AbortSignal): Promise<Repository> {
  if (source === undefined || source === 'local') return deps.repository;
  if (!deps.objectCopy) {
    throw new RecoveryError('validation', "source 'object-storage': this Lifeline server keeps no copies on object storage (copyS3 in lifeline.json)", { field: 'source' });
  }
  return deps.objectCopy(signal);
}

/** The dependencies of a restore from `source`: its repository is the one to read. */
export async function depsFor<D extends Pick<RecoveryDeps, 'repository' | 'objectCopy'>>(deps: D, source: PointSource | undefined, signal: AbortSignal): Promise<D> {
  const repository = await repositoryOf(deps, source, signal);
  return repository === deps.repository ? deps : { ...deps, repository };
}

export async function readPoint(repo: Repository, pointId: string, signal: AbortSignal): Promise<PointManifest> {
  try {
    repo.getPoint(pointId);
  } catch (err) {
    if (isStoreError(err, 'point-not-found')) throw new RecoveryError('not-found', `restore point ${pointId} does not exist`, { pointId }, { cause: err });
    throw err;
  }
  return repo.readManifest(pointId, signal);
}

export interface DiskUpload {
  pointDisk: number;
  descriptor: string;
}

/** Makes the folders and uploads the disks, one after another, with one progress for them all. */
export async function uploadDisks(
  deps: RecoveryDeps,
  vc: RecoveryVcenter,
  ctx: RecoveryContext,
  pointId: string,
  datacenter: DatacenterRef,
  folders: readonly string[],
  uploads: readonly DiskUpload[],
): Promise<void> {
  // Not cut short by a cancel: vCenter would make the folder all the same, after the undo that
  // deletes the job's folders; its answer is awaited, and the cancel taken once it is there.
  for (const f of folders) {
    await vc.makeDirectory(datacenter.moref, f, { createParents: true }, AbortSignal.timeout(deps.cleanupTimeoutMs ?? 10 * 60_000));
    ctx.signal.throwIfAborted();
  }
  const sizes = await Promise.all(uploads.map(async (u) => (await deps.repository.openIndex(pointId, u.pointDisk, ctx.signal)).capacity));
  const total = sizes.reduce((a, b) => a + b, 0);
  ctx.progress(0, total);
  let before = 0;
  for (const [i, u] of uploads.entries()) {
    const r = await restoreDiskToDatastore({
      repository: deps.repository,
      vcenter: vc,
      pointId,
      disk: u.pointDisk,
      target: { datacenter, descriptor: u.descriptor },
      signal: ctx.signal,
      ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
      onProgress: (p) => ctx.progress(before + p.bytesDone, total),
    });
    before += sizes[i] ?? 0;
    ctx.log(`disk ${u.pointDisk} of ${pointId} restored to ${r.descriptor} (${r.capacity} bytes, ${r.stats.chunksRead} chunks read, ${r.stats.zeroSlots} zero chunks)`);
  }
}

/** Deletes folders with their contents; a folder already gone is fine. */
export async function deleteFolders(vc: RecoveryVcenter, datacenter: DatacenterRef, folders: readonly string[], signal: AbortSignal): Promise<void> {
  await deleteIfPresent(vc, datacenter.moref, folders, signal);
}

/** The disk of a VM that sits in a slot, if any. */
export function diskInSlot(vm: VmInfo, controllerKey: number, unitNumber: number): VmDisk | undefined {
  return vm.disks.find((d) => d.controllerKey === controllerKey && d.unitNumber === unitNumber);
}

/** Free SCSI slots of a VM, in controller bus order then unit order (unit 7 is the controller's). */
export function freeScsiSlots(vm: VmInfo): Array<{ controllerKey: number; unitNumber: number }> {
  const out: Array<{ controllerKey: number; unitNumber: number }> = [];
  const controllers = vm.controllers.filter((c) => c.bus === 'scsi').sort((a, b) => a.busNumber - b.busNumber);
  for (const c of controllers) {
    const used = new Set(vm.disks.filter((d) => d.controllerKey === c.key).map((d) => d.unitNumber));
    for (let unit = 0; unit < 16; unit++) {
      if (unit === 7 || used.has(unit)) continue;
      out.push({ controllerKey: c.key, unitNumber: unit });
    }
  }
  return out;
}

/** Runs an undo step and turns its failure into an error that says what is left. */
export async function undo(what: string, original: unknown, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    throw new RecoveryError('restore-rollback-failed', `${describeError(original)}; undoing it failed too (${what}: ${describeError(err)})`, {}, { cause: original });
  }
}
