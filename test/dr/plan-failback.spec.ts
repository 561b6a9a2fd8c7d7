// A recovery plan failed back between two real Lifeline servers and two simulated vCenters: a plan
// of two groups (one VM each) is failed over by `lifeline plan failover --mode planned`, data is
// written into each VM at B through the harness, and the plan's failback is asked for. It is
// refused, naming each VM and why, with nothing started, before the failover (not failed over) and
// before B has protected the VMs and sent a point of each back (no reverse replication). Two
// requests for one VM at once (its own failback twice, then its own and the plan's) claim it
// once: one is accepted, the other refused `busy` naming the holder, with nothing of its own
// recorded or started. A failback cancelled during its first step starts no further step and leaves both VMs running
// at B and A untouched. Then `lifeline plan failback` runs it as one job of B's: the plan's last group first, each VM's disk
// back at A byte for byte as B had it, on the original VMs (same morefs), powered on, A's marks
// cleared, B's copies powered off, and the run kept with the plan's runs as its report.
import { randomBytes } from 'node:crypto';
import { sha256File } from '../store/store-fixtures.js';
import type { SiteSide, TwoSites } from '../sites/two-site-fixture.js';
import { diskFile, lifeline, startFailbackSites, vmAt, waitJob, type Failover, type JobBody } from './dr-spec-kit.js';

const MiB = 1024 * 1024;
const SLOW = 300_000;

interface FailbackPart {
  state: string;
  target: string;
  pointId: string | null;
  chunks: number | null;
  chunksSent: number | null;
  shutdown: string | null;
  sourceVm: { moref: string; name: string } | null;
  failures: string[];
  startedAt: string;
  endedAt: string | null;
  jobId: string | null;
}
type Step = Failover & { sourceVm: { id: string; name: string }; failback?: FailbackPart | null };
interface Run {
  id: string;
  mode: string;
  jobId: string | null;
  failback?: { target: string; nameSuffix: string | null; powerOn: boolean; shutdownTimeoutSeconds: number } | null;
  failovers: Step[][];
}



async function diskSha(side: SiteSide, moref: string): Promise<string> {
  return sha256File(await diskFile(side, moref));
}

