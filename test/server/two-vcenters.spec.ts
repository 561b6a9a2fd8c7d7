// Two vCenters served by one Lifeline, kept apart: a user signed in to vCenter B, even its
// Lifeline administrator, sees nothing of vCenter A's jobs (list and event stream), compliance or
// audit records, and cannot change a policy that protects A's VMs, run maintenance over every
// vCenter's points or read the settings naming A, without Admin on A too. Two simulator processes
// with their own instance UUIDs, real backups of their VMs into one real store.
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import type { HttpsReply } from './https-client.js';
import { openSse } from './sse-client.js';
import { startTwoVcenterServer, type TwoVcenterServer, type VcenterSide } from './two-vcenter-fixture.js';
import { expectProblem } from './vcenter-server-fixture.js';

const ADMIN_B = { username: 'admin-b@vsphere.local', password: 'AdminB-1!', privileges: ['System.View', PRIVILEGES.admin, PRIVILEGES.protect] };

describe('two vCenters kept apart', () => {
  let fx: TwoVcenterServer;
  let tokenA: string;
  let tokenB: string;
  let policyA: string;
  let policyB: string;
  let jobA: string;

  const jobDone = async (side: VcenterSide, token: string, reply: HttpsReply): Promise<string> => {
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let i = 0; i < 1500; i++) {
      const job = (await side.call(token, 'GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) {
        expect(job['state']).withContext(JSON.stringify(job)).toBe('succeeded');
        return id;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  const backUp = (side: VcenterSide, token: string): Promise<string> =>
    side.call(token, 'POST', `/vms/${encodeURIComponent(side.urn(0))}/backup`).then((r) => jobDone(side, token, r));
  const protectAndBackUp = async (side: VcenterSide, token: string, name: string): Promise<{ policy: string; job: string }> => {
    const policy = await side.call(token, 'POST', '/policies', { name, rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    const id = String(policy.json()['id']);
    expect((await side.call(token, 'PUT', `/vms/${encodeURIComponent(side.urn(0))}/protection`, { policyId: id })).status).toBe(201);
    return { policy: id, job: await jobDone(side, token, await side.call(token, 'POST', `/vms/${encodeURIComponent(side.urn(0))}/backup`)) };
  };

  beforeAll(async () => {
    fx = await startTwoVcenterServer({ sim: { vms: 2, diskSize: '8MiB' }, users: { b: [ADMIN_B] }, backup: { passphrase: 'two vcenters passphrase' } });
    tokenA = await fx.a.login();
    tokenB = await fx.b.login(ADMIN_B.username, ADMIN_B.password);
    ({ policy: policyA, job: jobA } = await protectAndBackUp(fx.a, tokenA, 'A gold'));
    const policy = await fx.b.call(tokenB, 'POST', '/policies', { name: 'B gold', rpoSeconds: 3600, retention: { keepLast: 4 }, consistency: 'crash' });
    expect(policy.status).withContext(policy.text).toBe(201);
    policyB = String(policy.json()['id']);
    expect((await fx.b.call(tokenB, 'PUT', `/vms/${encodeURIComponent(fx.b.urn(0))}/protection`, { policyId: policyB })).status).toBe(201);
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('runs two simulators with different instance UUIDs and the same morefs', () => {
    expect(fx.a.guid).not.toBe(fx.b.guid);
    expect(fx.a.moref(0)).toBe(fx.b.moref(0));
    expect([...fx.config.vcenters.keys()].sort()).toEqual([fx.a.guid, fx.b.guid].sort());
  });

  it("shows B's users only B's jobs, in the list and in the event stream", async () => {
    const stream = await openSse(`${fx.server.url}/api/v1/events`, {
      thumbprint: fx.server.thumbprint,
      headers: { 'vmware-api-session-id': tokenB, 'lifeline-vc-guid': fx.b.guid },
    });
    try {
      // A's second backup runs while B's stream is open; then B's own, whose end B's stream shows.
      const again = await backUp(fx.a, tokenA);
      const jobB = await backUp(fx.b, tokenB);
      await stream.waitFor((e) => e.event === 'state' && e.data.includes(jobB) && e.data.includes('"succeeded"'), 20_000);
      const jobIds = stream.events.map((e) => (JSON.parse(e.data) as { jobId: string | null }).jobId);
      expect(jobIds).toContain(jobB);
      expect(jobIds).not.toContain(again);
      expect(jobIds).not.toContain(jobA);

      const list = (await fx.b.call(tokenB, 'GET', '/jobs')).json<{ items: Array<{ id: string; target: { vcenterGuid: string | null } }>; total: number }>();
      expect(list.items.map((j) => j.id)).toContain(jobB);
      expect(list.items.every((j) => j.target.vcenterGuid === fx.b.guid)).withContext(JSON.stringify(list.items.map((j) => j.target))).toBeTrue();
      expect(list.total).toBe(list.items.length);
      // A's administrator still sees A's jobs, and not B's.
      const listA = (await fx.a.call(tokenA, 'GET', '/jobs')).json<{ items: Array<{ id: string }> }>();
      expect(listA.items.map((j) => j.id)).toContain(again);
      expect(listA.items.map((j) => j.id)).not.toContain(jobB);
    } finally {
      stream.close();
    }
  });

  it("shows B's users only B's VMs in compliance and B's records in the audit log", async () => {
    const compliance = (await fx.b.call(tokenB, 'GET', '/compliance')).json<{ items: Array<{ vm: { vcenter: string } }> }>();
    expect(compliance.items.every((c) => c.vm.vcenter === fx.b.guid)).withContext(JSON.stringify(compliance.items)).toBeTrue();
    const complianceA = (await fx.a.call(tokenA, 'GET', '/compliance')).json<{ items: Array<{ vm: { vcenter: string } }> }>();
    expect(complianceA.items.map((c) => c.vm.vcenter)).toContain(fx.a.guid);

    const audit = (await fx.b.call(tokenB, 'GET', '/audit?limit=200')).json<{ items: Array<{ vcenterGuid: string | null; action: string }> }>();
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items.every((r) => r.vcenterGuid === fx.b.guid)).withContext(JSON.stringify(audit.items.map((r) => [r.action, r.vcenterGuid]))).toBeTrue();
  });

  it("lets B's administrator change B's policies but not one that protects A's VMs, nor maintenance or settings over both", async () => {
    expectProblem(await fx.b.call(tokenB, 'PATCH', `/policies/${policyA}`, { rpoSeconds: 60 }), 403, 'forbidden');
    expectProblem(await fx.b.call(tokenB, 'PUT', `/policies/${policyA}`, { name: 'A gold', rpoSeconds: 60, retention: { keepLast: 1 } }), 403, 'forbidden');
    expectProblem(await fx.b.call(tokenB, 'DELETE', `/policies/${policyA}`), 403, 'forbidden');
    const unchanged = (await fx.a.call(tokenA, 'GET', `/policies/${policyA}`)).json();
    expect(unchanged['rpoSeconds']).toBe(3600);

    const own = await fx.b.call(tokenB, 'PATCH', `/policies/${policyB}`, { rpoSeconds: 7200 });
    expect(own.status).withContext(own.text).toBe(200);
    expectProblem(await fx.b.call(tokenB, 'POST', '/maintenance', {}), 403, 'forbidden');
    expectProblem(await fx.b.call(tokenB, 'GET', '/settings'), 403, 'forbidden');
    // A's administrator may.
    const patched = await fx.a.call(tokenA, 'PATCH', `/policies/${policyA}`, { rpoSeconds: 1800 });
    expect(patched.status).withContext(patched.text).toBe(200);
  });
});
