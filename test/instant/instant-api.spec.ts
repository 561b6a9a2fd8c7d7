// Instant new instance and instant attach through the API of a Lifeline server whose configuration
// has an NFS section: each request is authorised as its copy-first path is, runs as an
// 'instant-recovery' job, is audited and kept across a restart; the simulator mounts the server's
// NFS export as ESXi would (test/vcsim/nas.go) and the new VM reads the point's bytes through it;
// migrate and discard leave no publication; bad input is refused with nothing made. Every answer is
// checked against the OpenAPI document.
// The NFS server listens on 127.0.0.10 (its portmapper on port 111), an address no other suite uses.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeImage } from '../store/store-fixtures.js';
import { responseViolations } from '../contract/openapi-validator.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { addPoint, createRepository, imageRegion, loginExportUsers, MiB, openRepository, PASSPHRASE, RESTORER, VIEWER } from '../export/export-fixture.js';

const NFS_HOST = '127.0.0.10';
const SIZE = 4 * MiB;
const NFS_FILE = { nfs: { host: NFS_HOST, port: 0, portmapperPort: 111, clients: ['127.0.0.1', NFS_HOST] } };

interface Accepted {
  job: { id: string };
  runId: string;
}
interface Run {
  id: string;
  kind: string;
  state: string;
  vm: { moref: string } | null;
  disks: Array<{ pointDisk: number; deviceKey: number | null; file: string | null }>;
}

