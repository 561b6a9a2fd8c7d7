// The catalog cannot decide who reads a restore point. catalog.db sits in the store unsigned; a
// user able to write it (or anyone who edits a copy) could file one VM's point under another VM,
// or point a disk row at another point's index, and so read a VM they have no rights on. Lifeline
// believes a row only once the point's sealed manifest (authenticated with the repository's keys)
// agrees with it: a forged row is refused with 'catalog-integrity' and never served. The store
// and its catalog are readable by Lifeline's user only.
import Database from 'better-sqlite3';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { writeImage } from '../store/store-fixtures.js';
import { download } from '../export/download.js';
import { addPoint, createRepository, MiB, openRepository, PASSPHRASE } from '../export/export-fixture.js';
import { expectProblem, startVcenterServer, type SimUser, type VcenterServer } from './vcenter-server-fixture.js';

/** Holds Restore on VM 0 only. */
const RESTORER: SimUser = { username: 'restorer@vsphere.local', password: 'Restorer-1!', vmPrivileges: { 0: [PRIVILEGES.restore] } };

describe('a catalog nobody can forge', () => {
  let fx: VcenterServer;
  let restorer: string;
  let admin: string;
  let secretPoint: string;
  let ownPoint: string;
  let secret: Buffer;

  const vmKey = (i: number) => `${fx.vc.instanceUuid}:${fx.moref(i)}`;
  const catalogPath = () => join(fx.dataDir, 'store', 'catalog.db');
  /** Edits the catalog file behind the running server's back, as someone with write access to the store could. */
  const forge = (sql: string, ...params: unknown[]): void => {
    const db = new Database(catalogPath());
    try {
      db.pragma('busy_timeout = 10000');
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };
  const raw = (token: string, pointId: string) =>
    download(`${fx.server.url}/api/v1/points/${pointId}/disks/0/raw`, { 'vmware-api-session-id': token });

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2 },
      users: [RESTORER],
      dataDirPrefix: 'lifeline-catalog-integrity-',
      backup: { passphrase: PASSPHRASE },
      prepare: async (vc, dataDir) => {
        const images = join(dataDir, 'images');
        await mkdir(images);
        const secretPath = join(images, 'secret.img');
        const ownPath = join(images, 'own.img');
        await writeImage(secretPath, 4 * MiB, (i) => ({ kind: 'random', seed: 4242 + i }));
        await writeImage(ownPath, 4 * MiB, (i) => ({ kind: 'random', seed: 77 + i }));
        secret = await readFile(secretPath);
        const storeDir = join(dataDir, 'store');
        await createRepository(storeDir);
        const repo = await openRepository(storeDir);
        try {
          const now = Date.now();
          secretPoint = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[1]?.moref ?? ''}`, vmName: 'secret vm', createdAt: now - 7_200_000 }, [secretPath]);
          ownPoint = await addPoint(repo, { vmId: `${vc.instanceUuid}:${vc.vms[0]?.moref ?? ''}`, vmName: 'own vm', createdAt: now - 3_600_000 }, [ownPath]);
        } finally {
          await repo.close();
        }
      },
    });
    restorer = await fx.login(RESTORER.username, RESTORER.password);
    admin = await fx.login();
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('keeps the store directory to its user (0700) and the catalog file too (0600)', async () => {
    expect((await stat(join(fx.dataDir, 'store'))).mode & 0o777).toBe(0o700);
    expect((await stat(catalogPath())).mode & 0o777).toBe(0o600);
  });

  it('refuses a point whose row was filed under another VM, and never serves its bytes', async () => {
    // Before: the restorer may not read the other VM's point.
    expectProblem(await raw(restorer, secretPoint), 403, 'forbidden');
    forge('UPDATE repo_points SET vm_id = ?, vm_name = ? WHERE id = ?', vmKey(0), 'own vm', secretPoint);

    const got = await raw(restorer, secretPoint);
    expect(got.body.includes(secret.subarray(0, 4096))).toBeFalse();
    const problem = expectProblem(got, 500, 'catalog-integrity');
    expect(problem['detail']).toContain(secretPoint);
    // Nor to an administrator, nor as metadata, nor in the VM's list of points.
    expectProblem(await raw(admin, secretPoint), 500, 'catalog-integrity');
    expectProblem(await fx.call(restorer, 'GET', `/points/${secretPoint}`), 500, 'catalog-integrity');
    const list = (await fx.call(restorer, 'GET', `/vms/${encodeURIComponent(fx.urn(0))}/points`)).json<{ items: Array<{ id: string }> }>();
    expect(list.items.map((p) => p.id)).toEqual([ownPoint]);

    forge('UPDATE repo_points SET vm_id = ?, vm_name = ? WHERE id = ?', vmKey(1), 'secret vm', secretPoint);
    expectProblem(await raw(restorer, secretPoint), 403, 'forbidden');
  });

  it("refuses a point whose disk row was pointed at another point's index", async () => {
    const own = await raw(restorer, ownPoint);
    expect(own.status).toBe(200);
    const disks = new Database(catalogPath(), { readonly: true });
    const row = (id: string) => disks.prepare('SELECT index_key AS k, index_sha256 AS s FROM repo_disks WHERE point_id = ? AND disk = 0').get(id) as { k: string; s: string };
    const theirs = row(secretPoint);
    const mine = row(ownPoint);
    disks.close();
    forge('UPDATE repo_disks SET index_key = ?, index_sha256 = ? WHERE point_id = ? AND disk = 0', theirs.k, theirs.s, ownPoint);

    const got = await raw(restorer, ownPoint);
    expect(got.body.includes(secret.subarray(0, 4096))).toBeFalse();
    expectProblem(got, 500, 'catalog-integrity');

    forge('UPDATE repo_disks SET index_key = ?, index_sha256 = ? WHERE point_id = ? AND disk = 0', mine.k, mine.s, ownPoint);
    expect((await raw(restorer, ownPoint)).status).toBe(200);
  });
});
