// Instant revert through the API of a Lifeline server whose configuration has an NFS section, as
// `lifeline serve` starts it, against the vCenter simulator whose NFS datastore reads and writes
// through that server's NFS export (test/vcsim/nas.go), authorised by the simulator's own
// privilege checks: a read-only user is refused and nothing changes; revert then cancel leaves the
// VM as it was; revert then make permanent leaves its disk on the production datastore with what
// the guest wrote, reporting the relocation's progress; each change is an audited job. A server
// without an NFS section refuses clearly.
// The NFS server listens on 127.0.0.5 (portmapper on 127.0.0.5:111), an address no other suite
// binds, so that this suite runs beside the other NFS suites.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { responseViolations } from '../contract/openapi-validator.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { fillDisk, MiB, sha256File } from '../protection/backup-fixture.js';
import { localFile } from '../recovery/recovery-fixture.js';

const DISK = 8 * MiB;
const NFS_HOST = '127.0.0.5';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Job {
  id: string;
  kind: string;
  state: string;
  progress: { bytesDone: number; bytesTotal: number | null };
  error?: { message: string };
}

describe('instant revert API (NFS server in the Lifeline server)', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  const points = new Map<number, string>();
  const backedUp = new Map<number, string>();
  const current = new Map<number, string>();

  const vmPath = (i: number) => `/vms/${encodeURIComponent(fx.urn(i))}`;
  const checked = async (reply: Promise<HttpsReply>, method: string, path: string): Promise<HttpsReply> => {
    const r = await reply;
    expect(responseViolations({ method, url: `${fx.server.url}/api/v1${path}`, status: r.status, headers: r.headers, body: r.text })).withContext(`${method} ${path}`).toEqual([]);
    return r;
  };
  const call = (token: string, method: string, path: string, body?: unknown) => checked(fx.call(token, method, path, body), method, path);
  /** Expects 202 with a job and waits for it to end. */
  const jobOf = async (reply: HttpsReply): Promise<Job> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (;;) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json<Job>();
      if (!['queued', 'running'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const state = async (i: number) => (await call(viewer, 'GET', `${vmPath(i)}/instant-revert`)).json<{ active: boolean; state: string | null; pointId: string | null; disks: Array<{ publishedFile: string }> }>();
  const layout = async (i: number) => (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(10_000))).getVm(fx.moref(i)).then((vm) => vm.disks.map((d) => `${d.controllerKey}:${d.unitNumber}=${d.fileName}`));
  const publications = async () => (await call(admin, 'GET', '/publications')).json<{ items: unknown[] }>().items;
  const auditActions = async () => ((await fx.call(admin, 'GET', '/audit?limit=200')).json()['items'] as Array<{ action: string; outcome: string; user: string }>).map((a) => `${a.action}:${a.outcome}:${a.user.split('@')[0]}`);

  beforeAll(async () => {
    const port = await freePort(NFS_HOST);
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: DISK },
      users: [{ username: 'viewer@vsphere.local', password: 'Viewer-1!' }],
      dataDirPrefix: 'lifeline-instant-api-',
      backup: { passphrase: 'instant api passphrase' },
      file: () => ({ nfs: { host: NFS_HOST, port, portmapperPort: 111, clients: ['127.0.0.1', NFS_HOST] } }),
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Instant', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    for (const i of [0, 1]) {
      const disk = fx.vc.vms[i]!.disks[0]!;
      await fillDisk(disk.path, DISK, 70 + i);
      backedUp.set(i, await sha256File(disk.path));
      expect((await fx.call(admin, 'PUT', `${vmPath(i)}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);
      const job = await jobOf(await fx.call(admin, 'POST', `${vmPath(i)}/backup`));
      expect(job.state).withContext(JSON.stringify(job)).toBe('succeeded');
      points.set(i, ((job as unknown as { result: { pointId: string } }).result).pointId);
      // The guest writes on after the backup: what a revert replaces.
      await fillDisk(disk.path, DISK, 80 + i);
      current.set(i, await sha256File(disk.path));
    }
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('refuses a read-only user, then runs the VM from its point and cancel leaves the VM as it was', async () => {
    const pointId = points.get(0)!;
    const before = await layout(0);
    const path = `${vmPath(0)}/instant-revert`;
    expectProblem(await call(viewer, 'POST', path, { pointId, powerOff: true }), 403, 'forbidden');
    expect(await layout(0)).withContext('the read-only user changed nothing').toEqual(before);
    expect((await state(0)).active).toBeFalse();
    expect(await publications()).toEqual([]);
    expectProblem(await call(admin, 'POST', path, { pointId }), 409, 'conflict');
    expectProblem(await call(admin, 'POST', path, { pointId: 'nope', powerOff: true }), 400, 'validation');
    expectProblem(await call(admin, 'POST', path, { pointId: points.get(1)!, powerOff: true }), 400, 'validation');
    expectProblem(await call(admin, 'POST', path, { pointId: '20200101-000000-00000000', powerOff: true }), 404, 'not-found');
    expectProblem(await call(admin, 'POST', `${path}/cancel`, {}), 404, 'not-found');

    const reverted = await jobOf(await call(admin, 'POST', path, { pointId, powerOff: true }));
    expect(reverted.state).withContext(JSON.stringify(reverted)).toBe('succeeded');
    expect(reverted.kind).toBe('instant-revert');
    const running = await state(0);
    expect(running).toEqual(jasmine.objectContaining({ active: true, state: 'running', pointId }));
    const vm = await (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(10_000))).getVm(fx.moref(0));
    expect(vm.powerState).toBe('poweredOn');
    const disk = vm.disks[0]!;
    expect(disk.fileName).toBe(running.disks[0]!.publishedFile);
    expect(disk.fileName).toMatch(/^\[lifeline-[^\]]+\] /);
    expect(sha(await fx.vc.readDisk(fx.moref(0), disk.key, 0, DISK))).withContext('the guest sees the point’s bytes over NFS').toBe(backedUp.get(0)!);
    expect((await publications()).length).toBe(1);
    await fx.vc.writeDisk(fx.moref(0), disk.key, 3 * MiB, Buffer.alloc(50_000, 0x5a));
    // Backups of a VM running from its point wait until it is made permanent or cancelled, and
    // neither revert starts meanwhile.
    expect(String(expectProblem(await call(admin, 'POST', `${vmPath(0)}/backup`), 409, 'vm-paused')['detail'])).toContain(`runs from restore point ${pointId} (instant revert)`);
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/revert`, { pointId, powerOff: true }), 409, 'conflict');
    expectProblem(await call(admin, 'POST', path, { pointId, powerOff: true }), 409, 'conflict');

    expectProblem(await call(viewer, 'POST', `${path}/cancel`, {}), 403, 'forbidden');
    expect((await state(0)).state).toBe('running');
    const cancelled = await jobOf(await call(admin, 'POST', `${path}/cancel`, {}));
    expect(cancelled.state).withContext(JSON.stringify(cancelled)).toBe('succeeded');
    expect(await layout(0)).toEqual(before);
    expect(await sha256File(fx.vc.vms[0]!.disks[0]!.path)).withContext('the VM’s own disk, untouched').toBe(current.get(0)!);
    expect((await state(0)).active).toBeFalse();
    expect(await publications()).toEqual([]);

    const actions = await auditActions();
    expect(actions).toContain('vm.instant-revert:success:administrator');
    expect(actions).toContain('vm.instant-revert.cancel:success:administrator');
    expect(actions).toContain('vm.instant-revert:failure:viewer');
    expect(actions).toContain('vm.instant-revert.cancel:failure:viewer');
  }, 60_000);

  it('make permanent moves the running VM’s disk to the production datastore with what it wrote, reporting the relocation', async () => {
    const pointId = points.get(1)!;
    const original = fx.vc.vms[1]!.disks[0]!;
    const path = `${vmPath(1)}/instant-revert`;
    const reverted = await jobOf(await call(admin, 'POST', path, { pointId, powerOff: true }));
    expect(reverted.state).withContext(JSON.stringify(reverted)).toBe('succeeded');
    const vc = await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(10_000));
    const disk = (await vc.getVm(fx.moref(1))).disks[0]!;
    const written = Buffer.alloc(77_777, 0x4d);
    await fx.vc.writeDisk(fx.moref(1), disk.key, 5 * MiB + 1, written);
    const expected = await fx.vc.readDisk(fx.moref(1), disk.key, 0, DISK);
    expect(sha(expected)).not.toBe(backedUp.get(1)!);

    expectProblem(await call(viewer, 'POST', `${path}/commit`, {}), 403, 'forbidden');
    const committed = await jobOf(await call(admin, 'POST', `${path}/commit`, {}));
    expect(committed.state).withContext(JSON.stringify(committed)).toBe('succeeded');
    expect(committed.progress).withContext('the relocation’s progress, in bytes of the disk').toEqual(jasmine.objectContaining({ bytesDone: DISK, bytesTotal: DISK }));
    expect((await fx.call(admin, 'GET', `/jobs/${committed.id}`)).text).toContain('moved to production storage');

    const vm = await vc.getVm(fx.moref(1));
    expect(vm.powerState).withContext('the VM ran on through the move').toBe('poweredOn');
    const home = vm.disks[0]!;
    expect(home.datastore.name).toBe(original.file.slice(1, original.file.indexOf(']')));
    expect(sha(await readFile(localFile(fx.vc, home.fileName)))).withContext('the moved disk holds the point and the guest’s writes').toBe(sha(expected));
    expect((await state(1)).active).toBeFalse();
    expect(await publications()).toEqual([]);
    expectProblem(await call(admin, 'POST', `${path}/commit`, {}), 404, 'not-found');
    expect(await auditActions()).toContain('vm.instant-revert.commit:success:administrator');
  }, 60_000);
});

