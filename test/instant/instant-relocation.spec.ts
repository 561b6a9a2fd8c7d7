// vCenter's relocation task in instant recovery, through the API of a Lifeline server with an NFS
// section, against the vCenter simulator whose Storage vMotion behaves as vCenter documents it
// (test/vcsim/relocate.go: the spec checked before the task starts, the task cancelable and
// ended by CancelTask with RequestCanceled, the VM busy while its disks move):
// - a user's cancel of a make permanent while vCenter moves the disks cancels vCenter's task: the
//   VM runs on from the backup on Lifeline's NFS datastore, and can be made permanent later;
// - a relocation vCenter refuses outright (a SOAP fault, no task) puts the revert or the instant
//   recovery back to running;
// - a cancel that comes when vCenter has finished (CancelTask answers InvalidState, as vCenter does
//   for a completed task) leaves the migration finished;
// - a restart of Lifeline while vCenter still moves the disks: the clean-up waits for the task it
//   recorded, then finishes the migration or the make permanent.
// The NFS server listens on 127.0.0.22 (portmapper on 127.0.0.22:111), an address no other suite
// binds, so that this suite runs beside the other NFS suites.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { HttpsReply } from '../server/https-client.js';
import { startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { PASSPHRASE } from '../export/export-fixture.js';
import { fillDisk, MiB } from '../protection/backup-fixture.js';

const DISK = 8 * MiB;
const NFS_HOST = '127.0.0.22';
/** A held relocation waits this long unless released (by clearing the simulator's fault rules). */
const RELOCATION_MS = 120_000;

interface Job {
  id: string;
  state: string;
  cleanup: string;
  result?: unknown;
  error?: { code: string; message: string };
}

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const tick = () => new Promise((r) => setTimeout(r, 25));

describe('instant recovery and vCenter’s relocation task', () => {
  let fx: VcenterServer;
  let admin: string;
  const points = new Map<number, string>();

  const vmPath = (i: number) => `/vms/${encodeURIComponent(fx.urn(i))}`;
  const call = (method: string, path: string, body?: unknown) => fx.call(admin, method, path, body);
  const job = async (id: string) => (await call('GET', `/jobs/${id}`)).json<Job>();
  const jobText = async (id: string) => (await call('GET', `/jobs/${id}`)).text;
  const jobEnd = async (id: string): Promise<Job> => {
    for (;;) {
      const j = await job(id);
      if (!['queued', 'running'].includes(j.state)) return j;
      await tick();
    }
  };
  const accepted = (reply: HttpsReply): string => {
    expect(reply.status).withContext(reply.text).toBe(202);
    return (reply.json()['job'] as { id: string }).id;
  };
  const succeeded = async (reply: HttpsReply): Promise<Job> => {
    const end = await jobEnd(accepted(reply));
    expect(end.state).withContext(JSON.stringify(end)).toBe('succeeded');
    return end;
  };
  const vcenter = () => fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000));
  const diskStores = async (vm: string) => (await (await vcenter()).getVm(vm)).disks.map((d) => d.datastore.name);
  const calls = async (method: string): Promise<number> => (await fx.vc.callCounts())[method] ?? 0;
  /** Waits until the job has asked vCenter for more relocations than `before` (the simulator holds it under way). */
  const relocationAsked = async (id: string, before: number): Promise<void> => {
    while ((await calls('RelocateVM_Task')) <= before) {
      const j = await job(id);
      if (j.state !== 'running' && j.state !== 'queued') throw new Error(`the job ended (${j.state}) before its relocation was seen under way: ${await jobText(id)}`);
      await tick();
    }
  };
  /** The relocation task the run's record on disk names, if any. */
  const recordedTask = async (runId: string): Promise<string | null | undefined> => {
    const file = JSON.parse(await readFile(join(fx.dataDir, 'instant', 'runs.json'), 'utf8')) as { runs: Array<{ id: string; relocationTask?: string | null }> };
    return file.runs.find((r) => r.id === runId)?.relocationTask;
  };
  /** The relocation task the VM's instant revert record on disk names, if any. */
  const recordedRevertTask = async (vm: string): Promise<string | null | undefined> => {
    const file = JSON.parse(await readFile(join(fx.dataDir, 'instant', 'reverts.json'), 'utf8')) as { reverts: Array<{ vm: { moref: string }; relocationTask?: string | null }> };
    return file.reverts.find((r) => r.vm.moref === vm)?.relocationTask;
  };
  /** Restarts Lifeline, then follows the job's clean-up: it must wait (running) until the simulator's relocation is released. */
  const restartWhileRelocating = async (jobId: string, stillMigrating: () => Promise<unknown>): Promise<Job> => {
    await fx.restart();
    admin = await fx.login();
    let j = await job(jobId);
    while (j.cleanup === 'pending') {
      await tick();
      j = await job(jobId);
    }
    expect(j.cleanup).withContext('the clean-up waits for vCenter’s task').toBe('running');
    await stillMigrating();
    await fx.vc.clearFaults();
    while ((j = await job(jobId)).cleanup === 'running') await tick();
    expect(j.cleanup).withContext(await jobText(jobId)).toBe('done');
    return j;
  };
  const cancel = async (id: string): Promise<void> => {
    const r = await call('POST', `/jobs/${id}/cancel`);
    expect(r.status).withContext(r.text).toBeLessThan(300);
  };
  const runOf = async (runId: string) => (await call('GET', `/instant-recoveries/${runId}`)).json<{ state: string; vm: { moref: string } }>();
  const newInstance = async (point: number, name: string, datastore: string): Promise<{ runId: string; vm: string }> => {
    const made = await call('POST', `/points/${points.get(point)!}/instant-instance`, { name, powerOn: true, datastore });
    await succeeded(made);
    const runId = made.json<{ runId: string }>().runId;
    return { runId, vm: (await runOf(runId)).vm.moref };
  };

  beforeAll(async () => {
    const port = await freePort(NFS_HOST);
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: DISK, datastores: 2 },
      dataDirPrefix: 'lifeline-instant-relocation-',
      backup: { passphrase: PASSPHRASE },
      file: () => ({ nfs: { host: NFS_HOST, port, portmapperPort: 111, clients: ['127.0.0.1', NFS_HOST] } }),
    });
    admin = await fx.login();
    const policy = await call('POST', '/policies', { name: 'Relocation', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    for (const i of [0, 1]) {
      expect((await call('PUT', `${vmPath(i)}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);
      await fillDisk(fx.vc.vms[i]!.disks[0]!.path, DISK, 60 + i);
      const done = await succeeded(await call('POST', `${vmPath(i)}/backup`));
      points.set(i, (done.result as { pointId: string }).pointId);
    }
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('a cancel of make permanent cancels vCenter’s relocation: the VM runs on from the backup; a refusal outright leaves it running too', async () => {
    const vm = fx.moref(0);
    const production = fx.vc.vms[0]!.disks[0]!.file.slice(1, fx.vc.vms[0]!.disks[0]!.file.indexOf(']'));
    await succeeded(await call('POST', `${vmPath(0)}/instant-revert`, { pointId: points.get(0)!, powerOff: true }));
    const nfs = await diskStores(vm);
    expect(nfs[0]).toMatch(/^lifeline-/);
    const key = (await (await vcenter()).getVm(vm)).disks[0]!.key;
    await fx.vc.writeDisk(vm, key, 3 * MiB, Buffer.alloc(50_000, 0x5a));
    const expected = await fx.vc.readDisk(vm, key, 0, DISK);

    await fx.vc.injectDelay('RelocateVM_Task', RELOCATION_MS, 1, vm);
    const before = await calls('RelocateVM_Task');
    const commitId = accepted(await call('POST', `${vmPath(0)}/instant-revert/commit`, {}));
    await relocationAsked(commitId, before);
    // While its disks move, vCenter refuses the VM's other operations.
    await expectAsync((await vcenter()).powerOff(vm)).withContext('the VM is busy').toBeRejectedWith(jasmine.objectContaining({ faultName: 'TaskInProgress' }));
    await cancel(commitId);
    const cancelled = await jobEnd(commitId);
    await fx.vc.clearFaults();
    expect(cancelled.state).withContext(await jobText(commitId)).toBe('cancelled');
    const log = await jobText(commitId);
    expect(log).toContain('asking vCenter to cancel its relocation task');
    expect(log).toContain('RequestCanceled');
    expect(log).toContain('runs from restore point');
    expect(await diskStores(vm)).withContext('the disk stays on the NFS datastore').toEqual(nfs);
    expect((await call('GET', `${vmPath(0)}/instant-revert`)).json()['state']).toBe('running');
    expect((await fx.vc.readDisk(vm, key, 0, DISK)).equals(expected)).withContext('the guest’s writes are still there').toBeTrue();

    // vCenter refuses the relocation outright (no task): the revert runs on, as before.
    await fx.vc.injectFault({ method: 'RelocateVM_Task', fault: 'InvalidState', noTask: true, moref: vm });
    const refused = await jobEnd(accepted(await call('POST', `${vmPath(0)}/instant-revert/commit`, {})));
    expect(refused.state).toBe('failed');
    expect(refused.error?.message).toContain('InvalidState');
    expect((await call('GET', `${vmPath(0)}/instant-revert`)).json()['state']).toBe('running');

    // Made permanent now: the disk goes home with the guest's writes.
    await succeeded(await call('POST', `${vmPath(0)}/instant-revert/commit`, {}));
    expect(await diskStores(vm)).toEqual([production]);
    const home = (await (await vcenter()).getVm(vm)).disks[0]!.key;
    expect((await fx.vc.readDisk(vm, home, 0, DISK)).equals(expected)).withContext('the moved disk holds what the VM ran with').toBeTrue();
  }, 120_000);

  it('a migration vCenter refuses outright runs on from the backup; one vCenter finished before the cancel took is finished', async () => {
    const names = fx.vc.datastores.map((d) => d.name).sort();
    const { runId, vm } = await newInstance(1, 'relocation-late', names[0]!);

    await fx.vc.injectFault({ method: 'RelocateVM_Task', fault: 'InvalidState', noTask: true, moref: vm });
    const refused = await jobEnd(accepted(await call('POST', `/instant-recoveries/${runId}/migrate`, { datastore: names[1]! })));
    expect(refused.state).toBe('failed');
    expect((await runOf(runId)).state).withContext('back to running, not stuck migrating').toBe('running');

    // vCenter has completed the task when the cancel reaches it: CancelTask faults InvalidState.
    await fx.vc.injectDelay('RelocateVM_Task', RELOCATION_MS, 1, vm);
    await fx.vc.injectFault({ method: 'CancelTask', fault: 'InvalidState', message: 'The operation is not allowed in the current state.' });
    const before = await calls('RelocateVM_Task');
    const cancels = await calls('CancelTask');
    const migrateId = accepted(await call('POST', `/instant-recoveries/${runId}/migrate`, { datastore: names[1]! }));
    await relocationAsked(migrateId, before);
    await cancel(migrateId);
    while ((await calls('CancelTask')) <= cancels) await tick();
    await fx.vc.clearFaults();
    const end = await jobEnd(migrateId);
    expect(end.state).withContext(await jobText(migrateId)).toBe('succeeded');
    const log = await jobText(migrateId);
    expect(log).toContain('did not take the cancel');
    expect(log).toContain('vCenter finished moving the disks before the cancel took effect');
    expect(await diskStores(vm)).toEqual([names[1]!]);
    expect((await call('GET', '/instant-recoveries')).json<{ items: unknown[] }>().items).toEqual([]);
  }, 120_000);

  it('after a restart, the clean-up waits for a relocation vCenter still runs, then finishes the migration', async () => {
    const names = fx.vc.datastores.map((d) => d.name).sort();
    const { runId, vm } = await newInstance(1, 'relocation-restart', names[0]!);
    await fx.vc.injectDelay('RelocateVM_Task', RELOCATION_MS, 1, vm);
    const before = await calls('RelocateVM_Task');
    const migrateId = accepted(await call('POST', `/instant-recoveries/${runId}/migrate`, { datastore: names[1]! }));
    await relocationAsked(migrateId, before);
    // vCenter's task is on record (what a restart reads) once vCenter has started it.
    while (!(await recordedTask(runId))) await tick();
    await restartWhileRelocating(migrateId, async () => expect((await runOf(runId)).state).toBe('migrating'));
    expect(await diskStores(vm)).toEqual([names[1]!]);
    expect((await call('GET', '/instant-recoveries')).json<{ items: unknown[] }>().items).withContext('the migration is finished, not back to running').toEqual([]);
    expect((await call('GET', '/publications')).json<{ items: unknown[] }>().items).toEqual([]);
  }, 120_000);

  it('after a restart, the clean-up waits for a make permanent’s relocation vCenter still runs, then finishes it', async () => {
    const vm = fx.moref(1);
    const production = fx.vc.vms[1]!.disks[0]!.file.slice(1, fx.vc.vms[1]!.disks[0]!.file.indexOf(']'));
    await succeeded(await call('POST', `${vmPath(1)}/instant-revert`, { pointId: points.get(1)!, powerOff: true }));
    await fx.vc.injectDelay('RelocateVM_Task', RELOCATION_MS, 1, vm);
    const before = await calls('RelocateVM_Task');
    const commitId = accepted(await call('POST', `${vmPath(1)}/instant-revert/commit`, {}));
    await relocationAsked(commitId, before);
    while (!(await recordedRevertTask(vm))) await tick();
    await restartWhileRelocating(commitId, async () => expect((await call('GET', `${vmPath(1)}/instant-revert`)).json()['state']).toBe('migrating'));
    expect(await diskStores(vm)).toEqual([production]);
    expect((await call('GET', `${vmPath(1)}/instant-revert`)).json()['active']).withContext('made permanent').toBeFalse();
    expect((await call('GET', '/publications')).json<{ items: unknown[] }>().items).toEqual([]);
  }, 120_000);
});
