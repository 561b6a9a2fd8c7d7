/**
 * What instant recovery asks of a vCenter; the adapter's `Vcenter` satisfies it. Like recovery,
 * instant recovery runs under Lifeline's service account.
 */
import type { DiskMode, MoRef, NasDatastore, NasVolume, ReconfigureSpec, TaskOptions, VmDisk, VmInfo } from '../vsphere/index.js';

export interface InstantVcenter {
  getVm(vm: string, signal?: AbortSignal): Promise<VmInfo>;
  powerOn(vm: string, task?: TaskOptions): Promise<void>;
  powerOff(vm: string, task?: TaskOptions): Promise<void>;
  swapDiskBacking(vm: string, deviceKey: number, fileName: string, opts?: { capacityBytes?: number; diskMode?: DiskMode }, task?: TaskOptions): Promise<VmDisk>;
  deleteFile(datacenter: string, datastorePath: string, task?: TaskOptions): Promise<void>;
  createNasDatastore(host: string, volume: NasVolume, signal?: AbortSignal): Promise<string>;
  removeDatastore(host: string, datastore: string, signal?: AbortSignal): Promise<void>;
  nasDatastores(signal?: AbortSignal): Promise<NasDatastore[]>;
  reconfigure(vm: string, spec: ReconfigureSpec, task?: TaskOptions): Promise<void>;
  relocateDisks(vm: string, disks: ReadonlyArray<{ readonly deviceKey: number; readonly datastore: string }>, task?: TaskOptions): Promise<void>;
  /** Waits for a task started earlier (a relocation recorded before a restart). */
  waitForTask(task: MoRef, description: string, opts?: TaskOptions): Promise<unknown>;
  /** Task.CancelTask: asks vCenter to cancel a task; it may still succeed. */
  cancelTask(task: MoRef, signal?: AbortSignal): Promise<void>;
}
