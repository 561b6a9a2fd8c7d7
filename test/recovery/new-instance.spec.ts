// New instance against the vCenter simulator: a VM created from a point's configuration, with its
// disks holding the bytes backed up, powered on, with its own instance UUID and MAC addresses; a
// fault on CreateVM_Task or on the upload leaves no VM and no file behind.
import type { InstantiateResult } from '../../plugin-server/src/recovery/index.js';
import type { Vcsim, VcsimVm } from '../vcsim/harness.js';
import { fillDisk, jobLog, MiB, sha256File } from '../protection/backup-fixture.js';
import { backUp, diskHashes, lifelineFolders, localFile, recoverySuite, waitJob, type RecoveryHarness } from './recovery-fixture.js';
import { existsSync } from 'node:fs';

const DISK = 16 * MiB;

describe('new instance', () => {
  const suite = recoverySuite({ vms: 1, disks: 2, diskSize: DISK }, 'new-instance');
  let sim: Vcsim;
  let h: RecoveryHarness;
  let source: VcsimVm;
  let pointId: string;
  let originals: string[];
  const ref = suite.ref;
  const request = (name: string, powerOn = false) => ({ vcenterGuid: sim.instanceUuid, name, datastore: null, folder: null, pool: null, host: null, networks: {}, powerOn });
  const vmNames = async (): Promise<string[]> => (await h.vc.listVms()).map((v) => v.name).sort();

  beforeAll(async () => {
    ({ sim, h } = suite);
    source = sim.vms[0] as VcsimVm;
    for (const [j, d] of source.disks.entries()) await fillDisk(d.path, DISK, 40 + j);
    originals = await diskHashes(source);
    pointId = await backUp(h, ref(source));
  }, 360_000);

  it('creates a powered-on VM from the point with the bytes backed up, a new instance UUID and new MAC addresses', async () => {
    const { job } = await h.service.instantiate(pointId, request('restored-copy', true), 'tester', new AbortController().signal);
    const done = await waitJob(h, job.id);
    expect(done.state).withContext(jobLog(h, job.id)).toBe('succeeded');
    const r = done.result as InstantiateResult;
    const made = await h.vc.getVm(r.vm.moref);
    const src = await h.vc.getVm(source.moref);
    expect(made.name).toBe('restored-copy');
    expect(made.powerState).toBe('poweredOn');
    expect(made.cpus).toBe(src.cpus);
    expect(made.memoryMiB).toBe(src.memoryMiB);
    expect(made.instanceUuid).toBeDefined();
    expect(made.instanceUuid).not.toBe(src.instanceUuid);
    expect(made.nics.length).toBe(src.nics.length);
    for (const n of made.nics) expect(src.nics.map((x) => x.macAddress)).not.toContain(n.macAddress);
    const disks = [...made.disks].sort((a, b) => (a.unitNumber ?? 0) - (b.unitNumber ?? 0));
    expect(disks.map((d) => d.fileName)).toEqual(['[LocalDS_0] restored-copy/restored-copy.vmdk', '[LocalDS_0] restored-copy/restored-copy_1.vmdk']);
    expect(await Promise.all(disks.map((d) => sha256File(localFile(sim, d.fileName))))).toEqual(originals);
    // The source is untouched.
    expect(src.powerState).toBe('poweredOn');
    expect(await Promise.all(source.disks.map((d) => sha256File(d.path)))).toEqual(originals);
  });

  it('leaves no VM and no file behind when CreateVM_Task fails', async () => {
    const before = await vmNames();
    await sim.injectFault({ method: 'CreateVM_Task', fault: 'InvalidState', count: 1 });
    const { job } = await h.service.instantiate(pointId, request('never-made'), 'tester', new AbortController().signal);
    const done = await waitJob(h, job.id);
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('InvalidState');
    expect(await vmNames()).toEqual(before);
    expect(existsSync(localFile(sim, '[LocalDS_0] never-made', false))).toBeFalse();
    expect(await lifelineFolders(sim)).toEqual([]);
  });

  it('leaves no VM and no file behind when the upload is cut halfway', async () => {
    const before = await vmNames();
    await sim.injectFault({ method: 'HTTP PUT', afterBytes: DISK / 2, moref: 'cut-short_1-flat.vmdk' });
    const { job } = await h.service.instantiate(pointId, request('cut-short'), 'tester', new AbortController().signal);
    const done = await waitJob(h, job.id);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('restore-upload-failed');
    expect(await vmNames()).toEqual(before);
    expect(existsSync(localFile(sim, '[LocalDS_0] cut-short', false))).toBeFalse();
  });

  it('refuses a name vSphere cannot take', async () => {
    await expectAsync(h.service.instantiate(pointId, request('bad/name'), 'tester', new AbortController().signal)).toBeRejectedWithError(/name must be/);
  });
});
