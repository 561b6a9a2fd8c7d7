// Authorisation and the VM inventory over real HTTPS against the vCenter simulator: the token of
// a simulator user (a SOAP session id, as the harness's clone-ticket endpoint expects) is cloned
// into that user's own session, and every call is checked with that user's privileges.
import { httpsCall, type HttpsReply } from './https-client.js';
import { expectProblem as expectProblemOf, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';

interface VmPage {
  items: Array<{ id: string; moref: string; vcenter: string; name: string; powerState: string; instanceUuid: string | null }>;
  total: number;
  offset: number;
  limit: number;
}

describe('GET /api/v1/vms against the vCenter simulator', () => {
  let fx: VcenterServer;

  const get = (path: string, headers: Record<string, string> = {}): Promise<HttpsReply> => httpsCall(`${fx.server.url}${path}`, { headers, thumbprint: fx.server.thumbprint });
  const login = (user?: string, password?: string): Promise<string> => fx.login(user, password);

  beforeAll(async () => {
    fx = await startVcenterServer({ sim: { vms: 4, clusters: 2 }, users: [{ username: 'narrow@vsphere.local', password: 'Narrow-1!' }] });
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  });

  function expectProblem(reply: HttpsReply, status: number, code: string): Record<string, unknown> {
    const problem = expectProblemOf(reply, status, code);
    expect(problem['status']).toBe(status);
    return problem;
  }

  it('refuses a call without a token', async () => {
    expectProblem(await get('/api/v1/vms'), 401, 'unauthenticated');
  });

  it('refuses a garbage token', async () => {
    const garbage = 'not-a-session-3f1b2c';
    fx.tokens.push(garbage);
    expectProblem(await get('/api/v1/vms', { 'vmware-api-session-id': garbage }), 401, 'unauthenticated');
  });

  it("lists the simulator's VMs through the user's own cloned session, and reuses it", async () => {
    const token = await login();
    await fx.vc.callCounts(true);
    const first = await get('/api/v1/vms', { 'vmware-api-session-id': token });
    expect(first.status).withContext(first.text).toBe(200);
    const page = first.json<VmPage>();
    expect(page.total).toBe(fx.vc.vms.length);
    expect(page.items.map((v) => v.moref).sort()).toEqual(fx.vc.vms.map((v) => v.moref).sort());
    for (const item of page.items) {
      const sim = fx.vc.vms.find((v) => v.moref === item.moref);
      expect(item.name).toBe(sim?.name ?? '');
      expect(item.vcenter).toBe(fx.vc.instanceUuid);
      expect(item.id).toBe(`urn:vmomi:VirtualMachine:${item.moref}:${fx.vc.instanceUuid}`);
      expect(item.instanceUuid).toBe(sim?.instanceUuid ?? null);
    }
    expect(page.items.map((v) => v.name)).toEqual([...page.items.map((v) => v.name)].sort());

    const second = await get('/api/v1/vms?limit=2&offset=1', { 'vmware-api-session-id': token });
    expect(second.status).toBe(200);
    const page2 = second.json<VmPage>();
    expect(page2.items.map((v) => v.moref)).toEqual(page.items.slice(1, 3).map((v) => v.moref));
    expect(page2.total).toBe(fx.vc.vms.length);

    const calls = await fx.vc.callCounts();
    expect(calls['CloneSession']).toBe(1);
    expect(calls['HasPrivilegeOnEntities']).toBe(2);
  });

  it('validates paging parameters', async () => {
    const token = await login();
    const problem = expectProblem(await get('/api/v1/vms?limit=0', { 'vmware-api-session-id': token }), 400, 'validation');
    expect(problem['parameter']).toBe('limit');
  });

  it('answers 401 once the user\'s vCenter session has ended, and serves a new one', async () => {
    const token = await login();
    expect((await get('/api/v1/vms', { 'vmware-api-session-id': token })).status).toBe(200);
    // Ends every session, the user's own included: the token itself is now dead too.
    await fx.vc.expireSessions();
    expectProblem(await get('/api/v1/vms', { 'vmware-api-session-id': token }), 401, 'unauthenticated');
    const fresh = await login();
    expect((await get('/api/v1/vms', { 'vmware-api-session-id': fresh })).status).toBe(200);
  });

  it('lets a user with only the default read privileges list VMs', async () => {
    // System.Read is part of every vCenter role, as on a real vCenter.
    const token = await login('narrow@vsphere.local', 'Narrow-1!');
    expect((await get('/api/v1/vms', { 'vmware-api-session-id': token })).status).toBe(200);
  });

  it('refuses a vCenter GUID it does not serve', async () => {
    const token = await login();
    const problem = expectProblem(
      await get('/api/v1/vms', { 'vmware-api-session-id': token, 'lifeline-vc-guid': '00000000-0000-4000-8000-000000000000' }),
      400,
      'vcenter-unknown',
    );
    expect(problem['detail']).toContain('00000000-0000-4000-8000-000000000000');
  });

  it('never writes a token into its logs', async () => {
    // Its own calls make sure there is something to look for, whatever order specs run in.
    const token = await login();
    expect((await get('/api/v1/vms', { 'vmware-api-session-id': token })).status).toBe(200);
    expect((await get('/api/v1/vms', { 'vmware-api-session-id': `${token}-forged` })).status).toBe(401);
    expect(fx.captured.lines.length).toBeGreaterThan(0);
    const all = fx.captured.lines.join('');
    for (const t of fx.tokens) expect(all).not.toContain(t);
  });
});

describe('a vCenter whose certificate is not the configured one', () => {
  let fx: VcenterServer;

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 1 },
      env: (vc) => ({ LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint.replace(/^[0-9A-F]{2}/, (b) => (b === '00' ? '11' : '00')) }),
    });
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('gets no token: the call fails with 502 before anything is sent', async () => {
    const token = await fx.vc.soapLogin();
    await fx.vc.callCounts(true);
    const reply = await httpsCall(`${fx.server.url}/api/v1/vms`, { headers: { 'vmware-api-session-id': token }, thumbprint: fx.server.thumbprint });
    expect(reply.status).withContext(reply.text).toBe(502);
    const problem = reply.json();
    expect(problem['code']).toBe('vcenter-unreachable');
    // The caller is not authenticated yet: the reason (the thumbprint seen) is the log's, not theirs.
    expect(String(problem['detail'])).not.toContain('thumbprint');
    expect(String(problem['detail'])).toContain(reply.headers['x-request-id'] as string);
    expect(fx.captured.records().find((r) => r['msg'] === 'the session token could not be checked with vCenter')?.['error']).toEqual(jasmine.stringMatching(/thumbprint/));
    expect(await fx.vc.callCounts()).toEqual({});
    expect(fx.captured.lines.join('')).not.toContain(token);
  });
});
