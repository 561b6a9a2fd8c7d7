// Browser downloads of restore point disks over real HTTPS: a user with the Restore privilege asks,
// with the session header, for a ticket; the ticket's URL then serves that one export without the
// header, as a browser link does. What the link downloads must be the disk's bytes (whole, in
// ranges, or as a VMDK qemu-img reads back), nothing but that disk, only for a while, attributed to
// the user who asked, and the ticket itself must never reach the server's log.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIRST_USE_MS, RESUME_MS, ticketLabel } from '../../plugin-server/src/api/download-tickets.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { writeImage } from '../store/store-fixtures.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { download, type Download } from './download.js';
import { addPoint, createRepository, IMAGE_SIZE, imageRegion, loginExportUsers, MiB, openRepository, PASSPHRASE, qemuImgCompare, RESTORER, VIEWER } from './export-fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SMALL_SIZE = 6 * MiB;

interface Ticket {
  readonly url: string;
  readonly expiresAt: string;
}

describe('download tickets for restore point disks over HTTPS', () => {
  let fx: VcenterServer;
  const clock = new ManualClock(Date.now());
  let admin: string;
  let viewer: string;
  let restorer: string;
  let image: Buffer;
  let small: Buffer;
  let imagePath: string;
  /** On VM 0: disk 0 the standard image, disk 1 a small random one. */
  let point: string;
  /** Holds Restore on VM 0 until the suite takes it away. */
  const REVOKED = { username: 'revoked@vsphere.local', password: 'Revoked-1!', vmPrivileges: { 0: [PRIVILEGES.restore] } };
  /** On VM 1, where the restorer has no Restore privilege. */
  let otherVm: string;

  const moref = (i: number) => fx.moref(i);
  const call = (token: string | null, path: string): Promise<HttpsReply> => fx.call(token, 'GET', path);
  const ask = (token: string | null, pointId: string, disk: number, body: unknown): Promise<HttpsReply> => fx.call(token, 'POST', `/points/${pointId}/disks/${disk}/download`, body);
  /** A ticket the user is given, checked for its shape. */
  const ticketFor = async (token: string, pointId: string, disk: number, format: 'raw' | 'vmdk'): Promise<Ticket> => {
    const r = await ask(token, pointId, disk, { format });
    expect(r.status).withContext(r.text).toBe(201);
    const t = r.json<Ticket>();
    expect(t.url).toMatch(/^\/api\/v1\/downloads\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(t.expiresAt)).toBe(clock.now() + FIRST_USE_MS);
    return t;
  };
  const secretOf = (t: Ticket) => t.url.slice(t.url.lastIndexOf('/') + 1);
  /** Follows a ticket's URL as a browser does: no session header, nothing but the URL (and a range). */
  const follow = (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> => download(`${fx.server.url}${url}`, headers, method);
  /** Audit records of an action by a user; each is written as its response ends, a moment after the client has it. */
  const auditOf = async (action: string, user: string, until: (items: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> => {
    let mine: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 50; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      const audit = (await call(admin, `/audit?action=${action}&limit=1000`)).json<{ items: Array<Record<string, unknown>> }>();
      mine = audit.items.filter((a) => a['user'] === user);
      if (until(mine)) break;
    }
    return mine;
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, diskSize: 4 * MiB },
      users: [VIEWER, RESTORER, REVOKED],
      dataDirPrefix: 'lifeline-download-',
      backup: { passphrase: PASSPHRASE },
      prepare: async (vc, dataDir) => {
        const storeDir = join(dataDir, 'store');
        const images = join(dataDir, 'images');
        await mkdir(images);
        imagePath = join(images, 'disk0.img');
        const smallPath = join(images, 'small.img');
        await writeImage(imagePath, IMAGE_SIZE, imageRegion);
        await writeImage(smallPath, SMALL_SIZE, (i) => ({ kind: 'random', seed: 7100 + i }));
        image = await readFile(imagePath);
        small = await readFile(smallPath);

        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        const now = Date.now();
        try {
          point = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[0]?.moref ?? ''}`, vmName: 'download vm', createdAt: now - HOUR, retainUntil: now + DAY }, [imagePath, smallPath]);
          otherVm = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[1]?.moref ?? ''}`, vmName: 'other vm', createdAt: now - HOUR }, [smallPath]);
        } finally {
          await repo.close();
        }
      },
      // The API's clock is the one the tickets expire by: the suite moves it instead of waiting.
      deps: { jobClock: clock },
    });
    ({ admin, viewer, restorer } = await loginExportUsers(fx));
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('downloads the whole raw disk through the ticket, with no session, as the bytes of the image', async () => {
    const t = await ticketFor(restorer, point, 0, 'raw');
    const r = await follow(t.url);
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.headers['content-length']).toBe(String(IMAGE_SIZE));
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="download_vm-${point}-disk0.raw"`);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.length).toBe(IMAGE_SIZE);
    expect(r.body.equals(image)).toBe(true);
  });

  it('serves byte ranges of the same download, so a cut download resumes', async () => {
    const t = await ticketFor(restorer, point, 0, 'raw');
    const start = 5 * MiB + 123;
    const part = await follow(t.url, { range: `bytes=${start}-${start + 2 * MiB - 1}` });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes ${start}-${start + 2 * MiB - 1}/${IMAGE_SIZE}`);
    expect(part.body.equals(image.subarray(start, start + 2 * MiB))).toBe(true);
    // The rest, asked as a browser resumes: from where it stopped, if the image is the same one.
    const rest = await follow(t.url, { range: `bytes=${start + 2 * MiB}-`, 'if-range': String(part.headers['etag']) });
    expect(rest.status).toBe(206);
    expect(rest.complete).toBe(true);
    expect(Buffer.concat([image.subarray(0, start), part.body, rest.body]).equals(image)).toBe(true);
    expectProblem(await follow(t.url, { range: `bytes=${IMAGE_SIZE}-` }), 416, 'range-not-satisfiable');
  });

  it('downloads a VMDK that qemu-img reads back to the disk’s contents', async () => {
    const t = await ticketFor(admin, point, 1, 'vmdk');
    const r = await follow(t.url);
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="download_vm-${point}-disk1.vmdk"`);
    const file = join(fx.dataDir, 'ticket.vmdk');
    const raw = join(fx.dataDir, 'disk1.img');
    await writeFile(file, r.body);
    await writeFile(raw, small);
    const cmp = await qemuImgCompare(raw, 'raw', file, 'vmdk');
    expect(cmp.code).withContext(cmp.output).toBe(0);
  });

  it('serves only the disk and format it was issued for: not another disk, point or route', async () => {
    const t = await ticketFor(restorer, point, 1, 'raw');
    const secret = secretOf(t);
    const own = await follow(t.url);
    expect(own.status).toBe(200);
    expect(own.body.equals(small)).toBe(true);
    // Nothing in the URL names the point or disk, so nothing there can be changed to reach another.
    expect(t.url).not.toContain(point);
    expectProblem(await follow(`${t.url}/0`), 404, 'not-found');
    // A client resolves the dots, and what is left is the export route, which wants a session.
    expectProblem(await follow(`${t.url}/../../points/${otherVm}/disks/0/raw`), 401, 'unauthenticated');
    // A query string cannot steer it: the ticket still serves its own disk, in its own format.
    const query = await follow(`${t.url}?disk=0&format=vmdk&pointId=${otherVm}`);
    expect(query.status).toBe(200);
    expect(query.body.equals(small)).toBe(true);
    // The ticket is no session: the export routes still want the header of a user with Restore.
    expectProblem(await follow(`/api/v1/points/${otherVm}/disks/0/raw`), 401, 'unauthenticated');
    expectProblem(await follow(`/api/v1/points/${otherVm}/disks/0/raw?ticket=${secret}`), 401, 'unauthenticated');
    expectProblem(await follow(`/api/v1/points/${otherVm}/disks/0/raw`, { 'vmware-api-session-id': secret }), 401, 'unauthenticated');
    // The restorer cannot get a ticket for the other VM's point either.
    expectProblem(await ask(restorer, otherVm, 0, { format: 'raw' }), 403, 'forbidden');
  });

  it('expires unused after a minute, and 15 minutes after the download began: then 404 like an unknown one', async () => {
    const unused = await ticketFor(restorer, point, 0, 'raw');
    await clock.advance(FIRST_USE_MS - 1000);
    const begun = await ticketFor(restorer, point, 0, 'raw');
    await clock.advance(1000);
    const gone = expectProblem(await follow(unused.url, { range: 'bytes=0-9' }), 404, 'not-found');
    const first = await follow(begun.url, { range: 'bytes=0-9' });
    expect(first.status).toBe(206);
    expect(first.body.equals(image.subarray(0, 10))).toBe(true);
    // Past its first minute, still serving the download it began.
    await clock.advance(RESUME_MS - 1000);
    const resumed = await follow(begun.url, { range: 'bytes=10-19' });
    expect(resumed.status).toBe(206);
    expect(resumed.body.equals(image.subarray(10, 20))).toBe(true);
    await clock.advance(1000);
    const late = expectProblem(await follow(begun.url, { range: 'bytes=20-29' }), 404, 'not-found');
    // An unknown ticket gets the same answer: nothing tells whether one existed.
    const unknown = expectProblem(await follow(`/api/v1/downloads/${'A'.repeat(43)}`), 404, 'not-found');
    const junk = expectProblem(await follow('/api/v1/downloads/not-a-ticket'), 404, 'not-found');
    for (const p of [late, unknown, junk]) expect(p['detail']).toBe(gone['detail']);
    expect(String(gone['detail'])).toContain('unknown or has expired');
  });

  it('checks Restore again with the user’s session at every use: a link serves nothing once the privilege is taken away', async () => {
    const token = await fx.login(REVOKED.username, REVOKED.password);
    const t = await ticketFor(token, point, 1, 'raw');
    const first = await follow(t.url);
    expect(first.status).toBe(200);
    expect(first.body.equals(small)).toBeTrue();
    // An administrator takes the privilege away; the same link, within its window, is refused.
    await fx.vc.addUser({ username: REVOKED.username, password: REVOKED.password, privileges: ['System.View'] });
    const again = await follow(t.url, { range: 'bytes=0-1023' });
    expectProblem(again, 403, 'forbidden');
    expect(again.body.includes(small.subarray(0, 1024))).toBeFalse();
  });

  it('issues no ticket without the Restore privilege on the point’s VM, nor without a session or a valid request', async () => {
    const denied = expectProblem(await ask(viewer, point, 0, { format: 'raw' }), 403, 'forbidden');
    expect(String(denied['detail'])).toContain(PRIVILEGES.restore);
    expect(denied['url']).toBeUndefined();
    expectProblem(await ask(null, point, 0, { format: 'raw' }), 401, 'unauthenticated');
    expectProblem(await ask(admin, point, 0, { format: 'qcow2' }), 400, 'validation');
    expectProblem(await ask(admin, point, 0, {}), 400, 'validation');
    expectProblem(await ask(admin, point, 0, { format: 'raw', pointId: otherVm }), 400, 'validation');
    expectProblem(await ask(admin, point, 7, { format: 'raw' }), 404, 'not-found');
    expectProblem(await ask(admin, '20200101-000000-00000000', 0, { format: 'raw' }), 404, 'not-found');
    const refused = await auditOf('point.export-ticket', 'viewer@vsphere.local', (items) => items.length > 0);
    expect(refused.length).toBe(1);
    expect(refused[0]).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 403, errorCode: 'forbidden', object: `vm:${fx.vc.instanceUuid}:${moref(0)}` }));
  });

  it('audits who asked for the ticket and the download made with it, in that user’s name', async () => {
    const t = await ticketFor(restorer, point, 1, 'raw');
    const label = ticketLabel(secretOf(t));
    const r = await follow(t.url);
    expect(r.status).toBe(200);
    const issued = (await auditOf('point.export-ticket', 'restorer@vsphere.local', (items) => items.some((a) => (a['details'] as Record<string, unknown>)['downloadId'] === label))).filter(
      (a) => (a['details'] as Record<string, unknown>)['downloadId'] === label,
    );
    expect(issued.length).toBe(1);
    expect(issued[0]).toEqual(
      jasmine.objectContaining({
        outcome: 'success',
        status: 201,
        vcenterGuid: fx.vc.instanceUuid,
        object: `vm:${fx.vc.instanceUuid}:${moref(0)}`,
        details: { pointId: point, disk: 1, format: 'raw', downloadId: label },
      }),
    );
    const downloads = (await auditOf('point.export', 'restorer@vsphere.local', (items) => items.some((a) => (a['details'] as Record<string, unknown>)['downloadId'] === label))).filter(
      (a) => (a['details'] as Record<string, unknown>)['downloadId'] === label,
    );
    expect(downloads.length).toBe(1);
    expect(downloads[0]).toEqual(
      jasmine.objectContaining({
        outcome: 'success',
        status: 200,
        vcenterGuid: fx.vc.instanceUuid,
        object: `vm:${fx.vc.instanceUuid}:${moref(0)}`,
        details: { downloadId: label, pointId: point, disk: 1, format: 'raw' },
      }),
    );
  });

  it('never writes a ticket to the log: requests through it are logged by its label', async () => {
    const t = await ticketFor(restorer, point, 0, 'raw');
    const secret = secretOf(t);
    expect((await follow(t.url, { range: 'bytes=0-0' })).status).toBe(206);
    // A ticket that fails (a range it cannot serve) goes through the error handler's log too.
    expect((await follow(t.url, { range: 'bytes=0-1,4-5' })).status).toBe(416);
    expect((await follow(`${t.url}/more`)).status).toBe(404);
    const log = fx.captured.lines.join('\n');
    expect(log).not.toContain(secret);
    const requests = fx.captured.records().filter((l) => l['msg'] === 'request' && String(l['path']).startsWith('/api/v1/downloads/'));
    expect(requests.map((l) => l['path'])).toContain(`/api/v1/downloads/~${ticketLabel(secret)}`);
    expect(fx.captured.records().some((l) => l['msg'] === 'download ticket issued' && l['downloadId'] === ticketLabel(secret))).toBe(true);
    // Nor does any ticket the suite has been given so far.
    const audit = (await call(admin, '/audit?limit=1000')).text;
    expect(audit).not.toContain(secret);
  });
});
