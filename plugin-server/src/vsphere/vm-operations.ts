/**
 * What Lifeline does to VMs: snapshots, Changed Block Tracking, reconfiguring disks, creating,
 * powering and destroying VMs. Each operation that vCenter runs as a task is run to completion.
 */
import { ValidationError } from '../errors/index.js';
import { retrieveFromContainer, retrieveOne } from './property-collector.js';
import { runTask, type TaskOptions } from './tasks.js';
import {
  addExistingDiskChange,
  createDiskChange,
  decodeDevices,
  findRawDevice,
  nicChange,
  removeDeviceChange,
  scsiControllerChange,
  type DiskMode,
  type ExistingDiskSpec,
  type NewDiskSpec,
  type NicSpec,
  type ScsiControllerSpec,
  type VmDisk,
} from './virtual-devices.js';
import { VimFaultError, VimProtocolError } from './vim-errors.js';
import type { VimSession } from './vim-session.js';
import { arrayOf, asArray, bool, compact, date, decodeMoRef, encodeMoRef, field, num, str, type MoRef } from './vim-values.js';

export const vmRef = (vm: string): MoRef => ({ type: 'VirtualMachine', value: vm });
export const snapshotRef = (snapshot: string): MoRef => ({ type: 'VirtualMachineSnapshot', value: snapshot });

// ---- snapshots ----------------------------------------------------------------------------------

export interface SnapshotOptions {
  readonly name: string;
  readonly description?: string | undefined;
  /** Include the VM's memory (a powered-on VM then resumes exactly there on revert). */
  readonly memory?: boolean | undefined;
  /** Quiesce the guest file systems through VMware Tools (application-consistent on Windows via VSS). */
  readonly quiesce?: boolean | undefined;
}

export interface SnapshotNode {
  readonly moref: string;
  readonly name: string;
  readonly description: string;
  readonly id: number | undefined;
  /** ISO-8601 UTC. */
  readonly createTime: string | undefined;
  /** The VM's power state when the snapshot was taken. */
  readonly powerState: string | undefined;
  readonly quiesced: boolean;
  readonly children: readonly SnapshotNode[];
}

export interface SnapshotTree {
  /** The snapshot the VM runs on, if any. */
  readonly current: string | undefined;
  readonly roots: readonly SnapshotNode[];
}

/** Takes a snapshot; returns its moref. */
export async function createSnapshot(session: VimSession, vm: string, opts: SnapshotOptions, task: TaskOptions = {}): Promise<string> {
  const result = await runTask(
    session,
    'CreateSnapshot_Task',
    { _this: encodeMoRef(vmRef(vm)), name: opts.name, description: opts.description ?? '', memory: opts.memory ?? false, quiesce: opts.quiesce ?? false },
    `snapshot of ${vm}`,
    task,
  );
  const ref = isMoRef(result) ? result : undefined;
  if (!ref) throw new VimProtocolError(`CreateSnapshot_Task on ${vm} returned no snapshot`);
  return ref.value;
}

function isMoRef(v: unknown): v is MoRef {
  return typeof v === 'object' && v !== null && typeof (v as MoRef).type === 'string' && typeof (v as MoRef).value === 'string';
}

export interface RemoveSnapshotOptions {
  /** Also remove the snapshots below it. */
  readonly removeChildren?: boolean | undefined;
  /** Consolidate the disks afterwards (vCenter's default). */
  readonly consolidate?: boolean | undefined;
}

export async function removeSnapshot(session: VimSession, snapshot: string, opts: RemoveSnapshotOptions = {}, task: TaskOptions = {}): Promise<void> {
  await runTask(
    session,
    'RemoveSnapshot_Task',
    { _this: encodeMoRef(snapshotRef(snapshot)), removeChildren: opts.removeChildren ?? false, consolidate: opts.consolidate ?? true },
    `removal of snapshot ${snapshot}`,
    task,
  );
}

export async function revertToSnapshot(session: VimSession, snapshot: string, opts: { suppressPowerOn?: boolean } = {}, task: TaskOptions = {}): Promise<void> {
  await runTask(
    session,
    'RevertToSnapshot_Task',
    compact({ _this: encodeMoRef(snapshotRef(snapshot)), suppressPowerOn: opts.suppressPowerOn }),
    `revert to snapshot ${snapshot}`,
    task,
  );
}

