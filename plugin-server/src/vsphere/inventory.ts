/**
 * The inventory Lifeline protects: datacenters (with the inventory path the datastore file URLs
 * need), datastores, networks and VMs with what a backup needs to know about them. Everything is
 * read in one property-collector retrieval over a container view of the root folder.
 */
import type { ObjectProperties, PropertyRequest } from './property-collector.js';
import { retrieveFromContainer } from './property-collector.js';
import { decodeDevices, type DiskController, type VmDisk, type VmNic } from './virtual-devices.js';
import { VimFaultError } from './vim-errors.js';
import type { VimSession } from './vim-session.js';
import { arrayOf, bool, decodeMoRef, num, str, type MoRef } from './vim-values.js';

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';

/** Whether VMware Tools runs in the guest; quiesced snapshots need it running. */
export type ToolsState = 'running' | 'notRunning' | 'notInstalled' | 'unknown';

export interface DatacenterInfo {
  readonly moref: string;
  readonly name: string;
  /** The inventory path (folders, then the datacenter), as the `dcPath` of datastore file URLs. */
  readonly path: string;
  /** The folder new VMs go to. */
  readonly vmFolder: string | undefined;
}

export interface DatastoreInfo {
  readonly moref: string;
  readonly name: string;
  /** The datacenter's moref, when the datastore is in one. */
  readonly datacenter: string | undefined;
  readonly type: string | undefined;
  readonly capacityBytes: number | undefined;
  readonly freeBytes: number | undefined;
}

export interface NetworkInfo {
  readonly moref: string;
  /** `Network` or `DistributedVirtualPortgroup`. */
  readonly type: string;
  readonly name: string;
}

export interface VmInfo {
  /** The managed object id, e.g. `vm-42`. */
  readonly moref: string;
  readonly name: string;
  /** config.instanceUuid: stable for the life of the VM, unique within the vCenter. */
  readonly instanceUuid: string | undefined;
  /** config.uuid, the BIOS UUID the guest sees. */
  readonly biosUuid: string | undefined;
  readonly powerState: PowerState;
  /** The guest OS as configured, e.g. "Ubuntu Linux (64-bit)". */
  readonly guestOs: string | undefined;
  readonly guestId: string | undefined;
  readonly toolsState: ToolsState;
  readonly cpus: number | undefined;
  readonly memoryMiB: number | undefined;
  readonly template: boolean;
  readonly changeTrackingEnabled: boolean;
  /** The .vmx file, "[datastore] folder/name.vmx". */
  readonly vmxPath: string | undefined;
  readonly datacenter: DatacenterInfo | undefined;
  readonly networks: readonly NetworkInfo[];
  readonly disks: readonly VmDisk[];
  readonly controllers: readonly DiskController[];
  readonly nics: readonly VmNic[];
  /** runtime.host: the moref of the ESXi host running (or registered with) the VM, e.g. `host-21`. */
  readonly host?: string;
}

export interface Inventory {
  readonly datacenters: readonly DatacenterInfo[];
  readonly datastores: readonly DatastoreInfo[];
  readonly networks: readonly NetworkInfo[];
  readonly vms: readonly VmInfo[];
}

/** The properties of a VM that VmInfo is made from. Every path exists in vim25 6.5. */
export const VM_PATHS = [
  'name',
  'config.instanceUuid',
  'config.uuid',
  'config.guestFullName',
  'config.guestId',
  'config.template',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  'config.hardware.device',
  'config.changeTrackingEnabled',
  'config.files.vmPathName',
  'runtime.powerState',
  'runtime.host',
  'guest.toolsRunningStatus',
  'guest.toolsVersionStatus2',
  'network',
  'datastore',
] as const;

const CONTEXT_PROPS: readonly PropertyRequest[] = [
  { type: 'Datacenter', paths: ['name', 'parent', 'vmFolder', 'datastore'] },
  { type: 'Folder', paths: ['name', 'parent'] },
  { type: 'Datastore', paths: ['name', 'summary.type', 'summary.capacity', 'summary.freeSpace'] },
  { type: 'Network', paths: ['name'] },
  { type: 'DistributedVirtualPortgroup', paths: ['name'] },
];
const CONTEXT_TYPES = ['Datacenter', 'Folder', 'Datastore', 'Network'];

