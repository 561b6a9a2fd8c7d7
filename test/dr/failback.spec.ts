// Failback between two real Lifeline servers and two simulated vCenters: a VM of A failed over to
// B by a planned migration, written to at B through the harness and protected there by a policy of
// B's (each backup lands in B's replica of A's repository and goes back to A, only the chunks A
// lacks), written to again, is sent back. B shuts its copy down, backs it up into that replica,
// sends back only the chunks the writes since changed, and A reverts the original VM to that point: the same moref, its disk byte for byte
// B's, powered on, its mark "failed over" cleared and its backups running again, while B's copy
// stays powered off; a cancel of B's job while A recovers the point (A's ReconfigVM_Task held)
// does not stop it, as it cannot stop A's job, and one cancelled while queued is marked not started. Then the same VM is failed over once more, protected at B and failed back by `lifeline plan
// failback` (nothing changed at B, so no chunk crosses), a third time and failed back as a new VM
// at A, and a fourth time: with A's server stopped the failback is refused and nothing changes.
import { randomBytes } from 'node:crypto';
import { sha256File } from '../store/store-fixtures.js';
import type { SiteSide, TwoSites } from '../sites/two-site-fixture.js';
import { diskFile, lifeline, startFailbackSites, vmAt, waitJob as waitJobFor, type Failover, type JobBody } from './dr-spec-kit.js';

const MiB = 1024 * 1024;
const SLOW = 300_000;
const never = new AbortController().signal;
/** A planned migration and a failback each wait for a shutdown, a backup and a replication: up to 4 minutes. */
const waitJob = (side: SiteSide, id: string): Promise<JobBody> => waitJobFor(side, id, 240);

interface FailbackPart {
  state: string;
  target: string;
  pointId: string | null;
  chunks: number | null;
  chunksSent: number | null;
  bytesSent: number | null;
  shutdown: string | null;
  sourceVm: { moref: string; name: string } | null;
  sourceJobId: string | null;
  failures: string[];
}
type FailoverWithFailback = Failover & { failback?: FailbackPart | null };




