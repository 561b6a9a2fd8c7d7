/**
 * Instant new instance and instant clone-and-attach: a restore point's disks used at once from
 * Lifeline's NFS datastore, without copying them first.
 * - New instance: the point is published, a new VM is made from the point's configuration as a
 *   copy-first new instance is (name, CPUs, memory, SCSI controllers, network cards mapped, new
 *   instance UUID and MAC addresses from vCenter), with its configuration files in its own folder
 *   `[datastore] <name>/` of the chosen datastore; the NFS datastore is mounted on the VM's host
 *   and the published disks are attached in the point's slots; the VM is powered on if asked.
 * - Attach: the point is published, the NFS datastore mounted on the VM's host and the published
 *   disks attached to the VM at its next free SCSI slots (hot-added while it runs), for item-level
 *   recovery.
 * Either way the guest reads the point's chunks on demand through NFS and its writes go to the
 * publication's overlay, never to the store.
 * - Migrate to production: the disks are moved to a datastore while the VM runs (RelocateVM_Task
 *   with disk locators, Storage vMotion), then the point is unpublished (its overlay dropped) and
 *   the NFS datastore released once nothing else uses it.
 * - Discard: a new instance is powered off, its published disks detached (never deleted: they are
 *   the store's) and the VM destroyed with its folder; an attachment's disks are detached from the
 *   VM, which keeps running with its own disks. Then the point is unpublished and the NFS datastore
 *   released when nothing is published and no VM uses it.
 * Each step is recorded before it is taken (instant-runs.ts); a start that fails is discarded
 * before the error is passed on, and a clean-up after a crash discards a start or finishes a
 * discard.
 */
import { describeError, LifelineError } from '../errors/index.js';
import type { VmRef } from '../domain/index.js';
import { deleteIfPresent, freeScsiSlots, planDevices, resolveTargets, storedConfig, validateInstanceName, type RecoveryVcenter } from '../recovery/index.js';
import { isStoreError, type PointManifest } from '../store/index.js';
import { formatDatastorePath, isVimFault, VimTaskError, type VmInfo } from '../vsphere/index.js';
import type { InstantContext, InstantPublications, InstantDeps } from './instant-revert.js';
import type { InstantRunDisk, InstantRunRecord, InstantRunStore } from './instant-runs.js';
import type { InstantVcenter } from './instant-vcenter.js';
import { awaitRelocation, relocateWithCancel, relocationCancelled, RelocationNotStarted, type RelocationOutcome } from './relocation.js';
import { ensureNfsDatastore, releaseNfsDatastore, type NfsExport } from './nfs-datastore.js';

/** What an instant new instance or attachment asks of a vCenter; the adapter's `Vcenter` satisfies it. */
export interface InstantRunVcenter
  extends InstantVcenter,
    Pick<RecoveryVcenter, 'inventory' | 'makeDirectory' | 'createVm' | 'defaultPlacement' | 'addExistingDisk' | 'removeDisk' | 'destroyVm'> {}

export interface InstantRunDeps {
  readonly vcenters: { vcenter(vcenterGuid: string, signal: AbortSignal): Promise<InstantRunVcenter> };
  readonly publications: InstantPublications;
  readonly repository: InstantDeps['repository'];
  readonly export: NfsExport;
  readonly runs: InstantRunStore;
  readonly now?: () => Date;
}

export interface InstantRunContext extends InstantContext {
  readonly jobId?: string;
}

export interface InstantNewRequest {
  /** The record's id, chosen by the caller (the API gives it to the user at once). */
  readonly runId: string;
  readonly pointId: string;
  readonly vcenterGuid: string;
  readonly name: string;
  /** Datastore name for the VM's configuration files (and where migrate-to-production goes by default); default the source VM's. */
  readonly datastore: string | null;
  readonly folder: string | null;
  readonly pool: string | null;
  readonly host: string | null;
  /** Source network name → target network name; unmapped networks keep their name. */
  readonly networks: Readonly<Record<string, string>>;
  readonly powerOn: boolean;
}

export interface InstantAttachRequest {
  readonly runId: string;
  readonly pointId: string;
  readonly vm: VmRef;
  /** Point disk numbers; null for all. */
  readonly disks: readonly number[] | null;
}

