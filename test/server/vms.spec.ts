// Authorisation and the VM inventory over real HTTPS against the vCenter simulator: the token of
// a simulator user (a SOAP session id, as the harness's clone-ticket endpoint expects) is cloned
// into that user's own session, and every call is checked with that user's privileges.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LifelineServer } from '../../plugin-server/src/api/lifeline-server.js';
import { createVcenterCloner } from '../../plugin-server/src/api/vcenter-cloner.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { httpsCall, type HttpsReply } from './https-client.js';
import { captureLog, removeDir, startTestServer, tempDir, testConfig } from './server-fixture.js';

interface VmPage {
  items: Array<{ id: string; moref: string; vcenter: string; name: string; powerState: string; instanceUuid: string | null }>;
  total: number;
  offset: number;
  limit: number;
}

describe('GET /api/v1/vms against the vCenter simulator', () => {
  let vc: Vcsim;
  let dataDir: string;
  let server: LifelineServer;
  const captured = captureLog();
  const tokens: string[] = [];

  const get = (path: string, headers: Record<string, string> = {}): Promise<HttpsReply> =>
    httpsCall(`${server.url}${path}`, { headers, thumbprint: server.thumbprint });
  const login = async (user?: string, password?: string): Promise<string> => {
    const token = await vc.soapLogin(user, password);
    tokens.push(token);
    return token;
  };

  beforeAll(async () => {
    vc = await startVcsim({ vms: 4, clusters: 2 });
    await vc.addUser({ username: 'narrow@vsphere.local', password: 'Narrow-1!', privileges: ['System.View'] });
    dataDir = await tempDir();
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, vc.password, { mode: 0o600 });
    const config = testConfig(dataDir, {
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    });
    server = await startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }));
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await vc?.stop();
    await removeDir(dataDir);
  });

  function expectProblem(reply: HttpsReply, status: number, code: string): Record<string, unknown> {
    expect(reply.status).withContext(reply.text).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = reply.json();
    expect(problem['code']).toBe(code);
    expect(problem['status']).toBe(status);
    return problem;
  }

  it('refuses a call without a token', async () => {
    expectProblem(await get('/api/v1/vms'), 401, 'unauthenticated');
  });

  it('refuses a garbage token', async () => {
    const garbage = 'not-a-session-3f1b2c';
    tokens.push(garbage);
    expectProblem(await get('/api/v1/vms', { 'vmware-api-session-id': garbage }), 401, 'unauthenticated');
  });

  it("lists the simulator's VMs through the user's own cloned session, and reuses it", async () => {
    const token = await login();
    await vc.callCounts(true);
    const first = await get('/api/v1/vms', { 'vmware-api-session-id': token });
    expect(first.status).withContext(first.text).toBe(200);
    const page = first.json<VmPage>();
    expect(page.total).toBe(vc.vms.length);
    expect(page.items.map((v) => v.moref).sort()).toEqual(vc.vms.map((v) => v.moref).sort());
    for (const item of page.items) {
      const sim = vc.vms.find((v) => v.moref === item.moref);
      expect(item.name).toBe(sim?.name ?? '');
      expect(item.vcenter).toBe(vc.instanceUuid);
      expect(item.id).toBe(`urn:vmomi:VirtualMachine:${item.moref}:${vc.instanceUuid}`);
      expect(item.instanceUuid).toBe(sim?.instanceUuid ?? null);
    }
    expect(page.items.map((v) => v.name)).toEqual([...page.items.map((v) => v.name)].sort());

    const second = await get('/api/v1/vms?limit=2&offset=1', { 'vmware-api-session-id': token });
    expect(second.status).toBe(200);
    const page2 = second.json<VmPage>();
    expect(page2.items.map((v) => v.moref)).toEqual(page.items.slice(1, 3).map((v) => v.moref));
    expect(page2.total).toBe(vc.vms.length);

    const calls = await vc.callCounts();
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
    await vc.expireSessions();
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
    expect(captured.lines.length).toBeGreaterThan(0);
    const all = captured.lines.join('');
    for (const t of tokens) expect(all).not.toContain(t);
  });
});

describe('a vCenter whose certificate is not the configured one', () => {
  let vc: Vcsim;
  let dataDir: string;
  let server: LifelineServer;
  const captured = captureLog();

  beforeAll(async () => {
    vc = await startVcsim({ vms: 1 });
    dataDir = await tempDir();
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, vc.password, { mode: 0o600 });
    const wrong = vc.thumbprint.replace(/^[0-9A-F]{2}/, (b) => (b === '00' ? '11' : '00'));
    const config = testConfig(dataDir, {
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: wrong,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    });
    server = await startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }));
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await vc?.stop();
    await removeDir(dataDir);
  });

  it('gets no token: the call fails with 502 before anything is sent', async () => {
    const token = await vc.soapLogin();
    await vc.callCounts(true);
    const reply = await httpsCall(`${server.url}/api/v1/vms`, { headers: { 'vmware-api-session-id': token }, thumbprint: server.thumbprint });
    expect(reply.status).withContext(reply.text).toBe(502);
    const problem = reply.json();
    expect(problem['code']).toBe('vcenter-unreachable');
    expect(String(problem['detail'])).toContain('thumbprint');
    expect(problem['errorId']).toBe(reply.headers['x-request-id'] as string);
    expect(await vc.callCounts()).toEqual({});
    expect(captured.lines.join('')).not.toContain(token);
  });
});