describe('failback to the source site', () => {
  let sites: TwoSites;
  let sourceId: string;
  let vmId: string;

  beforeAll(async () => {
    // B runs one job at a time: a failback's job can be made to wait in the queue.
    const started = await startFailbackSites({ vms: 1, fillMiB: 6, seed: 31, files: { 'site-b': { jobLimits: { global: 1 } } } });
    ({ sites, sourceId } = started);
    vmId = started.vmIds[0]!;
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  const failover = async (name: string): Promise<FailoverWithFailback> => {
    const { b } = sites;
    const started = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, { mode: 'planned', name, toolsTimeoutSeconds: 0, shutdownTimeoutSeconds: 30 });
    expect(started.status).withContext(started.text).toBe(202);
    const accepted = started.json<{ job: JobBody; failover: Failover }>();
    const done = await waitJob(b, accepted.job.id);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    return (await b.call(b.admin, 'GET', `/failovers/${accepted.failover.id}`)).json<FailoverWithFailback>();
  };
  const failback = (body: Record<string, unknown>) => sites.b.call(sites.b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failback`, body);

  // One flow, in order: each failback needs the failover before it.
  it('brings the writes made at B back onto the original VM sending only the changed chunks, again from the command line, and refuses with nothing changed while the source site is down', async () => {
    const { a, b } = sites;
    const vm0 = encodeURIComponent(a.urn(0));

    // Nothing is failed over yet: nothing to fail back.
    const nothing = await failback({});
    expect(nothing.status).toBe(404);

    // --- A planned migration to B, then writes at B through the harness. ---
    const rec = await failover('failback-vm');
    expect(rec.state).toBe('up');
    const atB = rec.vm!.moref;
    const bDisk = (await vmAt(b, atB)).disks[0]!;
    const offset = MiB + 4096;
    const written = randomBytes(256 * 1024);
    await b.vc.writeDisk(atB, bDisk.key, offset, written);

    // --- B protects the VM with a policy of its own: each backup lands in B's replica of A's
    // repository and goes back to A at once (reverse replication), only the chunks A lacks. ---
    const policy = await b.call(b.admin, 'POST', '/policies', { name: 'Failed over', rpoSeconds: 3600, retention: { keepLast: 3 } });
    expect(policy.status).withContext(policy.text).toBe(201);
    const urnAtB = encodeURIComponent(`urn:vmomi:VirtualMachine:${atB}:${b.vc.instanceUuid}`);
    expect((await b.call(b.admin, 'PUT', `/vms/${urnAtB}/protection`, { policyId: policy.json<{ id: string }>().id })).status).toBe(201);
    const protectedBackup = await b.call(b.admin, 'POST', `/vms/${urnAtB}/backup`);
    expect(protectedBackup.status).withContext(protectedBackup.text).toBe(202);
    const backedUp = await waitJob(b, protectedBackup.json<{ job: JobBody }>().job.id);
    expect(backedUp.state).withContext(JSON.stringify(backedUp.error)).toBe('succeeded');
    let reverse: JobBody | undefined;
    for (let i = 0; i < 600 && !reverse; i++) {
      reverse = (await b.call(b.admin, 'GET', '/jobs?kind=reverse-replication')).json<{ items: JobBody[] }>().items.find((j) => ['succeeded', 'failed'].includes(j.state));
      if (!reverse) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reverse?.state).withContext(JSON.stringify(reverse)).toBe('succeeded');
    const chunkSize = a.backup.repository.config.chunkSize;
    const chunksOf = (off: number, len: number) => Math.floor((off + len - 1) / chunkSize) - Math.floor(off / chunkSize) + 1;
    expect(reverse!.result!['chunksSent']).toBe(chunksOf(offset, written.length));
    // The point is A's, a point of the original VM, not one of B's own.
    const reversePoint = reverse!.result!['pointId'] as string;
    expect((await a.call(a.admin, 'GET', `/vms/${vm0}/points`)).json<{ items: { id: string }[] }>().items.map((p) => p.id)).toContain(reversePoint);
    expect((await b.call(b.admin, 'GET', `/vms/${urnAtB}/points`)).json<{ items: unknown[] }>().items).toEqual([]);

    // --- A failback whose job is cancelled while it waits in B's queue (B runs one job at a time,
    // and a backup of the VM holds the slot, vCenter holding its QueryChangedDiskAreas) never ran:
    // it is marked failed, not started, B's VM runs on, and the VM may be failed back again. ---
    await b.vc.injectDelay('QueryChangedDiskAreas', 8_000, 1);
    const holding = await b.call(b.admin, 'POST', `/vms/${urnAtB}/backup`);
    expect(holding.status).withContext(holding.text).toBe(202);
    const queued = await failback({ target: 'original', shutdownTimeoutSeconds: 30 });
    expect(queued.status).withContext(queued.text).toBe(202);
    const queuedJob = queued.json<{ job: JobBody }>().job;
    expect(queuedJob.state).toBe('queued');
    // A queued job is cancelled at once (200, not 202).
    const cancelQueued = await b.call(b.admin, 'POST', `/jobs/${queuedJob.id}/cancel`);
    expect(cancelQueued.status).toBe(200);
    expect(cancelQueued.json<JobBody>().state).toBe('cancelled');
    const notStarted = (await b.call(b.admin, 'GET', `/failovers/${rec.id}`)).json<FailoverWithFailback>().failback!;
    expect(notStarted.state).toBe('failed');
    expect(notStarted.failures.join(' ')).toContain('not started');
    expect((await vmAt(b, atB)).powerState).toBe('poweredOn');
    expect((await waitJob(b, holding.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');

    // More writes at B after that backup: only those go back with the failback.
    const offset2 = 5 * MiB + 512;
    const written2 = randomBytes(64 * 1024);
    await b.vc.writeDisk(atB, bDisk.key, offset2, written2);
    const shaAtB = await sha256File(await diskFile(b, atB));
    expect(shaAtB).not.toBe(await sha256File(await diskFile(a, a.moref(0))));

    // --- The failback onto the original VM: B's guest runs VMware Tools, so it is shut down through them.
    // A's ReconfigVM_Task is held, and B's job is cancelled while A recovers the point: a cancel
    // cannot stop A's job, so the failback follows it to its end. ---
    await b.vc.setGuestTools(atB, { running: true });
    await a.vc.injectDelay('ReconfigVM_Task', 8_000, 1);
    const started = await failback({ target: 'original', shutdownTimeoutSeconds: 30 });
    expect(started.status).withContext(started.text).toBe(202);
    const jobId = started.json<{ job: JobBody }>().job.id;
    let sourceJobId: string | null = null;
    for (let i = 0; i < 1200 && sourceJobId === null; i++) {
      sourceJobId = (await b.call(b.admin, 'GET', `/failovers/${rec.id}`)).json<FailoverWithFailback>().failback!.sourceJobId;
      if (sourceJobId === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(sourceJobId).withContext('A was asked to recover the point').not.toBeNull();
    expect((await b.call(b.admin, 'POST', `/jobs/${jobId}/cancel`)).status).toBe(202);
    expect((await a.call(a.admin, 'GET', `/jobs/${sourceJobId!}`)).json<JobBody>().state).withContext('A\'s job ran when B\'s was cancelled').toBe('running');
    const job = await waitJob(b, jobId);
    expect(job.kind).toBe('failback');
    expect(job.state).withContext(JSON.stringify(job.error)).toBe('succeeded');
    const jobLog = (await b.call(b.admin, 'GET', `/jobs/${jobId}`)).json<{ log: { tail: { message: string }[] } }>().log.tail.map((l) => l.message).join('\n');
    expect(jobLog).toContain('the cancel takes no effect');
    const back = (await b.call(b.admin, 'GET', `/failovers/${rec.id}`)).json<FailoverWithFailback>();
    const fb = back.failback!;
    expect(fb.state).toBe('done');
    expect(fb.shutdown).toBe('guest');
    // Only the chunks the writes at B since its last backup fell in crossed the wire: the rest A had.
    const touched = chunksOf(offset2, written2.length);
    expect(fb.chunksSent).toBe(touched);
    expect(fb.chunks!).toBeGreaterThan(touched);
    expect(fb.bytesSent!).toBeGreaterThan(0);
    expect(fb.bytesSent!).toBeLessThanOrEqual(touched * (chunkSize + 4096));
    // The original VM: the same moref, its disk B's byte for byte, powered on; B's copy stays off.
    expect(fb.sourceVm?.moref).toBe(a.moref(0));
    const original = await vmAt(a, a.moref(0));
    expect(original.powerState).toBe('poweredOn');
    expect(await sha256File(await diskFile(a, a.moref(0)))).toBe(shaAtB);
    expect((await vmAt(b, atB)).powerState).toBe('poweredOff');
    // The point is A's own now, a point of the original VM.
    const points = (await a.call(a.admin, 'GET', `/vms/${vm0}/points`)).json<{ items: { id: string }[] }>().items;
    expect(points.map((p) => p.id)).toContain(fb.pointId!);
    // The direction is A -> B again: A's mark is gone and A backs the VM up.
    expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();
    const backup = await a.call(a.admin, 'POST', `/vms/${vm0}/backup`);
    expect(backup.status).withContext(backup.text).toBe(202);
    await waitJob(a, backup.json<{ job: JobBody }>().job.id);
    // A audited B's requests.
    const audit = (await a.call(a.admin, 'GET', '/audit?action=dr.failback-accept')).json<{ items: { outcome: string; object: string | null }[] }>().items;
    expect(audit.filter((x) => x.outcome === 'success').map((x) => x.object)).toContain(`vm:${vmId}`);
    // A failed-back failover is not failed back twice.
    expect((await failback({})).status).toBe(404);

    // --- Once more, from the command line: fail over, then `lifeline plan failback`. ---
    const again = await failover('failback-vm-2');
    // A VM running at A is not overwritten: the failback is refused and nothing changes.
    const aVc = await a.backup.vcenter(a.vc.instanceUuid, never);
    await aVc.powerOn(a.moref(0));
    const running = await failback({});
    expect(running.status).withContext(running.text).toBe(409);
    expect(running.json<{ code: string }>().code).toBe('dr-failback-refused');
    expect(running.text).toContain('is poweredOn at this site');
    expect((await vmAt(b, again.vm!.moref)).powerState).toBe('poweredOn');
    await aVc.powerOff(a.moref(0));
    const plan = await b.call(b.admin, 'POST', '/recovery-plans', { name: 'Failback plan', siteId: sourceId, groups: [{ vms: [vmId] }] });
    expect(plan.status).withContext(plan.text).toBe(201);
    const admin = ['--server', b.server.url, '--server-thumbprint', b.server.thumbprint, '--vcenter', b.vc.url, '--vcenter-thumbprint', b.vc.thumbprint, '--user', b.vc.username];
    const unconfirmed = await lifeline(['plan', 'failback', 'Failback plan', ...admin], b.vc.password);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');
    expect((await vmAt(b, again.vm!.moref)).powerState).toBe('poweredOn');
    // A plan's failback waits for a reverse replication of each of its VMs: B protects this one and backs it up first;
    // its guest runs VMware Tools, so its last point is application-consistent, as the policy asks.
    await b.vc.setGuestTools(again.vm!.moref, { running: true });
    const urnAgain = encodeURIComponent(`urn:vmomi:VirtualMachine:${again.vm!.moref}:${b.vc.instanceUuid}`);
    expect((await b.call(b.admin, 'PUT', `/vms/${urnAgain}/protection`, { policyId: policy.json<{ id: string }>().id })).status).toBe(201);
    const againBackup = await b.call(b.admin, 'POST', `/vms/${urnAgain}/backup`);
    expect((await waitJob(b, againBackup.json<{ job: JobBody }>().job.id)).state).toBe('succeeded');
    let reverseAgain: JobBody | undefined;
    for (let i = 0; i < 600 && !reverseAgain; i++) {
      reverseAgain = (await b.call(b.admin, 'GET', '/jobs?kind=reverse-replication')).json<{ items: JobBody[] }>().items.find((j) => j.result?.['failoverId'] === again.id);
      if (!reverseAgain) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reverseAgain?.state).toBe('succeeded');
    const cli = await lifeline(['plan', 'failback', 'Failback plan', '--yes', '--shutdown-timeout', '30', ...admin], b.vc.password);
    expect(cli.code).withContext(cli.stderr + cli.stdout).toBe(0);
    // Nothing was written at B since the failover: A lacked no chunk.
    expect(cli.stdout).toMatch(new RegExp(`failback-vm-2\\s+succeeded\\s+point \\S+\\s+0 of \\d+ chunks sent \\(0 bytes\\)\\s+now ${a.moref(0)} at the source site`));
    expect((await vmAt(b, again.vm!.moref)).powerState).toBe('poweredOff');
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOn');

    // --- A third failover, failed back as a new VM at A: B's disk byte for byte, the original left as it is. ---
    const third = await failover('failback-vm-3');
    const atB3 = third.vm!.moref;
    const shaAtB3 = await sha256File(await diskFile(b, atB3));
    const asNew = await failback({ target: 'new', name: 'returned-vm', shutdownTimeoutSeconds: 30 });
    expect(asNew.status).withContext(asNew.text).toBe(202);
    const newJob = await waitJob(b, asNew.json<{ job: JobBody }>().job.id);
    expect(newJob.state).withContext(JSON.stringify(newJob.error)).toBe('succeeded');
    const made = (await b.call(b.admin, 'GET', `/failovers/${third.id}`)).json<FailoverWithFailback>().failback!;
    expect(made.target).toBe('new');
    expect(made.sourceVm!.name).toBe('returned-vm');
    expect(made.sourceVm!.moref).not.toBe(a.moref(0));
    expect((await vmAt(a, made.sourceVm!.moref)).powerState).toBe('poweredOn');
    expect(await sha256File(await diskFile(a, made.sourceVm!.moref))).toBe(shaAtB3);
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOff');
    expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).toBeNull();

    // --- A fourth failover; with A's server stopped the failback is refused and nothing changes. ---
    const fourth = await failover('failback-vm-4');
    const atB4 = fourth.vm!.moref;
    const shaAtB4 = await sha256File(await diskFile(b, atB4));
    await a.server.stop();
    const refused = await failback({ shutdownTimeoutSeconds: 30 });
    expect(refused.status).withContext(refused.text).toBe(503);
    expect(refused.json<{ code: string }>().code).toBe('dr-source-unreachable');
    expect(refused.text).toContain('Nothing was changed');
    expect((await vmAt(b, atB4)).powerState).toBe('poweredOn');
    expect((await b.call(b.admin, 'GET', `/failovers/${fourth.id}`)).json<FailoverWithFailback>().failback ?? null).toBeNull();
    // Three failback jobs of one VM each (one cancelled in the queue); the plan's failback was a job of its own.
    expect((await b.call(b.admin, 'GET', '/jobs?kind=failback')).json<{ items: JobBody[] }>().items.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'cancelled']);
    expect((await b.call(b.admin, 'GET', '/jobs?kind=recovery-plan-failback')).json<{ items: JobBody[] }>().items.map((j) => j.state)).toEqual(['succeeded']);
    expect(await sha256File(await diskFile(b, atB4))).toBe(shaAtB4);
  }, 600_000);
});