/** The point's manifest; a point the store does not have is 'not-found', named. */
async function readPoint(deps: InstantRunDeps, pointId: string, signal: AbortSignal): Promise<PointManifest> {
  try {
    return await deps.repository.readManifest(pointId, signal);
  } catch (err) {
    if (isStoreError(err, 'point-not-found') || isStoreError(err, 'object-not-found')) {
      throw new LifelineError('not-found', `restore point ${pointId} does not exist`, { field: 'pointId', pointId }, { cause: err });
    }
    throw err;
  }
}

async function findVm(vc: InstantRunVcenter, moref: string, signal: AbortSignal): Promise<VmInfo | undefined> {
  try {
    return await vc.getVm(moref, signal);
  } catch (err) {
    if (isVimFault(err, 'ManagedObjectNotFound', 'NotFound')) return undefined;
    throw err;
  }
}

/**
 * The NFS datastore mounted on `host`. Two jobs may mount it at the same time: the one that loses
 * the race gets AlreadyExists or DuplicateName from vCenter and then finds the datastore made.
 */
async function mountOn(vc: InstantRunVcenter, exp: NfsExport, host: string, signal: AbortSignal): Promise<{ moref: string; name: string }> {
  try {
    return await ensureNfsDatastore(vc, exp, host, signal);
  } catch (err) {
    if (!isVimFault(err, 'AlreadyExists', 'DuplicateName')) throw err;
    return ensureNfsDatastore(vc, exp, host, signal);
  }
}

/**
 * Unmounts the NFS datastore when nothing is published and no VM uses it. Two jobs may do so at
 * the same time: the one that comes second finds it gone (NotFound), which is what it wanted.
 */
async function release(vc: InstantRunVcenter, deps: InstantRunDeps, signal: AbortSignal): Promise<boolean> {
  try {
    return await releaseNfsDatastore(vc, deps.export, deps.publications.list().length, signal);
  } catch (err) {
    if (isVimFault(err, 'NotFound', 'ManagedObjectNotFound')) return false;
    throw err;
  }
}

function refusePublished(deps: InstantRunDeps, pointId: string): void {
  const pub = deps.publications.list().find((p) => p.pointId === pointId);
  if (pub) {
    throw new LifelineError('conflict', `restore point ${pointId} is published already (folder ${pub.folder}): something else runs from it; discard that first or use another point`, {
      pointId,
      folder: pub.folder,
    });
  }
}

/** The files of a published disk, by which the VM's devices running from them are recognised. */
function ours(rec: InstantRunRecord): Set<string> {
  return new Set(rec.disks.flatMap((d) => (d.publishedFile ? [d.publishedFile] : [])));
}

/**
 * Destroying a VM deletes its disks: a new instance with a disk that is not the store's (moved to
 * production by a migration vCenter finished, or added by a user) is never discarded.
 */
function refuseForeignDisks(rec: InstantRunRecord, info: VmInfo): void {
  if (rec.kind !== 'new-instance') return;
  const files = ours(rec);
  const others = info.disks.filter((x) => !files.has(x.fileName));
  if (others.length > 0) {
    throw new LifelineError('conflict', `VM ${info.name} has disks that are not on Lifeline's NFS datastore (${others.map((x) => x.fileName).join(', ')}); Lifeline does not delete them: migrate instant recovery ${rec.id} to production to finish it, or remove the VM yourself`, { runId: rec.id, vm: info.moref });
  }
}

/**
 * Removes what an instant new instance or attachment made: the published disks detached (their
 * files are the store's and stay), a new instance's VM destroyed and its folder deleted, the
 * publication dropped with its overlay, the record removed and the NFS datastore released when
 * nothing uses it. Idempotent, so a clean-up can repeat it.
 */
async function tearDown(deps: InstantRunDeps, vc: InstantRunVcenter, rec: InstantRunRecord, signal: AbortSignal, log: (m: string) => void): Promise<void> {
  const info = rec.vm ? await findVm(vc, rec.vm, signal) : undefined;
  if (info) {
    refuseForeignDisks(rec, info);
    const files = ours(rec);
    if (rec.kind === 'new-instance' && info.powerState !== 'poweredOff') await vc.powerOff(info.moref, { signal });
    for (const d of info.disks.filter((x) => files.has(x.fileName))) {
      await vc.removeDisk(info.moref, d.key, { deleteFile: false }, { signal });
      log(`${d.fileName} detached from ${info.name}`);
    }
    if (rec.kind === 'new-instance') {
      await vc.destroyVm(info.moref, { signal });
      log(`VM ${info.name} (${info.moref}) removed`);
    }
  }
  if (rec.folder) await deleteIfPresent(vc, rec.datacenter, [rec.folder], signal);
  if (deps.publications.list().some((p) => p.id === rec.publicationId)) await deps.publications.unpublish(rec.publicationId);
  await deps.runs.delete(rec.id);
  if (await release(vc, deps, signal)) log(`NFS datastore ${deps.export.datastoreName} unmounted`);
}