function powerState(v: unknown): PowerState {
  const s = str(v);
  return s === 'poweredOn' || s === 'suspended' ? s : 'poweredOff';
}

function toolsState(running: unknown, version: unknown): ToolsState {
  if (str(version) === 'guestToolsNotInstalled') return 'notInstalled';
  switch (str(running)) {
    case 'guestToolsRunning':
    case 'guestToolsExecutingScripts':
      return 'running';
    case 'guestToolsNotRunning':
      return 'notRunning';
    default:
      return 'unknown';
  }
}

function refs(v: unknown): MoRef[] {
  return arrayOf(v, 'ManagedObjectReference')
    .map(decodeMoRef)
    .filter((r): r is MoRef => r !== undefined);
}

interface Context {
  readonly datacenters: Map<string, DatacenterInfo>;
  readonly datastoreDc: Map<string, string>;
  readonly datastores: DatastoreInfo[];
  readonly networks: Map<string, NetworkInfo>;
}

function buildContext(objects: readonly ObjectProperties[], rootFolder: MoRef): Context {
  const folders = new Map<string, { name: string; parent: string | undefined }>();
  const dcs: ObjectProperties[] = [];
  const dsObjects: ObjectProperties[] = [];
  const networks = new Map<string, NetworkInfo>();
  for (const o of objects) {
    switch (o.obj.type) {
      case 'Folder':
        folders.set(o.obj.value, { name: str(o.props.get('name')) ?? '', parent: decodeMoRef(o.props.get('parent'))?.value });
        break;
      case 'Datacenter':
        dcs.push(o);
        break;
      case 'Datastore':
        dsObjects.push(o);
        break;
      case 'Network':
      case 'DistributedVirtualPortgroup':
      case 'OpaqueNetwork':
        networks.set(o.obj.value, { moref: o.obj.value, type: o.obj.type, name: str(o.props.get('name')) ?? o.obj.value });
        break;
    }
  }
  const datacenters = new Map<string, DatacenterInfo>();
  const datastoreDc = new Map<string, string>();
  for (const dc of dcs) {
    const name = str(dc.props.get('name')) ?? dc.obj.value;
    const parts = [name];
    let parent = decodeMoRef(dc.props.get('parent'))?.value;
    // Folders between the root and the datacenter make up its inventory path.
    for (let depth = 0; parent !== undefined && parent !== rootFolder.value && depth < 64; depth++) {
      const f = folders.get(parent);
      if (!f) break;
      parts.unshift(f.name);
      parent = f.parent;
    }
    datacenters.set(dc.obj.value, { moref: dc.obj.value, name, path: parts.join('/'), vmFolder: decodeMoRef(dc.props.get('vmFolder'))?.value });
    for (const ds of refs(dc.props.get('datastore'))) datastoreDc.set(ds.value, dc.obj.value);
  }
  const datastores = dsObjects.map(
    (o): DatastoreInfo => ({
      moref: o.obj.value,
      name: str(o.props.get('name')) ?? o.obj.value,
      datacenter: datastoreDc.get(o.obj.value),
      type: str(o.props.get('summary.type')),
      capacityBytes: num(o.props.get('summary.capacity')),
      freeBytes: num(o.props.get('summary.freeSpace')),
    }),
  );
  return { datacenters, datastoreDc, datastores, networks };
}

