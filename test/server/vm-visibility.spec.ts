// Per-VM scoping over HTTPS: a user whose only vCenter permission is on VM 0 (none at the root)
// sees, in the job list, the event stream and compliance, what concerns VM 0 and nothing of VM 1,
// which the administrator sees. The vCenter simulator hides from that user's property collector
// the VMs they hold no permission on, as vCenter does; real backups of both VMs into a real store.
import type { HttpsReply } from './https-client.js';
import { openSse, type SseConnection } from './sse-client.js';
import { startVcenterServer, type SimUser, type VcenterServer } from './vcenter-server-fixture.js';

/** vCenter's Read-only role on VM 0 only: no global privileges. */
const VM0_READER: SimUser = { username: 'vm0-reader@vsphere.local', password: 'Vm0Reader-1!', privileges: [], vmPrivileges: { 0: ['System.View', 'System.Read'] } };

interface JobItem {
  id: string;
  target: { type: string; id: string; vcenterGuid: string | null };
}
interface ComplianceItem {
  vm: { id: string };
}

describe('a user with a permission on one VM only', () => {
  let fx: VcenterServer;
  let admin: string;
  let reader: string;
  let jobVm0 = '';
  let jobVm1 = '';
  let readerStream: SseConnection | undefined;
  let adminStream: SseConnection | undefined;

  const jobDone = async (reply: HttpsReply): Promise<string> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let i = 0; i < 1500; i++) {
      const job = (await fx.call(admin, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) {
        expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
        return id;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  const jobIdsOf = (stream: SseConnection): Array<string | null> => stream.events.map((e) => (JSON.parse(e.data) as { jobId: string | null }).jobId);

  beforeAll(async () => {
    fx = await startVcenterServer({ sim: { vms: 2, diskSize: '8MiB' }, users: [VM0_READER], backup: { passphrase: 'vm visibility passphrase' } });
    admin = await fx.login();
    reader = await fx.login(VM0_READER.username, VM0_READER.password);
    const events = { thumbprint: fx.server.thumbprint };
    readerStream = await openSse(`${fx.server.url}/api/v1/events`, { ...events, headers: { 'vmware-api-session-id': reader } });
    adminStream = await openSse(`${fx.server.url}/api/v1/events`, { ...events, headers: { 'vmware-api-session-id': admin } });
    expect(readerStream.status).toBe(200);
    expect(adminStream.status).toBe(200);

    const policy = await fx.call(admin, 'POST', '/policies', { name: 'Gold', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    const policyId = String(policy.json()['id']);
    for (const i of [0, 1]) {
      const put = await fx.call(admin, 'PUT', `/vms/${encodeURIComponent(fx.urn(i))}/protection`, { policyId });
      expect(put.status).withContext(put.text).toBe(201);
    }
    // VM 1's backup ends before VM 0's starts: when the reader's stream shows VM 0's end, every
    // event of VM 1's job has been sent to every stream that was to get it.
    jobVm1 = await jobDone(await fx.call(admin, 'POST', `/vms/${encodeURIComponent(fx.urn(1))}/backup`));
    jobVm0 = await jobDone(await fx.call(admin, 'POST', `/vms/${encodeURIComponent(fx.urn(0))}/backup`));
    await readerStream.waitFor((e) => e.event === 'state' && e.data.includes(jobVm0) && e.data.includes('"succeeded"'), 20_000);
    await adminStream.waitFor((e) => e.event === 'state' && e.data.includes(jobVm0) && e.data.includes('"succeeded"'), 20_000);
  }, 360_000);

  afterAll(async () => {
    readerStream?.close();
    adminStream?.close();
    await fx?.stop();
  });

  it("lists VM 0's job and not VM 1's, which the administrator sees", async () => {
    const mine = await fx.call(reader, 'GET', '/jobs');
    expect(mine.status).withContext(mine.text).toBe(200);
    const list = mine.json<{ items: JobItem[]; total: number }>();
    expect(list.items.map((j) => j.id)).toContain(jobVm0);
    expect(list.items.map((j) => j.id)).not.toContain(jobVm1);
    expect(list.items.every((j) => j.target.type === 'VirtualMachine' && j.target.id === fx.moref(0))).withContext(JSON.stringify(list.items.map((j) => j.target))).toBeTrue();
    expect(list.total).toBe(list.items.length);

    const all = (await fx.call(admin, 'GET', '/jobs')).json<{ items: JobItem[] }>();
    expect(all.items.map((j) => j.id)).toEqual(jasmine.arrayContaining([jobVm0, jobVm1]));
  });

  it("streams VM 0's job events and none of VM 1's, which the administrator's stream has", () => {
    expect(jobIdsOf(readerStream as SseConnection)).toContain(jobVm0);
    expect(jobIdsOf(readerStream as SseConnection)).not.toContain(jobVm1);
    expect(jobIdsOf(adminStream as SseConnection)).toEqual(jasmine.arrayContaining([jobVm0, jobVm1]));
  });

  it("shows VM 0's compliance and not VM 1's, which the administrator sees", async () => {
    const mine = await fx.call(reader, 'GET', '/compliance');
    expect(mine.status).withContext(mine.text).toBe(200);
    const ids = mine.json<{ items: ComplianceItem[] }>().items.map((c) => c.vm.id);
    expect(ids).toContain(fx.urn(0));
    expect(ids).not.toContain(fx.urn(1));

    const all = (await fx.call(admin, 'GET', '/compliance')).json<{ items: ComplianceItem[] }>();
    expect(all.items.map((c) => c.vm.id)).toEqual(jasmine.arrayContaining([fx.urn(0), fx.urn(1)]));
  });

  it('cannot read VM 1 itself either', async () => {
    // The same hidden VM through the VM routes: the reader's vCenter session does not find it.
    const vms = await fx.call(reader, 'GET', '/vms');
    expect(vms.status).withContext(vms.text).toBe(200);
    const listed = JSON.stringify(vms.json());
    expect(listed).toContain(fx.moref(0));
    expect(listed).not.toContain(`"${fx.moref(1)}"`);
  });
});