async function undoStart(deps: InstantRunDeps, vc: InstantRunVcenter, rec: InstantRunRecord, err: unknown, ctx: InstantRunContext): Promise<never> {
  ctx.log(`instant ${rec.kind} failed (${describeError(err)}); removing what was made`);
  try {
    await tearDown(deps, vc, deps.runs.get(rec.id) ?? rec, AbortSignal.timeout(10 * 60_000), ctx.log);
  } catch (undoErr) {
    throw new LifelineError('conflict', `${describeError(err)}; undoing it failed too (${describeError(undoErr)}): discard instant recovery ${rec.id} again`, { runId: rec.id }, { cause: err });
  }
  throw err;
}

/** A new VM running from the restore point's published disks. */
export async function runInstantNewInstance(deps: InstantRunDeps, req: InstantNewRequest, ctx: InstantRunContext): Promise<InstantRunRecord> {
  const { signal } = ctx;
  validateInstanceName(req.name);
  const manifest = await readPoint(deps, req.pointId, signal);
  const cfg = storedConfig(manifest.vm.config);
  const vc = await deps.vcenters.vcenter(req.vcenterGuid, signal);
  const inv = await vc.inventory(signal);
  if (inv.vms.some((v) => v.name === req.name)) throw new LifelineError('conflict', `a VM named ${req.name} already exists`, { field: 'name' });
  const { datastore, datacenter, placement } = await resolveTargets(vc, inv, cfg, req, signal);
  refusePublished(deps, req.pointId);
  const folder = formatDatastorePath(datastore.name, req.name);
  const sorted = [...manifest.disks].sort((a, b) => a.disk - b.disk);
  // The slots and cards as the copy-first new instance plans them; the files are named once the NFS datastore is.
  const devices = planDevices(cfg, sorted.map((d) => ({ pointDisk: d.disk, file: '', capacity: d.capacity })), req.networks);

  ctx.progress?.(0);
  const pub = await deps.publications.publish(req.pointId, undefined, 'instant');
  let rec = await deps.runs.put({
    id: req.runId,
    kind: 'new-instance',
    vcenterGuid: req.vcenterGuid,
    vm: null,
    vmName: req.name,
    pointId: req.pointId,
    publicationId: pub.id,
    nfsDatastore: null,
    datacenter: datacenter.moref,
    folder: null,
    state: 'starting',
    disks: sorted.map((d) => ({ pointDisk: d.disk, capacity: d.capacity, publishedFile: null, controllerKey: null, unitNumber: null, deviceKey: null })),
    targetDatastore: null,
    jobId: ctx.jobId ?? null,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  try {
    // A folder of that name belongs to someone else: refuse rather than write into it (and never
    // delete it). A cancel does not cut the call short (vCenter would make the folder all the
    // same, unknown to the record): its answer is awaited, and the folder then removed with the rest.
    signal.throwIfAborted();
    try {
      await vc.makeDirectory(datacenter.moref, folder, { createParents: false }, AbortSignal.timeout(10 * 60_000));
    } catch (err) {
      throw new LifelineError('conflict', `cannot make the folder ${folder} for the new VM (${describeError(err)}); choose another name or datastore`, { field: 'name' }, { cause: err });
    }
    rec = await deps.runs.put({ ...rec, folder });
    signal.throwIfAborted();
    ctx.progress?.(10);
    const moref = await vc.createVm(
      placement,
      {
        name: req.name,
        guestId: cfg.guestId,
        vmPathName: `${folder}/${req.name}.vmx`,
        numCpus: cfg.cpus,
        memoryMiB: cfg.memoryMiB,
        annotation: `Running from Lifeline restore point ${req.pointId} of ${manifest.vm.name} (instant recovery)`,
        scsiControllers: devices.scsiControllers,
        nics: devices.nics,
      },
      { signal },
    );
    rec = await deps.runs.put({ ...rec, vm: moref });
    ctx.log(`VM ${req.name} (${moref}) created from restore point ${req.pointId}; its configuration files are in ${folder}`);
    ctx.progress?.(40);
    const made = await vc.getVm(moref, signal);
    const host = made.host ?? req.host;
    if (!host) throw new LifelineError('conflict', `VM ${req.name} is on no host; the NFS datastore must be mounted on the host that runs it`, { vm: moref });
    const ds = await mountOn(vc, deps.export, host, signal);
    // The planned controllers' temporary keys, as the made VM numbers them (by bus number).
    const keyOf = new Map(devices.scsiControllers.map((c) => [c.key, made.controllers.find((m) => m.bus === 'scsi' && m.busNumber === c.busNumber)?.key]));
    const disks: InstantRunDisk[] = sorted.map((d, i) => {
      const slot = devices.existingDisks[i]!;
      const controllerKey = keyOf.get(slot.controllerKey);
      if (controllerKey === undefined) throw new LifelineError('conflict', `VM ${req.name} lacks the SCSI controller its disk ${d.disk} was planned on`, { vm: moref });
      return { pointDisk: d.disk, capacity: d.capacity, publishedFile: `[${ds.name}] ${pub.folder}/disk${d.disk}.vmdk`, controllerKey, unitNumber: slot.unitNumber, deviceKey: null };
    });
    rec = await deps.runs.put({ ...rec, nfsDatastore: ds.moref, disks });
    ctx.log(`restore point ${req.pointId} published as ${pub.folder} on datastore ${ds.name}`);
    rec = await attachDisks(deps, vc, rec, ctx, 40, 85);
    if (req.powerOn) {
      await vc.powerOn(moref, { signal });
      ctx.log(`VM ${req.name} powered on`);
    }
    rec = await deps.runs.put({ ...rec, state: 'running' });
    ctx.progress?.(100);
    ctx.log(`VM ${req.name} runs from restore point ${req.pointId}; migrate it to production or discard it`);
    return rec;
  } catch (err) {
    return undoStart(deps, vc, rec, err, ctx);
  }
}

/** Attaches each recorded disk (its slot recorded) and records its device; progress from `from` to `to`. */
async function attachDisks(deps: InstantRunDeps, vc: InstantRunVcenter, rec: InstantRunRecord, ctx: InstantRunContext, from: number, to: number): Promise<InstantRunRecord> {
  let cur = rec;
  for (const [i, d] of rec.disks.entries()) {
    if (d.publishedFile === null || d.controllerKey === null || d.unitNumber === null) throw new Error('disk slot not recorded');
    const added = await vc.addExistingDisk(rec.vm!, { fileName: d.publishedFile, controllerKey: d.controllerKey, unitNumber: d.unitNumber, capacityBytes: d.capacity }, { signal: ctx.signal });
    cur = await deps.runs.put({ ...cur, disks: cur.disks.map((x, j) => (j === i ? { ...x, deviceKey: added.key } : x)) });
    ctx.log(`${d.publishedFile} attached to ${rec.vmName} as device ${added.key} (SCSI ${d.controllerKey}:${d.unitNumber})`);
    ctx.progress?.(Math.round(from + ((to - from) * (i + 1)) / rec.disks.length));
  }
  return cur;
}

/** The point's published disks attached to a VM, for item-level recovery. */
export async function runInstantAttach(deps: InstantRunDeps, req: InstantAttachRequest, ctx: InstantRunContext): Promise<InstantRunRecord> {
  const { signal } = ctx;
  const manifest = await readPoint(deps, req.pointId, signal);
  const chosen = req.disks ?? manifest.disks.map((d) => d.disk);
  const unknown = chosen.find((n) => !manifest.disks.some((d) => d.disk === n));
  if (unknown !== undefined) throw new LifelineError('validation', `restore point ${req.pointId} has no disk ${unknown}`, { field: 'disks', disk: unknown });
  const vc = await deps.vcenters.vcenter(req.vm.vcenterGuid, signal);
  const vm = await findVm(vc, req.vm.moref, signal);
  if (!vm) throw new LifelineError('not-found', `VM ${req.vm.moref} does not exist in this vCenter`, { field: 'vm', vm: req.vm.moref });
  if (!vm.host) throw new LifelineError('conflict', `VM ${vm.name} is on no host; the NFS datastore must be mounted on the host that runs it`, { vm: vm.moref });
  if (!vm.datacenter) throw new LifelineError('conflict', `VM ${vm.name} is in no datacenter`, { vm: vm.moref });
  const slots = freeScsiSlots(vm);
  if (slots.length < chosen.length) throw new LifelineError('conflict', `VM ${vm.name} has ${slots.length} free SCSI slots, ${chosen.length} are needed`, { vm: vm.moref, free: slots.length });
  refusePublished(deps, req.pointId);

  ctx.progress?.(0);
  const pub = await deps.publications.publish(req.pointId, undefined, 'instant');
  let rec = await deps.runs.put({
    id: req.runId,
    kind: 'attach',
    vcenterGuid: req.vm.vcenterGuid,
    vm: vm.moref,
    vmName: vm.name,
    pointId: req.pointId,
    publicationId: pub.id,
    nfsDatastore: null,
    datacenter: vm.datacenter.moref,
    folder: null,
    state: 'starting',
    disks: chosen.map((n) => ({ pointDisk: n, capacity: manifest.disks.find((d) => d.disk === n)?.capacity ?? 0, publishedFile: null, controllerKey: null, unitNumber: null, deviceKey: null })),
    targetDatastore: null,
    jobId: ctx.jobId ?? null,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  try {
    const ds = await mountOn(vc, deps.export, vm.host, signal);
    ctx.log(`restore point ${req.pointId} published as ${pub.folder} on datastore ${ds.name}`);
    rec = await deps.runs.put({
      ...rec,
      nfsDatastore: ds.moref,
      disks: rec.disks.map((d, i) => ({ ...d, publishedFile: `[${ds.name}] ${pub.folder}/disk${d.pointDisk}.vmdk`, controllerKey: slots[i]!.controllerKey, unitNumber: slots[i]!.unitNumber })),
    });
    ctx.progress?.(30);
    rec = await attachDisks(deps, vc, rec, ctx, 30, 95);
    rec = await deps.runs.put({ ...rec, state: 'running' });
    ctx.progress?.(100);
    ctx.log(`the disks of restore point ${req.pointId} are attached to ${vm.name} from the NFS datastore; migrate them to production or discard them`);
    return rec;
  } catch (err) {
    return undoStart(deps, vc, rec, err, ctx);
  }
}

export function requireRun(deps: Pick<InstantRunDeps, 'runs'>, runId: string): InstantRunRecord {
  const rec = deps.runs.get(runId);
  if (!rec) throw new LifelineError('not-found', `instant recovery ${runId} does not exist`, { runId });
  return rec;
}

/**
 * The datastore disks are migrated to: one of the VM's datacenter, not Lifeline's NFS datastore;
 * refused clearly otherwise (before anything is changed).
 */
export async function migrationTarget(vc: InstantRunVcenter, rec: InstantRunRecord, datastore: string, signal: AbortSignal): Promise<{ moref: string; name: string }> {
  const found = (await vc.inventory(signal)).datastores.find((d) => d.name === datastore && d.datacenter === rec.datacenter);
  if (!found) throw new LifelineError('validation', `datastore ${datastore} is not a datastore of VM ${rec.vmName}'s datacenter; choose one of its datastores`, { field: 'datastore' });
  if (found.moref === rec.nfsDatastore) throw new LifelineError('validation', `datastore ${datastore} is Lifeline's NFS datastore; choose a production datastore`, { field: 'datastore' });
  return { moref: found.moref, name: found.name };
}

/** Moves the disks to `datastore` while the VM runs, then drops the publication. */
export async function runInstantMigrate(deps: InstantRunDeps, runId: string, datastore: string, ctx: InstantRunContext): Promise<{ runId: string; vm: string | null; datastore: string }> {
  const { signal } = ctx;
  let rec = requireRun(deps, runId);
  if (rec.state !== 'running' && rec.state !== 'migrating') throw new LifelineError('conflict', `instant recovery ${runId} is ${rec.state}; only a running one can be migrated`, { state: rec.state });
  const vc = await deps.vcenters.vcenter(rec.vcenterGuid, signal);
  const target = await migrationTarget(vc, rec, datastore, signal);
  const info = rec.vm ? await findVm(vc, rec.vm, signal) : undefined;
  if (!info) throw new LifelineError('conflict', `VM ${rec.vmName} (${rec.vm ?? 'not made'}) no longer exists; discard instant recovery ${runId}`, { runId });
  rec = await deps.runs.put({ ...rec, state: 'migrating', targetDatastore: target.moref, jobId: ctx.jobId ?? rec.jobId });
  const files = ours(rec);
  const moves = info.disks.filter((d) => files.has(d.fileName)).map((d) => ({ deviceKey: d.key, datastore: target.moref }));
  ctx.progress?.(0);
  let started = false;
  let outcome: RelocationOutcome = 'moved';
  try {
    if (moves.length > 0) {
      outcome = await relocateWithCancel(vc, info.moref, moves, {
        signal,
        cancel: ctx.cancel,
        onTask: (task) => {
          started = true;
          return deps.runs.put({ ...rec, relocationTask: task });
        },
        onProgress: (p) => ctx.progress?.(Math.min(95, Math.round(p * 0.95))),
        log: ctx.log,
      });
    }
  } catch (err) {
    // vCenter refused the relocation (no task started), its task failed, or the user cancelled
    // before it started: the VM still runs from the NFS datastore, and the migration can be asked
    // for again, or discarded. Lifeline stopped waiting (shutdown, time limit, a lost session):
    // the task may go on, so the record stays 'migrating' with its task for the clean-up.
    if (!started || err instanceof VimTaskError) await deps.runs.put({ ...rec, state: 'running', targetDatastore: null, relocationTask: null });
    throw err instanceof RelocationNotStarted ? err.reason : err;
  }
  if (outcome === 'cancelled') {
    await deps.runs.put({ ...rec, state: 'running', targetDatastore: null, relocationTask: null });
    ctx.log(`migration cancelled: ${info.name} runs from restore point ${rec.pointId} on Lifeline's NFS datastore as before; migrate it again or discard it`);
    throw relocationCancelled(ctx, `the migration of instant recovery ${runId}`);
  }
  ctx.log(`${moves.length} disk(s) of ${info.name} moved to datastore ${target.name} while it ran`);
  await finishMigration(deps, vc, rec, signal, ctx.log);
  ctx.progress?.(100);
  return { runId, vm: rec.vm, datastore: target.name };
}

/** The disks are home: the publication and its overlay are dropped, the record removed, the NFS datastore released if unused. */
async function finishMigration(deps: InstantRunDeps, vc: InstantRunVcenter, rec: InstantRunRecord, signal: AbortSignal, log: (m: string) => void): Promise<void> {
  if (deps.publications.list().some((p) => p.id === rec.publicationId)) await deps.publications.unpublish(rec.publicationId);
  await deps.runs.delete(rec.id);
  if (await release(vc, deps, signal)) log(`NFS datastore ${deps.export.datastoreName} unmounted`);
}

/** Discard: nothing of the instant recovery is left but the restore point, as it was. */
export async function runInstantDiscard(deps: InstantRunDeps, runId: string, ctx: InstantRunContext): Promise<{ runId: string }> {
  const rec = requireRun(deps, runId);
  if (rec.state === 'migrating') throw new LifelineError('conflict', `instant recovery ${runId} is being migrated to production; cancel its migration job first (vCenter then stops moving the disks) or let it end`, { state: rec.state });
  const vc = await deps.vcenters.vcenter(rec.vcenterGuid, ctx.signal);
  const info = rec.vm ? await findVm(vc, rec.vm, ctx.signal) : undefined;
  if (info) refuseForeignDisks(rec, info);
  const discarding = await deps.runs.put({ ...rec, state: 'discarding', jobId: ctx.jobId ?? rec.jobId });
  await tearDown(deps, vc, discarding, ctx.signal, ctx.log);
  ctx.log(`instant recovery ${runId} (${rec.kind} of restore point ${rec.pointId}) discarded`);
  return { runId };
}

/**
 * After a crash: a start in flight is discarded, a discard finished; an interrupted migration
 * waits for the relocation task it recorded (vCenter may still be moving the disks), then is
 * finished when vCenter moved every disk, else the VM runs on from the NFS datastore and the
 * migration can be asked for again.
 */
export async function resolveInstantRun(deps: InstantRunDeps, runId: string, signal: AbortSignal): Promise<void> {
  const rec = deps.runs.get(runId);
  if (!rec || rec.state === 'running') return;
  const vc = await deps.vcenters.vcenter(rec.vcenterGuid, signal);
  if (rec.state === 'migrating') {
    // A relocation vCenter may still run is waited for first; then, every disk moved off the NFS
    // datastore, the migration is finished; else the VM runs on from it.
    if (rec.relocationTask) await awaitRelocation(vc, rec.relocationTask, signal);
    const info = rec.vm ? await findVm(vc, rec.vm, signal) : undefined;
    const files = ours(rec);
    if (info && !info.disks.some((d) => files.has(d.fileName))) await finishMigration(deps, vc, rec, signal, () => undefined);
    else await deps.runs.put({ ...rec, state: 'running', targetDatastore: null, relocationTask: null });
    return;
  }
  await tearDown(deps, vc, rec, signal, () => undefined);
}
