// The recovery API over real HTTPS: a Lifeline server with its backup services on a real
// encrypted store, authorised by the vCenter simulator's own privilege checks. A point made by
// "back up now" is reverted to (confirmation required for a running VM, backups held meanwhile)
// and the revert cancelled; its disks are attached to another VM, listed and detached; a new VM is
// made from it. Every change is a 'restore' job and is audited.
import { join } from 'node:path';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { fillDisk, MiB, sha256File } from '../protection/backup-fixture.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';

describe('recovery API over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  let pointId: string;
  let original: string;

  const urn = (i: number) => fx.urn(i);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(urn(i))}`;
  const call = (token: string, method: string, path: string, body?: unknown): Promise<HttpsReply> => fx.call(token, method, path, body);
  /** Expects 202 with a job and waits for it to end; returns the ended job. */
  const jobOf = async (reply: HttpsReply): Promise<Record<string, unknown>> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let i = 0; i < 1500; i++) {
      const job = (await call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: 16 * MiB },
      users: [
        { username: 'viewer@vsphere.local', password: 'Viewer-1!' },
        // May restore onto VM 1 only: not the backups of VM 0.
        { username: 'other@vsphere.local', password: 'Other-1!', vmPrivileges: { 1: ['System.View', 'System.Read', PRIVILEGES.restore] } },
      ],
      dataDirPrefix: 'lifeline-recovery-api-',
      backup: { passphrase: 'recovery api passphrase' },
      prepare: async (vc) => {
        const disk = vc.vms[0]?.disks[0];
        if (!disk) throw new Error('no disk');
        await fillDisk(disk.path, 16 * MiB, 61);
        original = await sha256File(disk.path);
      },
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');

    const policy = await call(admin, 'POST', '/policies', { name: 'Recovery', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    expect((await call(admin, 'PUT', `${vmPath(0)}/protection`, { policyId: policy.json()['id'] })).status).toBe(201);
    const backedUp = await jobOf(await call(admin, 'POST', `${vmPath(0)}/backup`));
    expect(backedUp['state']).withContext(JSON.stringify(backedUp)).toBe('succeeded');
    pointId = (backedUp['result'] as { pointId: string }).pointId;
    await fillDisk(fx.vc.vms[0]?.disks[0]?.path ?? '', 16 * MiB, 62);
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it("refuses to restore a VM's backup for a user without Restore on that VM, wherever the target", async () => {
    const other = await fx.login('other@vsphere.local', 'Other-1!');
    const attach = expectProblem(await call(other, 'POST', `/points/${pointId}/attach`, { vm: urn(1) }), 403, 'forbidden');
    expect(JSON.stringify(attach)).toContain(PRIVILEGES.restore);
    expectProblem(await call(other, 'POST', `/points/${pointId}/instantiate`, { name: 'stolen-copy' }), 403, 'forbidden');
    expect((await call(admin, 'GET', `${vmPath(1)}/attachments`)).json()['items']).toEqual([]);
    const audit = (await call(admin, 'GET', '/audit?limit=50')).json()['items'] as { action: string; outcome: string; user: string }[];
    expect(audit.some((r) => r.action === 'point.attach' && r.outcome !== 'success' && r.user.startsWith('other'))).toBeTrue();
  });

  it('reverts a running VM only when confirmed, holds its backups, and cancels', async () => {
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/revert`, { pointId }), 409, 'conflict');
    expectProblem(await call(viewer, 'POST', `${vmPath(0)}/revert`, { pointId, powerOff: true }), 403, 'forbidden');
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/revert`, { pointId: 'nope', powerOff: true }), 400, 'validation');
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/revert`, { pointId: '20200101-000000-00000000', powerOff: true }), 404, 'not-found');

    const reverted = await jobOf(await call(admin, 'POST', `${vmPath(0)}/revert`, { pointId, powerOff: true }));
    expect(reverted['state']).withContext(JSON.stringify(reverted)).toBe('succeeded');
    expect(reverted['kind']).toBe('restore');
    const state = (await call(viewer, 'GET', `${vmPath(0)}/revert`)).json();
    expect(state['reverted']).toBeTrue();
    expect(state['pointId']).toBe(pointId);
    expect(state['state']).toBe('reverted');
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/backup`), 409, 'vm-paused');
    const protection = (await call(admin, 'GET', `${vmPath(0)}/protection`)).json();
    expect(protection['protected']).toBeTrue();

    const cancelled = await jobOf(await call(admin, 'POST', `${vmPath(0)}/revert/cancel`, { powerOff: true }));
    expect(cancelled['state']).withContext(JSON.stringify(cancelled)).toBe('succeeded');
    expect((await call(admin, 'GET', `${vmPath(0)}/revert`)).json()['reverted']).toBeFalse();
    expectProblem(await call(admin, 'POST', `${vmPath(0)}/revert/commit`), 404, 'not-found');

    const audit = (await call(admin, 'GET', '/audit?limit=100')).json();
    const actions = (audit['items'] as Array<{ action: string; outcome: string }>).map((a) => `${a.action}:${a.outcome}`);
    expect(actions).toContain('vm.revert:success');
    expect(actions).toContain('vm.revert.cancel:success');
    expect(actions).toContain('vm.revert:failure');
  });

  it('attaches the point disks to another VM, lists the attachment and detaches it', async () => {
    const reply = await call(admin, 'POST', `/points/${pointId}/attach`, { vm: urn(1) });
    const attachmentId = String(reply.json()['attachmentId']);
    const job = await jobOf(reply);
    expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
    const list = (await call(viewer, 'GET', `${vmPath(1)}/attachments`)).json();
    const items = list['items'] as Array<{ id: string; state: string; disks: Array<{ file: string }> }>;
    expect(items.map((a) => [a.id, a.state])).toEqual([[attachmentId, 'attached']]);
    const file = items[0]?.disks[0]?.file ?? '';
    const ds = fx.vc.datastores[0];
    expect(await sha256File(join(ds?.dir ?? '', file.replace(/^\[[^\]]+\] /, '').replace(/\.vmdk$/, '-flat.vmdk')))).toBe(original);
    expectProblem(await call(viewer, 'DELETE', `/attachments/${attachmentId}`), 403, 'forbidden');
    const detached = await jobOf(await call(admin, 'DELETE', `/attachments/${attachmentId}`));
    expect(detached['state']).toBe('succeeded');
    expect((await call(admin, 'GET', `${vmPath(1)}/attachments`)).json()['items']).toEqual([]);
    expectProblem(await call(admin, 'GET', `/attachments/${attachmentId}`), 404, 'not-found');
  });

  it('creates a new VM from the point', async () => {
    expectProblem(await call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'api copy', colour: 'red' }), 400, 'validation');
    const job = await jobOf(await call(admin, 'POST', `/points/${pointId}/instantiate`, { name: 'api-copy', powerOn: true }));
    expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
    const made = job['result'] as { vm: { moref: string; name: string }; poweredOn: boolean };
    expect(made.vm.name).toBe('api-copy');
    expect(made.poweredOn).toBeTrue();
  });
});
