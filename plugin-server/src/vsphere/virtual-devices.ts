/**
 * A VM's virtual hardware: reading `config.hardware.device` into disks, controllers and network
 * cards, and writing the VirtualDeviceConfigSpec entries of a reconfigure or a new VM. The builders
 * are pure functions; they write fields in vim25's order (base type first), which vCenter expects
 * and node-soap cannot restore for a derived type.
 */
import { ValidationError } from '../errors/index.js';
import { parseDatastorePath } from './datastore-path.js';
import {
  ATTRIBUTES,
  VALUE,
  arrayOf,
  bool,
  compact,
  decodeMoRef,
  field,
  isRecord,
  num,
  str,
  typed,
  xsiType,
} from './vim-values.js';

export type DiskBus = 'scsi' | 'ide' | 'sata' | 'nvme';

export interface DiskController {
  readonly key: number;
  /** The vim25 type, e.g. `ParaVirtualSCSIController`. */
  readonly type: string;
  readonly bus: DiskBus;
  readonly busNumber: number;
}

export interface VmDisk {
  /** The device key (2000, 2001, ...), which QueryChangedDiskAreas takes as deviceKey. */
  readonly key: number;
  readonly label: string;
  readonly controllerKey: number;
  /** The controller's vim25 type, e.g. `ParaVirtualSCSIController`, when the controller is known. */
  readonly controllerType: string | undefined;
  readonly bus: DiskBus | undefined;
  readonly busNumber: number | undefined;
  readonly unitNumber: number | undefined;
  readonly capacityBytes: number;
  /** The datastore holding the backing file: its name (from the file name) and, when vCenter says, its moref. */
  readonly datastore: { readonly name: string; readonly moref: string | undefined };
  /** The backing (descriptor) file, "[datastore] folder/name.vmdk". */
  readonly fileName: string;
  /** The vim25 backing type, e.g. `VirtualDiskFlatVer2BackingInfo`. */
  readonly backingType: string;
  /** The CBT change id of the disk as of this configuration (a snapshot's or the running VM's). */
  readonly changeId: string | undefined;
  readonly diskMode: string | undefined;
  readonly thinProvisioned: boolean | undefined;
  readonly uuid: string | undefined;
}

export interface VmNic {
  readonly key: number;
  readonly type: string;
  readonly label: string;
  readonly macAddress: string | undefined;
  /** Standard port group: its network moref and name; distributed: the port group key and switch. */
  readonly network: { readonly moref: string | undefined; readonly name: string | undefined };
  readonly portgroupKey: string | undefined;
  readonly switchUuid: string | undefined;
  readonly connected: boolean | undefined;
  readonly startConnected: boolean | undefined;
}

export interface VmDevices {
  readonly disks: readonly VmDisk[];
  readonly controllers: readonly DiskController[];
  readonly nics: readonly VmNic[];
}

const CONTROLLER_BUS: Readonly<Record<string, DiskBus>> = {
  ParaVirtualSCSIController: 'scsi',
  VirtualLsiLogicController: 'scsi',
  VirtualLsiLogicSASController: 'scsi',
  VirtualBusLogicController: 'scsi',
  VirtualSCSIController: 'scsi',
  VirtualIDEController: 'ide',
  VirtualSATAController: 'sata',
  VirtualAHCIController: 'sata',
  VirtualNVMEController: 'nvme',
};

/** The raw devices of an `ArrayOfVirtualDevice` value. */
export function rawDevices(value: unknown): unknown[] {
  return arrayOf(value, 'VirtualDevice');
}

export function decodeDevices(value: unknown): VmDevices {
  const devices = rawDevices(value);
  const controllers: DiskController[] = [];
  for (const d of devices) {
    const type = xsiType(d) ?? '';
    const bus = CONTROLLER_BUS[type];
    const key = num(field(d, 'key'));
    if (bus !== undefined && key !== undefined) controllers.push({ key, type, bus, busNumber: num(field(d, 'busNumber')) ?? 0 });
  }
  const byKey = new Map(controllers.map((c) => [c.key, c]));
  const disks: VmDisk[] = [];
  const nics: VmNic[] = [];
  for (const d of devices) {
    const type = xsiType(d) ?? '';
    if (type === 'VirtualDisk') {
      const disk = decodeDisk(d, byKey);
      if (disk) disks.push(disk);
    } else if (isEthernetCard(d)) {
      const nic = decodeNic(d, type);
      if (nic) nics.push(nic);
    }
  }
  return { disks, controllers, nics };
}

