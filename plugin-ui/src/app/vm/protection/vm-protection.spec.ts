import type { HttpTestingController, TestRequest } from '@angular/common/http/testing';

import type { VmCapabilities } from '../../api/capabilities';
import { capabilitiesUrl, flushCapabilities } from '../../api/capabilities-testing';
import type { FakeFetch } from '../../api/fake-fetch';
import { SESSION_HEADER } from '../../api/lifeline-api';
import { FAKE_VC_GUID, FAKE_VM_ID, FakeHtmlClientSdk } from '../../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, jobBody, pageBody, policyBody, protectionBody, sseEvent, unprotectedBody } from '../../testing/server-bodies';
import { vmReplicationBody } from '../../testing/site-bodies';
import { vmEventsBody } from '../../testing/notification-bodies';
import { VmProtection } from './vm-protection';

const VM_PATH = `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}`;
const POLICIES = `${API_BASE}/api/v1/policies?limit=1000`;

describe('VmProtection', () => {
  let sdk: FakeHtmlClientSdk;
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    ({ sdk, http, fetch } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  /** Opens the tab and answers its two reads. */
  async function open(
    protection: Record<string, unknown>,
    policies = [policyBody(), policyBody({ id: 'pol-bronze', name: 'Bronze', consistency: 'crash', vmCount: 0 })],
    capabilities: Partial<VmCapabilities> = {},
  ): Promise<RenderedView<VmProtection>> {
    const view = await renderView(VmProtection);
    flushCapabilities(http, API_BASE, FAKE_VM_ID, capabilities);
    http.expectOne(`${VM_PATH}/protection`).flush(protection);
    http.expectOne(POLICIES).flush(pageBody(policies));
    await view.stable();
    return view;
  }

  it('reads the protection of the VM it was opened for, with the session token', async () => {
    const view = await renderView(VmProtection);
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    expect(view.text('.ll-protection-loading')).toContain('Reading the protection of this VM');
    const request = http.expectOne(`${VM_PATH}/protection`);
    expect(request.request.method).toBe('GET');
    expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    request.flush(protectionBody());
    http.expectOne(POLICIES).flush(pageBody([policyBody()]));
    await view.stable();
    // The vSphere Client names the VM above the view; the view never shows its moref or vCenter GUID.
    expect(view.element.textContent).not.toContain('vm-58');
    expect(view.element.textContent).not.toContain(FAKE_VC_GUID);
    expect(view.element.querySelector('.ll-protection-loading')).toBeNull();
  });

  it('shows policy, RPO, consistency, last and next backup and RPO compliance', async () => {
    const view = await open(protectionBody());
    expect(view.text('.ll-protection-policy')).toBe('Gold');
    expect(view.text('.ll-protection-rpo')).toBe('15 min');
    expect(view.text('.ll-protection-consistency')).toBe('Application-consistent');
    expect(view.text('.ll-protection-last')).toContain('2026');
    expect(view.text('.ll-protection-next')).toContain('2026');
    expect(view.text('.ll-rpo-badge')).toBe('At risk');
    expect(view.element.querySelector('.ll-rpo-badge')?.classList).toContain('label-warning');
    expect(view.text('.ll-rpo-ages')).toBe('Last restore point is 13 min old; RPO 15 min.');
  });

  it('says when the RPO is violated and by how much, and when no backup exists yet', async () => {
    const view = await open(
      protectionBody({ lastGoodPointAt: null, rpo: { status: 'violated', ageSeconds: null, rpoSeconds: 3600, exceededBySeconds: 7500 } }),
    );
    expect(view.text('.ll-protection-last')).toBe('No backup yet');
    expect(view.text('.ll-rpo-badge')).toBe('Violated');
    expect(view.text('.ll-rpo-ages')).toBe('No restore point yet; RPO 1 h. Exceeded by 2 h 5 min.');
  });

  it('shows a paused schedule with its reason instead of the next due time', async () => {
    const view = await open(protectionBody({ paused: true, pauseReason: 'temporary revert in progress', nextBackupDueAt: null }));
    expect(view.text('.ll-protection-next')).toBe('Paused temporary revert in progress');
  });

  it('assigns the chosen policy to an unprotected VM', async () => {
    const view = await open(unprotectedBody());
    expect(view.text('.ll-protection-none')).toBe('Lifeline is not yet protecting this VM.');
    expect(view.text('.ll-assign')).toBe('Protect');
    expect((view.element.querySelector('.ll-assign') as HTMLButtonElement).disabled).toBeTrue();
    expect((view.element.querySelector('.ll-backup-now') as HTMLButtonElement).disabled).toBeTrue();

    const select = view.element.querySelector('#ll-policy-select') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent?.trim())).toEqual(['Choose a policy', 'Gold', 'Bronze']);
    select.value = 'pol-bronze';
    select.dispatchEvent(new Event('change'));
    await view.stable();
    await view.click('.ll-assign');

    const put = http.expectOne(`${VM_PATH}/protection`);
    expect(put.request.method).toBe('PUT');
    expect(put.request.body).toEqual({ policyId: 'pol-bronze' });
    put.flush(protectionBody({ policy: { id: 'pol-bronze', name: 'Bronze', rpoSeconds: 3600 }, lastGoodPointAt: null, rpo: null }), {
      status: 201,
      statusText: 'Created',
    });
    await view.stable();
    // The VM counts of the policies changed.
    http.expectOne(POLICIES).flush(pageBody([policyBody({ vmCount: 3 }), policyBody({ id: 'pol-bronze', name: 'Bronze', consistency: 'crash', vmCount: 1 })]));
    await view.stable();
    expect(view.text('.ll-protection-policy')).toBe('Bronze');
    expect(view.text('.ll-protection-consistency')).toBe('Crash-consistent');
    expect(view.text('.ll-assign')).toBe('Change policy');
    expect(view.element.querySelector('.ll-protection-none')).toBeNull();
  });

  it('removes protection only after the user confirms', async () => {
    const view = await open(protectionBody());
    await view.click('.ll-remove');
    expect(view.text('.modal-body')).toContain('Lifeline stops backing up this VM under policy Gold.');
    http.expectNone(`${VM_PATH}/protection`);

    await view.click('.ll-remove-confirm');
    const remove = http.expectOne({ method: 'DELETE', url: `${VM_PATH}/protection` });
    remove.flush(null, { status: 204, statusText: 'No Content' });
    await view.stable();
    http.expectOne(`${VM_PATH}/protection`).flush(unprotectedBody());
    await view.stable();
    http.expectOne(POLICIES).flush(pageBody([policyBody({ vmCount: 2 })]));
    await view.stable();
    expect(view.text('.ll-protection-none')).toBe('Lifeline is not yet protecting this VM.');
    expect(view.element.querySelector('.ll-remove')).toBeNull();
  });

  it('backs up now and shows the live progress from the job event stream', async () => {
    const view = await open(protectionBody());
    await view.click('.ll-backup-now');
    const post = http.expectOne({ method: 'POST', url: `${VM_PATH}/backup` });
    post.flush({ job: jobBody({ state: 'queued', startedAt: null, phase: null }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-job-kind')).toBe('Backup');
    expect(view.text('.ll-job-state')).toBe('Queued');
    expect((view.element.querySelector('.ll-backup-now') as HTMLButtonElement).disabled).toBeTrue();

    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    expect(stream.headers[SESSION_HEADER]).toBe('fake-session-token');
    stream.stream.write('retry: 3000\n\n');
    stream.stream.write(sseEvent('snapshot', { seq: 10, jobId: JOB_ID, job: jobBody() }));
    stream.stream.write(
      sseEvent('progress', { seq: 11, jobId: JOB_ID, progress: { bytesDone: 3 << 20, bytesTotal: 4 << 20, rateBytesPerSecond: 1 << 20, etaSeconds: 75 } }),
    );
    await view.stable();
    expect(view.text('.ll-job-state')).toBe('Running');
    expect(view.element.querySelector('.ll-job-progress')?.getAttribute('data-percent')).toBe('75');
    expect(view.text('.ll-job-progress-text')).toBe('read 75% 1 min left');

    stream.stream.write(sseEvent('state', { seq: 12, jobId: JOB_ID, job: jobBody({ state: 'succeeded', finishedAt: '2026-11-23T10:02:00.000Z' }) }));
    stream.stream.end();
    await view.stable();
    expect(view.text('.ll-job-state')).toBe('Succeeded');
    expect(view.element.querySelector('.ll-job-progress')).toBeNull();
    // The backup moved the last good point: the tab reads its protection again.
    http.expectOne(`${VM_PATH}/protection`).flush(protectionBody({ lastGoodPointAt: '2026-11-23T10:02:00.000Z', rpo: { status: 'compliant', ageSeconds: 5, rpoSeconds: 900, exceededBySeconds: 0 } }));
    await view.stable();
    expect(view.text('.ll-rpo-badge')).toBe('Compliant');
    expect(fetch.calls.length).toBe(1);
  });

  it('follows a backup already running when the tab opens', async () => {
    const view = await open(protectionBody({ activeJob: { id: JOB_ID, kind: 'backup', state: 'running' } }));
    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(sseEvent('snapshot', { seq: 3, jobId: JOB_ID, job: jobBody({ progress: { bytesDone: 1, bytesTotal: 4, rateBytesPerSecond: null, etaSeconds: null } }) }));
    await view.stable();
    expect(view.element.querySelector('.ll-job-progress')?.getAttribute('data-percent')).toBe('25');
    expect((view.element.querySelector('.ll-backup-now') as HTMLButtonElement).disabled).toBeTrue();
    view.fixture.destroy();
  });

  it('offers no backup when the server cannot run backups', async () => {
    const view = await open(protectionBody({ backupAvailable: false }));
    expect((view.element.querySelector('.ll-backup-now') as HTMLButtonElement).disabled).toBeTrue();
    expect(view.text('.ll-backup-unavailable')).toContain('cannot run backups');
  });

  it('shows the problem the server reports for a refused action, with its detail', async () => {
    const view = await open(protectionBody());
    await view.click('.ll-backup-now');
    flushProblem(http.expectOne(`${VM_PATH}/backup`), {
      status: 409,
      title: 'Conflict',
      detail: 'VirtualMachine vm-58 is busy with restore job job-1 (running)',
      code: 'busy',
    });
    await view.stable();
    expect(view.text('.ll-problem-title')).toBe('Conflict');
    expect(view.text('.ll-problem-detail')).toBe('VirtualMachine vm-58 is busy with restore job job-1 (running)');
    expect((view.element.querySelector('.ll-backup-now') as HTMLButtonElement).disabled).toBeFalse();
  });

  it('offers assign, remove and back up now only to a user who may protect', async () => {
    const without = await open(protectionBody(), undefined, { protect: false });
    expect(without.text('.ll-protection-policy')).toBe('Gold');
    for (const action of ['.ll-assign', '.ll-remove', '.ll-backup-now', '#ll-policy-select']) {
      expect(without.element.querySelector(action)).withContext(action).toBeNull();
    }
    without.fixture.destroy();

    const withProtect = await open(protectionBody(), undefined, { protect: true, restore: false, admin: false });
    for (const action of ['.ll-assign', '.ll-remove', '.ll-backup-now', '#ll-policy-select']) {
      expect(withProtect.element.querySelector(action)).withContext(action).not.toBeNull();
    }
  });

  it('shows why the protection could not be read', async () => {
    const view = await renderView(VmProtection);
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    flushProblem(http.expectOne(`${VM_PATH}/protection`), {
      status: 403,
      title: 'Forbidden',
      detail: 'You lack the privilege System.Read on VirtualMachine vm-58.',
      code: 'forbidden',
    });
    http.expectOne(POLICIES).flush(pageBody([]));
    await view.stable();
    expect(view.text('.ll-problem-title')).toBe('Forbidden');
    expect(view.text('.ll-problem-detail')).toBe('You lack the privilege System.Read on VirtualMachine vm-58.');
    expect(view.element.querySelector('.ll-protection-loading')).toBeNull();
    expect(view.element.querySelector('.ll-assign')).toBeNull();
  });

  it('cancels its requests when it goes away', async () => {
    const view = await renderView(VmProtection);
    const capabilities = http.expectOne(capabilitiesUrl(API_BASE, FAKE_VM_ID));
    const protection = http.expectOne(`${VM_PATH}/protection`);
    const policies = http.expectOne(POLICIES);
    view.fixture.destroy();
    expect(capabilities.cancelled).toBeTrue();
    expect(protection.cancelled).toBeTrue();
    expect(policies.cancelled).toBeTrue();
  });

  it('asks nothing and shows nothing about a VM when no VM is in context', async () => {
    sdk.contextObjects = [];
    const view = await renderView(VmProtection);
    expect(view.text('.ll-vm-missing')).toContain('Open this view from a virtual machine');
    http.expectNone(() => true);
  });

  describe('with a policy that replicates to a DR site', () => {
    const replicating = [policyBody({ replicationSite: 'dr-frankfurt' })];

    async function openReplicated(replication: Record<string, unknown> | ((r: TestRequest) => void)): Promise<RenderedView<VmProtection>> {
      const view = await open(protectionBody(), replicating);
      const request = http.expectOne({ method: 'GET', url: `${VM_PATH}/replication` });
      expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
      if (typeof replication === 'function') {
        replication(request);
      } else {
        request.flush(replication);
      }
      await view.stable();
      return view;
    }

    it('shows the DR site, the last replicated point and time, the lag and that the RPO is met there', async () => {
      const view = await openReplicated(vmReplicationBody());
      expect(view.text('.ll-replication-title')).toBe('Copy at the DR site');
      expect(view.text('.ll-replication-site')).toBe('dr-frankfurt');
      expect(view.text('.ll-replication-state')).toBe('Up to date');
      expect(view.element.querySelector('.ll-replication-state .label')?.classList).toContain('label-success');
      expect(view.text('.ll-replication-last')).toMatch(/2026.* 20261123-100000-1a2b3c4d$/);
      expect(view.text('.ll-replication-lag')).toBe('3 min');
      expect(view.text('.ll-replication-rpo')).toBe('Met RPO 15 min');
      expect(view.element.querySelector('.ll-replication-backlog')).toBeNull();
      expect(view.element.querySelector('.ll-replication-error')).toBeNull();
    });

    it('shows a failing replication with the RPO not met at the DR site, the backlog and the last error', async () => {
      const view = await openReplicated(
        vmReplicationBody({ state: 'failing', lagSeconds: 7500, rpoMet: false, backlogPoints: 3, lastError: 'The DR site dr-frankfurt could not be reached: connect ETIMEDOUT.' }),
      );
      expect(view.text('.ll-replication-state')).toBe('Failing');
      expect(view.element.querySelector('.ll-replication-state .label')?.classList).toContain('label-danger');
      expect(view.text('.ll-replication-lag')).toBe('2 h 5 min');
      expect(view.text('.ll-replication-rpo')).toBe('Not met RPO 15 min');
      expect(view.element.querySelector('.ll-replication-rpo .label')?.classList).toContain('label-danger');
      expect(view.text('.ll-replication-backlog')).toBe('3');
      expect(view.text('.ll-replication-error')).toBe('The DR site dr-frankfurt could not be reached: connect ETIMEDOUT.');
    });

    it('says when nothing is replicated yet, and when the policy names a site this server is not paired with', async () => {
      const fresh = await openReplicated(vmReplicationBody({ state: 'lagging', lastReplicatedPointId: null, lastReplicatedAt: null, lagSeconds: null, rpoMet: null, backlogPoints: 1 }));
      expect(fresh.text('.ll-replication-state')).toBe('Lagging');
      expect(fresh.text('.ll-replication-last')).toBe('None yet');
      expect(fresh.element.querySelector('.ll-replication-lag')).toBeNull();
      expect(fresh.text('.ll-replication-rpo')).toBe('Not known until a restore point is replicated RPO 15 min');
      fresh.fixture.destroy();

      const unpaired = await openReplicated(
        vmReplicationBody({ site: null, state: 'site-not-paired', lastReplicatedPointId: null, lastReplicatedAt: null, lagSeconds: null, rpoMet: false, lastError: 'The policy names replication site dr-old, which is not paired with this site.' }),
      );
      expect(unpaired.text('.ll-replication-site')).toBe('None');
      expect(unpaired.text('.ll-replication-state')).toBe('DR site not paired');
      expect(unpaired.text('.ll-replication-error')).toBe('The policy names replication site dr-old, which is not paired with this site.');
    });

    it('warns when the replication state cannot be read, and keeps the rest of the tab', async () => {
      const view = await openReplicated((r) => flushProblem(r, { status: 503, title: 'Service Unavailable', detail: 'Replication is not running on this server.', code: 'backup-unavailable' }));
      expect(view.element.querySelector('.ll-replication .alert')?.classList).toContain('alert-warning');
      expect(view.text('.ll-replication .ll-problem-detail')).toBe('Replication is not running on this server.');
      expect(view.text('.ll-protection-policy')).toBe('Gold');
    });

    it('reports a replication answer it cannot read', async () => {
      const view = await openReplicated(vmReplicationBody({ state: 'great' }));
      expect(view.text('.ll-replication .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
      expect(view.element.querySelector('.ll-replication-facts')).toBeNull();
    });
  });

  it('asks nothing about replication when the VM’s policy names no DR site', async () => {
    const view = await open(protectionBody(), [policyBody({ replicationSite: null })]);
    http.expectNone(`${VM_PATH}/replication`);
    expect(view.element.querySelector('.ll-replication')).toBeNull();
  });

  it('links to the VM’s recent events, read from the server only when opened, newest first', async () => {
    const view = await open(protectionBody());
    expect(view.text('.ll-vm-events-toggle')).toBe('Recent events');
    // Nothing is read until the user asks (afterEach verifies no other request was made).
    http.expectNone(`${VM_PATH}/events?limit=10`);
    await view.click('.ll-vm-events-toggle');
    const read = http.expectOne(`${VM_PATH}/events?limit=10`);
    expect(read.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    read.flush(vmEventsBody());
    await view.stable();
    const rows = view.all('.ll-vm-event').map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent?.trim()));
    expect(rows).toEqual([
      ['Error', 'backup.failed', 'Backup of erp-01 failed: the VM is busy with another task'],
      ['Information', 'backup.succeeded', 'Backup of erp-01 succeeded'],
    ]);
    expect(view.all('.ll-vm-event-severity .label').map((l) => l.className)).toEqual(['label label-danger', 'label label-info']);
    expect(view.text('.ll-vm-event-at')).toMatch(/2026/);
    expect(view.text('.ll-vm-events-toggle')).toBe('Hide recent events');

    // Closed and opened again: read afresh.
    await view.click('.ll-vm-events-toggle');
    expect(view.element.querySelector('.ll-vm-events-table')).toBeNull();
    await view.click('.ll-vm-events-toggle');
    http.expectOne(`${VM_PATH}/events?limit=10`).flush(vmEventsBody([]));
    await view.stable();
    expect(view.text('.ll-vm-events-none')).toBe('Lifeline has told nothing about this VM yet.');
  });

  it('says why the recent events cannot be read, and still shows the protection', async () => {
    const view = await open(unprotectedBody());
    await view.click('.ll-vm-events-toggle');
    flushProblem(http.expectOne(`${VM_PATH}/events?limit=10`), { status: 503, title: 'Service Unavailable', detail: 'Events are not available on this server now.', code: 'shutting-down' });
    await view.stable();
    expect(view.text('.ll-vm-events ll-problem-alert .ll-problem-detail')).toBe('Events are not available on this server now.');
    expect(view.element.querySelector('.ll-vm-events ll-problem-alert .alert')?.classList).toContain('alert-warning');
    expect(view.element.querySelector('.ll-protection-none')).not.toBeNull();
  });
});
