/**
 * New instance: a new VM from a restore point's stored configuration (guest, CPUs, memory, disk
 * controllers, network cards) with a chosen name, folder, resource pool or host, datastore and
 * network mapping. Its disks are restored into the new VM's own folder `[ds] <name>/` before the VM
 * is created around them with one CreateVM_Task; it is powered on if asked. It never clashes with
 * the source VM: vCenter gives it a new instance UUID and BIOS UUID, and its network cards get
 * generated MAC addresses.
 *
 * Intent is saved in the job's checkpoint before each step (folder made, VM being created, VM
 * created). A failure or an interrupted job is rolled back: the VM, if one was created (found by
 * its moref, or by its configuration file in the folder when the crash came during CreateVM_Task),
 * is destroyed and the folder deleted. The source VM and the restore point are only read.
 */
import { describeError } from '../errors/index.js';
import {
  formatDatastorePath,
  type CreateVmConfig,
  type DatastoreInfo,
  type DiskController,
  type ExistingDiskSpec,
  type Inventory,
  type NetworkInfo,
  type NicSpec,
  type NicType,
  type ScsiControllerSpec,
  type ScsiControllerType,
  type VmNic,
  type VmPlacement,
} from '../vsphere/index.js';
import { RecoveryError } from './recovery-error.js';
import { cleanupSignal, deleteFolders, isInFolder, readPoint, undo, uploadDisks, type PointSource, type RecoveryContext, type RecoveryDeps } from './recovery-steps.js';
import type { DatacenterRef } from './recovery-store.js';
import type { RecoveryVcenter } from './recovery-vcenter.js';

export interface InstantiateRequest {
  pointId: string;
  /** The vCenter to create the VM in. */
  vcenterGuid: string;
  name: string;
  /** Datastore name for the VM's files and disks; default the source VM's. */
  datastore: string | null;
  /** VM folder moref; default the datacenter's VM folder. */
  folder: string | null;
  /** Resource pool moref; default the root pool of the datacenter's first compute resource. */
  pool: string | null;
  /** Host moref, when the VM must run on one host. */
  host: string | null;
  /** Source network name → target network name; unmapped networks keep their name. */
  networks: Record<string, string>;
  powerOn: boolean;
  /** Where the point is read from; default the local store. */
  source?: PointSource;
  /** Give the network cards the point's MAC addresses (a failover that keeps the VM's identity); default: new ones. */
  keepMacAddresses?: boolean;
}

/** Saved before each step so the clean-up knows what exists. */
export interface InstantiateCheckpoint {
  vcenterGuid: string;
  datacenter: DatacenterRef;
  /** "[ds] <name>": the new VM's folder, made by this job. */
  folder: string;
  name: string;
  stage: 'upload' | 'create' | 'created';
  vm: string | null;
  /** The CreateVM_Task under way (moref), once vCenter started it: what a clean-up after a crash waits for. */
  task?: string;
}

export interface InstantiateResult {
  pointId: string;
  vm: { vcenterGuid: string; moref: string; name: string; instanceUuid: string | null };
  poweredOn: boolean;
  disks: Array<{ pointDisk: number; file: string }>;
}