function label(d: unknown): string {
  return str(field(field(d, 'deviceInfo'), 'label')) ?? '';
}

function decodeDisk(d: unknown, controllers: ReadonlyMap<number, DiskController>): VmDisk | undefined {
  const key = num(field(d, 'key'));
  const backing = field(d, 'backing');
  const fileName = str(field(backing, 'fileName'));
  if (key === undefined || fileName === undefined) return undefined;
  const controllerKey = num(field(d, 'controllerKey')) ?? 0;
  const controller = controllers.get(controllerKey);
  const bytes = num(field(d, 'capacityInBytes'));
  const kb = num(field(d, 'capacityInKB')) ?? 0;
  let datastoreName = '';
  try {
    datastoreName = parseDatastorePath(fileName).datastore;
  } catch {
    // An RDM or a backing without a datastore path: the name stays empty, the file name says it all.
  }
  return {
    key,
    label: label(d),
    controllerKey,
    controllerType: controller?.type,
    bus: controller?.bus,
    busNumber: controller?.busNumber,
    unitNumber: num(field(d, 'unitNumber')),
    // capacityInBytes is the precise one; capacityInKB is all that older hosts fill in.
    capacityBytes: bytes !== undefined && bytes > 0 ? bytes : kb * 1024,
    datastore: { name: datastoreName, moref: decodeMoRef(field(backing, 'datastore'))?.value },
    fileName,
    backingType: xsiType(backing) ?? '',
    changeId: str(field(backing, 'changeId')),
    diskMode: str(field(backing, 'diskMode')),
    thinProvisioned: bool(field(backing, 'thinProvisioned')),
    uuid: str(field(backing, 'uuid')),
  };
}

function isEthernetCard(d: unknown): boolean {
  const backingType = xsiType(field(d, 'backing')) ?? '';
  return backingType.startsWith('VirtualEthernetCard') || field(d, 'macAddress') !== undefined || field(d, 'addressType') !== undefined;
}

function decodeNic(d: unknown, type: string): VmNic | undefined {
  const key = num(field(d, 'key'));
  if (key === undefined) return undefined;
  const backing = field(d, 'backing');
  const port = field(backing, 'port');
  const connectable = field(d, 'connectable');
  return {
    key,
    type,
    label: label(d),
    macAddress: str(field(d, 'macAddress')),
    network: { moref: decodeMoRef(field(backing, 'network'))?.value, name: str(field(backing, 'deviceName')) },
    portgroupKey: str(field(port, 'portgroupKey')),
    switchUuid: str(field(port, 'switchUuid')),
    connected: bool(field(connectable, 'connected')),
    startConnected: bool(field(connectable, 'startConnected')),
  };
}

/** The raw device with the given key, as vCenter sent it. */
export function findRawDevice(value: unknown, key: number): unknown {
  return rawDevices(value).find((d) => num(field(d, 'key')) === key);
}

/**
 * A device as vCenter sent it, made ready to be sent back (for an edit or a remove): the type
 * attribute written as xsi:type, namespace declarations dropped, empty elements kept as empty
 * strings (only strings can be empty in a valid reply).
 */
export function reencode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reencode);
  if (value === null) return '';
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const t = xsiType(value);
  const attrs = value[ATTRIBUTES];
  const kept: Record<string, unknown> = {};
  if (isRecord(attrs)) {
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'type' || k === 'xsi:type' || k.endsWith(':type') || k.startsWith('xmlns')) continue;
      kept[k] = v;
    }
    if (typeof attrs['type'] === 'string') kept['type'] = attrs['type'];
  }
  if (t !== undefined && !t.startsWith('xsd:')) kept['xsi:type'] = t;
  if (Object.keys(kept).length > 0) out[ATTRIBUTES] = kept;
  for (const [k, v] of Object.entries(value)) {
    if (k === ATTRIBUTES) continue;
    out[k] = k === VALUE ? v : reencode(v);
  }
  return out;
}

// ---- building device changes --------------------------------------------------------------------

export type DiskMode = 'persistent' | 'independent_persistent' | 'independent_nonpersistent' | 'nonpersistent' | 'undoable' | 'append';

export interface DiskPlacement {
  /** Key of the controller the disk hangs off (1000 for the first SCSI controller, usually). */
  readonly controllerKey: number;
  readonly unitNumber: number;
  /** A temporary key for a new device; negative numbers let vCenter choose (default -1). */
  readonly key?: number | undefined;
}