function decodeVm(o: ObjectProperties, ctx: Context): VmInfo {
  const p = (path: (typeof VM_PATHS)[number]): unknown => o.props.get(path);
  const devices = decodeDevices(p('config.hardware.device'));
  const datastores = refs(p('datastore'));
  // A VM's files all live in its own datacenter's datastores.
  const dcMoref = datastores.map((d) => ctx.datastoreDc.get(d.value)).find((d) => d !== undefined);
  const host = decodeMoRef(p('runtime.host'))?.value;
  return {
    ...(host !== undefined ? { host } : {}),
    moref: o.obj.value,
    name: str(p('name')) ?? o.obj.value,
    instanceUuid: str(p('config.instanceUuid')),
    biosUuid: str(p('config.uuid')),
    powerState: powerState(p('runtime.powerState')),
    guestOs: str(p('config.guestFullName')),
    guestId: str(p('config.guestId')),
    toolsState: toolsState(p('guest.toolsRunningStatus'), p('guest.toolsVersionStatus2')),
    cpus: num(p('config.hardware.numCPU')),
    memoryMiB: num(p('config.hardware.memoryMB')),
    template: bool(p('config.template')) ?? false,
    changeTrackingEnabled: bool(p('config.changeTrackingEnabled')) ?? false,
    vmxPath: str(p('config.files.vmPathName')),
    datacenter: dcMoref !== undefined ? ctx.datacenters.get(dcMoref) : undefined,
    networks: refs(p('network')).map((n) => ctx.networks.get(n.value) ?? { moref: n.value, type: n.type, name: n.value }),
    disks: devices.disks,
    controllers: devices.controllers,
    nics: devices.nics,
  };
}

/** Every datacenter, datastore, network and VM the session's user can see. */
export async function readInventory(session: VimSession, signal?: AbortSignal): Promise<Inventory> {
  const root = session.serviceContent.rootFolder;
  const objects = await retrieveFromContainer(
    session,
    root,
    ['VirtualMachine', ...CONTEXT_TYPES],
    [{ type: 'VirtualMachine', paths: VM_PATHS }, ...CONTEXT_PROPS],
    signal,
  );
  const ctx = buildContext(objects, root);
  const vms = objects.filter((o) => o.obj.type === 'VirtualMachine').map((o) => decodeVm(o, ctx));
  vms.sort((a, b) => a.name.localeCompare(b.name) || a.moref.localeCompare(b.moref));
  return { datacenters: [...ctx.datacenters.values()], datastores: ctx.datastores, networks: [...ctx.networks.values()], vms };
}

/** One VM, by moref; a ManagedObjectNotFound fault when there is no such VM. */
export async function readVm(session: VimSession, vm: string, signal?: AbortSignal): Promise<VmInfo> {
  const root = session.serviceContent.rootFolder;
  const objects = await retrieveFromContainer(
    session,
    root,
    CONTEXT_TYPES,
    [{ type: 'VirtualMachine', paths: VM_PATHS }, ...CONTEXT_PROPS],
    signal,
    [{ obj: { type: 'VirtualMachine', value: vm } }],
  );
  const found = objects.find((o) => o.obj.type === 'VirtualMachine' && o.obj.value === vm);
  if (!found) {
    throw new VimFaultError('ManagedObjectNotFound', `virtual machine ${vm} does not exist`, { method: 'RetrievePropertiesEx' });
  }
  return decodeVm(found, buildContext(objects, root));
}

/** A light listing: moref, name, power state, instance UUID and guest OS of every VM. */
export interface VmSummary {
  readonly moref: string;
  readonly name: string;
  readonly powerState: PowerState;
  readonly instanceUuid: string | undefined;
  readonly guestFullName: string | undefined;
}

export async function listVmSummaries(session: VimSession, signal?: AbortSignal): Promise<VmSummary[]> {
  const objects = await retrieveFromContainer(
    session,
    session.serviceContent.rootFolder,
    ['VirtualMachine'],
    [{ type: 'VirtualMachine', paths: ['name', 'runtime.powerState', 'config.instanceUuid', 'config.guestFullName'] }],
    signal,
  );
  return objects.map((o) => ({
    moref: o.obj.value,
    name: str(o.props.get('name')) ?? o.obj.value,
    powerState: powerState(o.props.get('runtime.powerState')),
    instanceUuid: str(o.props.get('config.instanceUuid')),
    guestFullName: str(o.props.get('config.guestFullName')),
  }));
}
