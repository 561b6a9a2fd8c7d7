// The visible backlog, end to end over HTTPS: with one backup slot, VMs given a policy at once are
// backed up one after the other by the real backup pipeline on the simulator's disks, and those
// waiting for the slot are listed by GET /jobs as queued scheduled backups with their RPO deadline,
// earliest deadline first; every one of them then runs and succeeds.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSPHRASE_FILE } from '../../plugin-server/src/server/backup-services.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { createRepository, MiB, PASSPHRASE } from '../export/export-fixture.js';

interface JobBody {
  id: string;
  kind: string;
  state: string;
  requestedBy: string | null;
  deadline: string | null;
  target: { id: string };
  startedAt: string | null;
}

describe('the backup backlog on the server', () => {
  let fx: VcenterServer;
  let admin: string;

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 4, diskSize: 4 * MiB },
      dataDirPrefix: 'lifeline-backlog-',
      backup: { passphrase: PASSPHRASE },
      deps: { jobLimits: { global: 1, perKeyClass: { datastore: 1, host: 1 } } },
      prepare: async (_vc, dataDir) => {
        await createRepository(join(dataDir, 'store'));
        await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
      },
    });
    admin = await fx.login();
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('lists VMs waiting for a slot as queued backups with their RPO deadline, then runs them all', async () => {
    const created = await fx.call(admin, 'POST', '/policies', { name: 'Hourly', rpoSeconds: 3600, retention: { keepLast: 4 } });
    expect(created.status).withContext(created.text).toBe(201);
    const policyId = created.json()['id'];
    for (let i = 0; i < 4; i++) {
      const r = await fx.call(admin, 'PUT', `/vms/${encodeURIComponent(fx.urn(i))}/protection`, { policyId });
      expect(r.status).withContext(r.text).toBe(201);
    }
    // The scheduler queues each VM as it comes due; one runs, the others wait for the slot.
    let queued: JobBody[] = [];
    for (let i = 0; i < 200 && queued.length === 0; i++) {
      queued = (await fx.call(admin, 'GET', '/jobs?state=queued&kind=backup')).json<{ items: JobBody[] }>().items;
      if (queued.length === 0) await sleep(25);
    }
    expect(queued.length).toBeGreaterThan(0);
    for (const job of queued) {
      expect(job.requestedBy).toBe('scheduler');
      expect(job.startedAt).toBeNull();
      expect(job.deadline).not.toBeNull();
    }
    const page = (await fx.call(admin, 'GET', '/jobs?state=queued,running&kind=backup')).json<{ items: JobBody[]; total: number }>();
    expect(page.items.filter((j) => j.state === 'running').length).toBeLessThanOrEqual(1);

    let done: JobBody[] = [];
    for (let i = 0; i < 600 && done.length < 4; i++) {
      done = (await fx.call(admin, 'GET', '/jobs?state=succeeded&kind=backup')).json<{ items: JobBody[] }>().items;
      if (done.length < 4) await sleep(100);
    }
    expect(new Set(done.map((j) => j.target.id)).size).toBe(4);
    // One slot: the backups ran one after the other, in the order of their deadlines.
    const byStart = [...done].sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''));
    const deadlines = byStart.map((j) => Date.parse(j.deadline ?? ''));
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
  }, 360_000);
});
