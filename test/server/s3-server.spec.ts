// A Lifeline server whose store is on object storage (storeS3) and that copies restore points to
// a second bucket (copyS3), on a real throwaway Ceph cluster and the vCenter simulator: it backs
// up a VM into the bucket and makes a new VM from the point byte for byte, GET /storage says the
// store is object storage with Object Lock, and a policy's copyToObjectStorage queues an
// 'object-copy' job after each backup that uploads only the chunks the copy lacks, shown in the
// points API as where else the point is held.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { manifestKey } from '../../plugin-server/src/store/engine/manifest.js';
import { useCephCluster } from '../ceph/ceph-fixture.js';
import { fillDisk, MiB, sha256File, writeDisk, seeded } from '../protection/backup-fixture.js';
import { localFile } from '../recovery/recovery-fixture.js';
import { connect } from '../vsphere/vcenter-fixture.js';
import type { HttpsReply } from './https-client.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

const DAY = 86_400_000;
const DISK = 16 * MiB;

describe('a server with its store on object storage (Ceph RGW)', () => {
  const ceph = useCephCluster();
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
  }, 120_000);

  afterAll(async () => {
    await fx?.stop();
  }, 60_000);

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
