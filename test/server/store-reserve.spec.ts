// The room backups leave free on the store's file system (lifeline.json storeReserveGiB), over the
// real HTTPS API against the vCenter simulator on a real encrypted store: below the reserve a
// "back up now" job fails with store-full before it touches the VM (no snapshot, change tracking
// left as it was, no restore point), the storage figures say how full the store is, and with the
// reserve lowered the same backup goes through.
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpsReply } from './https-client.js';
import { startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { MiB } from '../protection/backup-fixture.js';

const GiB = 1024 * MiB;
/** More than any test machine has: every backup is below it. */
const HUGE_RESERVE_GIB = 1024 * 1024;

describe('store reserve over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;

  const urn = (i: number) => fx.urn(i);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(urn(i))}`;
  const call = (method: string, path: string, body?: unknown): Promise<HttpsReply> => fx.call(admin, method, path, body);
  const backupNow = async (i: number): Promise<Record<string, unknown>> => {
    const reply = await call('POST', `${vmPath(i)}/backup`);
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let n = 0; n < 3000; n++) {
      const job = (await call('GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  const vmState = async (i: number): Promise<{ snapshots: number; cbt: boolean }> => {
    const vc = await fx.backup.vcenter(fx.vc.instanceUuid, new AbortController().signal);
    const vm = await vc.getVm(fx.moref(i), new AbortController().signal);
    return { snapshots: (await vc.snapshotTree(fx.moref(i))).roots.length, cbt: vm.changeTrackingEnabled };
  };
  const points = async (i: number): Promise<number> => Number((await call('GET', `${vmPath(i)}/points`)).json()['total']);
  /** Runs the server with this reserve (a restart, as after editing lifeline.json), unless it has it. */
  const withReserve = async (gib: number): Promise<void> => {
    if (fx.config.storeReserveBytes === Math.round(gib * GiB)) return;
    await fx.restart({ file: { storeReserveGiB: gib } });
    admin = await fx.login();
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 1, disks: 1, diskSize: 8 * MiB },
      dataDirPrefix: 'lifeline-store-reserve-',
      backup: { passphrase: 'store reserve passphrase' },
      file: () => ({ storeReserveGiB: HUGE_RESERVE_GIB }),
    });
    admin = await fx.login();
    const policy = await call('POST', '/policies', { name: 'Reserve', rpoSeconds: 3600, retention: { keepLast: 4 } });
    expect(policy.status).withContext(policy.text).toBe(201);
    const assigned = await call('PUT', `${vmPath(0)}/protection`, { policyId: policy.json()['id'] });
    expect([200, 201]).withContext(assigned.text).toContain(assigned.status);
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('refuses a backup below the reserve before touching the VM, naming the free room and the reserve', async () => {
    await withReserve(HUGE_RESERVE_GIB);
    // Change tracking off, as on a VM never backed up: a backup that went ahead would turn it on.
    const vc = await fx.backup.vcenter(fx.vc.instanceUuid, new AbortController().signal);
    await vc.setChangeTracking(fx.moref(0), false, { signal: new AbortController().signal });
    const before = await vmState(0);
    expect(before.cbt).toBeFalse();
    const pointsBefore = await points(0);
    const job = await backupNow(0);
    expect(job['state']).toBe('failed');
    const error = job['error'] as { code: string; message: string };
    expect(error.code).toBe('store-full');
    expect(error.message).toMatch(/has [\d.]+ GiB free of [\d.]+ GiB, less than the 1048576\.0 GiB kept free for maintenance/);
    expect(await vmState(0)).toEqual(before);
    expect(await points(0)).toBe(pointsBefore);
  });

  it('reports the store’s size, free room and reserve with the storage figures', async () => {
    await withReserve(HUGE_RESERVE_GIB);
    const r = await call('GET', '/storage');
    expect(r.status).withContext(r.text).toBe(200);
    const capacity = r.json()['capacity'] as { totalBytes: number; freeBytes: number; reserveBytes: number };
    const fs = await statfs(join(fx.dataDir, 'store'));
    expect(capacity.totalBytes).toBe(fs.blocks * fs.bsize);
    expect(Math.abs(capacity.freeBytes - fs.bavail * fs.bsize)).toBeLessThan(GiB);
    expect(capacity.reserveBytes).toBe(HUGE_RESERVE_GIB * GiB);
  });

  it('backs up once the reserve fits the free room again', async () => {
    await withReserve(0.5);
    const pointsBefore = await points(0);
    const job = await backupNow(0);
    expect(job['state']).withContext(JSON.stringify(job['error'])).toBe('succeeded');
    expect(await points(0)).toBe(pointsBefore + 1);
    expect((await vmState(0)).snapshots).toBe(0);
  });
});
