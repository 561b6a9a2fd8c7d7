/**
 * What recovery asks of a vCenter; the adapter's `Vcenter` satisfies it. Recovery runs under
 * Lifeline's service account, as backups do; the API has checked the user's privileges before a
 * job is queued.
 */
import type { Readable } from 'node:stream';
import type { CreateVmConfig, MoRef, DatastoreFile, DiskMode, ExistingDiskSpec, Inventory, ReconfigureSpec, TaskOptions, VmDisk, VmInfo, VmPlacement } from '../vsphere/index.js';

export interface RecoveryVcenter {
  getVm(vm: string, signal?: AbortSignal): Promise<VmInfo>;
  inventory(signal?: AbortSignal): Promise<Inventory>;
  uploadFile(file: DatastoreFile, source: Buffer | Readable, size: number, signal?: AbortSignal): Promise<void>;
  deleteFile(datacenter: string, datastorePath: string, task?: TaskOptions): Promise<void>;
  makeDirectory(datacenter: string, datastorePath: string, opts?: { createParents?: boolean }, signal?: AbortSignal): Promise<void>;
  reconfigure(vm: string, spec: ReconfigureSpec, task?: TaskOptions): Promise<void>;
  addExistingDisk(vm: string, spec: ExistingDiskSpec, task?: TaskOptions): Promise<VmDisk>;
  removeDisk(vm: string, deviceKey: number, opts: { deleteFile: boolean }, task?: TaskOptions): Promise<void>;
  swapDiskBacking(vm: string, deviceKey: number, fileName: string, opts?: { capacityBytes?: number; diskMode?: DiskMode }, task?: TaskOptions): Promise<VmDisk>;
  createVm(placement: VmPlacement, config: CreateVmConfig, task?: TaskOptions): Promise<string>;
  placementOf(vm: string, signal?: AbortSignal): Promise<VmPlacement>;
  defaultPlacement(datacenter: string, signal?: AbortSignal): Promise<VmPlacement>;
  powerOn(vm: string, task?: TaskOptions): Promise<void>;
  powerOff(vm: string, task?: TaskOptions): Promise<void>;
  destroyVm(vm: string, task?: TaskOptions): Promise<void>;
  /** Waits for a task vCenter runs (by moref) to end; rejects with its fault, or when vCenter no longer knows it. */
  waitForTask?(task: MoRef, description: string, opts?: TaskOptions): Promise<unknown>;
}

/** The vCenters Lifeline is configured for, by instance GUID; connections are the provider's. */
export interface RecoveryVcenterProvider {
  vcenter(vcenterGuid: string, signal: AbortSignal): Promise<RecoveryVcenter>;
}
