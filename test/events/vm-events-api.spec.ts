// A VM's recent events over the real HTTPS API: backups of a protected VM on the vCenter simulator
// (one that succeeds, one whose snapshot the simulator refuses) are told in GET /vms/{vm}/events,
// newest first and of that VM only, to any user who may read the VM, whichever notification
// channels exist (there are none here).
import { MiB } from '../protection/backup-fixture.js';
import type { HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';

interface VmEvent {
  id: string;
  type: string;
  severity: string;
  at: string;
  message: string;
  jobId: string | null;
  pointId: string | null;
}

describe("a VM's recent events over HTTPS", () => {
  let fx: VcenterServer;
  let admin: string;
  let reader: string;

  const call = (method: string, path: string, body?: unknown, token = admin): Promise<HttpsReply> => fx.call(token, method, path, body);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(fx.urn(i))}`;
  const eventsOf = async (i: number, query = '', token = admin): Promise<VmEvent[]> => {
    const reply = await call('GET', `${vmPath(i)}/events${query}`, undefined, token);
    expect(reply.status).withContext(reply.text).toBe(200);
    return (reply.json() as { items: VmEvent[] }).items;
  };

  /** The backup events among them (the scheduler adds RPO events of its own as time passes). */
  const backups = (events: VmEvent[]): VmEvent[] => events.filter((e) => e.type.startsWith('backup.'));

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

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: 4 * MiB },
      // No Lifeline privilege at all: reads VMs only.
      users: [{ username: 'reader@vsphere.local', password: 'Reader-1!', privileges: ['System.View'], vmPrivileges: { 0: ['System.View', 'System.Read'] } }],
      backup: { passphrase: 'vm events passphrase' },
      dataDirPrefix: 'lifeline-vm-events-',
    });
    admin = await fx.login();
    reader = await fx.login('reader@vsphere.local', 'Reader-1!');
    // A backup window twelve hours away: every backup in the suite is one it asked for.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opens = Date.now() + 12 * 3600_000;
    const windows = [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: hhmm(opens), end: hhmm(opens + 60_000) }];
    const policy = await call('POST', '/policies', { name: 'hourly', rpoSeconds: 3600, retention: { keepLast: 4 }, windows });
    expect(policy.status).withContext(policy.text).toBe(201);
    for (const i of [0, 1]) {
      const r = await call('PUT', `${vmPath(i)}/protection`, { policyId: policy.json()['id'] });
      expect([200, 201]).withContext(r.text).toContain(r.status);
    }
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('lists the backups of the VM newest first, of that VM only, to a user who may read it', async () => {
    expect(backups(await eventsOf(0))).toEqual([]);
    const ok = await backupNow(0);
    expect(ok['state']).toBe('succeeded');
    await fx.vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'the VM is busy with another task', moref: fx.moref(0) });
    const failed = await backupNow(0);
    expect(failed['state']).toBe('failed');

    const events = backups(await eventsOf(0));
    expect(events.map((e) => [e.type, e.severity, e.jobId])).toEqual([
      ['backup.failed', 'error', String(failed['id'])],
      // A backup that succeeded with warnings (the simulator's VMs may give some) is told as such.
      jasmine.arrayContaining([String(ok['id'])]) as unknown as [string, string, string],
    ]);
    expect([['backup.succeeded', 'info'], ['backup.warning', 'warning']]).toContain([events[1]!.type, events[1]!.severity]);
    expect(events[0]?.message).toContain('busy with another task');
    expect(Date.parse(events[0]!.at)).toBeGreaterThanOrEqual(Date.parse(events[1]!.at));
    const newest = await eventsOf(0, '?limit=1');
    expect(newest.length).toBe(1);
    expect(newest[0]?.id).toBe((await eventsOf(0))[0]?.id);
    // The other VM's list has none of them, and every event listed is about the VM asked for.
    expect(backups(await eventsOf(1))).toEqual([]);
    const other = await eventsOf(1);
    expect(other.map((e) => e.id)).not.toContain(events[0]!.id);
    // The scheduler's RPO events name their VM: each list has only its own.
    for (const e of other.filter((x) => x.type.startsWith('rpo.'))) expect(e.message).toContain(fx.moref(1));
    for (const e of (await eventsOf(0)).filter((x) => x.type.startsWith('rpo.'))) expect(e.message).toContain(fx.moref(0));

    // Reading a VM's events takes System.Read on that VM, not Lifeline Admin.
    expect(backups(await eventsOf(0, '', reader)).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('refuses a bad limit, naming it', async () => {
    const reply = await call('GET', `${vmPath(0)}/events?limit=0`);
    expectProblem(reply, 400, 'validation');
    expect(reply.text).toContain('limit');
  });
});
