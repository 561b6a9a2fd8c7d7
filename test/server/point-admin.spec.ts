// Deleting a restore point and keeping one longer, over HTTPS, on a real encrypted store with the
// vCenter simulator. Deleting: only an administrator may, never before the point's retain-until,
// never while the point is being read; a refusal leaves the point whole, a deletion leaves the
// VM's other points whole, and both are audited. Keeping longer: a 'retention' job locks the
// point's files until the new time, which then holds off its deletion; never shorter.
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSPHRASE_FILE } from '../../plugin-server/src/server/backup-services.js';
import { download } from '../export/download.js';
import { writeImage } from '../store/store-fixtures.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { addPoint, createRepository, MiB, openRepository, PASSPHRASE, VIEWER } from '../export/export-fixture.js';
import { assertDocumented } from '../contract/openapi-validator.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import type { SimUser } from './vcenter-server-fixture.js';

/** Holds Lifeline's Protect on VM 0, not Admin. */
const PROTECTOR: SimUser = { username: 'protector@vsphere.local', password: 'Protector-1!', vmPrivileges: { 0: [PRIVILEGES.protect] } };

const DAY = 86_400_000;

describe('deleting and keeping restore points over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  const now = Date.now();
  let expired = '';
  let kept = '';
  let locked = '';
  let lockedUntil = 0;
  let read = '';
  let keptSum = '';
  let longer = '';
  let storeDir = '';

  const point = (id: string) => fx.call(admin, 'GET', `/points/${id}`);
  const exportSum = async (id: string): Promise<string> => {
    const r = await download(`${fx.server.url}/api/v1/points/${id}/disks/0/raw`, { 'vmware-api-session-id': admin });
    expect(r.status).toBe(200);
    return createHash('sha256').update(r.body).digest('hex');
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, diskSize: 4 * MiB },
      users: [VIEWER, PROTECTOR],
      dataDirPrefix: 'lifeline-point-delete-',
      backup: { passphrase: PASSPHRASE },
      prepare: async (vc, dataDir) => {
        await mkdir(join(dataDir, 'images'));
        storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        const vmId = (i: number) => `${vc.instanceUuid}:${vc.vms[i]?.moref ?? ''}`;
        const image = async (name: string, mib: number, seed: (b: number) => number): Promise<string> => {
          const path = join(dataDir, 'images', name);
          await writeImage(path, mib * MiB, (b) => ({ kind: 'random', seed: seed(b) }));
          return path;
        };
        try {
          // VM 0: an expired point and a newer one sharing most of its chunks, and a locked one.
          expired = await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: now - 10 * DAY, retainUntil: now - 3 * DAY }, [await image('a0.img', 8, (b) => (b < 6 ? 1 + b : 100 + b))]);
          const keptImage = await image('a1.img', 8, (b) => (b < 6 ? 1 + b : 200 + b));
          kept = await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: now - 9 * DAY, retainUntil: now - 2 * DAY }, [keptImage]);
          keptSum = createHash('sha256').update(await readFile(keptImage)).digest('hex');
          lockedUntil = now + 5 * DAY;
          locked = await addPoint(repo, { vmId: vmId(0), vmName: 'vm a', createdAt: now - DAY, retainUntil: lockedUntil }, [await image('a2.img', 4, (b) => 300 + b)]);
          // VM 1: an expired point to keep longer, and one large enough that a paused download keeps it being read.
          longer = await addPoint(repo, { vmId: vmId(1), vmName: 'vm b', createdAt: now - 8 * DAY, retainUntil: now - DAY }, [await image('b1.img', 4, (b) => 400 + b)]);
          read = await addPoint(repo, { vmId: vmId(1), vmName: 'vm b', createdAt: now - 10 * DAY, retainUntil: now - DAY }, [await image('b0.img', 64, (b) => 500 + b)]);
        } finally {
          await repo.close();
        }
        await writeFile(join(dataDir, PASSPHRASE_FILE), `${PASSPHRASE}\n`, { mode: 0o600 });
      },
    });
    admin = await fx.login();
    viewer = await fx.login(VIEWER.username, VIEWER.password);
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('refuses anyone without Lifeline Admin, leaving the point', async () => {
    expectProblem(await fx.call(viewer, 'DELETE', `/points/${kept}`), 403, 'forbidden');
    expectProblem(await fx.call(null, 'DELETE', `/points/${kept}`), 401, 'unauthenticated');
    expect((await point(kept)).status).toBe(200);
  });

  it('refuses a point before its retain-until, saying from when it may go, and leaves it whole', async () => {
    const problem = expectProblem(await fx.call(admin, 'DELETE', `/points/${locked}`), 409, 'retention-locked');
    expect(problem['allowedAt']).toBe(new Date(lockedUntil).toISOString());
    expect(String(problem['detail'])).toContain(new Date(lockedUntil).toISOString());
    expect((await point(locked)).status).toBe(200);
    expect((await exportSum(locked)).length).toBe(64);
    const audit = (await fx.call(admin, 'GET', '/audit?action=point.delete')).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(audit.find((a) => a['errorCode'] === 'retention-locked')).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 409, object: `vm:${fx.vc.instanceUuid}:${fx.moref(0)}` }));
  });

  it('deletes an expired point, answers 404 for it afterwards, keeps the VM’s other points whole, and audits it', async () => {
    const r = await fx.call(admin, 'DELETE', `/points/${expired}`);
    expect(r.status).withContext(r.text).toBe(204);
    expectProblem(await point(expired), 404, 'not-found');
    const listed = (await fx.call(admin, 'GET', `/vms/${encodeURIComponent(fx.urn(0))}/points`)).json<{ items: Array<{ id: string }> }>().items.map((p) => p.id);
    expect(listed).not.toContain(expired);
    expect(listed).toContain(kept);
    // The newer point shared six of its eight chunks with the deleted one.
    expect(await exportSum(kept)).toBe(keptSum);
    const audit = (await fx.call(admin, 'GET', '/audit?action=point.delete')).json<{ items: Array<Record<string, unknown>> }>().items;
    const done = audit.find((a) => a['outcome'] === 'success');
    expect(done).toEqual(jasmine.objectContaining({ status: 204, object: `vm:${fx.vc.instanceUuid}:${fx.moref(0)}` }));
    expect((done?.['details'] as Record<string, unknown>)['pointId']).toBe(expired);
  });

  it('refuses a point being downloaded until the download is over', async () => {
    const download = new AbortController();
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(
        `${fx.server.url}/api/v1/points/${read}/disks/0/raw`,
        { headers: { 'vmware-api-session-id': admin }, rejectUnauthorized: false, agent: false, signal: download.signal },
        (response) => {
          response.pause();
          resolve(response);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assertDocumented({ method: 'GET', url: `/api/v1/points/${read}/disks/0/raw`, status: res.statusCode ?? 0, headers: res.headers });
    expect(res.statusCode).toBe(200);
    try {
      const problem = expectProblem(await fx.call(admin, 'DELETE', `/points/${read}`), 409, 'point-in-use');
      expect(String(problem['detail'])).toContain('being exported or downloaded');
      expect((await point(read)).status).toBe(200);
    } finally {
      download.abort();
      res.destroy();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 204; i++) {
      await sleep(50);
      status = (await fx.call(admin, 'DELETE', `/points/${read}`)).status;
    }
    expect(status).toBe(204);
    expectProblem(await point(read), 404, 'not-found');
  });

  const finished = async (id: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 400; i++) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) return job;
      await sleep(25);
    }
    throw new Error(`job ${id} did not end`);
  };
  const retainUntilOf = async (id: string): Promise<string> => String((await point(id)).json()['retainUntil']);

  it('refuses to keep a point without Protect, for a time that is not one or too far, or shorter, changing nothing', async () => {
    const before = await retainUntilOf(kept);
    expectProblem(await fx.call(viewer, 'POST', `/points/${kept}/retention`, { retainUntil: new Date(now + 30 * DAY).toISOString() }), 403, 'forbidden');
    for (const retainUntil of ['next week', '2027-01-01', 1_900_000_000_000, null]) {
      const bad = expectProblem(await fx.call(admin, 'POST', `/points/${kept}/retention`, { retainUntil }), 400, 'validation');
      expect(bad['errors']).toEqual([{ field: 'retainUntil', message: jasmine.stringMatching(/ISO-8601/) }]);
    }
    const far = expectProblem(await fx.call(admin, 'POST', `/points/${kept}/retention`, { retainUntil: new Date(now + 11 * 366 * DAY).toISOString() }), 400, 'validation');
    expect(JSON.stringify(far['errors'])).toContain('10 years');
    const shorter = expectProblem(await fx.call(admin, 'POST', `/points/${locked}/retention`, { retainUntil: new Date(lockedUntil - DAY).toISOString() }), 409, 'retention-shorten-refused');
    expect(String(shorter['detail'])).toContain('never shortened');
    expect(await retainUntilOf(kept)).toBe(before);
    expect(await retainUntilOf(locked)).toBe(new Date(lockedUntil).toISOString());
  });

  it("lets Protect alone keep a point only as long as its VM's policy makes points immutable anyway; further needs Admin, and the refusal is audited", async () => {
    const protector = await fx.login(PROTECTOR.username, PROTECTOR.password);
    const before = await retainUntilOf(kept);
    // VM 0 has no policy: the default immutability, 7 days, is as far as Protect reaches.
    const tooFar = expectProblem(await fx.call(protector, 'POST', `/points/${kept}/retention`, { retainUntil: new Date(now + 10 * 366 * DAY).toISOString() }), 403, 'forbidden');
    expect(tooFar['privilege']).toBe(PRIVILEGES.admin);
    expect(Date.parse(String(tooFar['maxRetainUntil']))).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    expect(await retainUntilOf(kept)).toBe(before);
    const audit = (await fx.call(admin, 'GET', '/audit?action=point.retention')).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(audit.find((a) => a['user'] === PROTECTOR.username)).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 403, object: `vm:${fx.vc.instanceUuid}:${fx.moref(0)}` }));

    const within = new Date(now + 3 * DAY);
    const r = await fx.call(protector, 'POST', `/points/${kept}/retention`, { retainUntil: within.toISOString() });
    expect(r.status).withContext(r.text).toBe(202);
    const done = await finished(r.json<{ job: { id: string } }>().job.id);
    expect(done['state']).withContext(JSON.stringify(done['error'])).toBe('succeeded');
    expect(await retainUntilOf(kept)).toBe(within.toISOString());
  });

  it('keeps an expired point longer with a retention job: its files are locked until then and it can no longer be deleted', async () => {
    const until = new Date(now + 40 * DAY);
    const r = await fx.call(admin, 'POST', `/points/${longer}/retention`, { retainUntil: until.toISOString() });
    expect(r.status).withContext(r.text).toBe(202);
    const { job } = r.json<{ job: { id: string; kind: string; target: Record<string, unknown> } }>();
    expect(job.kind).toBe('retention');
    expect(job.target).toEqual({ type: 'VirtualMachine', id: fx.moref(1), vcenterGuid: fx.vc.instanceUuid });
    const done = await finished(job.id);
    expect(done['state']).withContext(JSON.stringify(done['error'])).toBe('succeeded');
    expect(done['result']).toEqual({ pointId: longer, retainUntil: until.toISOString() });
    expect(await retainUntilOf(longer)).toBe(until.toISOString());
    // The store's own lock (the manifest's mtime) says so, not only the catalog.
    const manifest = await stat(join(storeDir, 'points', longer, 'manifest'));
    expect(Math.round(manifest.mtimeMs)).toBe(until.getTime());
    const refused = expectProblem(await fx.call(admin, 'DELETE', `/points/${longer}`), 409, 'retention-locked');
    expect(refused['allowedAt']).toBe(until.toISOString());
    const audit = (await fx.call(admin, 'GET', '/audit?action=point.retention')).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(audit.find((a) => a['outcome'] === 'success')).toEqual(jasmine.objectContaining({ status: 202, object: `vm:${fx.vc.instanceUuid}:${fx.moref(1)}` }));
  });
});
