// Policies, VM protection, jobs (with their event streams) and the audit log over real HTTPS,
// authorised by the vCenter simulator's own privilege checks and stored in the server's real
// SQLite database. Users: the simulator's administrator (every privilege), a viewer with only
// vCenter's default read privileges, and a protector holding Lifeline's Protect on one VM.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LifelineServer } from '../../plugin-server/src/api/lifeline-server.js';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import { createVcenterCloner } from '../../plugin-server/src/api/vcenter-cloner.js';
import type { Config } from '../../plugin-server/src/config/index.js';
import type { JobHandler } from '../../plugin-server/src/jobs/index.js';
import { startVcsim, type Vcsim } from '../vcsim/harness.js';
import { httpsCall, type HttpsReply } from './https-client.js';
import { captureLog, removeDir, startTestServer, tempDir, testConfig } from './server-fixture.js';
import { openSse, type SseEvent } from './sse-client.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * TEST-ONLY 'backup' handler: it copies no data. It exists only to drive the "back up now" route
 * and the job event stream the way the real backup pipeline will. Each VM's job waits for the
 * spec to open its `start` gate, reports 25 %, waits for `finish`, reports 100 % and succeeds;
 * a cancel aborts the wait.
 */
const gates = new Map<string, { start: Deferred; finish: Deferred }>();
function gatesOf(moref: string): { start: Deferred; finish: Deferred } {
  let g = gates.get(moref);
  if (!g) {
    g = { start: deferred(), finish: deferred() };
    gates.set(moref, g);
  }
  return g;
}
const testOnlyBackupHandler: JobHandler = {
  async run(ctx) {
    const g = gatesOf(ctx.target.id);
    const until = (d: Deferred) =>
      new Promise<void>((resolve, reject) => {
        if (ctx.signal.aborted) reject(ctx.signal.reason);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        void d.promise.then(resolve);
      });
    await until(g.start);
    ctx.phase('read');
    ctx.progress(25, 100);
    await until(g.finish);
    ctx.phase('commit');
    ctx.progress(100, 100);
    return { testOnly: true };
  },
};

const GOLD = {
  name: 'Gold',
  rpoSeconds: 900,
  retention: { keepLast: 4, daily: 7, weekly: 4 },
};

