import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { VimFaultError, VimTaskError, type Vcenter } from '../../plugin-server/src/vsphere/index.js';
import { MiB, connect } from './vcenter-fixture.js';

describe('vSphere adapter: inventory, snapshots, tasks, reconfiguration, VMs', () => {
  let vc: Vcsim;
  let v: Vcenter;

  beforeAll(async () => {
    vc = await startVcsim({ vms: 3, disks: 2, diskSize: 4 * MiB, clusters: 2, poweredOff: false });
    v = await connect(vc);
  }, 360_000);

  afterAll(async () => {
    await v?.logout();
    await vc?.stop();
  });

  afterEach(async () => {
    await vc.clearFaults();
  });

  const localPath = (datastorePath: string): string => {
    const m = /^\[([^\]]+)\] (.*)$/.exec(datastorePath)!;
    const ds = vc.datastores.find((d) => d.name === m[1])!;
    return join(ds.dir, m[2]!);
  };

  it('reads the inventory the simulator was started with', async () => {
    const inv = await v.inventory();
    expect(inv.datacenters.map((d) => [d.name, d.path])).toEqual([['DC0', 'DC0']]);
    expect(inv.datastores.map((d) => d.name)).toEqual(vc.datastores.map((d) => d.name));
    expect(inv.networks.some((n) => n.name === 'VM Network')).toBeTrue();
    expect(inv.vms.map((x) => x.name)).toEqual(vc.vms.map((x) => x.name).sort());
    for (const expected of vc.vms) {
      const vm = inv.vms.find((x) => x.moref === expected.moref)!;
      expect(vm.name).toBe(expected.name);
      expect(vm.instanceUuid).toBe(expected.instanceUuid);
      expect(vm.biosUuid).toBe(expected.uuid);
      expect(vm.powerState).toBe('poweredOn');
      expect(vm.guestOs).toBeTruthy();
      expect(['running', 'notRunning', 'notInstalled', 'unknown']).toContain(vm.toolsState);
      expect(vm.cpus).toBeGreaterThan(0);
      expect(vm.memoryMiB).toBeGreaterThan(0);
      expect(vm.datacenter?.path).toBe(expected.datacenter);
      expect(vm.networks.map((n) => n.name)).toEqual(['VM Network']);
      expect(vm.nics.length).toBe(1);
      expect(vm.changeTrackingEnabled).toBeFalse();
      expect(vm.disks.map((d) => ({ key: d.key, fileName: d.fileName, capacityBytes: d.capacityBytes, datastore: d.datastore.name }))).toEqual(
        expected.disks.map((d) => ({ key: d.key, fileName: d.file, capacityBytes: d.capacity, datastore: expected.datastore })),
      );
      for (const disk of vm.disks) {
        expect(disk.bus).toBe('scsi');
        expect(disk.controllerType).toBe('ParaVirtualSCSIController');
        expect(disk.unitNumber).toBe(disk.key - 2000);
        expect(disk.backingType).toBe('VirtualDiskFlatVer2BackingInfo');
      }
    }
    const one = await v.getVm(vc.vms[1]!.moref);
    expect(one).toEqual(inv.vms.find((x) => x.moref === vc.vms[1]!.moref)!);
    expect((await v.listVms()).map((x) => x.name).sort()).toEqual(inv.vms.map((x) => x.name));
  });

  it('reports a VM that does not exist as ManagedObjectNotFound', async () => {
    const err: unknown = await v.getVm('vm-999999').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as VimFaultError).faultName).toBe('ManagedObjectNotFound');
  });

  it('takes a quiesced snapshot and removes it, leaving no snapshot', async () => {
    const vm = vc.vms[0]!.moref;
    const progress: number[] = [];
    const snap = await v.createSnapshot(vm, { name: 'lifeline-test', description: 'quiesced', quiesce: true, memory: false }, { onProgress: (p) => progress.push(p) });
    expect(progress[progress.length - 1]).toBe(100);
    let tree = await v.snapshotTree(vm);
    expect(tree.current).toBe(snap);
    expect(tree.roots.length).toBe(1);
    expect(tree.roots[0]).toEqual(jasmine.objectContaining({ moref: snap, name: 'lifeline-test', description: 'quiesced', quiesced: true, children: [] }));
    expect(Date.parse(tree.roots[0]!.createTime!)).toBeGreaterThan(Date.now() - 60_000);
    expect((await v.snapshotDisks(snap)).map((d) => d.key)).toEqual([2000, 2001]);
    await v.removeSnapshot(snap);
    tree = await v.snapshotTree(vm);
    expect(tree.current).toBeUndefined();
    expect(tree.roots).toEqual([]);
  });

  it('builds a snapshot tree and reverts to a snapshot', async () => {
    const vm = vc.vms[1]!.moref;
    const first = await v.createSnapshot(vm, { name: 'first' });
    const second = await v.createSnapshot(vm, { name: 'second', memory: true });
    const tree = await v.snapshotTree(vm);
    expect(tree.roots.map((r) => r.name)).toEqual(['first']);
    expect(tree.roots[0]!.children.map((c) => [c.moref, c.name])).toEqual([[second, 'second']]);
    // All VMs' trees in one query: the same tree for this VM, and no entry for VMs without any.
    const all = await v.snapshotTrees();
    expect(all.get(vm)).toEqual(tree);
    for (const other of vc.vms.filter((x) => x.moref !== vm)) {
      const own = await v.snapshotTree(other.moref);
      if (own.roots.length === 0) expect(all.has(other.moref)).withContext(other.moref).toBeFalse();
      else expect(all.get(other.moref)).toEqual(own);
    }
    await v.revertToSnapshot(first);
    await v.removeSnapshot(first, { removeChildren: true });
    expect((await v.snapshotTree(vm)).roots).toEqual([]);
  });

  it('turns a task that fails into a typed error with the fault name and message', async () => {
    const vm = vc.vms[0]!.moref;
    await vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'the VM is being migrated', moref: vm });
    const err: unknown = await v.createSnapshot(vm, { name: 'fails', quiesce: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VimTaskError);
    const taskErr = err as VimTaskError;
    expect(taskErr).toBeInstanceOf(VimFaultError);
    expect(taskErr.code).toBe('vsphere-task-failed');
    expect(taskErr.faultName).toBe('InvalidState');
    expect(taskErr.message).toContain('the VM is being migrated');
    expect(taskErr.task).toMatch(/^task-/);
    expect((await v.snapshotTree(vm)).roots).toEqual([]);
  });

  it('keeps fault properties of a failed task', async () => {
    const vm = vc.vms[0]!.moref;
    await vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'FileFault', message: 'disk locked', fields: { file: '[LocalDS_0] x/x.vmdk' } });
    const err = (await v.createSnapshot(vm, { name: 'fails' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as VimTaskError;
    expect(err.faultName).toBe('FileFault');
    expect(err.faultProperties['file']).toBe('[LocalDS_0] x/x.vmdk');
  });

  it('waits for a slow task to finish', async () => {
    const vm = vc.vms[2]!.moref;
    await vc.injectDelay('CreateSnapshot_Task', 400);
    const started = Date.now();
    const snap = await v.createSnapshot(vm, { name: 'slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect((await v.snapshotTree(vm)).current).toBe(snap);
    await v.removeSnapshot(snap);
  });

  it('attaches an existing disk file, swaps a disk backing, and removes disks with or without their files', async () => {
    const target = vc.vms[2]!;
    const donor = vc.vms[1]!;
    // Attach the donor's second disk file to the target as a new disk.
    const attached = await v.addExistingDisk(target.moref, {
      fileName: donor.disks[1]!.file,
      controllerKey: 1000,
      unitNumber: 5,
      capacityBytes: donor.disks[1]!.capacity,
    });
    expect(attached).toEqual(jasmine.objectContaining({ fileName: donor.disks[1]!.file, controllerKey: 1000, unitNumber: 5, capacityBytes: 4 * MiB }));
    let disks = (await v.getVm(target.moref)).disks;
    expect(disks.map((d) => d.fileName)).toContain(donor.disks[1]!.file);

    // Swap that disk's backing for the donor's first disk: same controller and unit.
    const swapped = await v.swapDiskBacking(target.moref, attached.key, donor.disks[0]!.file);
    expect(swapped).toEqual(jasmine.objectContaining({ fileName: donor.disks[0]!.file, controllerKey: 1000, unitNumber: 5 }));
    disks = (await v.getVm(target.moref)).disks;
    expect(disks.map((d) => d.fileName)).not.toContain(donor.disks[1]!.file);
    expect(disks.filter((d) => d.unitNumber === 5).length).toBe(1);

    // Detach it, keeping the file.
    await v.removeDisk(target.moref, swapped.key, { deleteFile: false });
    disks = (await v.getVm(target.moref)).disks;
    expect(disks.map((d) => d.key).sort()).toEqual([2000, 2001]);
    expect(existsSync(donor.disks[0]!.descriptorPath)).toBeTrue();

    // A new disk, then removed together with its files.
    const fresh = await v.addNewDisk(target.moref, { fileName: `[${target.datastore}]`, controllerKey: 1000, unitNumber: 6, capacityBytes: 2 * MiB });
    expect(fresh.capacityBytes).toBe(2 * MiB);
    expect(existsSync(localPath(fresh.fileName))).toBeTrue();
    await v.removeDisk(target.moref, fresh.key, { deleteFile: true });
    expect(existsSync(localPath(fresh.fileName))).toBeFalse();
    expect((await v.getVm(target.moref)).disks.length).toBe(2);
  });

  it('enables Changed Block Tracking through ReconfigVM', async () => {
    const vm = vc.vms[2]!.moref;
    await v.setChangeTracking(vm, true);
    expect((await v.getVm(vm)).changeTrackingEnabled).toBeTrue();
    await v.setChangeTracking(vm, false);
    expect((await v.getVm(vm)).changeTrackingEnabled).toBeFalse();
  });

  it('creates a VM from a configuration, powers it on and off, and destroys it', async () => {
    const source = (await v.getVm(vc.vms[0]!.moref))!;
    const dc = source.datacenter!;
    const placement = await v.defaultPlacement(dc.moref);
    expect(placement.folder.value).toBe(dc.vmFolder!);
    expect(await v.placementOf(source.moref)).toEqual(jasmine.objectContaining({ pool: jasmine.objectContaining({ type: 'ResourcePool' }) }));
    const ds = vc.vms[0]!.datastore;
    const moref = await v.createVm(placement, {
      name: 'lifeline-restored',
      guestId: 'otherGuest64',
      vmPathName: `[${ds}]`,
      numCpus: 2,
      memoryMiB: 512,
      annotation: 'restored by Lifeline',
      changeTrackingEnabled: true,
      extraConfig: { 'lifeline.restoredFrom': source.moref },
      scsiControllers: [{ key: -100, busNumber: 0, type: 'ParaVirtualSCSIController' }],
      newDisks: [{ fileName: `[${ds}]`, controllerKey: -100, unitNumber: 0, capacityBytes: 8 * MiB }],
      nics: [{ type: 'VirtualVmxnet3', network: { name: 'VM Network' }, macAddress: '00:50:56:01:02:03' }],
    });
    let vm = await v.getVm(moref);
    expect(vm).toEqual(
      jasmine.objectContaining({ name: 'lifeline-restored', guestId: 'otherGuest64', cpus: 2, memoryMiB: 512, changeTrackingEnabled: true, powerState: 'poweredOff' }),
    );
    expect(vm.disks.map((d) => [d.capacityBytes, d.controllerType, d.unitNumber])).toEqual([[8 * MiB, 'ParaVirtualSCSIController', 0]]);
    expect(vm.nics.map((n) => [n.type, n.macAddress, n.network.name])).toEqual([['VirtualVmxnet3', '00:50:56:01:02:03', 'VM Network']]);

    await v.powerOn(moref);
    vm = await v.getVm(moref);
    expect(vm.powerState).toBe('poweredOn');
    const twice: unknown = await v.powerOn(moref).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((twice as VimTaskError).faultName).toBe('InvalidPowerState');
    await v.powerOff(moref);
    expect((await v.getVm(moref)).powerState).toBe('poweredOff');

    await v.destroyVm(moref);
    expect((await v.listVms()).map((x) => x.moref)).not.toContain(moref);
  });

  it('relocates disks as vCenter does: the spec checked before any task, a cancelable task that CancelTask ends with RequestCanceled, the VM busy meanwhile', async () => {
    const vm = vc.vms[1]!;
    const ds = vc.datastores[0]!.moref;
    let started = 0;
    const err: unknown = await v.relocateDisks(vm.moref, [{ deviceKey: 9999, datastore: ds }], { onTask: () => started++ }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VimFaultError);
    expect(err).not.toBeInstanceOf(VimTaskError);
    expect((err as VimFaultError).faultName).toBe('InvalidArgument');
    expect(started).withContext('no task for a wrong spec').toBe(0);

    await vc.injectDelay('RelocateVM_Task', 120_000, 1, vm.moref);
    let task: { type: string; value: string } | undefined;
    const moving = v.relocateDisks(vm.moref, [{ deviceKey: vm.disks[0]!.key, datastore: ds }], { onTask: (t) => (task = t) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    while (!task) await new Promise((r) => setTimeout(r, 10));
    const busy: unknown = await v.powerOff(vm.moref).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((busy as VimFaultError).faultName).withContext('the VM is busy while its disks move').toBe('TaskInProgress');
    await v.cancelTask(task);
    const cancelled = await moving;
    await vc.clearFaults();
    expect(cancelled).toBeInstanceOf(VimTaskError);
    expect((cancelled as VimTaskError).faultName).toBe('RequestCanceled');
    const again: unknown = await v.cancelTask(task).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((again as VimFaultError).faultName).withContext('a cancelled task cannot be cancelled again').toBe('InvalidState');
    expect((await v.getVm(vm.moref)).powerState).withContext('the power-off was refused').toBe('poweredOn');
  });
});
