// The server's daily repository maintenance, end to end over HTTPS: the schedule submits a
// 'maintenance' job on the server's job runner, which applies the protected VM's policy retention
// to the real store, collects garbage and verifies; the jobs API shows it with its log.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSPHRASE_FILE } from '../../plugin-server/src/server/backup-services.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { MAINTENANCE_JOB_KIND, type MaintenanceResult } from '../../plugin-server/src/protection/index.js';
import { writeImage } from '../store/store-fixtures.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { addPoint, createRepository, MiB, openRepository, PASSPHRASE } from '../export/export-fixture.js';
import { assertDocumented } from '../contract/openapi-validator.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface JobBody {
  id: string;
  requestedBy: string | null;
  kind: string;
  state: string;
  target: { type: string; id: string; vcenterGuid: string | null };
  result: MaintenanceResult | null;
  error: { code: string; message: string } | null;
  log: { tail: Array<{ message: string }> };
}

describe('repository maintenance on the server', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  const now = Date.now();
  const clock = new ManualClock(now);
  const points: string[] = [];
  const held: string[] = [];
  let other = '';

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 3, diskSize: 4 * MiB },
      users: [{ username: 'viewer@vsphere.local', password: 'Viewer-1!' }],
      dataDirPrefix: 'lifeline-maintenance-',
      backup: { passphrase: PASSPHRASE },
      deps: { jobClock: clock, maintenance: { firstDelayMs: 10 * 60_000, intervalMs: DAY, verifyPercent: 100 } },
      prepare: async (vc, dataDir) => {
        await mkdir(join(dataDir, 'images'));
        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        const vmId = (i: number) => `${vc.instanceUuid}:${vc.vms[i]?.moref ?? ''}`;
        try {
          // Three points of VM 0 and one of VM 1, all past their retain-until.
          for (let i = 0; i < 3; i++) {
            const img = join(dataDir, 'images', `a${i}.img`);
            await writeImage(img, 8 * MiB, (b) => ({ kind: 'random', seed: b < 4 ? 1 : 10 * i + b }));
            points.push(await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: now - (10 - i) * DAY, retainUntil: now - 5 * DAY }, [img]));
          }
          const img = join(dataDir, 'images', 'b.img');
          await writeImage(img, 4 * MiB, () => ({ kind: 'random', seed: 99 }));
          other = await addPoint(repo, { vmId: vmId(1), vmName: 'vm b', createdAt: now - 10 * DAY, retainUntil: now - 5 * DAY }, [img]);
          // VM 2: an old point large enough that a paused download keeps it being read, and a newer one.
          const big = join(dataDir, 'images', 'c0.img');
          await writeImage(big, 64 * MiB, (b) => ({ kind: 'random', seed: 500 + b }));
          held.push(await addPoint(repo, { vmId: vmId(2), vmName: 'vm c', createdAt: now - 10 * DAY, retainUntil: now - 5 * DAY }, [big]));
          held.push(await addPoint(repo, { vmId: vmId(2), vmName: 'vm c', createdAt: now - 9 * DAY, retainUntil: now - 5 * DAY }, [img]));
        } finally {
          await repo.close();
        }
        await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
      },
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  /** The scheduled runs (an administrator's have requestedBy set). */
  async function maintenanceJobs(): Promise<JobBody[]> {
    const r = await fx.call(admin, 'GET', `/jobs?kind=${MAINTENANCE_JOB_KIND}`);
    expect(r.status).withContext(r.text).toBe(200);
    return r.json<{ items: JobBody[] }>().items.filter((j) => j.requestedBy === null);
  }

  async function finished(id: string): Promise<JobBody> {
    for (let i = 0; i < 400; i++) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json<JobBody>();
      if (job.state === 'succeeded' || job.state === 'failed') return job;
      await clock.advance(0);
      await sleep(25);
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('runs now when an administrator asks, with the steps asked for, and refuses anyone else', async () => {
    expectProblem(await fx.call(viewer, 'POST', '/maintenance', {}), 403, 'forbidden');
    const bad = expectProblem(await fx.call(admin, 'POST', '/maintenance', { steps: ['defragment'] }), 400, 'validation');
    expect(JSON.stringify(bad)).toContain('params.steps');
    const r = await fx.call(admin, 'POST', '/maintenance', { steps: ['verify'], verifyPercent: 100 });
    expect(r.status).withContext(r.text).toBe(202);
    const { job } = r.json<{ job: JobBody; created: boolean }>();
    expect(job.requestedBy).toBe(fx.vc.username);
    const done = await finished(job.id);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    expect(done.result?.retention).toBeNull();
    expect(done.result?.gc).toBeNull();
    expect(done.result?.verify?.percent).toBe(100);
    expect(done.result?.verify?.damagedPoints).toEqual([]);
    const audit = (await fx.call(admin, 'GET', '/audit')).json<{ items: Array<{ action: string; outcome: string }> }>();
    expect(audit.items.filter((a) => a.action === 'repository.maintenance').map((a) => a.outcome)).toContain('success');
  });

  it("runs on its schedule, applies the protected VM's retention and leaves the others alone", async () => {
    // A backup window that is not open today, so the scheduler takes no new backup meanwhile.
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date(now).getUTCDay() + 3) % 7];
    const policy = await fx.call(admin, 'POST', '/policies', {
      name: 'Keep one',
      rpoSeconds: 86_400,
      retention: { keepLast: 1 },
      windows: [{ days: [day], start: '00:00', end: '00:01' }],
    });
    expect(policy.status).withContext(policy.text).toBe(201);
    const vm0 = `/vms/${encodeURIComponent(fx.urn(0))}`;
    const assigned = await fx.call(admin, 'PUT', `${vm0}/protection`, { policyId: policy.json<{ id: string }>()['id'] });
    expect(assigned.status).withContext(assigned.text).toBe(201);
    expect(await maintenanceJobs()).toEqual([]);

    await clock.advance(10 * 60_000);
    let job: JobBody | undefined;
    for (let i = 0; i < 400 && !(job && ['succeeded', 'failed'].includes(job.state)); i++) {
      await clock.advance(0);
      await sleep(25);
      [job] = await maintenanceJobs();
    }
    expect(job?.state).withContext(JSON.stringify(job?.error)).toBe('succeeded');
    expect(job?.target).toEqual({ type: 'repository', id: 'store', vcenterGuid: null });
    const full = (await fx.call(admin, 'GET', `/jobs/${job?.id ?? ''}`)).json<JobBody>();
    expect(full.result?.retention?.removed.sort()).toEqual([points[0] ?? '', points[1] ?? ''].sort());
    expect(full.result?.verify?.damagedPoints).toEqual([]);
    expect(full.log.tail.map((l) => l.message).join('\n')).toContain('retention: 2 restore points removed over 1 protected VMs');

    const left = (await fx.call(admin, 'GET', `${vm0}/points`)).json<{ items: Array<{ id: string }> }>();
    expect(left.items.map((p) => p.id)).toEqual([points[2] ?? '']);
    const untouched = (await fx.call(admin, 'GET', `/vms/${encodeURIComponent(fx.urn(1))}/points`)).json<{ items: Array<{ id: string }> }>();
    expect(untouched.items.map((p) => p.id)).toEqual([other]);
  });

  it('leaves alone a VM whose restore point is being downloaded until the download ends', async () => {
    const policy = await fx.call(admin, 'POST', '/policies', {
      name: 'Keep one for c',
      rpoSeconds: 86_400,
      retention: { keepLast: 1 },
      windows: [{ days: [['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date(now).getUTCDay() + 3) % 7]], start: '00:00', end: '00:01' }],
    });
    expect(policy.status).withContext(policy.text).toBe(201);
    const vm2 = `/vms/${encodeURIComponent(fx.urn(2))}`;
    expect((await fx.call(admin, 'PUT', `${vm2}/protection`, { policyId: policy.json<{ id: string }>()['id'] })).status).toBe(201);
    try {
      // A download of the old point that the client does not read: the export waits on it.
      const download = new AbortController();
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpsRequest(`${fx.server.url}/api/v1/points/${held[0] ?? ''}/disks/0/raw`, {
          headers: { 'vmware-api-session-id': admin },
          rejectUnauthorized: false,
          agent: false,
          signal: download.signal,
        }, (res) => {
          res.pause();
          resolve(res);
        });
        req.on('error', reject);
        req.end();
      });
      const res = await response;
      assertDocumented({ method: 'GET', url: `/api/v1/points/${held[0] ?? ''}/disks/0/raw`, status: res.statusCode ?? 0, headers: res.headers });
      expect(res.statusCode).toBe(200);
      try {
        const r = await fx.call(admin, 'POST', '/maintenance', { steps: ['retention'] });
        expect(r.status).withContext(r.text).toBe(202);
        const done = await finished(r.json<{ job: JobBody }>().job.id);
        expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
        expect(done.result?.retention?.removed).toEqual([]);
        expect(done.log.tail.map((l) => l.message).join('\n')).toContain(`restore point ${held[0] ?? ''} is being read`);
      } finally {
        download.abort();
        res.destroy();
      }
      // Once the download is over, the old point goes as its policy says.
      await sleep(100);
      const again = await fx.call(admin, 'POST', '/maintenance', { steps: ['retention'] });
      const after = await finished(again.json<{ job: JobBody }>().job.id);
      expect(after.result?.retention?.removed).toEqual([held[0] ?? '']);
    } finally {
      expect((await fx.call(admin, 'DELETE', `${vm2}/protection`)).status).toBe(204);
    }
  });
});
