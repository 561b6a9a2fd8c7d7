/**
 * A vCenter as Lifeline uses it: one object per connection with every operation as a method, so a
 * use case can declare the few methods it needs as an interface and be handed this.
 */
import { createNasDatastore, nasDatastores, relocateDisks, removeDatastore, type NasDatastore, type NasVolume } from './nas-datastores.js';
import { systemClock, type TimeSource } from '../domain/index.js';
import { readInventory, readVm, listVmSummaries, type Inventory, type VmInfo, type VmSummary } from './inventory.js';
import {
  deleteDatastoreFile,
  makeDatastoreDirectory,
  openDatastoreFile,
  readDatastoreRange,
  readDatastoreRangeInto,
  uploadDatastoreFile,
  type ByteRange,
  type DatastoreFile,
} from './datastore-files.js';
import {
  findExtension,
  hasPrivilegeOnEntities,
  moRefKey,
  registerExtension,
  unregisterExtension,
  updateExtension,
  type Extension,
} from './extensions.js';
import { cancelTask, waitForTask, type TaskOptions } from './tasks.js';
import { isNotAuthenticated, isVimFault, VimLoginError } from './vim-errors.js';
import { VimSession, type AboutInfo, type PasswordSource, type SessionUser, type VimSessionOptions } from './vim-session.js';
import type { MoRef } from './vim-values.js';
import { postVmEvent, queryVmEvents, type VcenterEvent, type VmEventToPost } from './vcenter-events.js';
import {
  addExistingDisk,
  addNewDisk,
  changedDiskAreas,
  createSnapshot,
  createVm,
  defaultPlacement,
  destroy,
  entityName,
  placementOf,
  powerOff,
  shutdownGuest,
  powerOn,
  queryChangedDiskAreas,
  reconfigure,
  removeDisk,
  removeSnapshot,
  revertToSnapshot,
  setChangeTracking,
  snapshotDisks,
  snapshotTree,
  allSnapshotTrees,
  swapDiskBacking,
  vmRef,
  type ChangedAreasQuery,
  type CreateVmConfig,
  type DiskArea,
  type ReconfigureSpec,
  type RemoveSnapshotOptions,
  type SnapshotOptions,
  type SnapshotTree,
  type VmPlacement,
} from './vm-operations.js';
import type { DiskMode, ExistingDiskSpec, NewDiskSpec, VmDisk } from './virtual-devices.js';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface VcenterOptions extends VimSessionOptions {
  /** Where "now" comes from (extension heartbeats); tests pass their own. */
  readonly clock?: TimeSource | undefined;
}

export interface VcenterLogin extends VcenterOptions {
  readonly user: string;
  /** A function is asked again at every new login (a rotated password needs no reconnect). */
  readonly password: PasswordSource;
}

/** Connects and logs in with a user name and password; the session is kept alive and re-established. */
export async function connectVcenter(opts: VcenterLogin, signal?: AbortSignal): Promise<Vcenter> {
  const session = await VimSession.open(opts, signal);
  try {
    await session.login(opts.user, opts.password, signal);
  } catch (err) {
    session.close();
    throw err;
  }
  return new Vcenter(session, opts.clock ?? systemClock);
}

/** Connects without logging in, for CloneSession with a user's ticket. */
export async function openVcenter(opts: VcenterOptions, signal?: AbortSignal): Promise<Vcenter> {
  return new Vcenter(await VimSession.open(opts, signal), opts.clock ?? systemClock);
}

export class Vcenter {
  constructor(
    /** The underlying connection, for calls this class does not wrap. */
    readonly session: VimSession,
    private readonly clock: TimeSource,
  ) {}

  get about(): AboutInfo {
    return this.session.serviceContent.about;
  }

  /** The vCenter GUID (ServiceContent.about.instanceUuid). */
  get instanceUuid(): string | undefined {
    return this.session.serviceContent.about.instanceUuid;
  }

  get rootFolder(): MoRef {
    return this.session.serviceContent.rootFolder;
  }

  /** The logged-in user, or undefined. */
  get user(): SessionUser | undefined {
    return this.session.sessionUser;
  }

  // ---- sessions ----

  login(userName: string, password: string, signal?: AbortSignal): Promise<SessionUser> {
    return this.session.login(userName, password, signal);
  }

  /** SessionManager.CloneSession: this connection becomes a session of the ticket's user. */
  cloneSession(ticket: string, signal?: AbortSignal): Promise<SessionUser> {
    return this.session.cloneSession(ticket, signal);
  }

  acquireCloneTicket(signal?: AbortSignal): Promise<string> {
    return this.session.acquireCloneTicket(signal);
  }

  logout(signal?: AbortSignal): Promise<void> {
    return this.session.logout(signal);
  }