const SCSI_TYPES: readonly string[] = ['ParaVirtualSCSIController', 'VirtualLsiLogicSASController', 'VirtualLsiLogicController', 'VirtualBusLogicController'];
const NIC_TYPES: readonly string[] = ['VirtualVmxnet3', 'VirtualE1000e', 'VirtualE1000', 'VirtualVmxnet2', 'VirtualPCNet32'];
const NAME = /^[^/\\[\]%"<>|*?:]{1,80}$/;

/** The parts of a point's recorded VM configuration a new instance is built from. */
export interface StoredConfig {
  guestId: string;
  cpus: number;
  memoryMiB: number;
  vmxPath: string | undefined;
  disks: Array<{ key: number; controllerKey: number; unitNumber: number | undefined }>;
  controllers: DiskController[];
  nics: VmNic[];
}

export function storedConfig(cfg: Record<string, unknown>): StoredConfig {
  const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  return {
    guestId: typeof cfg['guestId'] === 'string' ? cfg['guestId'] : 'otherGuest64',
    cpus: typeof cfg['cpus'] === 'number' && cfg['cpus'] > 0 ? cfg['cpus'] : 1,
    memoryMiB: typeof cfg['memoryMiB'] === 'number' && cfg['memoryMiB'] > 0 ? cfg['memoryMiB'] : 1024,
    vmxPath: typeof cfg['vmxPath'] === 'string' ? cfg['vmxPath'] : undefined,
    disks: arr(cfg['disks']),
    controllers: arr(cfg['controllers']),
    nics: arr(cfg['nics']),
  };
}

/**
 * The devices of the new VM: the point's SCSI controllers (under temporary keys), each disk in its
 * original slot when its controller is SCSI, else on the next free unit of the first controller,
 * and the network cards mapped, without their MAC addresses unless they are kept.
 */
export function planDevices(
  cfg: StoredConfig,
  disks: ReadonlyArray<{ pointDisk: number; file: string; capacity: number }>,
  networks: Readonly<Record<string, string>>,
  keepMacAddresses = false,
): { scsiControllers: ScsiControllerSpec[]; existingDisks: ExistingDiskSpec[]; nics: NicSpec[] } {
  const scsi = cfg.controllers.filter((c) => c.bus === 'scsi' && SCSI_TYPES.includes(c.type)).sort((a, b) => a.busNumber - b.busNumber);
  const keyOf = new Map<number, number>();
  const scsiControllers: ScsiControllerSpec[] = scsi.map((c, i) => {
    keyOf.set(c.key, -100 - i);
    return { key: -100 - i, busNumber: c.busNumber, type: c.type as ScsiControllerType };
  });
  if (scsiControllers.length === 0) scsiControllers.push({ key: -100, busNumber: 0, type: 'ParaVirtualSCSIController' });
  const firstKey = scsiControllers[0]?.key ?? -100;
  const used = new Set<string>();
  const placed: Array<{ d: (typeof disks)[number]; controllerKey: number; unitNumber: number | undefined }> = disks.map((d) => {
    const src = cfg.disks.find((x) => x.key === d.pointDisk);
    const controllerKey = src ? keyOf.get(src.controllerKey) : undefined;
    if (controllerKey !== undefined && src?.unitNumber !== undefined) {
      used.add(`${controllerKey}:${src.unitNumber}`);
      return { d, controllerKey, unitNumber: src.unitNumber };
    }
    return { d, controllerKey: firstKey, unitNumber: undefined };
  });
  const existingDisks: ExistingDiskSpec[] = placed.map((p) => {
    let unit = p.unitNumber;
    if (unit === undefined) {
      unit = 0;
      while (unit === 7 || used.has(`${p.controllerKey}:${unit}`)) unit++;
      used.add(`${p.controllerKey}:${unit}`);
    }
    return { fileName: p.d.file, controllerKey: p.controllerKey, unitNumber: unit, capacityBytes: p.d.capacity };
  });
  const nics: NicSpec[] = cfg.nics.map((n) => {
    const from = n.network.name ?? '';
    const to = mappedNetwork(networks, from);
    if (to === '') throw new RecoveryError('validation', `network card ${n.label} of the point has no network name to map; give one in networks`, { nic: n.label });
    const mac = keepMacAddresses && n.macAddress ? { macAddress: n.macAddress } : {};
    return { type: (NIC_TYPES.includes(n.type) ? n.type : 'VirtualVmxnet3') as NicType, network: { name: to }, startConnected: n.startConnected ?? true, ...mac };
  });
  return { scsiControllers, existingDisks, nics };
}

export function validateInstanceName(name: unknown): string {
  // eslint-disable-next-line no-control-regex -- control characters have no place in a VM name
  if (typeof name !== 'string' || !NAME.test(name) || /[\u0000-\u001f]/.test(name) || name.trim() !== name) {
    throw new RecoveryError('validation', 'name must be 1 to 80 characters without / \\ [ ] % " < > | * ? : or leading and trailing spaces', { field: 'name' });
  }
  return name;
}

async function findVmInFolder(vc: RecoveryVcenter, folder: string, signal: AbortSignal): Promise<string | undefined> {
  const inv = await vc.inventory(signal);
  return inv.vms.find((v) => v.vmxPath !== undefined && isInFolder(v.vmxPath, folder))?.moref;
}

/** Destroys the VM this job made (if any) and deletes its folder. Idempotent. */
async function rollBack(vc: RecoveryVcenter, cp: InstantiateCheckpoint, signal: AbortSignal): Promise<void> {
  if (cp.stage === 'create' && cp.task !== undefined && vc.waitForTask) {
    // The job stopped (a crash) while vCenter created the VM: vCenter goes on with the task, so it
    // must end before the folder is deleted, or it writes the VM's files into a folder already gone.
    await vc.waitForTask({ type: 'Task', value: cp.task }, `creation of VM ${cp.name}`, { signal }).catch(() => undefined);
  }
  const vm = cp.vm ?? (cp.stage === 'upload' ? undefined : await findVmInFolder(vc, cp.folder, signal));
  if (vm) {
    const inv = await vc.inventory(signal);
    const found = inv.vms.find((v) => v.moref === vm);
    if (found) {
      if (found.powerState !== 'poweredOff') await vc.powerOff(vm, { signal });
      await vc.destroyVm(vm, { signal });
    }
  }
  await deleteFolders(vc, cp.datacenter, [cp.folder], signal);
}

/** Where a new instance goes: its datastore, datacenter, folder, pool and host, and the networks its cards join. */
export interface InstantiateTargets {
  readonly datastore: DatastoreInfo;
  readonly datacenter: DatacenterRef;
  readonly placement: VmPlacement;
  /** Every network of the inventory a card would be connected to (by name: all networks of that name). */
  readonly networks: readonly NetworkInfo[];
}

/**
 * Resolves a request's targets as the job will use them: the datastore named (or the source
 * VM's), which must exist in this vCenter; its datacenter; the folder and pool given, or the
 * datacenter's defaults; and the networks the point's cards map to, which must exist.
 */
export async function resolveTargets(
  vc: Pick<RecoveryVcenter, 'defaultPlacement'>,
  inv: Inventory,
  cfg: Pick<StoredConfig, 'vmxPath' | 'nics'>,
  req: Pick<InstantiateRequest, 'datastore' | 'folder' | 'pool' | 'host' | 'networks'>,
  signal: AbortSignal,
): Promise<InstantiateTargets> {
  const datastoreName = req.datastore ?? (cfg.vmxPath ? /^\[([^\]]+)\]/.exec(cfg.vmxPath)?.[1] : undefined);
  const ds = inv.datastores.find((d) => d.name === datastoreName);
  if (!ds) throw new RecoveryError('validation', `datastore ${datastoreName ?? '(none given)'} does not exist in this vCenter; choose one`, { field: 'datastore' });
  const dc = inv.datacenters.find((d) => d.moref === ds.datacenter) ?? inv.datacenters[0];
  if (!dc) throw new RecoveryError('validation', `datastore ${ds.name} is in no datacenter`, { field: 'datastore' });
  const defaults = await vc.defaultPlacement(dc.moref, signal);
  const placement: VmPlacement = {
    folder: req.folder ? { type: 'Folder', value: req.folder } : defaults.folder,
    pool: req.pool ? { type: 'ResourcePool', value: req.pool } : defaults.pool,
    ...(req.host ? { host: { type: 'HostSystem', value: req.host } } : {}),
  };
  const networks: NetworkInfo[] = [];
  for (const name of new Set(cfg.nics.map((n) => mappedNetwork(req.networks, n.network.name ?? '')))) {
    if (name === '') continue;
    const found = inv.networks.filter((n) => n.name === name);
    if (found.length === 0) throw new RecoveryError('validation', `network ${name} does not exist in this vCenter; map the point's network to one that does`, { field: 'networks' });
    networks.push(...found);
  }
  return { datastore: ds, datacenter: { moref: dc.moref, path: dc.path }, placement, networks };
}

