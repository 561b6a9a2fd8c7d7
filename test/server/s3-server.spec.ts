// A Lifeline server whose store is on object storage (storeS3) and that copies restore points to
// a second bucket (copyS3), on a real throwaway Ceph cluster and the vCenter simulator: it backs
// up a VM into the bucket and makes a new VM from the point byte for byte, GET /storage says the
// store is object storage with Object Lock, and a policy's copyToObjectStorage queues an
// 'object-copy' job after each backup that uploads only the chunks the copy lacks, shown in the
// points API as where else the point is held.
//
// Then a server with a local store and copies on Ceph: once the point is deleted locally (past its
// short local retention) and the local store's chunks are gone, the point is still listed from the
// copy, and a new VM, an export, a clone-and-attach and a revert read it from there byte for byte.
import { access, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { manifestKey } from '../../plugin-server/src/store/engine/manifest.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { fillDisk, MiB, sha256File, writeDisk, seeded } from '../protection/backup-fixture.js';
import { localFile } from '../recovery/recovery-fixture.js';
import { connect } from '../vsphere/vcenter-fixture.js';
import { download } from '../export/download.js';
import { systemClock, type Clock } from '../../plugin-server/src/domain/index.js';
import type { HttpsReply } from './https-client.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

const DAY = 86_400_000;
const DISK = 16 * MiB;

describe('object storage on Ceph RGW', () => {
const ceph = useCephCluster();

describe('a server with its store on object storage (Ceph RGW)', () => {
  let fx: VcenterServer;
  let admin: string;

  const jobOf = async (reply: HttpsReply): Promise<Record<string, unknown>> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    return jobDone((reply.json()['job'] as { id: string }).id);
  };
  const jobDone = async (id: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 3000; i++) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) {
        expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
        return job;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  /** The object-copy job queued after the backup that made `pointId`, once it has ended. */
  const copyJobOf = async (pointId: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 500; i++) {
      const jobs = (await fx.call(admin, 'GET', '/jobs?kind=object-copy&limit=50')).json<{ items: Array<{ id: string; params: { pointId: string } }> }>();
      const job = jobs.items.find((j) => j.params.pointId === pointId);
      if (job) return jobDone(job.id);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no object-copy job for ${pointId}`);
  };
  const keysIn = async (bucket: string, prefix: string): Promise<string[]> =>
    ((await ceph().client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? '');

  beforeAll(async () => {
    const { cluster } = ceph();
    fx = await startVcenterServer({
      sim: { vms: 1, disks: 1, diskSize: DISK },
      dataDirPrefix: 'lifeline-s3-server-',
      backup: { passphrase: 'store on object storage' },
      prepare: async (vc, dataDir) => {
        await fillDisk(vc.vms[0]?.disks[0]?.path ?? '', DISK, 17);
        await writeFile(join(dataDir, 's3.json'), JSON.stringify({ accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey }), { mode: 0o600 });
      },
      file: (_vc, dataDir) => ({
        storeS3: { url: 's3://server-store/lifeline', endpoint: cluster.endpoint, credentialsFile: join(dataDir, 's3.json') },
        copyS3: { url: 's3://server-copy/archive', endpoint: cluster.endpoint, credentialsFile: join(dataDir, 's3.json') },
      }),
    });
    admin = await fx.login();
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('backs up a VM into the bucket, copies its points to the second bucket sending only missing chunks, and makes a new VM from the point byte for byte', async () => {
    const vm = encodeURIComponent(fx.urn(0));
    const storage = (await fx.call(admin, 'GET', '/storage')).json<{ storage: unknown }>();
    expect(storage.storage).toEqual({ kind: 'object-storage', location: jasmine.stringContaining('s3://server-store/lifeline/'), lockMode: 'compliance' });

    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Archive', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash', copyToObjectStorage: { points: 'all', immutableDays: 60 } });
    expect(policy.status).withContext(policy.text).toBe(201);
    expect(policy.json()['copyToObjectStorage']).toEqual({ points: 'all', immutableDays: 60 });
    expect((await fx.call(admin, 'PUT', `/vms/${vm}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);

    const first = String(((await jobOf(await fx.call(admin, 'POST', `/vms/${vm}/backup`)))['result'] as { pointId: string }).pointId);
    expect((await keysIn('server-store', `lifeline/points/${first}/`)).length).toBeGreaterThan(0);
    const copied = (await copyJobOf(first))['result'] as { pointsCopied: string[]; chunksSent: number; bytesSent: number };
    expect(copied.pointsCopied).toEqual([first]);
    expect(copied.chunksSent).toBe(4);
    expect((await keysIn('server-copy', 'archive/chunks/')).length).toBe(4);
    const head = await ceph().client.send(new HeadObjectCommand({ Bucket: 'server-copy', Key: `archive/${manifestKey(first)}` }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');

    // One 4 MiB chunk of the disk changes: the second copy uploads that chunk alone.
    const source = fx.vc.vms[0]!.disks[0]!.path;
    await writeDisk(source, 4 * MiB, seeded(99, MiB));
    const originals = [await sha256File(source)];
    const second = String(((await jobOf(await fx.call(admin, 'POST', `/vms/${vm}/backup`)))['result'] as { pointId: string }).pointId);
    const again = (await copyJobOf(second))['result'] as { pointsCopied: string[]; pointsHeld: number; chunksSent: number };
    expect(again).toEqual(jasmine.objectContaining({ pointsCopied: [second], pointsHeld: 1, chunksSent: 1 }));
    expect((await keysIn('server-copy', 'archive/chunks/')).length).toBe(5);

    // The points API says where each point is held besides the local store.
    const points = (await fx.call(admin, 'GET', `/vms/${vm}/points`)).json<{ items: Array<{ id: string; createdAt: string; objectStorageCopy: { retainUntil: string } | null }> }>();
    expect(points.items.map((p) => p.id)).toEqual([second, first]);
    for (const p of points.items) expect(Date.parse(p.objectStorageCopy?.retainUntil ?? '')).toBe(Date.parse(p.createdAt) + 60 * DAY);

    const made = await jobOf(await fx.call(admin, 'POST', `/points/${second}/instantiate`, { name: 'from-s3' }));
    const moref = (made['result'] as { vm: { moref: string } }).vm.moref;
    const vc = await connect(fx.vc);
    try {
      const disks = (await vc.getVm(moref)).disks;
      expect(await Promise.all(disks.map((d) => sha256File(localFile(fx.vc, d.fileName))))).toEqual(originals);
    } finally {
      await vc.logout();
    }
  });
});

describe('a server restoring from its copy on object storage (Ceph RGW)', () => {
  let fx: VcenterServer;
  let admin: string;
  // The store's clock: moved on to pass the points' local retention (a day), while the copy's
  // lock on Ceph (real time) stays for 30 days.
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, setTimer: (ms, fn) => systemClock.setTimer(ms, fn) };

  const jobDone = async (id: string, state = 'succeeded'): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 3000; i++) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) {
        expect(job['state']).withContext(JSON.stringify(job)).toBe(state);
        return job;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  const jobOf = async (reply: HttpsReply): Promise<Record<string, unknown>> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    return jobDone((reply.json()['job'] as { id: string }).id);
  };
  const problemOf = (reply: HttpsReply, status: number, code: string): Record<string, unknown> => {
    expect(reply.status).withContext(reply.text).toBe(status);
    expect(reply.json()['code']).withContext(reply.text).toBe(code);
    return reply.json();
  };
  const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    const { cluster } = ceph();
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: DISK },
      dataDirPrefix: 'lifeline-s3-copy-restore-',
      backup: { passphrase: 'copies on object storage', clock },
      prepare: async (vc, dataDir) => {
        await fillDisk(vc.vms[0]?.disks[0]?.path ?? '', DISK, 23);
        await writeFile(join(dataDir, 's3.json'), JSON.stringify({ accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey }), { mode: 0o600 });
      },
      file: (_vc, dataDir) => ({ copyS3: { url: 's3://restore-copy/lifeline', endpoint: cluster.endpoint, credentialsFile: join(dataDir, 's3.json') } }),
    });
    admin = await fx.login();
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('lists, exports, makes a new VM from, attaches and reverts to a point deleted locally, reading its copy byte for byte', async () => {
    const vmPath = `/vms/${encodeURIComponent(fx.urn(0))}`;
    const source = fx.vc.vms[0]!.disks[0]!.path;
    const original = await sha256File(source);
    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Archive', rpoSeconds: 3600, retention: { keepLast: 4 }, immutabilityDays: 1, consistency: 'crash', copyToObjectStorage: { points: 'all', immutableDays: 30 } });
    expect(policy.status).withContext(policy.text).toBe(201);
    expect((await fx.call(admin, 'PUT', `${vmPath}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);
    const pointId = String(((await jobOf(await fx.call(admin, 'POST', `${vmPath}/backup`)))['result'] as { pointId: string }).pointId);
    let copied: { id: string } | undefined;
    for (let i = 0; i < 500 && !copied; i++) {
      copied = (await fx.call(admin, 'GET', '/jobs?kind=object-copy&limit=50')).json<{ items: Array<{ id: string; params: { pointId: string } }> }>().items.find((j) => j.params.pointId === pointId);
      if (!copied) await new Promise((r) => setTimeout(r, 20));
    }
    await jobDone(copied?.id ?? 'none');
    // The VM leaves its policy: with its only point deleted below, the scheduler would back it up
    // at once (its RPO unmet), and that backup would hold the VM when the revert asks for it.
    expect((await fx.call(admin, 'DELETE', `${vmPath}/protection`)).status).toBe(204);

    // Past its local retention the point is deleted from the local store, and the store loses
    // its chunks too: what follows can only come from the copy.
    offset = 2 * DAY;
    expect((await fx.call(admin, 'DELETE', `/points/${pointId}`)).status).toBe(204);
    await access(join(fx.dataDir, 'store', 'chunks'));
    await rm(join(fx.dataDir, 'store', 'chunks'), { recursive: true });
    expect((await fx.call(admin, 'GET', `${vmPath}/points`)).json()['items']).toEqual([]);
    const listed = (await fx.call(admin, 'GET', `${vmPath}/points?source=object-storage`)).json<{ items: Array<{ id: string; createdAt: string; retainUntil: string; objectStorageCopy: { retainUntil: string } | null; disks: Array<{ index: number }> }> }>();
    expect(listed.items.map((p) => p.id)).toEqual([pointId]);
    const held = listed.items[0]!;
    expect(Date.parse(held.retainUntil)).toBe(Date.parse(held.createdAt) + 30 * DAY);
    expect(held.objectStorageCopy).toEqual({ retainUntil: held.retainUntil });
    const disk = held.disks[0]!.index;
    expect((await fx.call(admin, 'GET', `/points/${pointId}?source=object-storage`)).json()['id']).toBe(pointId);

    // The local store no longer has it; a wrong source and a change to the copy are refused.
    problemOf(await fx.call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'from-local' }), 404, 'not-found');
    problemOf(await fx.call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'from-where', source: 's3' }), 400, 'validation');
    problemOf(await fx.call(admin, 'GET', `/points/${pointId}/disks/${disk}/raw?source=tape`), 400, 'validation');
    problemOf(await fx.call(admin, 'DELETE', `/points/${pointId}?source=object-storage`), 400, 'validation');

    // Export.
    const raw = await download(`${fx.server.url}/api/v1/points/${pointId}/disks/${disk}/raw?source=object-storage`, { 'vmware-api-session-id': admin });
    expect(raw.status).withContext(raw.body.subarray(0, 300).toString()).toBe(200);
    expect(raw.complete).toBeTrue();
    expect(sha256(raw.body)).toBe(original);

    // A new VM.
    const made = await jobOf(await fx.call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'from-the-copy', source: 'object-storage' }));
    const vc = await connect(fx.vc);
    try {
      const newVm = await vc.getVm((made['result'] as { vm: { moref: string } }).vm.moref);
      expect(await Promise.all(newVm.disks.map((d) => sha256File(localFile(fx.vc, d.fileName))))).toEqual([original]);

      // Clone and attach to the other VM.
      const attach = await fx.call(admin, 'POST', `/points/${pointId}/attach`, { vm: fx.urn(1), source: 'object-storage' });
      await jobOf(attach);
      const attachment = (await fx.call(admin, 'GET', `/attachments/${String(attach.json()['attachmentId'])}`)).json<{ state: string; disks: Array<{ file: string }> }>();
      expect(attachment.state).toBe('attached');
      expect(await Promise.all(attachment.disks.map((d) => sha256File(localFile(fx.vc, d.file))))).toEqual([original]);

      // Revert the VM, whose disk has changed since.
      await writeDisk(source, 0, seeded(5, MiB));
      expect(await sha256File(source)).not.toBe(original);
      await jobOf(await fx.call(admin, 'POST', `${vmPath}/revert`, { pointId, powerOff: true, source: 'object-storage' }));
      const reverted = await vc.getVm(fx.moref(0));
      expect(await Promise.all(reverted.disks.map((d) => sha256File(localFile(fx.vc, d.fileName))))).toEqual([original]);
    } finally {
      await vc.logout();
    }
    const audit = (await fx.call(admin, 'GET', '/audit?limit=100')).json<{ items: Array<{ action: string; details: Record<string, unknown> }> }>().items;
    expect(audit.find((r) => r.action === 'point.instantiate' && r.details['source'] === 'object-storage')).toBeDefined();
  });
});

describe('a server without object storage for copies', () => {
  let fx: VcenterServer;
  let admin: string;
  beforeAll(async () => {
    fx = await startVcenterServer({ sim: { vms: 1, disks: 1, diskSize: MiB }, dataDirPrefix: 'lifeline-no-copy-', backup: { passphrase: 'no copies' } });
    admin = await fx.login();
  }, 360_000);
  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('refuses a policy asking for copies it would never make, and reading a copy it does not have', async () => {
    const asked = { name: 'Archive', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash', copyToObjectStorage: { points: 'all', immutableDays: 60 } };
    const refused = await fx.call(admin, 'POST', '/policies', asked);
    expect(refused.status).withContext(refused.text).toBe(400);
    expect(refused.json()['errors']).toEqual([{ field: 'copyToObjectStorage', message: jasmine.stringMatching(/no object storage for copies \(copyS3 in lifeline.json\)/) }]);
    expect((await fx.call(admin, 'GET', '/policies')).json()['items']).toEqual([]);
    const plain = await fx.call(admin, 'POST', '/policies', { ...asked, copyToObjectStorage: null });
    expect(plain.status).withContext(plain.text).toBe(201);
    const patched = await fx.call(admin, 'PUT', `/policies/${String(plain.json()['id'])}`, asked);
    expect(patched.status).withContext(patched.text).toBe(400);

    const vm = encodeURIComponent(fx.urn(0));
    const list = await fx.call(admin, 'GET', `/vms/${vm}/points?source=object-storage`);
    expect(list.status).withContext(list.text).toBe(400);
    expect(list.json()['errors']).toEqual([jasmine.objectContaining({ field: 'source' })]);
  });
});
});
