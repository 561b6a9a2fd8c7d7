// A DR site whose job queue is full (lifeline.json `jobLimits`: one job at a time, one waiting at
// most; no nightly maintenance, whose job would take the place) refuses a failover, a planned
// migration and a recovery plan's run with 503 queue-full, between two real Lifeline servers and
// two simulated vCenters: the failovers they recorded are marked failed, not started, rather than
// left `starting` with no job; the planned migration is refused before the source site is asked,
// so its VM keeps running there; the plan keeps no run without a job; and once the queue has room
// the same VM fails over. A failover cancelled while its job is queued is marked failed, not started.
import type { TwoSites } from '../sites/two-site-fixture.js';
import { startFailbackSites, vmAt, vmNames, waitJob, type Failover, type JobBody } from './dr-spec-kit.js';

const SLOW = 300_000;

describe('a DR site whose job queue is full', () => {
  let sites: TwoSites;
  let sourceId: string;
  let vmIds: string[];

  beforeAll(async () => {
    const started = await startFailbackSites({ vms: 3, bVms: 0, fillMiB: 1, seed: 43, files: { 'site-b': { jobLimits: { global: 1, queued: 1 }, maintenance: { enabled: false } } } });
    ({ sites, sourceId, vmIds } = started);
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  it('refuses a failover, a planned migration (before asking the source site) and a plan run with queue-full and leaves none recorded as starting; with room again the VM fails over', async () => {
    const { a, b } = sites;
    const failOver = (vm: number, name: string) =>
      b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[vm]!)}/failover`, { mode: 'disaster', name, toolsTimeoutSeconds: 0 });
    const failovers = async () => (await b.call(b.admin, 'GET', '/failovers')).json<{ items: Failover[] }>().items;

    // The one slot: a failover whose VM vCenter is slow to create; the one place in the queue: a second failover.
    await b.vc.injectDelay('CreateVM_Task', 6_000, 1);
    const first = await failOver(0, 'queue-first');
    expect(first.status).withContext(first.text).toBe(202);
    const firstJob = first.json<{ job: JobBody }>().job;
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${firstJob.id}`)).json<JobBody>().phase !== 'create'; i++) {
      if (i > 300) throw new Error('the first failover never reached CreateVM_Task');
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await failOver(1, 'queue-second');
    expect(second.status).withContext(second.text).toBe(202);
    const secondJob = second.json<{ job: JobBody }>().job;
    expect(secondJob.state).toBe('queued');

    // A third failover: refused, and its record says it never started.
    const third = await failOver(2, 'queue-third');
    expect(third.status).withContext(third.text).toBe(503);
    expect(third.json<{ code: string }>().code).toBe('queue-full');
    const refused = (await failovers()).filter((f) => f.name === 'queue-third');
    expect(refused.map((f) => f.state)).toEqual(['failed']);
    expect(refused[0]!.report.failures.join(' ')).toContain('not started: its job could not be queued');

    // A planned migration: refused before the source site is asked, so A's VM keeps running and A
    // starts no job (before, A shut the VM down and sent its last point for a job B then refused).
    const planned = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[2]!)}/failover`, {
      mode: 'planned',
      name: 'queue-planned',
      toolsTimeoutSeconds: 0,
      shutdownTimeoutSeconds: 0,
    });
    expect(planned.status).withContext(planned.text).toBe(503);
    expect(planned.json<{ code: string }>().code).toBe('queue-full');
    expect((await a.call(a.admin, 'GET', '/jobs?kind=planned-migration')).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await vmAt(a, a.moref(2))).powerState).toBe('poweredOn');
    const plannedRec = (await failovers()).filter((f) => f.name === 'queue-planned');
    expect(plannedRec.map((f) => f.state)).toEqual(['failed']);
    expect(plannedRec[0]!.report.failures.join(' ')).toContain('was not asked to shut');

    // A plan's run: refused, no run kept, its failover marked the same way.
    const plan = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Queue plan', siteId: sourceId, groups: [{ vms: [vmIds[2]!] }], toolsTimeoutSeconds: 0 });
    expect(plan.status).withContext(plan.text).toBe(201);
    const planId = plan.json<{ id: string }>().id;
    const run = await b.call(b.admin, 'POST', `/recovery-plans/${planId}/run`, { mode: 'disaster' });
    expect(run.status).withContext(run.text).toBe(503);
    expect(run.json<{ code: string }>().code).toBe('queue-full');
    expect((await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: unknown[] }>().runs).toEqual([]);
    // Only the two failovers with a job are starting; every other one is failed, not started.
    const all = await failovers();
    expect(all.filter((f) => f.state === 'starting').map((f) => f.name).sort()).toEqual(['queue-first', 'queue-second']);
    expect(all.filter((f) => f.state === 'failed').length).toBe(3);
    // None of them names the run that was not kept.
    expect(all.map((f) => (f as Failover & { planRunId: string | null }).planRunId)).toEqual(all.map(() => null));

    // The second failover, cancelled while its job waits in the queue, never started: its record says so.
    const cancelled = await b.call(b.admin, 'POST', `/jobs/${secondJob.id}/cancel`);
    expect(cancelled.status).withContext(cancelled.text).toBe(200);
    expect(cancelled.json<JobBody>().state).toBe('cancelled');
    const secondRec = (await failovers()).find((f) => f.name === 'queue-second');
    expect(secondRec?.state).toBe('failed');
    expect(secondRec?.report.failures.join(' ')).toContain(`not started: its job ${secondJob.id} ended cancelled before it ran`);
    expect((await vmNames(b)).filter((n) => n.startsWith('queue-second '))).toEqual([]);

    // With room in the queue again, the refused VM fails over.
    expect((await waitJob(b, firstJob.id)).state).toBe('succeeded');
    const again = await failOver(2, 'queue-third-again');
    expect(again.status).withContext(again.text).toBe(202);
    const done = await waitJob(b, again.json<{ job: JobBody }>().job.id);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    expect((await failovers()).find((f) => f.name === 'queue-third-again')?.state).toBe('up');
  }, SLOW);
});