describe('protection, jobs and audit API against the vCenter simulator', () => {
  let vc: Vcsim;
  let dataDir: string;
  let config: Config;
  let server: LifelineServer;
  const captured = captureLog();
  const tokens: string[] = [];
  let admin: string;
  let viewer: string;
  let protector: string;
  let seq = 0;

  const start = () =>
    startTestServer(config, captured.log, createVcenterCloner({ log: captured.log }), {
      jobHandlers: { backup: testOnlyBackupHandler },
      sseHeartbeatMs: 200,
    });
  const call = (token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<HttpsReply> =>
    httpsCall(`${server.url}/api/v1${path}`, {
      method,
      thumbprint: server.thumbprint,
      headers: { 'vmware-api-session-id': token, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const login = async (user?: string, password?: string): Promise<string> => {
    const token = await vc.soapLogin(user, password);
    tokens.push(token);
    return token;
  };
  const unique = (base: string) => `${base} ${++seq}`;
  const urn = (i: number) => `urn:vmomi:VirtualMachine:${vc.vms[i]?.moref ?? ''}:${vc.instanceUuid}`;
  const vmPath = (i: number) => `/vms/${encodeURIComponent(urn(i))}`;
  const createPolicy = async (name = unique('Gold')): Promise<Record<string, unknown>> => {
    const reply = await call(admin, 'POST', '/policies', { ...GOLD, name });
    expect(reply.status).withContext(reply.text).toBe(201);
    return reply.json();
  };
  const expectProblem = (reply: HttpsReply, status: number, code: string): Record<string, unknown> => {
    expect(reply.status).withContext(reply.text).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = reply.json();
    expect(problem['code']).toBe(code);
    return problem;
  };
  const waitForJob = async (id: string, done: (job: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 100; i++) {
      const job = (await call(admin, 'GET', `/jobs/${id}`)).json();
      if (done(job)) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not reach the expected state`);
  };

  beforeAll(async () => {
    vc = await startVcsim({ vms: 5 });
    await vc.addUser({ username: 'viewer@vsphere.local', password: 'Viewer-1!', privileges: ['System.View'] });
    await vc.addUser({
      username: 'protector@vsphere.local',
      password: 'Protector-1!',
      privileges: ['System.View'],
      entityPrivileges: { [vc.vms[0]?.moref ?? '']: [PRIVILEGES.protect] },
    });
    dataDir = await tempDir();
    const passwordFile = join(dataDir, 'vc.password');
    await writeFile(passwordFile, vc.password, { mode: 0o600 });
    config = testConfig(dataDir, {
      LIFELINE_VCENTER_GUID: vc.instanceUuid,
      LIFELINE_VCENTER_URL: vc.url,
      LIFELINE_VCENTER_THUMBPRINT: vc.thumbprint,
      LIFELINE_VCENTER_USER: vc.username,
      LIFELINE_VCENTER_PASSWORD_FILE: passwordFile,
    });
    server = await start();
    admin = await login();
    viewer = await login('viewer@vsphere.local', 'Viewer-1!');
    protector = await login('protector@vsphere.local', 'Protector-1!');
  }, 300_000);

  afterAll(async () => {
    for (const g of gates.values()) {
      g.start.resolve();
      g.finish.resolve();
    }
    await server?.stop();
    await vc?.stop();
    await removeDir(dataDir);
  });

  it('creates, reads, replaces, patches and deletes a policy', async () => {
    const name = unique('Silver');
    const created = await call(admin, 'POST', '/policies', { ...GOLD, name });
    expect(created.status).withContext(created.text).toBe(201);
    const policy = created.json();
    const id = String(policy['id']);
    expect(created.headers['location']).toBe(`/api/v1/policies/${id}`);
    expect(policy).toEqual(jasmine.objectContaining({ name, rpoSeconds: 900, immutabilityDays: 7, consistency: 'application', vmCount: 0 }));
    expect(policy['retention']).toEqual({ keepLast: 4, hourly: 0, daily: 7, weekly: 4, monthly: 0, yearly: 0 });

    expect((await call(viewer, 'GET', `/policies/${id}`)).json()['name']).toBe(name);
    const list = (await call(viewer, 'GET', '/policies?limit=1000')).json<{ items: Array<{ id: string }>; total: number }>();
    expect(list.items.map((p) => p.id)).toContain(id);

    const replaced = await call(admin, 'PUT', `/policies/${id}`, { ...GOLD, name, rpoSeconds: 3600, consistency: 'crash' });
    expect(replaced.status).withContext(replaced.text).toBe(200);
    expect(replaced.json()).toEqual(jasmine.objectContaining({ rpoSeconds: 3600, consistency: 'crash' }));

    const patched = await call(admin, 'PATCH', `/policies/${id}`, { retention: { daily: 14 }, immutabilityDays: 30 }, 'application/merge-patch+json');
    expect(patched.status).withContext(patched.text).toBe(200);
    const after = patched.json();
    expect(after['retention']).toEqual({ keepLast: 4, hourly: 0, daily: 14, weekly: 4, monthly: 0, yearly: 0 });
    expect(after).toEqual(jasmine.objectContaining({ rpoSeconds: 3600, consistency: 'crash', immutabilityDays: 30, name }));

    expect((await call(admin, 'DELETE', `/policies/${id}`)).status).toBe(204);
    expectProblem(await call(admin, 'GET', `/policies/${id}`), 404, 'not-found');
  });

  it('refuses each invalid field with 400 naming it and its range, and saves nothing', async () => {
    const before = (await call(admin, 'GET', '/policies?limit=1000')).json<{ total: number }>().total;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ rpoSeconds: 30 }, 'rpoSeconds', '86400'],
      [{ rpoSeconds: 86_401 }, 'rpoSeconds', '60'],
      [{ rpoSeconds: 'hourly' }, 'rpoSeconds', '60'],
      [{ retention: { daily: -1 } }, 'retention.daily', '3660'],
      [{ retention: { keepLast: 0 } }, 'retention', 'at least one'],
      [{ immutabilityDays: 0 }, 'immutabilityDays', '3650'],
      [{ consistency: 'fuzzy' }, 'consistency', 'crash'],
      [{ windows: [{ days: ['mon'], start: '25:00', end: '02:00' }] }, 'windows[0].start', '23:59'],
      [{ name: '' }, 'name', '80'],
      [{ colour: 'gold' }, 'colour', 'allowed'],
    ];
    for (const [change, field, range] of cases) {
      const problem = expectProblem(await call(admin, 'POST', '/policies', { ...GOLD, name: unique('Bad'), ...change }), 400, 'validation');
      const errors = problem['errors'] as Array<{ field: string; message: string }>;
      const hit = errors.find((e) => e.field === field);
      expect(hit).withContext(`${field}: ${JSON.stringify(errors)}`).toBeDefined();
      expect(hit?.message).withContext(field).toContain(range);
    }
    expect((await call(admin, 'GET', '/policies?limit=1000')).json<{ total: number }>().total).toBe(before);

    // A patch that breaks a field leaves the stored policy as it was.
    const policy = await createPolicy();
    const id = String(policy['id']);
    const bad = expectProblem(await call(admin, 'PATCH', `/policies/${id}`, { rpoSeconds: 10 }, 'application/merge-patch+json'), 400, 'validation');
    expect((bad['errors'] as Array<{ field: string }>).map((e) => e.field)).toEqual(['rpoSeconds']);
    expect((await call(admin, 'GET', `/policies/${id}`)).json()['rpoSeconds']).toBe(900);

    const taken = expectProblem(await call(admin, 'POST', '/policies', { ...GOLD, name: String(policy['name']).toUpperCase() }), 409, 'policy-name-taken');
    expect(taken['detail']).toContain('name');
  });

  it("assigns a policy to a VM and reports its protection and RPO compliance", async () => {
    const policy = await createPolicy();
    const assigned = await call(admin, 'PUT', `${vmPath(1)}/protection`, { policyId: policy['id'] });
    expect(assigned.status).withContext(assigned.text).toBe(201);
    const moref = vc.vms[1]?.moref ?? '';
    // The bare moref names the same VM on the only configured vCenter.
    const shown = await call(viewer, 'GET', `/vms/${moref}/protection`);
    expect(shown.status).withContext(shown.text).toBe(200);
    const p = shown.json();
    expect(p['vm']).toEqual({ id: urn(1), moref, vcenter: vc.instanceUuid });
    expect(p).toEqual(jasmine.objectContaining({ protected: true, paused: false, lastGoodPointAt: null, backupAvailable: true, activeJob: null }));
    expect(p['policy']).toEqual({ id: policy['id'], name: policy['name'], rpoSeconds: 900 });
    // No restore point yet: due at once, and at risk until the first backup commits.
    expect(p['nextBackupDueAt']).toBe(p['assignedAt']);
    expect(p['rpo']).toEqual({ status: 'at-risk', ageSeconds: null, rpoSeconds: 900, exceededBySeconds: 0 });

    const compliance = (await call(viewer, 'GET', '/compliance?limit=1000')).json<{ items: Array<Record<string, unknown>> }>();
    const mine = compliance.items.find((c) => (c['vm'] as { id: string }).id === urn(1));
    expect(mine).toEqual(jasmine.objectContaining({ status: 'at-risk', lastGoodPointAt: null, policy: { id: policy['id'], name: policy['name'] } }));

    expect((await call(admin, 'GET', `/policies/${String(policy['id'])}`)).json()['vmCount']).toBe(1);
    expectProblem(await call(admin, 'DELETE', `/policies/${String(policy['id'])}`), 409, 'policy-in-use');
    const unknown = expectProblem(await call(admin, 'PUT', `${vmPath(1)}/protection`, { policyId: 'no-such-policy' }), 400, 'validation');
    expect((unknown['errors'] as Array<{ field: string }>)[0]?.field).toBe('policyId');
    expectProblem(await call(admin, 'PUT', `${vmPath(1)}/protection`, { policyId: policy['id'], paused: true }), 400, 'validation');
    expectProblem(await call(admin, 'GET', '/vms/not%20a%20vm/protection'), 400, 'validation');

    expect((await call(admin, 'DELETE', `${vmPath(1)}/protection`)).status).toBe(204);
    expect((await call(admin, 'GET', `${vmPath(1)}/protection`)).json()['protected']).toBeFalse();
    expectProblem(await call(admin, 'DELETE', `${vmPath(1)}/protection`), 409, 'not-protected');
    expect((await call(admin, 'DELETE', `/policies/${String(policy['id'])}`)).status).toBe(204);
  });

  it('refuses users without the privilege with 403 naming it, changing nothing, and audits both outcomes', async () => {
    const name = unique('Refused');
    const before = (await call(admin, 'GET', '/policies?limit=1000')).json<{ total: number }>().total;
    const refused = expectProblem(await call(viewer, 'POST', '/policies', { ...GOLD, name }), 403, 'forbidden');
    expect(refused['privilege']).toBe(PRIVILEGES.admin);
    expect(refused['detail']).toContain(PRIVILEGES.admin);
    expect((await call(admin, 'GET', '/policies?limit=1000')).json<{ total: number }>().total).toBe(before);

    const policy = await createPolicy();
    const denied = expectProblem(await call(viewer, 'PUT', `${vmPath(2)}/protection`, { policyId: policy['id'] }), 403, 'forbidden');
    expect(denied['privilege']).toBe(PRIVILEGES.protect);
    expect(denied['entity']).toBe(`VirtualMachine:${vc.vms[2]?.moref ?? ''}`);
    expect((await call(admin, 'GET', `${vmPath(2)}/protection`)).json()['protected']).toBeFalse();

    // Protect on one VM is exactly that: this VM, not another.
    expect((await call(protector, 'PUT', `${vmPath(0)}/protection`, { policyId: policy['id'] })).status).toBe(201);
    expectProblem(await call(protector, 'PUT', `${vmPath(2)}/protection`, { policyId: policy['id'] }), 403, 'forbidden');
    expectProblem(await call(protector, 'DELETE', `/policies/${String(policy['id'])}`), 403, 'forbidden');
    expectProblem(await call(viewer, 'GET', '/audit'), 403, 'forbidden');

    const audit = await call(admin, 'GET', '/audit?limit=1000');
    expect(audit.status).withContext(audit.text).toBe(200);
    const records = audit.json<{ items: Array<Record<string, unknown>> }>().items;
    const refusal = records.find((r) => r['action'] === 'policy.create' && r['outcome'] === 'failure' && (r['details'] as Record<string, unknown>)['name'] === undefined && r['user'] === 'viewer@vsphere.local');
    expect(refusal).toEqual(jasmine.objectContaining({ status: 403, errorCode: 'forbidden', object: null, vcenterGuid: vc.instanceUuid }));
    const created = records.find((r) => r['action'] === 'policy.create' && r['object'] === `policy:${String(policy['id'])}`);
    expect(created).toEqual(jasmine.objectContaining({ outcome: 'success', status: 201, errorCode: null }));
    expect(String(created?.['user']).toLowerCase()).toBe(vc.username.toLowerCase());
    expect(created?.['requestId']).toMatch(/^[0-9a-f-]{36}$/);
    const vmObject = `vm:${vc.instanceUuid}:${vc.vms[2]?.moref ?? ''}`;
    const byObject = (await call(admin, 'GET', `/audit?object=${encodeURIComponent(vmObject)}&user=PROTECTOR@vsphere.local`)).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(byObject.length).toBe(1);
    expect(byObject[0]).toEqual(jasmine.objectContaining({ action: 'protection.assign', outcome: 'failure', errorCode: 'forbidden', user: 'protector@vsphere.local' }));
    const assigned = (await call(admin, 'GET', `/audit?action=protection.assign&user=protector@vsphere.local`)).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(assigned.map((r) => r['outcome'])).toEqual(['failure', 'success']);

    const deleteRefused = records.find((r) => r['action'] === 'policy.delete' && r['user'] === 'protector@vsphere.local');
    expect(deleteRefused).toEqual(jasmine.objectContaining({ object: `policy:${String(policy['id'])}`, outcome: 'failure', errorCode: 'forbidden' }));

    for (const t of tokens) expect(audit.text).not.toContain(t);
    expect(captured.lines.join('')).not.toContain(admin);
  });

  it('backs up now through a registered handler; lists, reads and cancels jobs', async () => {
    const policy = await createPolicy();
    expectProblem(await call(admin, 'POST', `${vmPath(3)}/backup`), 409, 'not-protected');
    expect((await call(admin, 'PUT', `${vmPath(3)}/protection`, { policyId: policy['id'] })).status).toBe(201);
    expectProblem(await call(viewer, 'POST', `${vmPath(3)}/backup`), 403, 'forbidden');

    const started = await call(admin, 'POST', `${vmPath(3)}/backup`);
    expect(started.status).withContext(started.text).toBe(202);
    const { job, created } = started.json<{ job: Record<string, unknown>; created: boolean }>();
    expect(created).toBeTrue();
    expect(started.headers['location']).toBe(`/api/v1/jobs/${String(job['id'])}`);
    expect(job['requestedBy']).toBe(vc.username);
    // A second request joins the job already there.
    expect((await call(admin, 'POST', `${vmPath(3)}/backup`)).json()['created']).toBeFalse();

    const listed = (await call(viewer, 'GET', `/jobs?kind=backup&state=queued,running&target=${encodeURIComponent(urn(3))}`)).json<{ items: Array<{ id: string }>; total: number }>();
    expect(listed.items.map((j) => j.id)).toEqual([String(job['id'])]);
    expect(listed.total).toBe(1);
    expectProblem(await call(viewer, 'GET', '/jobs?state=sleeping'), 400, 'validation');

    const running = await waitForJob(String(job['id']), (j) => j['state'] === 'running');
    expect(running['progress']).toEqual(jasmine.objectContaining({ bytesDone: 0 }));
    expect((running['log'] as { tail: Array<{ message: string }> }).tail.map((l) => l.message)).toContain('started');
    expect((await call(admin, 'GET', `${vmPath(3)}/protection`)).json()['activeJob']).toEqual({ id: job['id'], kind: 'backup', state: 'running' });

    expectProblem(await call(viewer, 'POST', `/jobs/${String(job['id'])}/cancel`), 403, 'forbidden');
    const cancel = await call(admin, 'POST', `/jobs/${String(job['id'])}/cancel`);
    expect(cancel.status).withContext(cancel.text).toBe(202);
    const ended = await waitForJob(String(job['id']), (j) => j['state'] === 'cancelled');
    expect(ended['error']).toEqual({ code: 'cancelled', message: `cancelled by ${vc.username}` });
    expectProblem(await call(admin, 'POST', `/jobs/${String(job['id'])}/cancel`), 409, 'job-finished');
    expectProblem(await call(admin, 'GET', '/jobs/00000000-0000-4000-8000-000000000000'), 404, 'not-found');
  });

  it("streams a job's events in order with ids, and resumes after Last-Event-ID", async () => {
    const policy = await createPolicy();
    expect((await call(admin, 'PUT', `${vmPath(4)}/protection`, { policyId: policy['id'] })).status).toBe(201);
    const job = (await call(admin, 'POST', `${vmPath(4)}/backup`)).json<{ job: { id: string } }>().job;
    const url = `${server.url}/api/v1/jobs/${job.id}/events`;
    const g = gatesOf(vc.vms[4]?.moref ?? '');

    const first = await openSse(url, { thumbprint: server.thumbprint, headers: { 'vmware-api-session-id': viewer } });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    await first.waitFor((e) => e.event === 'snapshot');
    g.start.resolve();
    const quarter = await first.waitFor((e) => e.event === 'progress');
    expect((JSON.parse(quarter.data) as { progress: { bytesDone: number } }).progress.bytesDone).toBe(25);
    await first.waitFor(() => first.comments.includes('heartbeat'), 2000);
    first.close();
    const seen = first.events.filter((e) => e.event !== 'snapshot');
    const ids = seen.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.map((e) => e.event)).toContain('phase');

    g.finish.resolve();
    await waitForJob(job.id, (j) => j['state'] === 'succeeded');
    const resumed = await openSse(url, { thumbprint: server.thumbprint, headers: { 'vmware-api-session-id': viewer, 'last-event-id': String(quarter.id) } });
    await resumed.ended;
    const missed = resumed.events;
    expect(missed.length).toBeGreaterThan(0);
    expect(missed.every((e) => Number(e.id) > Number(quarter.id))).toBeTrue();
    expect(missed.some((e) => e.event === 'snapshot')).toBeFalse();
    const progress = missed.filter((e) => e.event === 'progress').map((e) => (JSON.parse(e.data) as { progress: { bytesDone: number } }).progress.bytesDone);
    expect(progress).toEqual([100]);
    const last = missed[missed.length - 1] as SseEvent;
    expect(last.event).toBe('state');
    expect((JSON.parse(last.data) as { job: { state: string } }).job.state).toBe('succeeded');
    const resumedIds = missed.map((e) => Number(e.id));
    expect(resumedIds).toEqual([...resumedIds].sort((a, b) => a - b));
  });

  it('keeps policies and assignments in its SQLite file across a restart', async () => {
    const policy = await createPolicy(unique('Durable'));
    expect((await call(admin, 'PUT', `${vmPath(2)}/protection`, { policyId: policy['id'] })).status).toBe(201);
    expect(existsSync(server.databaseFile)).toBeTrue();
    expect(server.databaseFile).toBe(join(dataDir, 'lifeline.db'));
    await server.stop();
    server = await start();
    expect((await call(admin, 'GET', `/policies/${String(policy['id'])}`)).json()['name']).toBe(policy['name']);
    const p = (await call(admin, 'GET', `${vmPath(2)}/protection`)).json();
    expect(p['protected']).toBeTrue();
    expect((p['policy'] as { id: string }).id).toBe(String(policy['id']));
    expect((await call(admin, 'DELETE', `${vmPath(2)}/protection`)).status).toBe(204);
  });
});

describe('a Lifeline server without the backup pipeline', () => {
  let vc: Vcsim;
  let dataDir: string;
  let server: LifelineServer;
  const captured = captureLog();

  beforeAll(async () => {
    vc = await startVcsim({ vms: 1 });
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

  it('answers "back up now" with 503 backup-unavailable, audited, and says so in the protection view', async () => {
    const token = await vc.soapLogin();
    const headers = { 'vmware-api-session-id': token, 'content-type': 'application/json' };
    const vm = encodeURIComponent(`urn:vmomi:VirtualMachine:${vc.vms[0]?.moref ?? ''}:${vc.instanceUuid}`);
    const policy = (await httpsCall(`${server.url}/api/v1/policies`, { method: 'POST', headers, thumbprint: server.thumbprint, body: JSON.stringify(GOLD) })).json();
    await httpsCall(`${server.url}/api/v1/vms/${vm}/protection`, { method: 'PUT', headers, thumbprint: server.thumbprint, body: JSON.stringify({ policyId: policy['id'] }) });

    const reply = await httpsCall(`${server.url}/api/v1/vms/${vm}/backup`, { method: 'POST', headers, thumbprint: server.thumbprint });
    expect(reply.status).withContext(reply.text).toBe(503);
    expect(reply.json()['code']).toBe('backup-unavailable');
    expect(String(reply.json()['detail'])).toContain('backup pipeline is not available');

    const view = (await httpsCall(`${server.url}/api/v1/vms/${vm}/protection`, { headers, thumbprint: server.thumbprint })).json();
    expect(view['backupAvailable']).toBeFalse();
    expect(view['lastGoodPointAt']).toBeNull();
    const audit = (await httpsCall(`${server.url}/api/v1/audit?action=vm.backup`, { headers, thumbprint: server.thumbprint })).json<{ items: Array<Record<string, unknown>> }>();
    expect(audit.items[0]).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 503, errorCode: 'backup-unavailable' }));
    expect((await httpsCall(`${server.url}/api/v1/jobs`, { headers, thumbprint: server.thumbprint })).json()['total']).toBe(0);
  });
});