describe('instant revert API without an NFS server', () => {
  let fx: VcenterServer;
  let admin: string;

  beforeAll(async () => {
    fx = await startVcenterServer({ sim: { vms: 1, disks: 1, diskSize: MiB }, dataDirPrefix: 'lifeline-instant-api-nonfs-', backup: { passphrase: 'instant api passphrase' } });
    admin = await fx.login();
  }, 60_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('refuses clearly and changes nothing', async () => {
    const path = `/vms/${encodeURIComponent(fx.urn(0))}/instant-revert`;
    const before = (await fx.call(admin, 'GET', path)).json();
    const reply = await fx.call(admin, 'POST', path, { pointId: '20200101-000000-00000000', powerOff: true });
    expect(responseViolations({ method: 'POST', url: `${fx.server.url}/api/v1${path}`, status: reply.status, headers: reply.headers, body: reply.text })).toEqual([]);
    const refused = expectProblem(reply, 503, 'nfs-not-configured');
    expect(String(refused['detail'])).toContain('"nfs" section');
    expectProblem(await fx.call(admin, 'POST', `${path}/cancel`, {}), 503, 'nfs-not-configured');
    expect((await fx.call(admin, 'GET', path)).json()).toEqual(before);
    expect(before['active']).toBeFalse();
  });
});
