// A failback the source site refuses once it is asked to recover the point, between two real
// Lifeline servers and two simulated vCenters. A's job queue is full (lifeline.json `jobLimits`: one
// job at a time, one waiting at most; a backup of another VM of A holds the slot, A's vCenter
// holding its CreateSnapshot_Task, and a second one waits): B shuts its copy of the VM down, backs
// it up and sends the point back, and A then answers 503 queue-full to the request to recover it.
// A queued nothing, so B powers its copy on again and says so, rather than leaving the VM off at
// both sites as when an answer is lost. With room in A's queue again, the same failback succeeds.
// A failback during which A's VM is powered on (after A took the check) is refused by A with
// nothing changed there, and B powers its copy on again. A failback cancelled while B's guest
// shuts down waits for it to be down and powers it on again.
// A's planned-migration and failback-recovery jobs wait for the jobs they queue (backup and
// replication; revert and its commit) and take no slot: with one slot, before, the planned
// migration took it and waited for ever for its backup.
import { sha256File } from '../store/store-fixtures.js';
import type { TwoSites } from '../sites/two-site-fixture.js';
import { diskFile, startFailbackSites, vmAt, waitJob, type Failover, type JobBody } from './dr-spec-kit.js';

const SLOW = 300_000;
const never = new AbortController().signal;

