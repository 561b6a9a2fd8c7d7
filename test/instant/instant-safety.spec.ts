// Instant recovery's safety through the API of a Lifeline server with an NFS section, against the
// vCenter simulator whose NFS datastore reads and writes through that server's export
// (test/vcsim/nas.go): a point a VM runs from is neither unpublished, deleted nor pruned by
// retention, and the guest's writes stay; a VM with instant-attached disks is held from backups, saying why; each step is a
// restore.* event of the VM; a user's cancel while vCenter moves the disks home (a relocation the
// simulator makes slow) has vCenter cancel the move and leaves the VM whole on the NFS datastore,
// never half moved (instant-relocation.spec.ts has the rest of vCenter's relocation task); a
// publication made for an instant run that was never recorded (Lifeline stopped in between) is
// dropped at the next start, a user's publication kept.
// The NFS server listens on 127.0.0.21 (portmapper on 127.0.0.21:111), an address no other suite
// binds, so that this suite runs beside the other NFS suites.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Publications } from '../../plugin-server/src/nfs/index.js';
import { responseViolations } from '../contract/openapi-validator.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { openRepository, PASSPHRASE } from '../export/export-fixture.js';
import { fillDisk, MiB } from '../protection/backup-fixture.js';

const DISK = 8 * MiB;
const NFS_HOST = '127.0.0.21';
/** The simulator's relocation in the cancel specs waits this long unless released (by clearing its fault rules) once the cancel was seen. */
const RELOCATION_MS = 120_000;

