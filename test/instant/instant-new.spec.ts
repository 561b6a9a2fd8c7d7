// Instant new instance and instant clone-and-attach against the vCenter simulator, whose NFS
// datastore reads and writes through Lifeline's NFS server (test/vcsim/nas.go): a new VM runs at
// once from the published restore point, and migrate-to-production moves its disks home while it
// runs; discard leaves no VM, publication or datastore and the point as it was; disks attached to
// another VM from the NFS datastore are read there and discarded or migrated; bad input is refused
// with nothing half-made.
// The NFS server listens on 127.0.0.9 so that its portmapper (port 111) does not collide with the
// other NFS suites' (127.0.0.1–.4).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InstantRunStore,
  resolveInstantRun,
  runInstantAttach,
  runInstantDiscard,
  runInstantMigrate,
  runInstantNewInstance,
  type InstantNewRequest,
  type InstantRunContext,
  type InstantRunDeps,
} from '../../plugin-server/src/instant/index.js';
import { createLogger } from '../../plugin-server/src/log/index.js';
import { NfsServer, Publications } from '../../plugin-server/src/nfs/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { MiB } from '../protection/backup-fixture.js';
import { restoreImage } from '../store/store-fixtures.js';
import { backUpEveryVm, diskLayout, localFile, recoverySuite, type RecoveryHarness } from '../recovery/recovery-fixture.js';