function decodeSnapshotNode(raw: unknown): SnapshotNode | undefined {
  const ref = decodeMoRef(field(raw, 'snapshot'));
  if (!ref) return undefined;
  return {
    moref: ref.value,
    name: str(field(raw, 'name')) ?? '',
    description: str(field(raw, 'description')) ?? '',
    id: num(field(raw, 'id')),
    createTime: date(field(raw, 'createTime'))?.toISOString(),
    powerState: str(field(raw, 'state')),
    quiesced: bool(field(raw, 'quiesced')) ?? false,
    children: asArray(field(raw, 'childSnapshotList'))
      .map(decodeSnapshotNode)
      .filter((n): n is SnapshotNode => n !== undefined),
  };
}

function decodeSnapshotTree(info: unknown): SnapshotTree {
  return {
    current: decodeMoRef(field(info, 'currentSnapshot'))?.value,
    roots: arrayOf(field(info, 'rootSnapshotList'), 'VirtualMachineSnapshotTree')
      .map(decodeSnapshotNode)
      .filter((n): n is SnapshotNode => n !== undefined),
  };
}

export async function snapshotTree(session: VimSession, vm: string, signal?: AbortSignal): Promise<SnapshotTree> {
  const { props } = await retrieveOne(session, vmRef(vm), ['snapshot'], signal);
  return decodeSnapshotTree(props.get('snapshot'));
}

/**
 * The snapshot trees of every VM that has snapshots, by VM moref, in one property collector
 * query (a VM without snapshots has no `snapshot` property and is left out).
 */
export async function allSnapshotTrees(session: VimSession, signal?: AbortSignal): Promise<Map<string, SnapshotTree>> {
  const objects = await retrieveFromContainer(session, session.serviceContent.rootFolder, ['VirtualMachine'], [{ type: 'VirtualMachine', paths: ['snapshot'] }], signal);
  const trees = new Map<string, SnapshotTree>();
  for (const o of objects) {
    const info = o.props.get('snapshot');
    if (info !== undefined && info !== null) trees.set(o.obj.value, decodeSnapshotTree(info));
  }
  return trees;
}

/** The disks as they are in a snapshot: the files to read and each disk's changeId at that point. */
export async function snapshotDisks(session: VimSession, snapshot: string, signal?: AbortSignal): Promise<VmDisk[]> {
  const { props } = await retrieveOne(session, snapshotRef(snapshot), ['config.hardware.device'], signal);
  return [...decodeDevices(props.get('config.hardware.device')).disks];
}

// ---- Changed Block Tracking ---------------------------------------------------------------------

export interface DiskArea {
  readonly start: number;
  readonly length: number;
}

/** Turns Changed Block Tracking on or off. It takes effect at the VM's next snapshot or power cycle. */
export async function setChangeTracking(session: VimSession, vm: string, enabled: boolean, task: TaskOptions = {}): Promise<void> {
  await reconfigure(session, vm, { changeTrackingEnabled: enabled }, task);
}

export interface ChangedAreasQuery {
  readonly vm: string;
  readonly snapshot: string;
  readonly deviceKey: number;
  /** "*" for every allocated area, or the changeId of an earlier snapshot of the disk. */
  readonly changeId: string;
  /** The disk's capacity at the snapshot; read from the snapshot when not given. */
  readonly capacityBytes?: number | undefined;
  readonly startOffset?: number | undefined;
}

/**
 * QueryChangedDiskAreas over the whole disk: each reply covers `[startOffset, startOffset + length)`
 * and the next query starts where it ended, until the capacity is reached. Areas come in order.
 */
export async function* changedDiskAreas(session: VimSession, q: ChangedAreasQuery, signal?: AbortSignal): AsyncGenerator<DiskArea[]> {
  let capacity = q.capacityBytes;
  if (capacity === undefined) {
    const disk = (await snapshotDisks(session, q.snapshot, signal)).find((d) => d.key === q.deviceKey);
    if (!disk) throw new VimFaultError('InvalidArgument', `snapshot ${q.snapshot} has no disk ${q.deviceKey}`, { method: 'QueryChangedDiskAreas' });
    capacity = disk.capacityBytes;
  }
  let offset = q.startOffset ?? 0;
  while (offset < capacity) {
    const reply = await session.call(
      'QueryChangedDiskAreas',
      {
        _this: encodeMoRef(vmRef(q.vm)),
        snapshot: encodeMoRef(snapshotRef(q.snapshot)),
        deviceKey: q.deviceKey,
        startOffset: offset,
        changeId: q.changeId,
      },
      signal,
    );
    const start = num(field(reply, 'startOffset'));
    const length = num(field(reply, 'length'));
    if (start === undefined || length === undefined || start !== offset || length <= 0) {
      throw new VimProtocolError(`QueryChangedDiskAreas for disk ${q.deviceKey} of ${q.vm} answered a range that does not continue at ${offset}`, {
        startOffset: start,
        length,
      });
    }
    const areas: DiskArea[] = [];
    for (const a of asArray(field(reply, 'changedArea'))) {
      const s = num(field(a, 'start'));
      const l = num(field(a, 'length'));
      if (s !== undefined && l !== undefined && l > 0) areas.push({ start: s, length: l });
    }
    yield areas;
    offset = start + length;
  }
}

