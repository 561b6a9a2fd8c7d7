// Restore points and disk export over real HTTPS: a Lifeline server with its backup services
// opened on a real encrypted repository, authorised by the vCenter simulator's own privilege
// checks. The points were made from real image files; what a client downloads must be those
// bytes — whole, in ranges, or as a VMDK that qemu-img reads back to the same contents — and a
// damaged point must never reach a client as a complete-looking image.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { writeImage } from '../store/store-fixtures.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { fillDisk } from '../protection/backup-fixture.js';
import { download, type Download } from './download.js';
import { addPoint, corruptSlot, createRepository, expectStreamOptimizedVmdkOf, IMAGE_SIZE, imageRegion, loginExportUsers, MiB, openRepository, PASSPHRASE, RESTORER, VIEWER } from './export-fixture.js';
import { responseViolations } from '../contract/openapi-validator.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHUNK = 4 * MiB;

describe('restore point API and disk export over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  let restorer: string;
  let image: Buffer;
  let imagePath: string;
  let older: string;
  let newer: string;
  let otherVm: string;

  const moref = (i: number) => fx.moref(i);
  const urn = (i: number) => fx.urn(i);
  const api = (path: string) => `${fx.server.url}/api/v1${path}`;
  const call = (token: string | null, path: string): Promise<HttpsReply> => fx.call(token, 'GET', path);
  const get = (token: string | null, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> =>
    download(api(path), { ...(token === null ? {} : { 'vmware-api-session-id': token }), ...headers }, method);

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 3, diskSize: 12 * MiB },
      users: [VIEWER, RESTORER],
      dataDirPrefix: 'lifeline-export-',
      backup: { passphrase: PASSPHRASE },
      prepare: async (vc, dataDir) => {
        // The guest data a real backup of VM 2 will read.
        await fillDisk(vc.vms[2]?.disks[0]?.path ?? '', 12 * MiB, 3);
        const images = join(dataDir, 'images');
        await mkdir(images);
        imagePath = join(images, 'disk0.img');
        const smallPath = join(images, 'small.img');
        await writeImage(imagePath, IMAGE_SIZE, imageRegion);
        await writeImage(smallPath, 6 * MiB, (i) => ({ kind: 'random', seed: 9000 + i }));
        image = await readFile(imagePath);

        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        const now = Date.now();
        const vmMoref = (i: number) => vc.vms[i]?.moref ?? '';
        const vmId = (i: number) => `${vc.instanceUuid}:${vmMoref(i)}`;
        try {
          older = await addPoint(repo, { vmId: vmId(0), vmName: 'export vm', createdAt: now - 3 * DAY, retainUntil: now - DAY }, [smallPath]);
          newer = await addPoint(
            repo,
            {
              vmId: vmId(0),
              vmName: 'export vm',
              createdAt: now - HOUR,
              retainUntil: now + 7 * DAY,
              consistency: 'application',
              config: {
                vcenterGuid: vc.instanceUuid,
                moref: vmMoref(0),
                guestId: 'ubuntu64Guest',
                guestOs: 'Ubuntu Linux (64-bit)',
                cpus: 2,
                memoryMiB: 4096,
                disks: [{ key: 0, label: 'Hard disk 1', fileName: '[LocalDS_0] export-vm/export-vm.vmdk', capacityBytes: IMAGE_SIZE }],
                nics: [{ key: 4000, type: 'VirtualVmxnet3', label: 'Network adapter 1', macAddress: '00:50:56:aa:bb:cc', network: { moref: 'network-7', name: 'VM Network' } }],
              },
            },
            [imagePath],
          );
          otherVm = await addPoint(repo, { vmId: vmId(1), vmName: 'other vm', createdAt: now - 2 * HOUR }, [smallPath]);
        } finally {
          await repo.close();
        }
      },
    });
    ({ admin, viewer, restorer } = await loginExportUsers(fx));
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  describe('restore points', () => {
    it("lists a VM's points newest first, with what the UI shows of each", async () => {
      const r = await call(viewer, `/vms/${encodeURIComponent(urn(0))}/points`);
      expect(r.status).withContext(r.text).toBe(200);
      const body = r.json<{ items: Array<Record<string, unknown>>; total: number; offset: number; limit: number }>();
      expect(body.total).toBe(2);
      expect(body.items.map((p) => p['id'])).toEqual([newer, older]);
      const [n, o] = body.items;
      expect(n).toEqual({
        id: newer,
        vm: { id: urn(0), name: 'export vm', moref: moref(0), vcenterGuid: fx.vc.instanceUuid },
        createdAt: jasmine.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        consistency: 'application',
        retainUntil: jasmine.stringMatching(/Z$/),
        locked: true,
        damaged: false,
        logicalBytes: IMAGE_SIZE,
        newBytes: jasmine.any(Number),
        disks: [{ index: 0, label: 'Hard disk 1', capacityBytes: IMAGE_SIZE, datastorePath: '[LocalDS_0] export-vm/export-vm.vmdk' }],
        jobId: null,
        objectStorageCopy: null,
      });
      expect(n?.['newBytes'] as number).toBeGreaterThan(0);
      expect(Date.parse(n?.['createdAt'] as string)).toBeGreaterThan(Date.parse(o?.['createdAt'] as string));
      // Retained until a day ago: no longer locked. Made without a vCenter configuration: no path.
      expect(o?.['locked']).toBe(false);
      expect(o?.['consistency']).toBe('crash');
      expect(o?.['disks']).toEqual([{ index: 0, label: 'Hard disk 1', capacityBytes: 6 * MiB, datastorePath: null }]);

      const paged = (await call(viewer, `/vms/${moref(0)}/points?limit=1&offset=1`)).json<{ items: Array<{ id: string }>; total: number }>();
      expect(paged.items.map((p) => p.id)).toEqual([older]);
      expect(paged.total).toBe(2);
      const other = (await call(viewer, `/vms/${moref(1)}/points`)).json<{ items: Array<{ id: string }> }>();
      expect(other.items.map((p) => p.id)).toEqual([otherVm]);
    });

    it('shows one point with its stored VM configuration', async () => {
      const r = await call(viewer, `/points/${newer}`);
      expect(r.status).withContext(r.text).toBe(200);
      const p = r.json();
      expect(p['id']).toBe(newer);
      expect(p['vm']).toEqual({ id: urn(0), name: 'export vm', moref: moref(0), vcenterGuid: fx.vc.instanceUuid });
      expect(p['configuration']).toEqual({
        cpus: 2,
        memoryBytes: 4096 * MiB,
        guestOs: 'Ubuntu Linux (64-bit)',
        guestId: 'ubuntu64Guest',
        networks: [{ label: 'Network adapter 1', network: 'VM Network', adapterType: 'VirtualVmxnet3', macAddress: '00:50:56:aa:bb:cc' }],
      });
    });

    it('answers 404 problem+json for an unknown point, 400 for something that is no point id, 401 without a session', async () => {
      const unknown = await call(viewer, '/points/20200101-000000-00000000');
      expectProblem(unknown, 404, 'not-found');
      expect(unknown.json()['detail']).toContain('20200101-000000-00000000');
      expectProblem(await call(admin, '/points/20200101-000000-00000000/disks/0/raw'), 404, 'not-found');
      expectProblem(await call(viewer, '/points/not-a-point'), 400, 'validation');
      expectProblem(await call(admin, `/points/${newer}/disks/7/raw`), 404, 'not-found');
      expectProblem(await call(null, `/points/${newer}`), 401, 'unauthenticated');
      expectProblem(await call(null, `/vms/${moref(0)}/points`), 401, 'unauthenticated');
    });
  });

  describe('raw export', () => {
    it('streams the whole disk: the bytes of the image, with length, ranges, ETag and file name announced', async () => {
      const r = await get(admin, `/points/${newer}/disks/0/raw`);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(true);
      expect(r.headers['content-length']).toBe(String(IMAGE_SIZE));
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.headers['etag']).toBe(`"${newer}-disk0"`);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers['content-disposition']).toBe(`attachment; filename="export_vm-${newer}-disk0.raw"`);
      expect(r.body.length).toBe(IMAGE_SIZE);
      expect(r.body.equals(image)).toBe(true);
    });

    it('answers single ranges with exactly those bytes: start, middle, end, across chunk boundaries, in the zero chunk', async () => {
      const cases: Array<[string, number, number]> = [
        ['bytes=0-99', 0, 100],
        ['bytes=5000000-5999999', 5_000_000, 6_000_000],
        [`bytes=${CHUNK - 10}-${CHUNK + 9}`, CHUNK - 10, CHUNK + 10],
        [`bytes=${CHUNK - 1}-${3 * CHUNK}`, CHUNK - 1, 3 * CHUNK + 1],
        [`bytes=${4 * CHUNK + 5}-${4 * CHUNK + 70000}`, 4 * CHUNK + 5, 4 * CHUNK + 70001],
        [`bytes=${IMAGE_SIZE - 65536 - 3}-`, IMAGE_SIZE - 65536 - 3, IMAGE_SIZE],
        ['bytes=-1000', IMAGE_SIZE - 1000, IMAGE_SIZE],
        [`bytes=${IMAGE_SIZE - 1}-${IMAGE_SIZE + 500}`, IMAGE_SIZE - 1, IMAGE_SIZE],
      ];
      for (const [range, start, end] of cases) {
        const r = await get(admin, `/points/${newer}/disks/0/raw`, { range });
        expect(r.status).withContext(range).toBe(206);
        expect(r.complete).withContext(range).toBe(true);
        expect(r.headers['content-range']).withContext(range).toBe(`bytes ${start}-${end - 1}/${IMAGE_SIZE}`);
        expect(r.headers['content-length']).withContext(range).toBe(String(end - start));
        expect(r.body.equals(image.subarray(start, end))).withContext(range).toBe(true);
      }
      // A stale If-Range: the whole (new) representation instead of a piece of the old one.
      const stale = await get(admin, `/points/${newer}/disks/0/raw`, { range: 'bytes=0-9', 'if-range': '"something-else"' });
      expect(stale.status).toBe(200);
      expect(stale.body.length).toBe(IMAGE_SIZE);
      const fresh = await get(admin, `/points/${newer}/disks/0/raw`, { range: 'bytes=0-9', 'if-range': `"${newer}-disk0"` });
      expect(fresh.status).toBe(206);
      expect(fresh.body.equals(image.subarray(0, 10))).toBe(true);
    });

    it('answers 416 with the size for a range it cannot satisfy', async () => {
      for (const range of [`bytes=${IMAGE_SIZE}-`, `bytes=${IMAGE_SIZE + 10}-${IMAGE_SIZE + 20}`, 'bytes=0-1,5-9', 'bytes=9-3', 'bytes=abc']) {
        const r = await get(admin, `/points/${newer}/disks/0/raw`, { range });
        const problem = expectProblem(r, 416, 'range-not-satisfiable');
        expect(r.headers['content-range']).withContext(range).toBe(`bytes */${IMAGE_SIZE}`);
        expect(problem['size']).toBe(IMAGE_SIZE);
      }
    });

    it('stops reading when the client goes away mid-download', async () => {
      const before = fx.captured.records().filter((l) => l['msg'] === 'export aborted' && l['pointId'] === newer && String(l['reason']).includes('client')).length;
      const received = await new Promise<number>((resolve, reject) => {
        const req = request(api(`/points/${newer}/disks/0/raw`), { headers: { 'vmware-api-session-id': admin }, agent: false, rejectUnauthorized: false }, (res) => {
          const found = responseViolations({ method: 'GET', url: api(`/points/${newer}/disks/0/raw`), status: res.statusCode ?? 0, headers: res.headers });
          if (found.length > 0) reject(new Error(found.join('\n')));
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            // Gone after the first bytes, long before the 40 MiB are through.
            if (bytes > 0) {
              req.destroy();
              resolve(bytes);
            }
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end();
      });
      expect(received).toBeLessThan(IMAGE_SIZE);
      let stopped = 0;
      for (let i = 0; i < 100 && stopped === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stopped = fx.captured.records().filter((l) => l['msg'] === 'export aborted' && l['pointId'] === newer && String(l['reason']).includes('client')).length - before;
      }
      expect(stopped).toBe(1);
    });

    it('answers HEAD with the headers alone', async () => {
      const r = await get(admin, `/points/${newer}/disks/0/raw`, {}, 'HEAD');
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(IMAGE_SIZE));
      expect(r.body.length).toBe(0);
    });

    it('needs the Restore privilege on the VM: 403 for a viewer, bytes for a restorer of that VM only, 401 without a session', async () => {
      const denied = expectProblem(await get(viewer, `/points/${newer}/disks/0/raw`, { range: 'bytes=0-9' }), 403, 'forbidden');
      expect(String(denied['detail'])).toContain(PRIVILEGES.restore);
      expectProblem(await get(viewer, `/points/${newer}/disks/0/vmdk`), 403, 'forbidden');
      expectProblem(await get(null, `/points/${newer}/disks/0/raw`), 401, 'unauthenticated');
      expectProblem(await get(null, `/points/${newer}/disks/0/vmdk`), 401, 'unauthenticated');
      const own = await get(restorer, `/points/${newer}/disks/0/raw`, { range: 'bytes=100-199' });
      expect(own.status).toBe(206);
      expect(own.body.equals(image.subarray(100, 200))).toBe(true);
      expectProblem(await get(restorer, `/points/${otherVm}/disks/0/raw`, { range: 'bytes=0-9' }), 403, 'forbidden');
    });

    it('records each export in the audit log with the point and disk', async () => {
      await get(restorer, `/points/${newer}/disks/0/raw`, { range: 'bytes=0-0' });
      let mine: Array<Record<string, unknown>> = [];
      // The record is written when the response finishes, which may be a moment after the client has it.
      for (let i = 0; i < 50 && mine.length === 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        const audit = (await call(admin, '/audit?action=point.export&limit=1000')).json<{ items: Array<Record<string, unknown>> }>();
        mine = audit.items.filter((a) => a['user'] === 'restorer@vsphere.local' && a['outcome'] === 'success');
      }
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[0]?.['object']).toBe(`vm:${fx.vc.instanceUuid}:${moref(0)}`);
      expect(mine[0]?.['details']).toEqual(jasmine.objectContaining({ pointId: newer, disk: 0, format: 'raw' }));
    });
  });

  describe('VMDK export', () => {
    it('streams a stream-optimized VMDK that qemu-img reads back to the image’s contents', async () => {
      const r = await get(admin, `/points/${newer}/disks/0/vmdk`);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(true);
      expect(r.headers['content-length']).toBeUndefined();
      expect(r.headers['transfer-encoding']).toBe('chunked');
      expect(r.headers['content-disposition']).toBe(`attachment; filename="export_vm-${newer}-disk0.vmdk"`);
      expect(r.body.length).toBeLessThan(IMAGE_SIZE);
      const file = join(fx.dataDir, 'download.vmdk');
      await writeFile(file, r.body);
      await expectStreamOptimizedVmdkOf(file, imagePath);
    });
  });

  describe('a point made by a backup job', () => {
    it('shows the job that made it and where its disk lives, and exports the bytes the VM’s disk held', async () => {
      const send = (method: string, path: string, body: unknown) => fx.call(admin, method, path, body);
      const vm = fx.vc.vms[2];
      const disk = vm?.disks[0];
      if (!vm || !disk) throw new Error('the simulator has no VM 2 with a disk');
      const policy = await send('POST', '/policies', { name: 'Export suite', rpoSeconds: 3600, retention: { keepLast: 3 }, consistency: 'crash' });
      expect(policy.status).withContext(policy.text).toBe(201);
      const assigned = await send('PUT', `/vms/${encodeURIComponent(urn(2))}/protection`, { policyId: policy.json()['id'] });
      expect(assigned.status).withContext(assigned.text).toBe(201);
      const started = await send('POST', `/vms/${encodeURIComponent(urn(2))}/backup`, {});
      expect(started.status).withContext(started.text).toBe(202);
      const jobId = started.json<{ job: { id: string } }>().job.id;
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(String(job['state'])); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await call(admin, `/jobs/${jobId}`)).json();
      }
      expect(job['state']).withContext(JSON.stringify(job['error'])).toBe('succeeded');

      const list = (await call(viewer, `/vms/${encodeURIComponent(urn(2))}/points`)).json<{ items: Array<Record<string, unknown>> }>();
      expect(list.items.length).toBe(1);
      const point = list.items[0] as Record<string, unknown>;
      expect(point['jobId']).toBe(jobId);
      expect(point['consistency']).toBe('crash');
      expect(point['disks']).toEqual([{ index: disk.key, label: jasmine.any(String), capacityBytes: 12 * MiB, datastorePath: disk.file }]);
      const detail = (await call(viewer, `/points/${String(point['id'])}`)).json();
      expect(detail['jobId']).toBe(jobId);
      expect(detail['configuration']).toEqual(jasmine.objectContaining({ cpus: jasmine.any(Number), memoryBytes: jasmine.any(Number) }));

      const raw = await get(admin, `/points/${String(point['id'])}/disks/${disk.key}/raw`);
      expect(raw.status).toBe(200);
      expect(raw.body.equals(await readFile(disk.path))).toBe(true);
    }, 360_000);
  });

  describe('a damaged restore point', () => {
    it('stops the exports before the headers when the damage is near the start, naming the chunk and the point', async () => {
      const repo = fx.backup.repository;
      const bad = await corruptSlot(repo, newer, 0, 1);
      try {
        for (const format of ['raw', 'vmdk']) {
          const r = await get(admin, `/points/${newer}/disks/0/${format}`);
          const problem = expectProblem(r, 500, 'chunk-corrupt');
          expect(problem['chunk']).toBe(bad.hex);
          expect(problem['pointId']).toBe(newer);
          expect(String(problem['detail'])).toContain(bad.hex);
          expect(String(problem['detail'])).toContain(newer);
          expect(problem['errorId']).toEqual(jasmine.any(String));
        }
        // Reading it recorded the damage: the point is listed damaged until a verify finds it whole.
        expect(repo.getPoint(newer).damaged).toBe(true);
        // A range that does not touch the damaged chunk is still served.
        const clean = await get(admin, `/points/${newer}/disks/0/raw`, { range: `bytes=${2 * CHUNK}-${2 * CHUNK + 99}` });
        expect(clean.status).toBe(206);
        expect(clean.body.equals(image.subarray(2 * CHUNK, 2 * CHUNK + 100))).toBe(true);
      } finally {
        await bad.undo();
      }
      expect(repo.getPoint(newer).damaged).toBe(false);
    });

    it('cuts the connection when the damage is found after the headers went out, and the log names the chunk', async () => {
      const repo = fx.backup.repository;
      // The last chunk: beyond the first read-ahead window, so headers are out when it is read.
      const bad = await corruptSlot(repo, newer, 0, 10);
      try {
        for (const format of ['raw', 'vmdk']) {
          const r = await get(admin, `/points/${newer}/disks/0/${format}`);
          expect(r.status).withContext(format).toBe(200);
          expect(r.complete).withContext(format).toBe(false);
          if (format === 'raw') expect(r.body.length).toBeLessThan(IMAGE_SIZE);
          const logged = fx.captured.records().filter((l) => l['msg'] === 'export stopped: the restore point is damaged' && l['chunk'] === bad.hex);
          expect(logged.length).withContext(format).toBeGreaterThan(0);
          expect(logged[logged.length - 1]?.['pointId']).toBe(newer);
        }
      } finally {
        await bad.undo();
      }
      // Repaired, the point exports whole again.
      const again = await get(admin, `/points/${newer}/disks/0/raw`, { range: `bytes=${10 * CHUNK}-` });
      expect(again.body.equals(image.subarray(10 * CHUNK))).toBe(true);
    });
  });
});