describe('failback of a recovery plan', () => {
  let sites: TwoSites;
  let sourceId: string;
  let planId: string;
  let vmIds: string[];

  beforeAll(async () => {
    // No VMs of its own at B: the plan's VMs keep A's names there.
    ({ sites, sourceId, vmIds } = await startFailbackSites({ vms: 2, bVms: 0, fillMiB: 4, seed: 41 }));
    const { b } = sites;
    const plan = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Two tiers', siteId: sourceId, groups: [{ vms: [vmIds[0]] }, { vms: [vmIds[1]] }], toolsTimeoutSeconds: 0 });
    if (plan.status !== 201) throw new Error(`plan refused: ${plan.text}`);
    planId = plan.json<{ id: string }>().id;
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  const planFailback = (body: Record<string, unknown>) => sites.b.call(sites.b.admin, 'POST', `/recovery-plans/${planId}/failback`, body);
  const planJobs = async (): Promise<JobBody[]> => (await sites.b.call(sites.b.admin, 'GET', '/jobs?kind=recovery-plan-failback')).json<{ items: JobBody[] }>().items;

  it('is refused naming each VM and why until the VMs are failed over and reverse replicated, then brings them back at A with B\'s data, the last group first', async () => {
    const { a, b } = sites;
    const cli = ['--server', b.server.url, '--server-thumbprint', b.server.thumbprint, '--vcenter', b.vc.url, '--vcenter-thumbprint', b.vc.thumbprint, '--user', b.vc.username];

    // --- Nothing failed over yet: refused, naming both VMs, nothing started. ---
    const early = await planFailback({});
    expect(early.status).withContext(early.text).toBe(409);
    const earlyBody = early.json<{ code: string; detail: string; vms: { vmId: string; reason: string }[] }>();
    expect(earlyBody.code).toBe('dr-failback-refused');
    expect(earlyBody.vms.map((v) => `${v.vmId} ${v.reason}`)).toEqual(vmIds.map((id) => `${id} not-failed-over`));
    expect(earlyBody.detail).toContain('Nothing was started');
    expect(await planJobs()).toEqual([]);

    // --- The plan as a planned migration, from the command line. ---
    const unconfirmed = await lifeline(['plan', 'failover', 'Two tiers', '--mode', 'planned', ...cli], b.vc.password);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('planned migration');
    expect(unconfirmed.stderr).toContain('--yes');
    const migrated = await lifeline(['plan', 'failover', 'Two tiers', '--mode', 'planned', '--shutdown-timeout', '0', '--yes', ...cli], b.vc.password);
    expect(migrated.code).withContext(migrated.stderr + migrated.stdout).toBe(0);
    expect(migrated.stdout).toContain('(planned)');
    let runs = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: Run[] }>().runs;
    expect(runs[0]!.mode).toBe('planned');
    const atB = runs[0]!.failovers.map((g) => g[0]!.vm!.moref);
    for (const i of [0, 1]) expect((await vmAt(a, a.moref(i))).powerState).toBe('poweredOff');

    // --- Writes at B into each VM. ---
    const shaBefore: string[] = [];
    for (const [i, moref] of atB.entries()) {
      await b.vc.writeDisk(moref, (await vmAt(b, moref)).disks[0]!.key, (1 + i) * MiB + 512, randomBytes(128 * 1024));
      shaBefore.push(await diskSha(b, moref));
    }

    // --- Failed over, but B has sent nothing back yet: refused, naming both, nothing started, B's VMs run on. ---
    const notYet = await planFailback({ shutdownTimeoutSeconds: 0 });
    expect(notYet.status).withContext(notYet.text).toBe(409);
    const notYetBody = notYet.json<{ code: string; detail: string; vms: { vmId: string; reason: string }[] }>();
    expect(notYetBody.vms.map((v) => `${v.vmId} ${v.reason}`)).toEqual(vmIds.map((id) => `${id} no-reverse-replication`));
    expect(notYetBody.detail).toContain('protect');
    expect(await planJobs()).toEqual([]);
    for (const moref of atB) expect((await vmAt(b, moref)).powerState).toBe('poweredOn');

    // --- B protects the VMs; each backup goes back to A (reverse replication). ---
    const policy = await b.call(b.admin, 'POST', '/policies', { name: 'Failed over', rpoSeconds: 3600, retention: { keepLast: 3 } });
    expect(policy.status).withContext(policy.text).toBe(201);
    for (const moref of atB) {
      const urn = encodeURIComponent(`urn:vmomi:VirtualMachine:${moref}:${b.vc.instanceUuid}`);
      expect((await b.call(b.admin, 'PUT', `/vms/${urn}/protection`, { policyId: policy.json<{ id: string }>().id })).status).toBe(201);
      const backup = await b.call(b.admin, 'POST', `/vms/${urn}/backup`);
      expect(backup.status).withContext(backup.text).toBe(202);
      expect((await waitJob(b, backup.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    }
    let reverse: JobBody[] = [];
    for (let i = 0; i < 600 && reverse.filter((j) => j.state === 'succeeded').length < 2; i++) {
      reverse = (await b.call(b.admin, 'GET', '/jobs?kind=reverse-replication')).json<{ items: JobBody[] }>().items;
      if (reverse.some((j) => ['failed', 'cancelled'].includes(j.state))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(reverse.map((j) => j.state)).withContext(JSON.stringify(reverse)).toEqual(['succeeded', 'succeeded']);

    // --- Two requests for one VM at once: exactly one claims it; the other is refused `busy`,
    // naming the holder, and changes nothing. Group 2's guest ignores a shutdown, so the winner's
    // first step waits for it (and is cancelled). ---
    await b.vc.setGuestTools(atB[1]!, { running: true, ignoreShutdown: true });
    const failoverId = runs[0]!.failovers[1]![0]!.id;
    const vmFailback = () => b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmIds[1]!)}/failback`, { shutdownTimeoutSeconds: 120 });
    const failbackJobs = async (): Promise<string[]> => (await b.call(b.admin, 'GET', '/jobs?kind=failback')).json<{ items: JobBody[] }>().items.map((j) => j.id);
    const failbackOf = async (): Promise<FailbackPart> => (await b.call(b.admin, 'GET', `/failovers/${failoverId}`)).json<Step>().failback!;
    const runCount = async (): Promise<number> => (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: Run[] }>().runs.length;
    const race = async (requests: Array<() => Promise<{ status: number; text: string; json<T>(): T }>>) => {
      const replies = await Promise.all(requests.map((r) => r()));
      expect(replies.map((r) => r.status).sort()).withContext(replies.map((r) => r.text).join('\n')).toEqual([202, 409]);
      const won = replies.findIndex((r) => r.status === 202);
      return { won, job: replies[won]!.json<{ job: JobBody }>().job.id, refused: replies[1 - won]!.json<{ code: string; detail: string; vms?: { vmId: string; reason: string }[] }>() };
    };
    const cancel = async (jobId: string): Promise<void> => {
      expect((await b.call(b.admin, 'POST', `/jobs/${jobId}/cancel`)).status).toBe(202);
      expect((await waitJob(b, jobId)).state).toBe('cancelled');
      expect((await failbackOf()).state).toBe('failed');
      expect((await vmAt(b, atB[1]!)).powerState).toBe('poweredOn');
    };
    const runsBefore = await runCount();
    // The VM's own failback, asked twice.
    const twice = await race([vmFailback, vmFailback]);
    expect(twice.refused.code).toBe('busy');
    expect(twice.refused.detail).toContain(twice.job);
    expect(await failbackJobs()).toEqual([twice.job]);
    expect((await failbackOf()).jobId).toBe(twice.job);
    await cancel(twice.job);
    // The VM's own failback and its plan's.
    const mixed = await race([vmFailback, () => planFailback({ shutdownTimeoutSeconds: 120 })]);
    expect((await failbackOf()).jobId).toBe(mixed.job);
    if (mixed.won === 0) {
      expect(mixed.refused.code).toBe('dr-failback-refused');
      expect(mixed.refused.vms!.map((v) => `${v.vmId} ${v.reason}`)).toEqual([`${vmIds[1]!} busy`]);
      expect(mixed.refused.detail).toContain(mixed.job);
      expect(await planJobs()).toEqual([]);
      expect(await runCount()).toBe(runsBefore);
      expect((await failbackJobs()).length).toBe(2);
      await cancel(mixed.job);
    } else {
      expect(mixed.refused.code).toBe('busy');
      expect(mixed.refused.detail).toContain(mixed.job);
      expect(await failbackJobs()).toEqual([twice.job]);
      expect(await runCount()).toBe(runsBefore + 1);
    }

    // --- A failback cancelled while its first step waits for a guest that ignores the shutdown:
    // no further step starts, the step under way is undone, nothing changes at A. ---
    let cancelledJob = mixed.job;
    if (mixed.won === 0) {
      const cancelled = await planFailback({ shutdownTimeoutSeconds: 120 });
      expect(cancelled.status).withContext(cancelled.text).toBe(202);
      cancelledJob = cancelled.json<{ job: JobBody }>().job.id;
    }
    let waiting = false;
    for (let i = 0; i < 600 && !waiting; i++) {
      const job = (await b.call(b.admin, 'GET', `/jobs/${cancelledJob}`)).json<JobBody & { log: { tail: unknown[] } }>();
      waiting = JSON.stringify(job.log.tail).includes('to shut down through VMware Tools');
      if (!waiting) await new Promise((r) => setTimeout(r, 200));
    }
    expect(waiting).withContext('the first step asked the guest to shut down').toBeTrue();
    expect((await b.call(b.admin, 'POST', `/jobs/${cancelledJob}/cancel`)).status).toBe(202);
    expect((await waitJob(b, cancelledJob)).state).toBe('cancelled');
    const afterCancel = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: Run[] }>().runs[0]!;
    expect(afterCancel.failback?.shutdownTimeoutSeconds).toBe(120);
    expect(afterCancel.failovers.map((g) => g[0]!.failback!.state)).toEqual(['failed', 'failed']);
    expect(afterCancel.failovers[0]![0]!.failback!.failures.join(' ')).toContain('not started');
    expect(afterCancel.failovers[1]![0]!.failback!.pointId).toBeNull();
    for (const [i, moref] of atB.entries()) {
      expect((await vmAt(b, moref)).powerState).withContext(moref).toBe('poweredOn');
      expect((await vmAt(a, a.moref(i))).powerState).toBe('poweredOff');
    }
    expect((await a.call(a.admin, 'GET', '/jobs?kind=failback-recovery')).json<{ items: unknown[] }>().items).toEqual([]);
    // The guests run VMware Tools and shut down through them: their last points are application-consistent, as the policy asks.
    for (const moref of atB) await b.vc.setGuestTools(moref, { running: true });

    // --- The plan's failback from the command line: confirmation first, then one job of B's. ---
    const noYes = await lifeline(['plan', 'failback', 'Two tiers', ...cli], b.vc.password);
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toContain('--yes');
    expect((await planJobs()).length).toBe(1);
    const back = await lifeline(['plan', 'failback', 'Two tiers', '--yes', '--shutdown-timeout', '60', ...cli], b.vc.password);
    expect(back.code).withContext(back.stderr + back.stdout).toBe(0);
    const jobs = await planJobs();
    expect(jobs.map((j) => j.state)).toEqual(['succeeded', 'cancelled']);
    // The report: group 2 printed first, each VM succeeded and now its original moref at A.
    const g2 = back.stdout.indexOf('group 2:');
    const g1 = back.stdout.indexOf('group 1:');
    expect(g2).toBeGreaterThan(-1);
    expect(g1).toBeGreaterThan(g2);
    expect(back.stdout).toMatch(new RegExp(`now ${a.moref(1)} at the source site[\\s\\S]*now ${a.moref(0)} at the source site`));

    runs = (await b.call(b.admin, 'GET', `/recovery-plans/${planId}`)).json<{ runs: Run[] }>().runs;
    const run = runs[0]!;
    expect(run.jobId).toBe(jobs[0]!.id);
    expect(run.failback).toEqual({ target: 'original', nameSuffix: null, powerOn: true, shutdownTimeoutSeconds: 60 });
    const [first, second] = [run.failovers[0]![0]!, run.failovers[1]![0]!];
    for (const s of [first, second]) {
      expect(s.failback!.state).withContext(JSON.stringify(s.failback)).toBe('done');
      expect(s.failback!.failures).toEqual([]);
      expect(s.failback!.chunksSent!).toBeLessThan(s.failback!.chunks!);
    }
    // The plan's last group went back first: its step had ended before the first group's began.
    expect(Date.parse(second.failback!.endedAt!)).toBeLessThanOrEqual(Date.parse(first.failback!.startedAt));

    // --- A runs the original VMs again, each with B's data; B's copies are off. ---
    for (const i of [0, 1]) {
      const step = run.failovers[i]![0]!;
      expect(step.failback!.sourceVm!.moref).toBe(a.moref(i));
      expect((await vmAt(a, a.moref(i))).powerState).toBe('poweredOn');
      expect(await diskSha(a, a.moref(i))).toBe(shaBefore[i]!);
      expect((await vmAt(b, atB[i]!)).powerState).toBe('poweredOff');
      expect((await a.call(a.admin, 'GET', `/vms/${encodeURIComponent(a.urn(i))}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();
    }

    // --- Failed back already: a second request names both VMs and starts nothing. ---
    const again = await planFailback({});
    expect(again.status).toBe(409);
    expect(again.json<{ vms: { reason: string }[] }>().vms.map((v) => v.reason)).toEqual(['not-failed-over', 'not-failed-over']);
    expect((await planJobs()).length).toBe(2);
  }, 600_000);
});
