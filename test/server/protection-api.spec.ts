// Policies, VM protection, jobs (with their event streams) and the audit log over real HTTPS,
// authorised by the vCenter simulator's own privilege checks and stored in the server's real
// SQLite database. Users: the simulator's administrator (every privilege), a viewer with only
// vCenter's default read privileges, and a protector holding Lifeline's Protect on one VM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVILEGES } from '../../plugin-server/src/api/privileges.js';
import type { JobHandler } from '../../plugin-server/src/jobs/index.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
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
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  let protector: string;
  let seq = 0;

  const call = (token: string, method: string, path: string, body?: unknown, contentType?: string) => fx.call(token, method, path, body, contentType);
  const unique = (base: string) => `${base} ${++seq}`;
  const urn = (i: number) => fx.urn(i);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(urn(i))}`;
  const createPolicy = async (name = unique('Gold')): Promise<Record<string, unknown>> => {
    const reply = await call(admin, 'POST', '/policies', { ...GOLD, name });
    expect(reply.status).withContext(reply.text).toBe(201);
    return reply.json();
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
    fx = await startVcenterServer({
      sim: { vms: 5 },
      users: [
        { username: 'viewer@vsphere.local', password: 'Viewer-1!' },
        { username: 'protector@vsphere.local', password: 'Protector-1!', vmPrivileges: { 0: [PRIVILEGES.protect] } },
      ],
      deps: { jobHandlers: { backup: testOnlyBackupHandler }, sseHeartbeatMs: 200 },
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
    protector = await fx.login('protector@vsphere.local', 'Protector-1!');
  }, 900_000);

  afterAll(async () => {
    for (const g of gates.values()) {
      g.start.resolve();
      g.finish.resolve();
    }
    await fx?.stop();
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
      // No site can be paired yet, so a policy naming one would never be replicated.
      [{ replicationSite: 'site-b' }, 'replicationSite', 'not a paired site'],
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
    const site = expectProblem(await call(admin, 'PATCH', `/policies/${id}`, { replicationSite: 'site-b' }, 'application/merge-patch+json'), 400, 'validation');
    expect((site['errors'] as Array<{ field: string }>).map((e) => e.field)).toEqual(['replicationSite']);
    expect((await call(admin, 'GET', `/policies/${id}`)).json()['replicationSite']).toBeNull();

    const taken = expectProblem(await call(admin, 'POST', '/policies', { ...GOLD, name: String(policy['name']).toUpperCase() }), 409, 'policy-name-taken');
    expect(taken['detail']).toContain('name');
  });

  it("assigns a policy to a VM and reports its protection and RPO compliance", async () => {
    const policy = await createPolicy();
    const assigned = await call(admin, 'PUT', `${vmPath(1)}/protection`, { policyId: policy['id'] });
    expect(assigned.status).withContext(assigned.text).toBe(201);
    const moref = fx.vc.vms[1]?.moref ?? '';
    // The bare moref names the same VM on the only configured vCenter.
    const shown = await call(viewer, 'GET', `/vms/${moref}/protection`);
    expect(shown.status).withContext(shown.text).toBe(200);
    const p = shown.json();
    expect(p['vm']).toEqual({ id: urn(1), moref, vcenter: fx.vc.instanceUuid });
    expect(p).toEqual(jasmine.objectContaining({ protected: true, paused: false, lastGoodPointAt: null, backupAvailable: true, activeJob: null }));
    expect(p['policy']).toEqual({ id: policy['id'], name: policy['name'], rpoSeconds: 900 });
    // No restore point yet: due at once, and at risk until the first backup commits.
    expect(p['nextBackupDueAt']).toBe(p['assignedAt']);
    expect(p['rpo']).toEqual({ status: 'at-risk', ageSeconds: null, rpoSeconds: 900, exceededBySeconds: 0 });

    const compliance = (await call(viewer, 'GET', '/compliance?limit=1000')).json<{ items: Array<Record<string, unknown>> }>();
    const mine = compliance.items.find((c) => (c['vm'] as { id: string }).id === urn(1));
    expect(mine).toEqual(jasmine.objectContaining({ status: 'at-risk', lastGoodPointAt: null, policy: { id: policy['id'], name: policy['name'] } }));

    // Its policy names no replication site: nothing to replicate, and the answer says so.
    const replication = await call(viewer, 'GET', `${vmPath(1)}/replication`);
    expect(replication.status).withContext(replication.text).toBe(200);
    expect(replication.json()).toEqual(jasmine.objectContaining({ site: null, state: 'not-configured', lastReplicatedPointId: null, rpoMet: null }));
    expectProblem(await call(admin, 'GET', '/vms/not%20a%20vm/replication'), 400, 'validation');

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
    expect(denied['entity']).toBe(`VirtualMachine:${fx.vc.vms[2]?.moref ?? ''}`);
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
    expect(refusal).toEqual(jasmine.objectContaining({ status: 403, errorCode: 'forbidden', object: null, vcenterGuid: fx.vc.instanceUuid }));
    const created = records.find((r) => r['action'] === 'policy.create' && r['object'] === `policy:${String(policy['id'])}`);
    expect(created).toEqual(jasmine.objectContaining({ outcome: 'success', status: 201, errorCode: null }));
    expect(String(created?.['user']).toLowerCase()).toBe(fx.vc.username.toLowerCase());
    expect(created?.['requestId']).toMatch(/^[0-9a-f-]{36}$/);
    const vmObject = `vm:${fx.vc.instanceUuid}:${fx.vc.vms[2]?.moref ?? ''}`;
    const byObject = (await call(admin, 'GET', `/audit?object=${encodeURIComponent(vmObject)}&user=PROTECTOR@vsphere.local`)).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(byObject.length).toBe(1);
    expect(byObject[0]).toEqual(jasmine.objectContaining({ action: 'protection.assign', outcome: 'failure', errorCode: 'forbidden', user: 'protector@vsphere.local' }));
    const assigned = (await call(admin, 'GET', `/audit?action=protection.assign&user=protector@vsphere.local`)).json<{ items: Array<Record<string, unknown>> }>().items;
    expect(assigned.map((r) => r['outcome'])).toEqual(['failure', 'success']);

    const deleteRefused = records.find((r) => r['action'] === 'policy.delete' && r['user'] === 'protector@vsphere.local');
    expect(deleteRefused).toEqual(jasmine.objectContaining({ object: `policy:${String(policy['id'])}`, outcome: 'failure', errorCode: 'forbidden' }));

    for (const t of fx.tokens) expect(audit.text).not.toContain(t);
    expect(fx.captured.lines.join('')).not.toContain(admin);
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
    expect(job['requestedBy']).toBe(fx.vc.username);
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
    expect(ended['error']).toEqual({ code: 'cancelled', message: `cancelled by ${fx.vc.username}` });
    expectProblem(await call(admin, 'POST', `/jobs/${String(job['id'])}/cancel`), 409, 'job-finished');
    expectProblem(await call(admin, 'GET', '/jobs/00000000-0000-4000-8000-000000000000'), 404, 'not-found');
  });

  it("streams a job's events in order with ids, and resumes after Last-Event-ID", async () => {
    const policy = await createPolicy();
    expect((await call(admin, 'PUT', `${vmPath(4)}/protection`, { policyId: policy['id'] })).status).toBe(201);
    const job = (await call(admin, 'POST', `${vmPath(4)}/backup`)).json<{ job: { id: string } }>().job;
    const url = `${fx.server.url}/api/v1/jobs/${job.id}/events`;
    const g = gatesOf(fx.vc.vms[4]?.moref ?? '');

    const first = await openSse(url, { thumbprint: fx.server.thumbprint, headers: { 'vmware-api-session-id': viewer } });
    const all = await openSse(`${fx.server.url}/api/v1/events`, { thumbprint: fx.server.thumbprint, headers: { 'vmware-api-session-id': admin } });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    await first.waitFor((e) => e.event === 'snapshot');
    g.start.resolve();
    const quarter = await first.waitFor((e) => e.event === 'progress');
    expect((JSON.parse(quarter.data) as { progress: { bytesDone: number } }).progress.bytesDone).toBe(25);
    await first.waitFor(() => first.comments.includes('heartbeat'), 2000);
    first.close();
    // Every job's stream carries the same events as the job's own.
    const sameQuarter = await all.waitFor((e) => e.id === quarter.id);
    expect(sameQuarter.data).toBe(quarter.data);
    all.close();
    const seen = first.events.filter((e) => e.event !== 'snapshot');
    const ids = seen.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen.map((e) => e.event)).toContain('phase');

    g.finish.resolve();
    await waitForJob(job.id, (j) => j['state'] === 'succeeded');
    const resumed = await openSse(url, { thumbprint: fx.server.thumbprint, headers: { 'vmware-api-session-id': viewer, 'last-event-id': String(quarter.id) } });
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
    expect(existsSync(fx.server.databaseFile)).toBeTrue();
    expect(fx.server.databaseFile).toBe(join(fx.dataDir, 'lifeline.db'));
    await fx.restart();
    expect((await call(admin, 'GET', `/policies/${String(policy['id'])}`)).json()['name']).toBe(policy['name']);
    const p = (await call(admin, 'GET', `${vmPath(2)}/protection`)).json();
    expect(p['protected']).toBeTrue();
    expect((p['policy'] as { id: string }).id).toBe(String(policy['id']));
    expect((await call(admin, 'DELETE', `${vmPath(2)}/protection`)).status).toBe(204);
  });
});

describe('a Lifeline server without the backup pipeline', () => {
  let fx: VcenterServer;

  beforeAll(async () => {
    fx = await startVcenterServer({ sim: { vms: 1 } });
  }, 900_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('answers "back up now" with 503 backup-unavailable, audited, and says so in the protection view', async () => {
    const token = await fx.vc.soapLogin();
    const vm = encodeURIComponent(fx.urn(0));
    const policy = (await fx.call(token, 'POST', '/policies', GOLD)).json();
    await fx.call(token, 'PUT', `/vms/${vm}/protection`, { policyId: policy['id'] });

    const reply = await fx.call(token, 'POST', `/vms/${vm}/backup`);
    expect(reply.status).withContext(reply.text).toBe(503);
    expect(reply.json()['code']).toBe('backup-unavailable');
    expect(String(reply.json()['detail'])).toContain('backup pipeline is not available');

    const view = (await fx.call(token, 'GET', `/vms/${vm}/protection`)).json();
    expect(view['backupAvailable']).toBeFalse();
    expect(view['lastGoodPointAt']).toBeNull();
    const audit = (await fx.call(token, 'GET', '/audit?action=vm.backup')).json<{ items: Array<Record<string, unknown>> }>();
    expect(audit.items[0]).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 503, errorCode: 'backup-unavailable' }));
    expect((await fx.call(token, 'GET', '/jobs')).json()['total']).toBe(0);
  });
});