/**
 * Every changed area of a disk (see changedDiskAreas), in order. An area that a reply boundary cut
 * in two is joined again.
 */
export async function queryChangedDiskAreas(session: VimSession, q: ChangedAreasQuery, signal?: AbortSignal): Promise<DiskArea[]> {
  const out: DiskArea[] = [];
  for await (const areas of changedDiskAreas(session, q, signal)) {
    for (const a of areas) {
      const last = out[out.length - 1];
      if (last && last.start + last.length === a.start) out[out.length - 1] = { start: last.start, length: last.length + a.length };
      else out.push(a);
    }
  }
  return out;
}

// ---- reconfiguring ------------------------------------------------------------------------------

/** The parts of a VirtualMachineConfigSpec Lifeline sets. */
export interface ReconfigureSpec {
  readonly name?: string | undefined;
  readonly annotation?: string | undefined;
  readonly numCpus?: number | undefined;
  readonly memoryMiB?: number | undefined;
  readonly changeTrackingEnabled?: boolean | undefined;
  /** VirtualDeviceConfigSpec entries, from the builders in virtual-devices. */
  readonly deviceChange?: readonly Record<string, unknown>[] | undefined;
  readonly extraConfig?: Readonly<Record<string, string>> | undefined;
}

/** The VirtualMachineConfigSpec of a reconfigure or a new VM, in vim25 form. */
export function vmConfigSpec(spec: ReconfigureSpec & { guestId?: string; vmPathName?: string; firmware?: string }): Record<string, unknown> {
  return compact({
    name: spec.name,
    guestId: spec.guestId,
    annotation: spec.annotation,
    files: spec.vmPathName !== undefined ? { vmPathName: spec.vmPathName } : undefined,
    numCPUs: spec.numCpus,
    memoryMB: spec.memoryMiB,
    deviceChange: spec.deviceChange && spec.deviceChange.length > 0 ? [...spec.deviceChange] : undefined,
    extraConfig: spec.extraConfig
      ? Object.entries(spec.extraConfig).map(([key, value]) => ({
          key,
          // OptionValue.value is xsd:anyType: the string needs its type, and its prefix declared.
          value: { attributes: { 'xsi:type': 'xsd:string', 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema' }, $value: value },
        }))
      : undefined,
    changeTrackingEnabled: spec.changeTrackingEnabled,
    firmware: spec.firmware,
  });
}

export async function reconfigure(session: VimSession, vm: string, spec: ReconfigureSpec, task: TaskOptions = {}): Promise<void> {
  await runTask(session, 'ReconfigVM_Task', { _this: encodeMoRef(vmRef(vm)), spec: vmConfigSpec(spec) }, `reconfiguration of ${vm}`, task);
}

async function rawDevicesOf(session: VimSession, vm: string, signal?: AbortSignal): Promise<unknown> {
  const { props } = await retrieveOne(session, vmRef(vm), ['config.hardware.device'], signal);
  return props.get('config.hardware.device');
}

async function diskKeys(session: VimSession, vm: string, signal?: AbortSignal): Promise<Set<number>> {
  return new Set(decodeDevices(await rawDevicesOf(session, vm, signal)).disks.map((d) => d.key));
}

/** The disk that a reconfigure added: the one whose key was not there before. */
async function addedDisk(session: VimSession, vm: string, before: ReadonlySet<number>, signal?: AbortSignal): Promise<VmDisk> {
  const disks = decodeDevices(await rawDevicesOf(session, vm, signal)).disks;
  const added = disks.find((d) => !before.has(d.key));
  if (!added) throw new VimProtocolError(`the reconfiguration of ${vm} added no disk`);
  return added;
}

/** Attaches an existing disk file; returns the disk as the VM now has it. */
export async function addExistingDisk(session: VimSession, vm: string, spec: ExistingDiskSpec, task: TaskOptions = {}): Promise<VmDisk> {
  const before = await diskKeys(session, vm, task.signal);
  await reconfigure(session, vm, { deviceChange: [addExistingDiskChange(spec)] }, task);
  return addedDisk(session, vm, before, task.signal);
}

/** Adds a new, empty disk; returns it. */
export async function addNewDisk(session: VimSession, vm: string, spec: NewDiskSpec, task: TaskOptions = {}): Promise<VmDisk> {
  const before = await diskKeys(session, vm, task.signal);
  await reconfigure(session, vm, { deviceChange: [createDiskChange(spec)] }, task);
  return addedDisk(session, vm, before, task.signal);
}

async function rawDisk(session: VimSession, vm: string, deviceKey: number, signal?: AbortSignal): Promise<unknown> {
  const raw = findRawDevice(await rawDevicesOf(session, vm, signal), deviceKey);
  if (raw === undefined) throw new VimFaultError('NotFound', `${vm} has no device ${deviceKey}`, { method: 'ReconfigVM_Task' });
  return raw;
}

/** Detaches a disk; with `deleteFile` its files are deleted too, otherwise they stay on the datastore. */
export async function removeDisk(session: VimSession, vm: string, deviceKey: number, opts: { deleteFile: boolean }, task: TaskOptions = {}): Promise<void> {
  const raw = await rawDisk(session, vm, deviceKey, task.signal);
  await reconfigure(session, vm, { deviceChange: [removeDeviceChange(raw, opts.deleteFile)] }, task);
}

/**
 * Puts another disk file in the place of a disk: same controller and unit, the old file kept on
 * the datastore. Done as a remove and an add in one reconfiguration, which every vSphere version
 * accepts; the disk gets a new device key, so the disk as the VM now has it is returned.
 */
export async function swapDiskBacking(
  session: VimSession,
  vm: string,
  deviceKey: number,
  fileName: string,
  opts: { capacityBytes?: number; diskMode?: DiskMode } = {},
  task: TaskOptions = {},
): Promise<VmDisk> {
  const devices = await rawDevicesOf(session, vm, task.signal);
  const raw = findRawDevice(devices, deviceKey);
  const current = decodeDevices(devices).disks.find((d) => d.key === deviceKey);
  if (raw === undefined || !current) throw new VimFaultError('NotFound', `${vm} has no disk ${deviceKey}`, { method: 'ReconfigVM_Task' });
  if (current.unitNumber === undefined) throw new VimProtocolError(`disk ${deviceKey} of ${vm} has no unit number`);
  const before = new Set(decodeDevices(devices).disks.map((d) => d.key));
  before.delete(deviceKey);
  await reconfigure(
    session,
    vm,
    {
      deviceChange: [
        removeDeviceChange(raw, false),
        addExistingDiskChange({
          fileName,
          controllerKey: current.controllerKey,
          unitNumber: current.unitNumber,
          capacityBytes: opts.capacityBytes ?? current.capacityBytes,
          diskMode: opts.diskMode ?? (current.diskMode as DiskMode | undefined),
        }),
      ],
    },
    task,
  );
  return addedDisk(session, vm, before, task.signal);
}

// ---- creating, powering, destroying -------------------------------------------------------------

/** Where a new VM goes: its folder, resource pool and optionally a host. */
export interface VmPlacement {
  readonly folder: MoRef;
  readonly pool: MoRef;
  readonly host?: MoRef | undefined;
}

export interface CreateVmConfig {
  readonly name: string;
  /** vSphere guest id, e.g. `otherGuest64`, `ubuntu64Guest`, `windows9Server64Guest`. */
  readonly guestId: string;
  /** The datastore for the VM's files ("[datastore]"), or its .vmx path. */
  readonly vmPathName: string;
  readonly numCpus: number;
  readonly memoryMiB: number;
  readonly firmware?: 'bios' | 'efi' | undefined;
  readonly annotation?: string | undefined;
  readonly changeTrackingEnabled?: boolean | undefined;
  readonly extraConfig?: Readonly<Record<string, string>> | undefined;
  readonly scsiControllers?: readonly ScsiControllerSpec[] | undefined;
  readonly existingDisks?: readonly ExistingDiskSpec[] | undefined;
  readonly newDisks?: readonly NewDiskSpec[] | undefined;
  readonly nics?: readonly NicSpec[] | undefined;
}

/** The device changes of a new VM, in the order vCenter needs them (controllers first). */
export function createVmDeviceChanges(config: CreateVmConfig): Record<string, unknown>[] {
  return [
    ...(config.scsiControllers ?? []).map(scsiControllerChange),
    ...(config.existingDisks ?? []).map(addExistingDiskChange),
    ...(config.newDisks ?? []).map(createDiskChange),
    ...(config.nics ?? []).map(nicChange),
  ];
}

/** Creates a VM; returns its moref. */
export async function createVm(session: VimSession, placement: VmPlacement, config: CreateVmConfig, task: TaskOptions = {}): Promise<string> {
  if (config.name.trim() === '') throw new ValidationError('a new VM needs a name');
  const spec = vmConfigSpec({
    name: config.name,
    guestId: config.guestId,
    vmPathName: config.vmPathName,
    numCpus: config.numCpus,
    memoryMiB: config.memoryMiB,
    annotation: config.annotation,
    changeTrackingEnabled: config.changeTrackingEnabled,
    extraConfig: config.extraConfig,
    deviceChange: createVmDeviceChanges(config),
    ...(config.firmware !== undefined ? { firmware: config.firmware } : {}),
  });
  const result = await runTask(
    session,
    'CreateVM_Task',
    compact({ _this: encodeMoRef(placement.folder), config: spec, pool: encodeMoRef(placement.pool), host: placement.host ? encodeMoRef(placement.host) : undefined }),
    `creation of VM ${config.name}`,
    task,
  );
  if (!isMoRef(result)) throw new VimProtocolError(`CreateVM_Task for ${config.name} returned no VM`);
  return result.value;
}

/** The placement of an existing VM (its folder and resource pool), to put a new one beside it. */
export async function placementOf(session: VimSession, vm: string, signal?: AbortSignal): Promise<VmPlacement> {
  const { props } = await retrieveOne(session, vmRef(vm), ['parent', 'resourcePool'], signal);
  const folder = decodeMoRef(props.get('parent'));
  const pool = decodeMoRef(props.get('resourcePool'));
  if (!folder || !pool) throw new VimProtocolError(`${vm} has no folder or resource pool (a template or a vApp member?)`);
  return { folder, pool };
}

/**
 * The name of a folder or resource pool (any managed entity), or undefined when vCenter does not
 * know it: what a DR site checks a mapping's target against before it is stored.
 */
export async function entityName(session: VimSession, entity: MoRef, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const { props } = await retrieveOne(session, entity, ['name'], signal);
    return str(props.get('name'));
  } catch (err) {
    if (err instanceof VimFaultError && (err.faultName === 'ManagedObjectNotFound' || err.faultName === 'InvalidArgument')) return undefined;
    throw err;
  }
}

/** The VM folder of a datacenter and the root resource pool of its first compute resource. */
export async function defaultPlacement(session: VimSession, datacenter: string, signal?: AbortSignal): Promise<VmPlacement> {
  const dc = { type: 'Datacenter', value: datacenter };
  const { props } = await retrieveOne(session, dc, ['vmFolder'], signal);
  const folder = decodeMoRef(props.get('vmFolder'));
  const compute = await retrieveFromContainer(
    session,
    dc,
    ['ComputeResource', 'ClusterComputeResource'],
    [
      { type: 'ComputeResource', paths: ['name', 'resourcePool'] },
      { type: 'ClusterComputeResource', paths: ['name', 'resourcePool'] },
    ],
    signal,
  );
  compute.sort((a, b) => (str(a.props.get('name')) ?? '').localeCompare(str(b.props.get('name')) ?? ''));
  const pool = compute.map((c) => decodeMoRef(c.props.get('resourcePool'))).find((p) => p !== undefined);
  if (!folder || !pool) throw new VimProtocolError(`datacenter ${datacenter} has no VM folder or no compute resource`);
  return { folder, pool };
}

export async function powerOn(session: VimSession, vm: string, task: TaskOptions = {}): Promise<void> {
  await runTask(session, 'PowerOnVM_Task', { _this: encodeMoRef(vmRef(vm)) }, `power-on of ${vm}`, task);
}

export async function powerOff(session: VimSession, vm: string, task: TaskOptions = {}): Promise<void> {
  await runTask(session, 'PowerOffVM_Task', { _this: encodeMoRef(vmRef(vm)) }, `power-off of ${vm}`, task);
}

/**
 * Asks the guest to shut down through VMware Tools (vim25 `VirtualMachine.ShutdownGuest`, not a
 * task): vCenter returns at once, and the guest powers off when its shutdown ends. Faults
 * (vSphere API reference): `ToolsUnavailable` when Tools is not running, `InvalidPowerState`
 * when the VM is not powered on. The caller watches `runtime.powerState` for the end.
 */
export async function shutdownGuest(session: VimSession, vm: string, signal?: AbortSignal): Promise<void> {
  await session.call('ShutdownGuest', { _this: encodeMoRef(vmRef(vm)) }, signal);
}

/** Destroys a managed entity (for a VM: unregisters it and deletes its files). */
export async function destroy(session: VimSession, entity: MoRef, task: TaskOptions = {}): Promise<void> {
  await runTask(session, 'Destroy_Task', { _this: encodeMoRef(entity) }, `destruction of ${entity.type} ${entity.value}`, task);
}