const DISK = 8 * MiB;
const NFS_HOST = '127.0.0.9';
const DS = 'lifeline-instantnew-spec';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('instant new instance and instant attach (from Lifeline’s NFS datastore)', () => {
  const suite = recoverySuite({ vms: 2, disks: 1, diskSize: DISK, datastores: 2 }, 'instantnew');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let points: Map<string, string>;
  let backedUp: Map<string, string[]>;
  let publications: Publications;
  let server: NfsServer;
  let deps: InstantRunDeps;
  let datastores: string[];
  const vmAt = (i: number): VcsimVm => sim.vms[i] as VcsimVm;
  const ctx = (progress: number[] = []): InstantRunContext => ({ signal: AbortSignal.timeout(120_000), log: () => undefined, progress: (p) => progress.push(p) });
  const newRequest = (pointId: string, name: string, over: Partial<InstantNewRequest> = {}): InstantNewRequest => ({
    runId: randomUUID(),
    pointId,
    vcenterGuid: sim.instanceUuid,
    name,
    datastore: null,
    folder: null,
    pool: null,
    host: null,
    networks: {},
    powerOn: true,
    ...over,
  });

  beforeAll(async () => {
    ({ sim, h } = suite);
    ({ points, backedUp } = await backUpEveryVm(h, sim, DISK, { backedUp: 500, current: 900 }));
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
      vcenters: { vcenter: () => Promise.resolve(h.vc) },
      publications,
      repository: h.repo,
      export: { datastoreName: DS, remoteHost: NFS_HOST, remotePath: '/lifeline' },
      runs: await InstantRunStore.open(h.dir),
    };
    datastores = (await h.vc.inventory()).datastores.map((d) => d.name).filter((n) => n !== DS).sort();
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await publications?.close();
  });

  const nfsDatastore = async () => (await h.vc.nasDatastores()).find((d) => d.name === DS);
  const vmNamed = async (name: string) => (await h.vc.inventory()).vms.find((v) => v.name === name);
  /** Nothing of an instant recovery is left: no publication, no record, no NFS datastore. */
  const expectNothingLeft = async (): Promise<void> => {
    expect(publications.list()).toEqual([]);
    expect(deps.runs.list()).toEqual([]);
    expect(await nfsDatastore()).withContext('the NFS datastore is unmounted').toBeUndefined();
  };
  /** The point's disk, restored from the store, hashes as the VM's disk did when it was backed up. */
  const expectPointIntact = async (vm: VcsimVm): Promise<void> => {
    const pointId = points.get(vm.moref)!;
    const manifest = await h.repo.readManifest(pointId, AbortSignal.timeout(60_000));
    const out = join(h.dir, `restored-${pointId}.raw`);
    await restoreImage(h.repo, pointId, out, manifest.disks[0]!.disk);
    expect(sha(await readFile(out))).withContext('the point restores its original bytes').toBe(backedUp.get(vm.moref)![0]!);
  };

  it('a new instance runs from the NFS datastore with the point’s bytes; migrate-to-production moves its disks home with what it wrote', async () => {
    const source = vmAt(0);
    const sourceInfo = await h.vc.getVm(source.moref);
    const progress: number[] = [];
    const rec = await runInstantNewInstance(deps, newRequest(points.get(source.moref)!, 'instant-new-a'), ctx(progress));
    expect(rec.state).toBe('running');
    expect(progress.at(-1)).toBe(100);
    const made = await h.vc.getVm(rec.vm!);
    expect(made.name).toBe('instant-new-a');
    expect(made.powerState).toBe('poweredOn');
    expect(made.instanceUuid).not.toBe(sourceInfo.instanceUuid);
    const sourceMacs = new Set(sourceInfo.nics.map((n) => n.macAddress));
    expect(made.nics.length).toBe(sourceInfo.nics.length);
    for (const n of made.nics) expect(sourceMacs.has(n.macAddress)).withContext('a new MAC address').toBeFalse();
    expect(made.vmxPath).toMatch(/^\[[^\]]+\] instant-new-a\/instant-new-a\.vmx$/);
    expect(made.disks.length).toBe(1);
    const disk = made.disks[0]!;
    expect(disk.fileName).toMatch(new RegExp(`^\\[${DS}\\] `));
    expect((await nfsDatastore())?.mounts.map((m) => m.host)).toEqual([made.host!]);
    const calls = server.nfsCalls;
    expect(sha(await sim.readDisk(made.moref, disk.key, 0, DISK))).withContext('the guest sees the point’s bytes').toBe(backedUp.get(source.moref)![0]!);
    expect(server.nfsCalls).withContext('read through NFS').toBeGreaterThan(calls);

    const written = Buffer.alloc(99_999, 0x5a);
    await sim.writeDisk(made.moref, disk.key, 3 * MiB + 7, written);
    const expected = await sim.readDisk(made.moref, disk.key, 0, DISK);
    expect(expected.subarray(3 * MiB + 7, 3 * MiB + 7 + written.length).equals(written)).toBeTrue();

    const target = datastores[1]!;
    const migrated: number[] = [];
    await runInstantMigrate(deps, rec.id, target, ctx(migrated));
    expect(migrated.at(-1)).toBe(100);
    const home = await h.vc.getVm(made.moref);
    expect(home.powerState).withContext('the VM ran on through the move').toBe('poweredOn');
    expect(home.disks.length).toBe(1);
    expect(home.disks[0]!.datastore.name).toBe(target);
    expect(sha(await readFile(localFile(sim, home.disks[0]!.fileName)))).withContext('the moved disk holds the point and the guest’s writes').toBe(sha(expected));
    await expectNothingLeft();
    await expectPointIntact(source);
  }, 90_000);

  it('discard leaves no VM, no publication, no datastore, and the point restores its original bytes', async () => {
    const source = vmAt(1);
    const rec = await runInstantNewInstance(deps, newRequest(points.get(source.moref)!, 'instant-new-b', { datastore: datastores[0]! }), ctx());
    const made = await h.vc.getVm(rec.vm!);
    const folderPath = localFile(sim, `[${datastores[0]!}] instant-new-b/instant-new-b.vmx`);
    expect(existsSync(folderPath)).withContext('its configuration is on the chosen datastore').toBeTrue();
    await sim.writeDisk(made.moref, made.disks[0]!.key, 1 * MiB, Buffer.alloc(50_000, 0x77));
    expect(publications.list()[0]?.pointId).toBe(rec.pointId);

    await runInstantDiscard(deps, rec.id, ctx());
    expect(await vmNamed('instant-new-b')).withContext('the VM is gone').toBeUndefined();
    expect(existsSync(folderPath)).withContext('its folder is gone').toBeFalse();
    await expectNothingLeft();
    await expectPointIntact(source);
  });

  it('disks attached to another VM from the NFS datastore are read there; discard leaves the VM with its own disks only', async () => {
    const source = vmAt(1);
    const target = vmAt(0);
    const ref = { vcenterGuid: sim.instanceUuid, moref: target.moref };
    const layout = await diskLayout(h, target.moref);
    const rec = await runInstantAttach(deps, { runId: randomUUID(), pointId: points.get(source.moref)!, vm: ref, disks: null }, ctx());
    expect(rec.state).toBe('running');
    const info = await h.vc.getVm(target.moref);
    const attached = info.disks.filter((d) => d.fileName.startsWith(`[${DS}] `));
    expect(attached.length).toBe(1);
    expect(info.disks.length).toBe(layout.length + 1);
    expect(sha(await sim.readDisk(target.moref, attached[0]!.key, 0, DISK))).withContext('the point’s disk as the VM sees it').toBe(backedUp.get(source.moref)![0]!);
    await sim.writeDisk(target.moref, attached[0]!.key, 2 * MiB, Buffer.alloc(10_000, 0x11));

    await runInstantDiscard(deps, rec.id, ctx());
    expect(await diskLayout(h, target.moref)).withContext('the VM’s own disks only').toEqual(layout);
    expect((await h.vc.getVm(target.moref)).powerState).toBe(info.powerState);
    await expectNothingLeft();
    await expectPointIntact(source);
  });

  it('migrate-to-production of attached disks moves them to the datastore and keeps them attached', async () => {
    const source = vmAt(1);
    const target = vmAt(0);
    const ref = { vcenterGuid: sim.instanceUuid, moref: target.moref };
    const rec = await runInstantAttach(deps, { runId: randomUUID(), pointId: points.get(source.moref)!, vm: ref, disks: null }, ctx());
    const key = rec.disks[0]!.deviceKey!;
    await runInstantMigrate(deps, rec.id, datastores[0]!, ctx());
    const moved = (await h.vc.getVm(target.moref)).disks.find((d) => d.key === key);
    expect(moved?.datastore.name).withContext('still attached, now on the production datastore').toBe(datastores[0]!);
    expect(sha(await readFile(localFile(sim, moved!.fileName)))).toBe(backedUp.get(source.moref)![0]!);
    await expectNothingLeft();
  });

  it('a new instance whose power-on fails is removed again: no VM, no folder, no publication, no datastore', async () => {
    const source = vmAt(1);
    await sim.injectFault({ method: 'PowerOnVM_Task', fault: 'InsufficientResourcesFault' });
    await expectAsync(runInstantNewInstance(deps, newRequest(points.get(source.moref)!, 'instant-new-d', { datastore: datastores[0]! }), ctx())).toBeRejectedWithError(/InsufficientResourcesFault/);
    expect(await vmNamed('instant-new-d')).toBeUndefined();
    expect(existsSync(localFile(sim, `[${datastores[0]!}] instant-new-d/instant-new-d.vmx`))).toBeFalse();
    await expectNothingLeft();
  });

  it('after a crash in the middle of a start, the record read again at the restart lets the clean-up remove what was made', async () => {
    const source = vmAt(1);
    const dataDir = join(h.dir, 'crash');
    // The process "dies" while the published disk is being attached: that call never answers.
    let attaching!: () => void;
    const reached = new Promise<void>((resolve) => (attaching = resolve));
    const hung = { ...deps, runs: await InstantRunStore.open(dataDir), vcenters: { vcenter: () => Promise.resolve(Object.assign(Object.create(h.vc) as typeof h.vc, { addExistingDisk: () => (attaching(), new Promise<never>(() => undefined)) })) } };
    const runId = randomUUID();
    void runInstantNewInstance(hung, { ...newRequest(points.get(source.moref)!, 'instant-new-e', { datastore: datastores[0]! }), runId }, ctx());
    await reached;
    expect(await vmNamed('instant-new-e')).withContext('the VM was made').toBeDefined();

    const restarted = { ...deps, runs: await InstantRunStore.open(dataDir) };
    expect(restarted.runs.get(runId)?.state).withContext('the record survives').toBe('starting');
    await resolveInstantRun(restarted, runId, AbortSignal.timeout(120_000));
    expect(await vmNamed('instant-new-e')).toBeUndefined();
    expect(existsSync(localFile(sim, `[${datastores[0]!}] instant-new-e/instant-new-e.vmx`))).toBeFalse();
    expect(restarted.runs.list()).toEqual([]);
    await expectNothingLeft();
  });

  it('two attaches started together both mount the one NFS datastore, and both discard', async () => {
    const [a, b] = [vmAt(0), vmAt(1)];
    const layouts = [await diskLayout(h, a.moref), await diskLayout(h, b.moref)];
    const runs = await Promise.all([
      runInstantAttach(deps, { runId: randomUUID(), pointId: points.get(b.moref)!, vm: { vcenterGuid: sim.instanceUuid, moref: a.moref }, disks: null }, ctx()),
      runInstantAttach(deps, { runId: randomUUID(), pointId: points.get(a.moref)!, vm: { vcenterGuid: sim.instanceUuid, moref: b.moref }, disks: null }, ctx()),
    ]);
    expect(runs.map((r) => r.state)).toEqual(['running', 'running']);
    expect(new Set(runs.map((r) => r.nfsDatastore)).size).withContext('one datastore').toBe(1);
    await Promise.all(runs.map((r) => runInstantDiscard(deps, r.id, ctx())));
    expect([await diskLayout(h, a.moref), await diskLayout(h, b.moref)]).toEqual(layouts);
    await expectNothingLeft();
  });

  it('refuses an unknown point, an unknown VM and a missing datastore clearly, with nothing half-made', async () => {
    const pointId = points.get(vmAt(0).moref)!;
    await expectAsync(runInstantNewInstance(deps, newRequest('20990101-000000-deadbeef', 'instant-bad'), ctx())).toBeRejectedWith(
      jasmine.objectContaining({ code: 'not-found', message: 'restore point 20990101-000000-deadbeef does not exist' }),
    );
    await expectAsync(runInstantNewInstance(deps, newRequest(pointId, 'instant-bad', { datastore: 'no-such-datastore' }), ctx())).toBeRejectedWith(
      jasmine.objectContaining({ code: 'validation', message: jasmine.stringMatching(/datastore no-such-datastore does not exist/) }),
    );
    await expectAsync(runInstantAttach(deps, { runId: randomUUID(), pointId, vm: { vcenterGuid: sim.instanceUuid, moref: 'vm-99999' }, disks: null }, ctx())).toBeRejectedWith(
      jasmine.objectContaining({ code: 'not-found', message: jasmine.stringMatching(/VM vm-99999 does not exist/) }),
    );
    expect(await vmNamed('instant-bad')).toBeUndefined();
    await expectNothingLeft();

    // A migration to a datastore that does not exist is refused before anything moves.
    const rec = await runInstantNewInstance(deps, newRequest(pointId, 'instant-new-c', { powerOn: false }), ctx());
    await expectAsync(runInstantMigrate(deps, rec.id, 'no-such-datastore', ctx())).toBeRejectedWith(jasmine.objectContaining({ code: 'validation', message: jasmine.stringMatching(/no-such-datastore/) }));
    expect(deps.runs.get(rec.id)?.state).toBe('running');
    expect((await h.vc.getVm(rec.vm!)).disks[0]!.fileName).toMatch(new RegExp(`^\\[${DS}\\] `));
    await runInstantDiscard(deps, rec.id, ctx());
    await expectNothingLeft();
  });
});