  close(): void {
    this.session.close();
  }

  /** Whether an error means vCenter no longer knows the session. */
  isNotAuthenticated(err: unknown): boolean {
    return isNotAuthenticated(err);
  }

  /** Whether an error means vCenter refused the credentials or the clone ticket. */
  isInvalidLogin(err: unknown): boolean {
    return err instanceof VimLoginError || isVimFault(err, 'InvalidLogin');
  }

  // ---- privileges ----

  hasPrivilegeOnEntities(entities: readonly MoRef[], sessionKey: string, privileges: readonly string[], signal?: AbortSignal): Promise<Map<string, Map<string, boolean>>> {
    return hasPrivilegeOnEntities(this.session, entities, sessionKey, privileges, signal);
  }

  /** For one entity: privilege → granted, for the user of `sessionKey`. */
  async hasPrivileges(entity: MoRef, sessionKey: string, privileges: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, boolean>> {
    const all = await hasPrivilegeOnEntities(this.session, [entity], sessionKey, privileges, signal);
    return all.get(moRefKey(entity)) ?? new Map(privileges.map((p) => [p, false]));
  }

  // ---- inventory ----

  inventory(signal?: AbortSignal): Promise<Inventory> {
    return readInventory(this.session, signal);
  }

  listVms(signal?: AbortSignal): Promise<VmSummary[]> {
    return listVmSummaries(this.session, signal);
  }

  getVm(vm: string, signal?: AbortSignal): Promise<VmInfo> {
    return readVm(this.session, vm, signal);
  }

  // ---- tasks ----

  waitForTask(task: MoRef, description: string, opts?: TaskOptions): Promise<unknown> {
    return waitForTask(this.session, task, description, opts);
  }

  /** Task.CancelTask: asks vCenter to cancel a cancelable task (it may still succeed). */
  cancelTask(task: MoRef, signal?: AbortSignal): Promise<void> {
    return cancelTask(this.session, task, signal);
  }

  // ---- snapshots and CBT ----

  createSnapshot(vm: string, opts: SnapshotOptions, task?: TaskOptions): Promise<string> {
    return createSnapshot(this.session, vm, opts, task);
  }

  removeSnapshot(snapshot: string, opts?: RemoveSnapshotOptions, task?: TaskOptions): Promise<void> {
    return removeSnapshot(this.session, snapshot, opts, task);
  }

  revertToSnapshot(snapshot: string, opts?: { suppressPowerOn?: boolean }, task?: TaskOptions): Promise<void> {
    return revertToSnapshot(this.session, snapshot, opts, task);
  }

  snapshotTree(vm: string, signal?: AbortSignal): Promise<SnapshotTree> {
    return snapshotTree(this.session, vm, signal);
  }

  /** Every VM's snapshot tree (VMs with snapshots only), in one query. */
  snapshotTrees(signal?: AbortSignal): Promise<Map<string, SnapshotTree>> {
    return allSnapshotTrees(this.session, signal);
  }

  snapshotDisks(snapshot: string, signal?: AbortSignal): Promise<VmDisk[]> {
    return snapshotDisks(this.session, snapshot, signal);
  }

  setChangeTracking(vm: string, enabled: boolean, task?: TaskOptions): Promise<void> {
    return setChangeTracking(this.session, vm, enabled, task);
  }

  changedDiskAreas(q: ChangedAreasQuery, signal?: AbortSignal): AsyncGenerator<DiskArea[]> {
    return changedDiskAreas(this.session, q, signal);
  }

  queryChangedDiskAreas(q: ChangedAreasQuery, signal?: AbortSignal): Promise<DiskArea[]> {
    return queryChangedDiskAreas(this.session, q, signal);
  }

  // ---- reconfiguring, creating, power ----

  reconfigure(vm: string, spec: ReconfigureSpec, task?: TaskOptions): Promise<void> {
    return reconfigure(this.session, vm, spec, task);
  }

  addExistingDisk(vm: string, spec: ExistingDiskSpec, task?: TaskOptions): Promise<VmDisk> {
    return addExistingDisk(this.session, vm, spec, task);
  }

  addNewDisk(vm: string, spec: NewDiskSpec, task?: TaskOptions): Promise<VmDisk> {
    return addNewDisk(this.session, vm, spec, task);
  }

  removeDisk(vm: string, deviceKey: number, opts: { deleteFile: boolean }, task?: TaskOptions): Promise<void> {
    return removeDisk(this.session, vm, deviceKey, opts, task);
  }

  swapDiskBacking(vm: string, deviceKey: number, fileName: string, opts?: { capacityBytes?: number; diskMode?: DiskMode }, task?: TaskOptions): Promise<VmDisk> {
    return swapDiskBacking(this.session, vm, deviceKey, fileName, opts, task);
  }

  createVm(placement: VmPlacement, config: CreateVmConfig, task?: TaskOptions): Promise<string> {
    return createVm(this.session, placement, config, task);
  }

  placementOf(vm: string, signal?: AbortSignal): Promise<VmPlacement> {
    return placementOf(this.session, vm, signal);
  }

  defaultPlacement(datacenter: string, signal?: AbortSignal): Promise<VmPlacement> {
    return defaultPlacement(this.session, datacenter, signal);
  }

  /** A managed entity's name (a folder, a resource pool), or undefined when vCenter does not know it. */
  entityName(entity: MoRef, signal?: AbortSignal): Promise<string | undefined> {
    return entityName(this.session, entity, signal);
  }

  /** Mounts an NFS v3 share on a host as a datastore; returns the datastore's moref. */
  createNasDatastore(host: string, volume: NasVolume, signal?: AbortSignal): Promise<string> {
    return createNasDatastore(this.session, host, volume, signal);
  }

  removeDatastore(host: string, datastore: string, signal?: AbortSignal): Promise<void> {
    return removeDatastore(this.session, host, datastore, signal);
  }

  nasDatastores(signal?: AbortSignal): Promise<NasDatastore[]> {
    return nasDatastores(this.session, signal);
  }

  /** Storage vMotion of some of a VM's disks; the VM keeps running. */
  relocateDisks(vm: string, disks: ReadonlyArray<{ readonly deviceKey: number; readonly datastore: string }>, task?: TaskOptions): Promise<void> {
    return relocateDisks(this.session, vm, disks, task);
  }

  powerOn(vm: string, task?: TaskOptions): Promise<void> {
    return powerOn(this.session, vm, task);
  }

  powerOff(vm: string, task?: TaskOptions): Promise<void> {
    return powerOff(this.session, vm, task);
  }

  /** Asks the guest to shut down through VMware Tools; returns at once (vm-operations.ts). */
  shutdownGuest(vm: string, signal?: AbortSignal): Promise<void> {
    return shutdownGuest(this.session, vm, signal);
  }

  destroyVm(vm: string, task?: TaskOptions): Promise<void> {
    return destroy(this.session, vmRef(vm), task);
  }

  destroy(entity: MoRef, task?: TaskOptions): Promise<void> {
    return destroy(this.session, entity, task);
  }

  // ---- datastore files ----

  openFile(file: DatastoreFile, range?: ByteRange, signal?: AbortSignal): Promise<IncomingMessage> {
    return openDatastoreFile(this.session, file, range, signal);
  }

  readRange(file: DatastoreFile, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    return readDatastoreRange(this.session, file, offset, length, signal);
  }

  readRangeInto(file: DatastoreFile, offset: number, target: Buffer, signal?: AbortSignal): Promise<number> {
    return readDatastoreRangeInto(this.session, file, offset, target, signal);
  }

  uploadFile(file: DatastoreFile, source: Buffer | Readable, size: number, signal?: AbortSignal): Promise<void> {
    return uploadDatastoreFile(this.session, file, source, size, signal);
  }

  deleteFile(datacenter: string, datastorePath: string, task?: TaskOptions): Promise<void> {
    return deleteDatastoreFile(this.session, { type: 'Datacenter', value: datacenter }, datastorePath, task);
  }

  makeDirectory(datacenter: string, datastorePath: string, opts?: { createParents?: boolean }, signal?: AbortSignal): Promise<void> {
    return makeDatastoreDirectory(this.session, { type: 'Datacenter', value: datacenter }, datastorePath, opts, signal);
  }

  // ---- extension ----

  /** Posts an extension's event on a VM (EventManager.PostEvent). */
  postVmEvent(event: VmEventToPost, signal?: AbortSignal): Promise<void> {
    return postVmEvent(this.session, event, new Date(this.clock.now()), signal);
  }

  /** The VM's latest events, newest first (EventManager.QueryEvents). */
  queryVmEvents(vm: string, opts?: { maxCount?: number }, signal?: AbortSignal): Promise<VcenterEvent[]> {
    return queryVmEvents(this.session, vm, opts, signal);
  }

  registerExtension(ext: Extension, signal?: AbortSignal): Promise<void> {
    return registerExtension(this.session, ext, new Date(this.clock.now()), signal);
  }

  updateExtension(ext: Extension, signal?: AbortSignal): Promise<void> {
    return updateExtension(this.session, ext, new Date(this.clock.now()), signal);
  }

  findExtension(key: string, signal?: AbortSignal): Promise<Extension | undefined> {
    return findExtension(this.session, key, signal);
  }

  unregisterExtension(key: string, signal?: AbortSignal): Promise<void> {
    return unregisterExtension(this.session, key, signal);
  }
}
