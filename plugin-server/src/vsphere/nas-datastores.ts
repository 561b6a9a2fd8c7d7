/**
 * NFS datastores and moving disks between datastores: mounting an NFS v3 share on a host as a
 * datastore (HostDatastoreSystem.CreateNasDatastore with a HostNasVolumeSpec: `localPath` is the
 * datastore's name, the host mounts `remoteHost:remotePath`), unmounting it
 * (HostDatastoreSystem.RemoveDatastore), the hosts a datastore is mounted on (Datastore.host),
 * and moving a VM's disks to another datastore while it runs (RelocateVM_Task with one
 * VirtualMachineRelocateSpecDiskLocator per disk: Storage vMotion).
 */
import { retrieveFromContainer, retrieveOne } from './property-collector.js';
import { runTask, type TaskOptions } from './tasks.js';
import { VimProtocolError } from './vim-errors.js';
import type { VimSession } from './vim-session.js';
import { arrayOf, bool, decodeMoRef, encodeMoRef, field, str, typed, type MoRef } from './vim-values.js';

export interface NasVolume {
  /** The datastore's name (HostNasVolumeSpec.localPath). */
  readonly name: string;
  readonly remoteHost: string;
  readonly remotePath: string;
  readonly readOnly?: boolean;
}

export interface NasDatastore {
  readonly moref: string;
  readonly name: string;
  readonly remoteHost: string | undefined;
  readonly remotePath: string | undefined;
  /** Host morefs with the share mounted, and whether each sees it (accessible). */
  readonly mounts: ReadonlyArray<{ readonly host: string; readonly accessible: boolean }>;
  /** VMs with files on the datastore. */
  readonly vms: readonly string[];
}

const hostRef = (host: string): MoRef => ({ type: 'HostSystem', value: host });
const datastoreRef = (ds: string): MoRef => ({ type: 'Datastore', value: ds });

async function datastoreSystem(session: VimSession, host: string, signal?: AbortSignal): Promise<MoRef> {
  const { props } = await retrieveOne(session, hostRef(host), ['configManager.datastoreSystem'], signal);
  const dss = decodeMoRef(props.get('configManager.datastoreSystem'));
  if (!dss) throw new VimProtocolError(`host ${host} has no datastore system`);
  return dss;
}

/** Mounts an NFS v3 share on a host as a datastore; returns the datastore's moref. */
export async function createNasDatastore(session: VimSession, host: string, volume: NasVolume, signal?: AbortSignal): Promise<string> {
  const dss = await datastoreSystem(session, host, signal);
  const spec = typed('HostNasVolumeSpec', {
    remoteHost: volume.remoteHost,
    remotePath: volume.remotePath,
    localPath: volume.name,
    accessMode: volume.readOnly ? 'readOnly' : 'readWrite',
    type: 'NFS',
  });
  const ds = decodeMoRef(await session.call('CreateNasDatastore', { _this: encodeMoRef(dss), spec }, signal));
  if (!ds) throw new VimProtocolError('CreateNasDatastore returned no datastore');
  return ds.value;
}

/** Unmounts a datastore from a host. */
export async function removeDatastore(session: VimSession, host: string, datastore: string, signal?: AbortSignal): Promise<void> {
  const dss = await datastoreSystem(session, host, signal);
  await session.call('RemoveDatastore', { _this: encodeMoRef(dss), datastore: encodeMoRef(datastoreRef(datastore)) }, signal);
}

/** The NFS datastores vCenter knows, with their mounts. */
export async function nasDatastores(session: VimSession, signal?: AbortSignal): Promise<NasDatastore[]> {
  const found = await retrieveFromContainer(
    session,
    session.serviceContent.rootFolder,
    ['Datastore'],
    [{ type: 'Datastore', paths: ['name', 'summary.type', 'info', 'host', 'vm'] }],
    signal,
  );
  const out: NasDatastore[] = [];
  for (const o of found) {
    const type = str(o.props.get('summary.type'));
    if (type !== 'NFS' && type !== 'NFS41') continue;
    const nas = field(o.props.get('info'), 'nas');
    const mounts = arrayOf(o.props.get('host'), 'DatastoreHostMount').map((m) => ({
      host: decodeMoRef(field(m, 'key'))?.value ?? '',
      accessible: bool(field(field(m, 'mountInfo'), 'accessible')) ?? true,
    }));
    out.push({
      moref: o.obj.value,
      name: str(o.props.get('name')) ?? o.obj.value,
      remoteHost: str(field(nas, 'remoteHost')),
      remotePath: str(field(nas, 'remotePath')),
      mounts,
      vms: arrayOf(o.props.get('vm'), 'ManagedObjectReference').map((v) => decodeMoRef(v)?.value ?? '').filter((v) => v !== ''),
    });
  }
  return out;
}

/** Moves disks of a VM to other datastores (Storage vMotion); the VM keeps running. */
export async function relocateDisks(
  session: VimSession,
  vm: string,
  disks: ReadonlyArray<{ readonly deviceKey: number; readonly datastore: string }>,
  task: TaskOptions = {},
): Promise<void> {
  const spec = {
    disk: disks.map((d) => ({ diskId: d.deviceKey, datastore: encodeMoRef(datastoreRef(d.datastore)) })),
  };
  await runTask(session, 'RelocateVM_Task', { _this: encodeMoRef({ type: 'VirtualMachine', value: vm }), spec }, `relocation of the disks of ${vm}`, task);
}