describe('a failback the source site refuses to recover', () => {
  let sites: TwoSites;
  let sourceId: string;
  let vmId: string;

  beforeAll(async () => {
    // A's vCenter holds three VMs; the first is replicated to B, the other two are A's own.
    const started = await startFailbackSites({
      vms: 1,
      aVms: 3,
      fillMiB: 1,
      seed: 61,
      files: { 'site-a': { jobLimits: { global: 1, queued: 1 }, maintenance: { enabled: false } } },
    });
    ({ sites, sourceId } = started);
    vmId = started.vmIds[0]!;
  }, SLOW);

  afterAll(async () => {
    await sites?.stop();
  }, SLOW);

  it('powers the VM on again at the DR site when the source site answers that it queued nothing, fails back once the source site has room, and never replaces the disks of a VM powered on at the source site meanwhile', async () => {
    const { a, b } = sites;
    const vm0 = encodeURIComponent(a.urn(0));
    const failback = () => b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failback`, { target: 'original', shutdownTimeoutSeconds: 30 });

    // A planned migration to B: A's VM is off and marked failed over, B's copy runs.
    const planned = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, { mode: 'planned', name: 'refused-vm', toolsTimeoutSeconds: 0, shutdownTimeoutSeconds: 30 });
    expect(planned.status).withContext(planned.text).toBe(202);
    const accepted = planned.json<{ job: JobBody; failover: Failover }>();
    expect((await waitJob(b, accepted.job.id, 240)).state).toBe('succeeded');
    const atB = (await b.call(b.admin, 'GET', `/failovers/${accepted.failover.id}`)).json<Failover>().vm!.moref;
    expect((await vmAt(b, atB)).powerState).toBe('poweredOn');
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOff');

    // A's queue fills: a backup of A's second VM holds the one slot, one of its third waits.
    const local = await a.call(a.admin, 'POST', '/policies', { name: 'Local only', rpoSeconds: 3600, retention: { keepLast: 2 } });
    expect(local.status).withContext(local.text).toBe(201);
    // Held long enough for B's whole failback up to its request, with room to spare on a busy machine.
    await a.vc.injectDelay('CreateSnapshot_Task', 40_000, 1);
    const holding: string[] = [];
    for (const i of [1, 2]) {
      const vm = encodeURIComponent(a.urn(i));
      expect((await a.call(a.admin, 'PUT', `/vms/${vm}/protection`, { policyId: local.json<{ id: string }>().id })).status).toBe(201);
      const backup = await a.call(a.admin, 'POST', `/vms/${vm}/backup`);
      expect(backup.status).withContext(backup.text).toBe(202);
      holding.push(backup.json<{ job: JobBody }>().job.id);
    }
    expect((await a.call(a.admin, 'GET', `/jobs/${holding[1]!}`)).json<JobBody>().state).toBe('queued');

    // The failback: A takes the check (no job), B shuts its copy down, backs it up and sends the
    // point back; A refuses the job that would recover it.
    const refused = await failback();
    expect(refused.status).withContext(refused.text).toBe(202);
    const job = await waitJob(b, refused.json<{ job: JobBody }>().job.id, 240);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('dr-failback-refused');
    expect(job.error?.message).toContain('queue is full');
    expect(job.error?.message).toContain('started nothing');
    expect(job.error?.message).toContain('refused-vm was powered on again at this site');
    // A queued nothing: B's copy runs again, A's VM is as it was, off and marked failed over.
    expect((await vmAt(b, atB)).powerState).toBe('poweredOn');
    const record = (await b.call(b.admin, 'GET', `/failovers/${accepted.failover.id}`)).json<Failover & { failback: { state: string; failures: string[] } | null }>();
    expect(record.state).toBe('up');
    expect(record.failback?.state).toBe('failed');
    expect(record.failback?.failures.join(' ')).toContain('powered on again');
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOff');
    expect((await a.call(a.admin, 'GET', `/vms/${vm0}/failed-over`)).json<{ failedOver: unknown }>().failedOver).not.toBeNull();
    expect((await a.call(a.admin, 'GET', '/jobs?kind=failback-recovery')).json<{ items: JobBody[] }>().items).toEqual([]);
    // A audited the refusal.
    const audit = (await a.call(a.admin, 'GET', '/audit?action=dr.failback-accept')).json<{ items: { outcome: string; status: number; errorCode: string | null }[] }>().items;
    expect(audit.filter((x) => x.outcome === 'failure').map((x) => [x.status, x.errorCode])).toEqual([[503, 'queue-full']]);

    // With room in A's queue again, the same failback goes through.
    for (const id of holding) expect((await waitJob(a, id)).state).toBe('succeeded');
    const again = await failback();
    expect(again.status).withContext(again.text).toBe(202);
    const done = await waitJob(b, again.json<{ job: JobBody }>().job.id, 240);
    expect(done.state).withContext(JSON.stringify(done.error)).toBe('succeeded');
    expect((await vmAt(b, atB)).powerState).toBe('poweredOff');
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOn');

    // Once more to B, then a failback during which A's VM is powered on: after A took the check,
    // while B backs its copy up (B's CreateSnapshot_Task held 4 s). A does not replace the disks of
    // a VM that runs: it changes nothing, and B powers its copy on again.
    const second = await b.call(b.admin, 'POST', `/sites/${sourceId}/replicated-vms/${encodeURIComponent(vmId)}/failover`, { mode: 'planned', name: 'refused-vm-2', toolsTimeoutSeconds: 0, shutdownTimeoutSeconds: 30 });
    expect(second.status).withContext(second.text).toBe(202);
    const secondAccepted = second.json<{ job: JobBody; failover: Failover }>();
    expect((await waitJob(b, secondAccepted.job.id, 240)).state).toBe('succeeded');
    const atB2 = (await b.call(b.admin, 'GET', `/failovers/${secondAccepted.failover.id}`)).json<Failover>().vm!.moref;
    const shaAtA = await sha256File(await diskFile(a, a.moref(0)));
    await b.vc.injectDelay('CreateSnapshot_Task', 4000, 1);
    const racing = await failback();
    expect(racing.status).withContext(racing.text).toBe(202);
    for (let i = 0; (await vmAt(b, atB2)).powerState !== 'poweredOff'; i++) {
      if (i > 600) throw new Error('B never shut its copy down');
      await new Promise((r) => setTimeout(r, 100));
    }
    await (await a.backup.vcenter(a.vc.instanceUuid, never)).powerOn(a.moref(0));
    const racingJob = await waitJob(b, racing.json<{ job: JobBody }>().job.id, 240);
    expect(racingJob.state).toBe('failed');
    expect(racingJob.error?.message).toContain('was powered on at this site after the failback was asked');
    expect(racingJob.error?.message).toContain('refused-vm-2 was powered on again at this site');
    expect((await vmAt(b, atB2)).powerState).toBe('poweredOn');
    expect((await vmAt(a, a.moref(0))).powerState).toBe('poweredOn');
    expect(await sha256File(await diskFile(a, a.moref(0)))).toBe(shaAtA);

    // A failback cancelled while B's guest is shutting down (its ShutdownGuest answered 3 s late,
    // the guest going down then): B waits for the guest to be down and powers it on again, rather
    // than leaving it to go off after the roll-back, off at both sites had A's VM been off.
    await (await a.backup.vcenter(a.vc.instanceUuid, never)).powerOff(a.moref(0));
    await b.vc.setGuestTools(atB2, { running: true });
    await b.vc.injectDelay('ShutdownGuest', 3000, 1);
    const cut = await failback();
    expect(cut.status).withContext(cut.text).toBe(202);
    const cutJob = cut.json<{ job: JobBody }>().job;
    for (let i = 0; (await b.call(b.admin, 'GET', `/jobs/${cutJob.id}`)).json<JobBody>().phase !== 'shutdown'; i++) {
      if (i > 600) throw new Error('the failback never reached its shutdown');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await b.call(b.admin, 'POST', `/jobs/${cutJob.id}/cancel`)).status).toBe(202);
    const cutDone = await waitJob(b, cutJob.id, 120);
    expect(cutDone.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await vmAt(b, atB2)).powerState).toBe('poweredOn');
    const cutRecord = (await b.call(b.admin, 'GET', `/failovers/${secondAccepted.failover.id}`)).json<Failover & { failback: { state: string; failures: string[] } | null }>();
    expect(cutRecord.failback?.failures.join(' ')).toContain('was powered on again at this site');
  }, 600_000);
});
