// Instant revert against the vCenter simulator, whose NFS datastore reads and writes through
// Lifeline's NFS server (test/vcsim/nas.go): the VM runs at once from the published restore point;
// cancel leaves it exactly as it was; make-permanent moves its disks to their datastore while it
// runs, with what the guest wrote meanwhile, and leaves no publication and no NFS datastore; a
// revert whose power-on fails is undone.
// The NFS server listens on 127.0.0.3 so that its portmapper (port 111) does not collide with the
// other NFS suites'.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InstantStore, runInstantCancel, runInstantCommit, runInstantRevert, settleInstantRevert, type InstantContext, type InstantDeps } from '../../plugin-server/src/instant/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { NfsServer, Publications } from '../../plugin-server/src/nfs/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { MiB } from '../protection/backup-fixture.js';
import { backUpEveryVm, diskHashes, diskLayout, localFile, recoverySuite, type RecoveryHarness } from '../recovery/recovery-fixture.js';

const DISK = 16 * MiB;
const NFS_HOST = '127.0.0.3';
const DS = 'lifeline-instant-spec';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('instant revert (from Lifeline’s NFS datastore)', () => {
  const suite = recoverySuite({ vms: 3, disks: 1, diskSize: DISK }, 'instant');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let points: Map<string, string>;
  let backedUp: Map<string, string[]>;
  let current: Map<string, string[]>;
  let publications: Publications;
  let server: NfsServer;
  let deps: InstantDeps;
  const vmAt = (i: number): VcsimVm => sim.vms[i] as VcsimVm;
  const ctx = (progress: number[] = []): InstantContext => ({ signal: AbortSignal.timeout(120_000), log: () => undefined, progress: (p) => progress.push(p) });

  beforeAll(async () => {
    ({ sim, h } = suite);
    ({ points, backedUp, current } = await backUpEveryVm(h, sim, DISK, { backedUp: 300, current: 700 }));
    publications = await Publications.open({ dataDir: join(h.dir, 'nfs'), repository: h.repo });
    server = await NfsServer.start({
      publications,
      host: NFS_HOST,
      port: 0,
      portmapperPort: 111,
      clients: ['127.0.0.1', NFS_HOST],
      log: createLogger({ level: 'error', write: () => undefined }),
    });
    deps = {
      vcenter: h.vc,
      publications,
      repository: h.repo,
      export: { datastoreName: DS, remoteHost: NFS_HOST, remotePath: '/lifeline' },
      store: await InstantStore.open(h.dir),
    };
  }, 540_000);
  afterAll(async () => {
    await server?.close();
    await publications?.close();
  });

  const nfsDatastore = async () => (await h.vc.nasDatastores()).find((d) => d.name === DS);
  const guestDisk = async (moref: string): Promise<{ key: number; fileName: string }> => {
    const d = (await h.vc.getVm(moref)).disks[0]!;
    return { key: d.key, fileName: d.fileName };
  };

  it('runs the VM from the published point at once; cancel leaves the VM as it was; the point reverts again', async () => {
    const vm = vmAt(0);
    const ref = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const layout = await diskLayout(h, vm.moref);
    await expectAsync(runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: false }, ctx())).toBeRejectedWithError(/powerOff: true/);

    const progress: number[] = [];
    const rec = await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx(progress));
    expect(rec.state).toBe('running');
    expect(progress.at(-1)).toBe(100);
    const info = await h.vc.getVm(vm.moref);
    expect(info.powerState).toBe('poweredOn');
    const disk = await guestDisk(vm.moref);
    expect(disk.fileName).toMatch(new RegExp(`^\\[${DS}\\] `));
    expect((await nfsDatastore())?.mounts.map((m) => m.host)).toEqual([info.host!]);
    const calls = server.nfsCalls;
    expect(sha(await sim.readDisk(vm.moref, disk.key, 0, DISK))).withContext('the guest sees the point’s bytes').toBe(backedUp.get(vm.moref)![0]!);
    expect(server.nfsCalls).toBeGreaterThan(calls);
    await sim.writeDisk(vm.moref, disk.key, 5 * MiB + 3, Buffer.alloc(70_000, 0x33));

    await runInstantCancel(deps, ref, ctx());
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
    expect(await diskHashes(vm)).withContext('the VM’s own disk, untouched').toEqual(current.get(vm.moref)!);
    expect((await h.vc.getVm(vm.moref)).powerState).toBe('poweredOn');
    expect(publications.list()).toEqual([]);
    expect(await nfsDatastore()).withContext('the NFS datastore is unmounted').toBeUndefined();
    expect(deps.store.get(ref)).toBeUndefined();

    // The swaps gave the VM's disk a new device key; the point still names the old one, and a
    // second revert to it finds the disk by its slot.
    await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx());
    const again = await guestDisk(vm.moref);
    expect(sha(await sim.readDisk(vm.moref, again.key, 0, DISK))).toBe(backedUp.get(vm.moref)![0]!);
    await runInstantCancel(deps, ref, ctx());
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
    expect(await diskHashes(vm)).toEqual(current.get(vm.moref)!);
  });

  it('a power-on that fails puts the VM’s own disks back and leaves no publication and no datastore', async () => {
    const vm = vmAt(2);
    const ref = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const layout = await diskLayout(h, vm.moref);
    await sim.injectFault({ method: 'PowerOnVM_Task', fault: 'InsufficientResourcesFault', moref: vm.moref });
    await expectAsync(runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx())).toBeRejectedWithError(/InsufficientResourcesFault/);
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
    expect((await h.vc.getVm(vm.moref)).powerState).withContext('powered on again as it was').toBe('poweredOn');
    expect(publications.list()).toEqual([]);
    expect(await nfsDatastore()).toBeUndefined();
    expect(deps.store.get(ref)).toBeUndefined();
  });

  it('settles what a stop of Lifeline cut short: an unfinished cancel puts the VM’s own disks back, an unfinished make-permanent is finished', async () => {
    const vm = vmAt(2);
    const ref = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const layout = await diskLayout(h, vm.moref);
    const rec = await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx());
    await settleInstantRevert(deps, ref, AbortSignal.timeout(120_000));
    expect(deps.store.get(ref)?.state).withContext('a VM running from its point stays so').toBe('running');
    // The cancel's job recorded its step, then Lifeline stopped before it swapped anything.
    await deps.store.put({ ...rec, state: 'cancelling' });
    await settleInstantRevert(deps, ref, AbortSignal.timeout(120_000));
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
    expect(deps.store.get(ref)).toBeUndefined();
    expect(publications.list()).toEqual([]);

    const again = await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx());
    await deps.store.put({ ...again, state: 'migrating' });
    await settleInstantRevert(deps, ref, AbortSignal.timeout(120_000));
    const home = (await h.vc.getVm(vm.moref)).disks[0]!;
    expect(home.datastore.name).not.toBe(DS);
    expect(sha(await readFile(localFile(sim, home.fileName)))).toBe(backedUp.get(vm.moref)![0]!);
    expect(deps.store.get(ref)).toBeUndefined();
    expect(publications.list()).toEqual([]);
    expect(await nfsDatastore()).toBeUndefined();
  });

  it('make-permanent moves the running VM’s disks home with what it wrote, and leaves no publication; the point reverts again', async () => {
    const vm = vmAt(1);
    const ref = { vcenterGuid: sim.instanceUuid, moref: vm.moref };
    const original = vm.disks[0]!;
    await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx());
    const disk = await guestDisk(vm.moref);
    const written = Buffer.alloc(123_457, 0x6c);
    await sim.writeDisk(vm.moref, disk.key, 9 * MiB + 11, written);
    const expected = await sim.readDisk(vm.moref, disk.key, 0, DISK);
    expect(expected.subarray(9 * MiB + 11, 9 * MiB + 11 + written.length).equals(written)).toBeTrue();
    expect(sha(expected)).not.toBe(backedUp.get(vm.moref)![0]!);

    await h.vc.setChangeTracking(vm.moref, true);
    expect((await h.vc.getVm(vm.moref)).changeTrackingEnabled).toBeTrue();
    const progress: number[] = [];
    await runInstantCommit(deps, ref, ctx(progress));
    expect(progress.at(-1)).toBe(100);
    const info = await h.vc.getVm(vm.moref);
    expect(info.powerState).withContext('the VM ran on through the move').toBe('poweredOn');
    expect(info.changeTrackingEnabled).withContext('reset: the next backup reads the disks whole').toBeFalse();
    const home = info.disks[0]!;
    expect(home.datastore.name).toBe(original.file.slice(1, original.file.indexOf(']')));
    expect(sha(await readFile(localFile(sim, home.fileName)))).withContext('the moved disk holds the point and the guest’s writes').toBe(sha(expected));
    expect(existsSync(original.path)).withContext('the set-aside disk is deleted').toBeFalse();
    expect(publications.list()).toEqual([]);
    expect(await nfsDatastore()).toBeUndefined();
    expect(deps.store.get(ref)).toBeUndefined();

    // Reverted again to the same point, whose disk key the relocation and swaps replaced.
    const layout = await diskLayout(h, vm.moref);
    await runInstantRevert(deps, { vm: ref, pointId: points.get(vm.moref)!, powerOff: true }, ctx());
    const again = await guestDisk(vm.moref);
    expect(sha(await sim.readDisk(vm.moref, again.key, 0, DISK))).toBe(backedUp.get(vm.moref)![0]!);
    await runInstantCancel(deps, ref, ctx());
    expect(await diskLayout(h, vm.moref)).toEqual(layout);
  });
});