describe('instant recovery API (new instance and attach from the NFS datastore)', () => {
  let fx: VcenterServer;
  let image: Buffer;
  let pointId: string;
  let users: { admin: string; viewer: string; restorer: string };
  const checked = async (reply: Promise<HttpsReply>, method: string, path: string): Promise<HttpsReply> => {
    const r = await reply;
    expect(responseViolations({ method, url: `${fx.server.url}/api/v1${path}`, status: r.status, headers: r.headers, body: r.text })).toEqual([]);
    return r;
  };
  const call = (token: string, method: string, path: string, body?: unknown) => checked(fx.call(token, method, path, body), method, path);
  /** Waits for the job to end (polling its record); returns it. */
  const jobEnd = async (id: string): Promise<{ state: string; error: unknown }> => {
    for (;;) {
      const j = (await fx.call(users.admin, 'GET', `/jobs/${id}`)).json<{ state: string; error: unknown }>();
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(j.state)) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const accepted = async (r: HttpsReply): Promise<Accepted> => {
    expect(r.status).withContext(r.text).toBe(202);
    const a = r.json<Accepted>();
    const end = await jobEnd(a.job.id);
    expect(end.state).withContext(JSON.stringify(end.error)).toBe('succeeded');
    return a;
  };
  const runs = async (): Promise<Run[]> => (await call(users.admin, 'GET', '/instant-recoveries')).json<{ items: Run[] }>().items;
  const publications = async (): Promise<unknown[]> => (await call(users.admin, 'GET', '/publications')).json<{ items: unknown[] }>().items;
  const nasDatastores = async () => (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000))).nasDatastores();

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, diskSize: SIZE, datastores: 2 },
      users: [VIEWER, RESTORER],
      dataDirPrefix: 'lifeline-instant-api-',
      backup: { passphrase: PASSPHRASE },
      file: () => NFS_FILE,
      prepare: async (vc, dataDir) => {
        const images = join(dataDir, 'images');
        await mkdir(images);
        const imagePath = join(images, 'disk0.img');
        await writeImage(imagePath, SIZE, imageRegion);
        image = await readFile(imagePath);
        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        try {
          pointId = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[0]?.moref ?? ''}`, vmName: 'instant vm' }, [imagePath]);
        } finally {
          await repo.close();
        }
      },
    });
    users = await loginExportUsers(fx);
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('runs a new VM from the point at once, keeps it across a restart, and migrates it to production', async () => {
    const path = `/points/${pointId}/instant-instance`;
    expectProblem(await call(users.viewer, 'POST', path, { name: 'instant-api' }), 403, 'forbidden');
    // The point's stored configuration names no datastore of its VM: the VM's files go to the one chosen.
    const a = await accepted(await call(users.admin, 'POST', path, { name: 'instant-api', powerOn: true, datastore: fx.vc.datastores.map((d) => d.name).sort()[0]! }));
    const [run] = await runs();
    expect(run).toEqual(jasmine.objectContaining({ id: a.runId, kind: 'new-instance', state: 'running' }));
    const vm = run!.vm!.moref;
    const info = await (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000))).getVm(vm);
    expect(info.powerState).toBe('poweredOn');
    expect((await fx.vc.readDisk(vm, run!.disks[0]!.deviceKey!, 0, SIZE)).equals(image)).withContext('the guest sees the point’s bytes through NFS').toBeTrue();
    expect((await publications()).length).toBe(1);

    // The record survives a restart of Lifeline, and the publication with it.
    await fx.restart();
    users = await loginExportUsers(fx);
    expect((await call(users.viewer, 'GET', `/instant-recoveries/${a.runId}`)).json<Run>().state).toBe('running');

    // What the migration may be asked for: the datacenter's datastores, not Lifeline's NFS datastore.
    const targets = (await call(users.viewer, 'GET', `/instant-recoveries/${a.runId}/migration-targets`)).json<{ items: Array<{ name: string; freeBytes: number | null }> }>().items;
    expect(targets.map((t) => t.name)).toEqual(fx.vc.datastores.map((d) => d.name).sort());
    expectProblem(await call(users.admin, 'GET', '/instant-recoveries/00000000-0000-0000-0000-000000000000/migration-targets'), 404, 'not-found');
    const migrate = `/instant-recoveries/${a.runId}/migrate`;
    expectProblem(await call(users.admin, 'POST', migrate, { datastore: 'no-such-datastore' }), 400, 'validation');
    const target = fx.vc.datastores.map((d) => d.name).sort()[1]!;
    await accepted(await call(users.admin, 'POST', migrate, { datastore: target }));
    const moved = await (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000))).getVm(vm);
    expect(moved.disks.map((d) => d.datastore.name)).toEqual([target]);
    expect(moved.powerState).toBe('poweredOn');
    expect(await runs()).toEqual([]);
    expect(await publications()).toEqual([]);
    expect((await nasDatastores()).length).withContext('the NFS datastore is unmounted').toBe(0);
    const audit = (await call(users.admin, 'GET', '/audit')).json<{ items: Array<{ action: string; outcome: string }> }>().items;
    expect(audit.filter((x) => x.outcome === 'success').map((x) => x.action)).toEqual(jasmine.arrayContaining(['point.instant-instance', 'instant-recovery.migrate']));
  }, 90_000);

  it('attaches the point’s disks to a VM and discards them, leaving the VM with its own disks', async () => {
    const target = fx.moref(1);
    const path = `/points/${pointId}/instant-attach`;
    const before = (await (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000))).getVm(target)).disks.map((d) => d.fileName);
    // The restorer may restore but not add disks to the VM, which vCenter would demand of the user.
    expectProblem(await call(users.restorer, 'POST', path, { vm: target }), 403, 'forbidden');
    const a = await accepted(await call(users.admin, 'POST', path, { vm: target }));
    const run = (await call(users.admin, 'GET', `/instant-recoveries/${a.runId}`)).json<Run>();
    expect(run.kind).toBe('attach');
    expect((await fx.vc.readDisk(target, run.disks[0]!.deviceKey!, 0, SIZE)).equals(image)).toBeTrue();
    await accepted(await call(users.admin, 'POST', `/instant-recoveries/${a.runId}/discard`, {}));
    const after = (await (await fx.backup.vcenter(fx.vc.instanceUuid, AbortSignal.timeout(30_000))).getVm(target)).disks.map((d) => d.fileName);
    expect(after).toEqual(before);
    expect(await runs()).toEqual([]);
    expect(await publications()).toEqual([]);
    expect((await nasDatastores()).length).toBe(0);
  });

  it('refuses an unknown point, an unknown VM, a missing datastore and an unknown run, with nothing made', async () => {
    expectProblem(await call(users.admin, 'POST', '/points/20990101-000000-deadbeef/instant-instance', { name: 'instant-bad' }), 404, 'not-found');
    expectProblem(await call(users.admin, 'POST', `/points/${pointId}/instant-instance`, { name: 'instant-bad', datastore: 'no-such-datastore' }), 400, 'validation');
    expectProblem(await call(users.admin, 'POST', `/points/${pointId}/instant-attach`, { vm: 'vm-99999' }), 404, 'not-found');
    expectProblem(await call(users.admin, 'POST', '/instant-recoveries/00000000-0000-0000-0000-000000000000/discard', {}), 404, 'not-found');
    expect(await runs()).toEqual([]);
    expect(await publications()).toEqual([]);
    expect((await nasDatastores()).length).toBe(0);
  });

  it('answers 503 nfs-not-configured on a server without an NFS section', async () => {
    await fx.restart({ file: {} });
    try {
      users = await loginExportUsers(fx);
      expectProblem(await call(users.admin, 'GET', '/instant-recoveries'), 503, 'nfs-not-configured');
      expectProblem(await call(users.admin, 'POST', `/points/${pointId}/instant-instance`, { name: 'instant-none' }), 503, 'nfs-not-configured');
    } finally {
      await fx.restart({ file: NFS_FILE });
      users = await loginExportUsers(fx);
    }
  });
});