/** The network a card of the point joins: its mapping, or its own name. Own keys only: a network named "constructor" is a name. */
function mappedNetwork(networks: Readonly<Record<string, string>>, from: string): string {
  return Object.hasOwn(networks, from) ? (networks[from] ?? from) : from;
}

/** The targets of a new instance of a point, for the API to check the user's privileges on before queueing it. */
export async function instantiateTargets(deps: Pick<RecoveryDeps, 'repository' | 'vcenters'>, req: InstantiateRequest, signal: AbortSignal): Promise<InstantiateTargets> {
  const manifest = await readPoint(deps.repository, req.pointId, signal);
  const vc = await deps.vcenters.vcenter(req.vcenterGuid, signal);
  return resolveTargets(vc, await vc.inventory(signal), storedConfig(manifest.vm.config), req, signal);
}

export async function runInstantiate(
  deps: RecoveryDeps,
  req: InstantiateRequest,
  ctx: RecoveryContext & { saveCheckpoint(cp: InstantiateCheckpoint): void },
): Promise<InstantiateResult> {
  const signal = ctx.signal;
  ctx.phase('prepare');
  validateInstanceName(req.name);
  const manifest = await readPoint(deps.repository, req.pointId, signal);
  const cfg = storedConfig(manifest.vm.config);
  const vc = await deps.vcenters.vcenter(req.vcenterGuid, signal);
  const inv = await vc.inventory(signal);
  if (inv.vms.some((v) => v.name === req.name)) throw new RecoveryError('conflict', `a VM named ${req.name} already exists`, { field: 'name' });
  const { datastore: ds, datacenter, placement } = await resolveTargets(vc, inv, cfg, req, signal);
  const folder = formatDatastorePath(ds.name, req.name);
  const disks = [...manifest.disks]
    .sort((a, b) => a.disk - b.disk)
    .map((d, i) => ({ pointDisk: d.disk, file: `${folder}/${req.name}${i === 0 ? '' : `_${i}`}.vmdk`, capacity: d.capacity }));
  const devices = planDevices(cfg, disks, req.networks, req.keepMacAddresses === true);

  let cp: InstantiateCheckpoint = { vcenterGuid: req.vcenterGuid, datacenter, folder, name: req.name, stage: 'upload', vm: null };
  // A folder of that name belongs to someone else: refuse rather than write into it. The
  // checkpoint is saved once the folder is known to be this job's: a crash in between leaves an
  // empty folder, which is better than a clean-up that might delete another VM's. A cancel or a
  // stop does not cut the call short (vCenter would make the folder all the same, unknown to the
  // job): its answer is awaited, and the folder then removed like everything else the job made.
  signal.throwIfAborted();
  try {
    await vc.makeDirectory(datacenter.moref, folder, { createParents: false }, AbortSignal.timeout(deps.cleanupTimeoutMs ?? 10 * 60_000));
  } catch (err) {
    throw new RecoveryError('conflict', `cannot make the folder ${folder} for the new VM (${describeError(err)}); choose another name or datastore`, { field: 'name' }, { cause: err });
  }
  ctx.saveCheckpoint(cp);
  const save = (next: InstantiateCheckpoint): void => {
    cp = next;
    ctx.saveCheckpoint(cp);
  };
  try {
    signal.throwIfAborted();
    ctx.phase('upload');
    await uploadDisks(deps, vc, ctx, req.pointId, datacenter, [], disks.map((d) => ({ pointDisk: d.pointDisk, descriptor: d.file })));
    ctx.phase('create');
    save({ ...cp, stage: 'create' });
    const config: CreateVmConfig = {
      name: req.name,
      guestId: cfg.guestId,
      vmPathName: `${folder}/${req.name}.vmx`,
      numCpus: cfg.cpus,
      memoryMiB: cfg.memoryMiB,
      annotation: `Restored by Lifeline from restore point ${req.pointId} of ${manifest.vm.name}`,
      ...devices,
    };
    // A cancel does not stop a vCenter task under way: the job waits for CreateVM_Task and
    // PowerOnVM_Task to end (within the clean-up time) and then undoes them, so the undo finds
    // the VM vCenter made instead of deleting its folder while the task still writes into it.
    const taskSignal = AbortSignal.timeout(deps.cleanupTimeoutMs ?? 10 * 60_000);
    const moref = await vc.createVm(placement, config, { signal: taskSignal, onTask: (t) => save({ ...cp, task: t.value }) });
    save({ ...cp, stage: 'created', vm: moref });
    ctx.log(`VM ${req.name} (${moref}) created from ${req.pointId} in ${folder}`);
    signal.throwIfAborted();
    if (req.powerOn) {
      ctx.phase('power-on');
      await vc.powerOn(moref, { signal: taskSignal });
      ctx.log(`VM ${req.name} powered on`);
      signal.throwIfAborted();
    }
    const made = await vc.getVm(moref, signal);
    return {
      pointId: req.pointId,
      vm: { vcenterGuid: req.vcenterGuid, moref, name: req.name, instanceUuid: made.instanceUuid ?? null },
      poweredOn: req.powerOn,
      disks: disks.map((d) => ({ pointDisk: d.pointDisk, file: d.file })),
    };
  } catch (err) {
    ctx.log(`new instance failed (${describeError(err)}); removing what was made`, 'error');
    await undo(`removing ${folder}`, err, () => rollBack(vc, cp, cleanupSignal(signal, deps.cleanupTimeoutMs)));
    throw err;
  }
}

/** The clean-up of an interrupted new-instance job: everything it made is removed. */
export async function resolveInstantiate(deps: Pick<RecoveryDeps, 'vcenters'>, cp: InstantiateCheckpoint, signal: AbortSignal): Promise<void> {
  const vc = await deps.vcenters.vcenter(cp.vcenterGuid, signal);
  await rollBack(vc, cp, signal);
}