interface Job {
  id: string;
  kind: string;
  state: string;
  progress: { bytesDone: number; bytesTotal: number | null };
  result?: unknown;
  error?: { message: string };
}

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('instant recovery safety (NFS server in the Lifeline server)', () => {
  let fx: VcenterServer;
  let admin: string;
  const points = new Map<number, string>();

  const vmPath = (i: number) => `/vms/${encodeURIComponent(fx.urn(i))}`;
  const checked = async (reply: Promise<HttpsReply>, method: string, path: string): Promise<HttpsReply> => {
    const r = await reply;
    expect(responseViolations({ method, url: `${fx.server.url}/api/v1${path}`, status: r.status, headers: r.headers, body: r.text })).withContext(`${method} ${path}`).toEqual([]);
    return r;
  };
  const call = (method: string, path: string, body?: unknown) => checked(fx.call(admin, method, path, body), method, path);
  const job = async (id: string) => (await fx.call(admin, 'GET', `/jobs/${id}`)).json<Job>();
  const jobEnd = async (id: string): Promise<Job> => {
    for (;;) {
      const j = await job(id);
      if (!['queued', 'running'].includes(j.state)) return j;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /** Expects 202 with a job; returns the job's id. */
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
  const publications = async () => (await call('GET', '/publications')).json<{ items: Array<{ pointId: string; folder: string }> }>().items;
  const vmEvents = async (moref: string) => (await call('GET', `/vms/${encodeURIComponent(`urn:vmomi:VirtualMachine:${moref}:${fx.vc.instanceUuid}`)}/events?limit=50`)).json<{ items: Array<{ type: string; jobId: string | null; message: string }> }>().items;
  const relocations = async (): Promise<number> => (await fx.vc.callCounts())['RelocateVM_Task'] ?? 0;
  /**
   * Sends a cancel of the job once it has asked vCenter for a relocation (more than `before` so
   * far; the simulator holds it under way), waits for the job's end and then ends the simulator's
   * hold.
   */
  const cancelDuringRelocation = async (id: string, before: number): Promise<Job> => {
    for (;;) {
      const j = await job(id);
      if (j.state !== 'running' && j.state !== 'queued') throw new Error(`the job ended (${j.state}) before its relocation was seen under way`);
      if ((await relocations()) > before) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const cancel = await fx.call(admin, 'POST', `/jobs/${id}/cancel`);
    expect(cancel.status).withContext(cancel.text).toBeLessThan(300);
    const end = await jobEnd(id);
    await fx.vc.clearFaults();
    return end;
  };

  beforeAll(async () => {
    const port = await freePort(NFS_HOST);
    fx = await startVcenterServer({
      sim: { vms: 3, disks: 1, diskSize: DISK, datastores: 2 },
      dataDirPrefix: 'lifeline-instant-safety-',
      backup: { passphrase: PASSPHRASE },
      file: () => ({ nfs: { host: NFS_HOST, port, portmapperPort: 111, clients: ['127.0.0.1', NFS_HOST] } }),
    });
    admin = await fx.login();
    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Safety', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    // VM 1 keeps one point: retention would remove point 1 once a newer one exists.
    const keepOne = await fx.call(admin, 'POST', '/policies', { name: 'Keep one', rpoSeconds: 3600, retention: { keepLast: 1 }, consistency: 'crash' });
    expect(keepOne.status).withContext(keepOne.text).toBe(201);
    for (const i of [0, 1, 2]) {
      expect((await fx.call(admin, 'PUT', `${vmPath(i)}/protection`, { policyId: (i === 1 ? keepOne : policy).json()['id'] })).status).toBe(201);
    }
    for (const i of [0, 1]) {
      await fillDisk(fx.vc.vms[i]!.disks[0]!.path, DISK, 40 + i);
      const done = await succeeded(await fx.call(admin, 'POST', `${vmPath(i)}/backup`));
      points.set(i, (done.result as { pointId: string }).pointId);
    }
    await succeeded(await fx.call(admin, 'POST', `${vmPath(1)}/backup`));
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('refuses to unpublish or delete a point a VM runs from, keeps the guest’s writes, holds the VM’s backups, and tells each step as a restore event', async () => {
    // Restore point 1 attached to VM 2 (item-level recovery), and VM 0 reverted to point 0.
    const attach = await fx.call(admin, 'POST', `/points/${points.get(1)!}/instant-attach`, { vm: fx.moref(2) });
    const attachJob = await succeeded(attach);
    const runId = attach.json<{ runId: string }>().runId;
    const run = (await call('GET', `/instant-recoveries/${runId}`)).json<{ disks: Array<{ deviceKey: number }> }>();
    const deviceKey = run.disks[0]!.deviceKey;
    const written = Buffer.alloc(65_536, 0x6b);
    await fx.vc.writeDisk(fx.moref(2), deviceKey, 2 * MiB, written);
    const revertJob = await succeeded(await call('POST', `${vmPath(0)}/instant-revert`, { pointId: points.get(0)!, powerOff: true }));
    expect((await publications()).length).toBe(2);

    const attached = expectProblem(await call('DELETE', `/points/${points.get(1)!}/publication`), 409, 'publication-in-use');
    expect(String(attached['detail'])).toContain(fx.moref(2));
    expect(String(attached['detail'])).toContain(`instant attach ${runId}`);
    const reverted = expectProblem(await call('DELETE', `/points/${points.get(0)!}/publication`), 409, 'publication-in-use');
    expect(String(reverted['detail'])).toContain(fx.moref(0));
    expect(String(reverted['detail'])).toContain('instant revert');
    expectProblem(await call('DELETE', `/points/${points.get(1)!}`), 409, 'point-in-use');
    // Retention leaves the point alone while it is published, though VM 1's policy keeps one newer point only.
    const retention = await jobEnd(accepted(await call('POST', '/maintenance', { steps: ['retention'] })));
    expect(retention.state).withContext(JSON.stringify(retention)).toBe('succeeded');
    expect((retention.result as { retention: { removed: string[] } }).retention.removed).not.toContain(points.get(1)!);
    expect(JSON.stringify(await job(retention.id))).toContain(`restore point ${points.get(1)!} is being read`);
    expect((await publications()).map((p) => p.pointId).sort()).toEqual([points.get(0)!, points.get(1)!].sort());
    expect((await fx.vc.readDisk(fx.moref(2), deviceKey, 2 * MiB, written.length)).equals(written)).withContext('the guest’s writes stay in the overlay').toBeTrue();

    // VM 2 runs with disks from the NFS datastore: its backups wait, saying why.
    const held = expectProblem(await call('POST', `${vmPath(2)}/backup`), 409, 'vm-paused');
    expect(String(held['detail'])).toContain(`instant attach ${runId}`);

    const discardJob = await succeeded(await call('POST', `/instant-recoveries/${runId}/discard`, {}));
    await succeeded(await call('POST', `${vmPath(2)}/backup`));

    // Made permanent: the disk goes home with what the VM ran with.
    const before = await fx.vc.readDisk(fx.moref(0), (await (await vcenter()).getVm(fx.moref(0))).disks[0]!.key, 0, DISK);
    const commitId = (await succeeded(await call('POST', `${vmPath(0)}/instant-revert/commit`, {}))).id;
    const vm0 = await (await vcenter()).getVm(fx.moref(0));
    expect(vm0.disks.map((d) => d.datastore.name)).withContext('every disk on production storage').toEqual([fx.vc.vms[0]!.disks[0]!.file.slice(1, fx.vc.vms[0]!.disks[0]!.file.indexOf(']'))]);
    expect((await fx.vc.readDisk(fx.moref(0), vm0.disks[0]!.key, 0, DISK)).equals(before)).withContext('the moved disk holds what the VM ran with').toBeTrue();
    expect(await publications()).toEqual([]);

    const events0 = await vmEvents(fx.moref(0));
    for (const id of [revertJob.id, commitId]) expect(events0).toContain(jasmine.objectContaining({ type: 'restore.succeeded', jobId: id }));
    const events2 = await vmEvents(fx.moref(2));
    for (const id of [attachJob.id, discardJob.id]) expect(events2).toContain(jasmine.objectContaining({ type: 'restore.succeeded', jobId: id }));
    expect(events2.find((e) => e.jobId === attachJob.id)?.message).toContain('Instant attach');
  }, 120_000);

  it('a cancel while an instant new instance is migrated to production leaves it whole on the NFS datastore, and it migrates later', async () => {
    const names = fx.vc.datastores.map((d) => d.name).sort();
    const made = await fx.call(admin, 'POST', `/points/${points.get(0)!}/instant-instance`, { name: 'safety-new', powerOn: true, datastore: names[0]! });
    const newJob = await succeeded(made);
    const runId = made.json<{ runId: string }>().runId;
    const run = (await call('GET', `/instant-recoveries/${runId}`)).json<{ vm: { moref: string }; disks: Array<{ deviceKey: number }> }>();
    const vm = run.vm.moref;
    await fx.vc.writeDisk(vm, run.disks[0]!.deviceKey, 5 * MiB, Buffer.alloc(40_000, 0x3c));
    const expected = await fx.vc.readDisk(vm, run.disks[0]!.deviceKey, 0, DISK);
    const nfs = (await (await vcenter()).getVm(vm)).disks.map((d) => d.datastore.name);

    await fx.vc.injectDelay('RelocateVM_Task', RELOCATION_MS, 1, vm);
    const moves = await relocations();
    const migrateId = accepted(await call('POST', `/instant-recoveries/${runId}/migrate`, { datastore: names[1]! }));
    const migrated = await cancelDuringRelocation(migrateId, moves);
    expect(migrated.state).withContext(JSON.stringify(migrated)).toBe('cancelled');
    const info = await (await vcenter()).getVm(vm);
    expect(info.powerState).toBe('poweredOn');
    expect(info.disks.map((d) => d.datastore.name)).withContext('every disk still on the NFS datastore').toEqual(nfs);
    expect((await fx.vc.readDisk(vm, info.disks[0]!.key, 0, DISK)).equals(expected)).withContext('with the guest’s writes').toBeTrue();
    expect((await call('GET', `/instant-recoveries/${runId}`)).json()['state']).toBe('running');

    const again = await succeeded(await call('POST', `/instant-recoveries/${runId}/migrate`, { datastore: names[1]! }));
    const home = await (await vcenter()).getVm(vm);
    expect(home.disks.map((d) => d.datastore.name)).withContext('every disk on production storage').toEqual([names[1]!]);
    expect((await fx.vc.readDisk(vm, home.disks[0]!.key, 0, DISK)).equals(expected)).withContext('with the guest’s writes').toBeTrue();
    expect((await call('GET', '/instant-recoveries')).json<{ items: unknown[] }>().items).toEqual([]);
    expect(await publications()).toEqual([]);
    expect(await vmEvents(vm)).toEqual(
      jasmine.arrayContaining([
        jasmine.objectContaining({ type: 'restore.succeeded', jobId: newJob.id }),
        jasmine.objectContaining({ type: 'restore.failed', jobId: migrateId }),
        jasmine.objectContaining({ type: 'restore.succeeded', jobId: again.id }),
      ]),
    );
  }, 120_000);

  it('drops at start a publication made for an instant run that was never recorded, and keeps a user’s', async () => {
    const created = await call('POST', `/points/${points.get(1)!}/publication`, { folder: 'user-publication' });
    expect(created.status).withContext(created.text).toBe(201);
    // Lifeline stopped between publishing point 0 for an instant run and recording the run.
    await fx.release();
    const repo = await openRepository(join(fx.dataDir, 'store'));
    try {
      const pubs = await Publications.open({ dataDir: fx.dataDir, repository: repo });
      await pubs.publish(points.get(0)!, undefined, 'instant');
      await pubs.close();
    } finally {
      await repo.close();
    }
    await fx.restart();
    admin = await fx.login();
    expect((await publications()).map((p) => p.folder)).toEqual(['user-publication']);
    expect(fx.captured.lines.some((l) => l.includes(`restore point ${points.get(0)!} was published`) && l.includes('never recorded'))).toBeTrue();
    expect((await call('DELETE', `/points/${points.get(1)!}/publication`)).status).toBe(204);
  }, 120_000);
});
