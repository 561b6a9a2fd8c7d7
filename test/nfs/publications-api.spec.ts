// Publishing restore points over the API of a Lifeline server whose configuration has an NFS
// section: the server started as `lifeline serve` starts it serves the publication to libnfs's
// tools, authorised by the vCenter simulator's privilege checks, and keeps it across a restart.
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { writeImage } from '../store/store-fixtures.js';
import { responseViolations } from '../contract/openapi-validator.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { addPoint, createRepository, IMAGE_SIZE, imageRegion, loginExportUsers, MiB, openRepository, PASSPHRASE, RESTORER, VIEWER } from '../export/export-fixture.js';
import { tool } from './nfs-fixture.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('publications API (NFS server in the Lifeline server)', () => {
  let fx: VcenterServer;
  let image: Buffer;
  let pointId: string;
  let port: number;
  let users: { admin: string; viewer: string; restorer: string };
  const nfsUrl = (path: string) => `nfs://127.0.0.1${path}?nfsport=${port}&mountport=${port}`;
  const checked = async (reply: Promise<HttpsReply>, method: string, path: string): Promise<HttpsReply> => {
    const r = await reply;
    expect(responseViolations({ method, url: `${fx.server.url}/api/v1${path}`, status: r.status, headers: r.headers, body: r.text })).toEqual([]);
    return r;
  };

  beforeAll(async () => {
    port = await freePort();
    fx = await startVcenterServer({
      sim: { vms: 1, diskSize: 4 * MiB },
      users: [VIEWER, RESTORER],
      dataDirPrefix: 'lifeline-publications-',
      backup: { passphrase: PASSPHRASE },
      file: () => ({ nfs: { host: '127.0.0.1', port, clients: ['127.0.0.1'] } }),
      prepare: async (vc, dataDir) => {
        const images = join(dataDir, 'images');
        await mkdir(images);
        const imagePath = join(images, 'disk0.img');
        await writeImage(imagePath, IMAGE_SIZE, imageRegion);
        image = await readFile(imagePath);
        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        try {
          pointId = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[0]?.moref ?? ''}`, vmName: 'published vm' }, [imagePath]);
        } finally {
          await repo.close();
        }
      },
    });
    users = await loginExportUsers(fx);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('publishes a point that NFS clients read, keeps it across a restart, and unpublishes it', async () => {
    const path = `/points/${pointId}/publication`;
    // Restore on the point's VM is needed: the viewer has only System.Read.
    expectProblem(await checked(fx.call(users.viewer, 'POST', path, {}), 'POST', path), 403, 'forbidden');
    expectProblem(await checked(fx.call(users.restorer, 'POST', path, { folder: '../etc' }), 'POST', path), 400, 'validation');

    const created = await checked(fx.call(users.restorer, 'POST', path, { folder: 'web-restore' }), 'POST', path);
    expect(created.status).withContext(created.text).toBe(201);
    const pub = created.json<{ id: string; folder: string; path: string; disks: Array<{ flatExtent: string; capacityBytes: number }> }>();
    expect(pub.path).toBe('/lifeline/web-restore');
    expect(pub.disks).toEqual([jasmine.objectContaining({ flatExtent: 'disk0-flat.vmdk', capacityBytes: IMAGE_SIZE })]);
    expectProblem(await checked(fx.call(users.restorer, 'POST', path, {}), 'POST', path), 409, 'publication-exists');

    const list = await checked(fx.call(users.viewer, 'GET', '/publications'), 'GET', '/publications');
    expect(list.status).toBe(200);
    expect(list.json<{ items: Array<{ id: string }> }>().items.map((p) => p.id)).toEqual([pub.id]);

    const out = join(fx.dataDir, 'read.raw');
    const cp = await tool('nfs-cp', [nfsUrl(`${pub.path}/disk0-flat.vmdk`), out]);
    expect(cp.code).withContext(cp.stderr).toBe(0);
    expect((await readFile(out)).equals(image)).toBeTrue();

    await fx.restart();
    const again = join(fx.dataDir, 'read-again.raw');
    expect((await tool('nfs-cp', [nfsUrl(`${pub.path}/disk0-flat.vmdk`), again])).code).toBe(0);
    expect((await readFile(again)).equals(image)).toBeTrue();

    const gone = await checked(fx.call(users.restorer, 'DELETE', path), 'DELETE', path);
    expect(gone.status).withContext(gone.text).toBe(204);
    expect((await tool('nfs-ls', [nfsUrl(pub.path)])).code).not.toBe(0);
    expectProblem(await checked(fx.call(users.restorer, 'DELETE', path), 'DELETE', path), 404, 'publication-not-found');
    expect((await fx.call(users.admin, 'GET', '/publications')).json<{ items: unknown[] }>().items).toEqual([]);

    // Without an NFS section nothing listens and the API says so.
    await fx.restart({ file: {} });
    expectProblem(await checked(fx.call(users.admin, 'GET', '/publications'), 'GET', '/publications'), 503, 'nfs-not-configured');
    expect((await tool('nfs-ls', [nfsUrl('/lifeline')])).code).not.toBe(0);
  });
});