export interface ExistingDiskSpec extends DiskPlacement {
  /** The disk's descriptor file, "[datastore] folder/name.vmdk". */
  readonly fileName: string;
  readonly capacityBytes: number;
  readonly diskMode?: DiskMode | undefined;
}

export interface NewDiskSpec extends DiskPlacement {
  /** "[datastore]" to let vCenter name the file in the VM's folder, or a full descriptor path. */
  readonly fileName: string;
  readonly capacityBytes: number;
  readonly thinProvisioned?: boolean | undefined;
  readonly diskMode?: DiskMode | undefined;
}

export type ScsiControllerType = 'ParaVirtualSCSIController' | 'VirtualLsiLogicSASController' | 'VirtualLsiLogicController' | 'VirtualBusLogicController';

export interface ScsiControllerSpec {
  readonly key: number;
  readonly busNumber: number;
  readonly type: ScsiControllerType;
}

export type NicType = 'VirtualVmxnet3' | 'VirtualE1000e' | 'VirtualE1000' | 'VirtualVmxnet2' | 'VirtualPCNet32';

export interface NicSpec {
  readonly key?: number | undefined;
  readonly type: NicType;
  /** A standard port group by name, or a distributed port group by switch UUID and key. */
  readonly network: { readonly name: string } | { readonly switchUuid: string; readonly portgroupKey: string };
  /** Keep a MAC address (a failover keeps the VM's identity); otherwise vCenter generates one. */
  readonly macAddress?: string | undefined;
  readonly startConnected?: boolean | undefined;
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 1024 !== 0) {
    throw new ValidationError(`a disk capacity must be a positive whole number of KiB, not ${bytes} bytes`, { capacityBytes: bytes });
  }
}

function diskDevice(spec: DiskPlacement & { capacityBytes: number }, backing: Record<string, unknown>): Record<string, unknown> {
  checkCapacity(spec.capacityBytes);
  return typed('VirtualDisk', {
    key: spec.key ?? -1,
    backing,
    controllerKey: spec.controllerKey,
    unitNumber: spec.unitNumber,
    capacityInKB: spec.capacityBytes / 1024,
    capacityInBytes: spec.capacityBytes,
  });
}

function flatBacking(fileName: string, diskMode: DiskMode | undefined, thinProvisioned?: boolean): Record<string, unknown> {
  return typed(
    'VirtualDiskFlatVer2BackingInfo',
    compact({ fileName, diskMode: diskMode ?? 'persistent', thinProvisioned }),
  );
}

/** Attaches an existing disk file (a restored or cloned disk) to a VM. */
export function addExistingDiskChange(spec: ExistingDiskSpec): Record<string, unknown> {
  parseDatastorePath(spec.fileName);
  return { operation: 'add', device: diskDevice(spec, flatBacking(spec.fileName, spec.diskMode)) };
}

/** Creates a new, empty disk. */
export function createDiskChange(spec: NewDiskSpec): Record<string, unknown> {
  parseDatastorePath(spec.fileName);
  return {
    operation: 'add',
    fileOperation: 'create',
    device: diskDevice(spec, flatBacking(spec.fileName, spec.diskMode, spec.thinProvisioned ?? true)),
  };
}

/** Removes a device (as vCenter sent it); for a disk, `deleteFile` also deletes its files. */
export function removeDeviceChange(rawDevice: unknown, deleteFile: boolean): Record<string, unknown> {
  return { operation: 'remove', ...(deleteFile ? { fileOperation: 'destroy' } : {}), device: reencode(rawDevice) };
}

export function scsiControllerChange(spec: ScsiControllerSpec): Record<string, unknown> {
  return {
    operation: 'add',
    device: typed(spec.type, { key: spec.key, busNumber: spec.busNumber, sharedBus: 'noSharing' }),
  };
}

export function nicChange(spec: NicSpec): Record<string, unknown> {
  const backing =
    'name' in spec.network
      ? typed('VirtualEthernetCardNetworkBackingInfo', { deviceName: spec.network.name })
      : typed('VirtualEthernetCardDistributedVirtualPortBackingInfo', {
          port: { switchUuid: spec.network.switchUuid, portgroupKey: spec.network.portgroupKey },
        });
  const connected = spec.startConnected ?? true;
  return {
    operation: 'add',
    device: typed(spec.type, {
      key: spec.key ?? -1,
      backing,
      connectable: { startConnected: connected, allowGuestControl: true, connected },
      ...(spec.macAddress !== undefined ? { addressType: 'manual', macAddress: spec.macAddress } : { addressType: 'generated' }),
    }),
  };
}

