import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch, FakeFetchCall } from '../../api/fake-fetch';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, complianceBody, daysAddedBody, drCopyBody, jobBody, pageBody, sseEvent, storageBody, vmBody } from '../../testing/server-bodies';
import { linkBody, peerBody, sitesBody } from '../../testing/site-bodies';
import { Dashboard } from './dashboard';

const HEALTH = `${API_BASE}/api/v1/health`;
const VMS = `${API_BASE}/api/v1/vms?limit=1000`;
const COMPLIANCE = `${API_BASE}/api/v1/compliance?limit=1000`;
const ACTIVE_JOBS = `${API_BASE}/api/v1/jobs?state=queued,running&limit=100`;
const STORAGE = `${API_BASE}/api/v1/storage`;
const SITES = `${API_BASE}/api/v1/sites`;

/** The storage card's facts for storageBody() with dedup 2.463 and compression 2, after the free space. */
const STORE_FACTS = [
  ['Stored', '60 GiB'],
  ['Logical size', '480 GiB'],
  ['Saved', '240 GiB'],
  ['Deduplication ratio', '2.5×'],
  ['Compression ratio', '2×'],
  ['Restore points', '12'],
  ['VMs backed up', '4'],
];

describe('Dashboard', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http, fetch } = bed);
  });

  afterEach(() => http.verify());

  interface Opened {
    view: RenderedView<Dashboard>;
    events: FakeFetchCall;
  }

  async function open(answers: { compliance?: unknown[]; jobs?: unknown[]; jobsTotal?: number; storage?: Record<string, unknown>; sites?: Record<string, unknown> } = {}): Promise<Opened> {
    const view = await renderView(Dashboard);
    http.expectOne(HEALTH).flush({ status: 'ok', version: '0.1.0', time: '2026-11-23T10:00:00.000Z' });
    http.expectOne(VMS).flush(pageBody([vmBody('vm-1', 'web-01'), vmBody('vm-2', 'db-01'), vmBody('vm-58', 'erp-01')]));
    http.expectOne(COMPLIANCE).flush(pageBody(answers.compliance ?? []));
    const jobs = answers.jobs ?? [];
    http.expectOne(ACTIVE_JOBS).flush(pageBody(jobs, { total: answers.jobsTotal ?? jobs.length }));
    http.expectOne(STORAGE).flush(answers.storage ?? storageBody());
    http.expectOne(SITES).flush(answers.sites ?? sitesBody([]));
    const events = await fetch.call(0);
    await view.stable();
    return { view, events };
  }

  it('counts protected VMs by RPO compliance and names those furthest from their RPO', async () => {
    const { view } = await open({
      compliance: [
        complianceBody('vm-1'),
        complianceBody('vm-2', { status: 'violated', exceededBySeconds: 5400 }),
        complianceBody('vm-58', { status: 'at-risk', paused: true }),
      ],
    });
    expect(view.text('.ll-protected-count')).toBe('3');
    expect(view.text('.ll-count-compliant')).toBe('Compliant 1');
    expect(view.text('.ll-count-at-risk')).toBe('At risk 1');
    expect(view.text('.ll-count-violated')).toBe('Violated 1');
    expect(view.text('.ll-count-paused')).toBe('Paused 1');
    const attention = view.all('.ll-attention-vm').map((li) =>
      [...li.children].map((part) => (part.textContent ?? '').trim()),
    );
    expect(attention).toEqual([
      ['db-01', 'Violated', 'Exceeded by 1 h 30 min.'],
      ['erp-01', 'At risk'],
    ]);
  });

  it('counts the replicated VMs that meet their RPO at the DR site and those that do not, naming the latter worst first', async () => {
    const { view } = await open({
      compliance: [
        complianceBody('vm-1', { replication: drCopyBody({ state: 'lagging', lagSeconds: 3600, rpoMet: false }) }),
        complianceBody('vm-2', { replication: drCopyBody() }),
        complianceBody('vm-58', { replication: drCopyBody({ siteName: 'gone-site', state: 'site-not-paired', lagSeconds: null, rpoMet: false }) }),
        complianceBody('vm-77'),
      ],
    });
    // Local compliance is counted as before, over every protected VM.
    expect(view.text('.ll-protected-count')).toBe('4');
    expect(view.text('.ll-count-compliant')).toBe('Compliant 4');
    expect(view.text('.ll-dr-count-met')).toBe('RPO met 1');
    expect(view.text('.ll-dr-count-not-met')).toBe('RPO not met 2');
    const misses = view.all('.ll-dr-attention-vm').map((li) => [...li.children].map((part) => (part.textContent ?? '').trim()));
    expect(misses).toEqual([
      ['erp-01', 'DR site not paired', 'gone-site'],
      ['web-01', 'Lagging', 'dr-site', 'copy 1 h old, RPO 15 min'],
    ]);
    // Nothing is missed locally, so the local list stays away.
    expect(view.all('.ll-attention-vm')).toEqual([]);
  });

  it('shows no DR counts while no policy names a DR site', async () => {
    const { view } = await open({ compliance: [complianceBody('vm-1'), complianceBody('vm-2', { status: 'violated', exceededBySeconds: 60 })] });
    expect(view.all('.ll-dr-counts')).toEqual([]);
    expect(view.all('.ll-dr-attention-vm')).toEqual([]);
  });

  it('warns when VMs cannot meet their RPO with their measured backups and the job slots, with the best RPO they allow', async () => {
    const slow = { feasible: false, bestRpoSeconds: 160, reason: 'slots' };
    const { view } = await open({
      compliance: [complianceBody('vm-1'), complianceBody('vm-2', { feasibility: slow }), complianceBody('vm-58', { feasibility: { ...slow, bestRpoSeconds: 150 } })],
    });
    expect(view.text('.ll-infeasible')).toContain('2 VMs cannot meet their RPO with their measured backup durations and the configured job slots; the best RPO they allow is 3 min.');
  });

  it('shows no feasibility warning while every VM can meet its RPO', async () => {
    const { view } = await open({ compliance: [complianceBody('vm-1'), complianceBody('vm-2', { feasibility: { feasible: null, bestRpoSeconds: null, reason: null } })] });
    expect(view.element.querySelector('.ll-infeasible')).toBeNull();
  });

  it('says when no VM is protected yet', async () => {
    const { view } = await open();
    expect(view.text('.ll-none-protected')).toContain('No VM is protected yet.');
    expect(view.element.querySelector('.ll-protected-count')).toBeNull();
  });

  it('shows running jobs with live progress, and drops them when they end', async () => {
    const { view, events } = await open({
      compliance: [complianceBody('vm-58', { status: 'violated', exceededBySeconds: 60 })],
      jobs: [jobBody(), jobBody({ id: 'job-q', state: 'queued', startedAt: null, target: { type: 'repository', id: 'main', vcenterGuid: null } })],
    });
    expect(view.text('.ll-active-count')).toBe('2');
    expect(view.all('.ll-active-job-title').map((e) => e.textContent?.trim())).toEqual(['Backup · erp-01', 'Backup · Backup repository']);

    events.stream.write(sseEvent('progress', { seq: 5, jobId: JOB_ID, progress: { bytesDone: 9, bytesTotal: 10, rateBytesPerSecond: 1, etaSeconds: 1 } }));
    await view.stable();
    expect(view.element.querySelector(`[data-job-id="${JOB_ID}"] .ll-job-progress`)?.getAttribute('data-percent')).toBe('90');

    events.stream.write(sseEvent('state', { seq: 6, jobId: JOB_ID, job: jobBody({ state: 'succeeded', finishedAt: '2026-11-23T10:05:00.000Z' }) }));
    await view.stable();
    expect(view.text('.ll-active-count')).toBe('1');
    expect(view.element.querySelector(`[data-job-id="${JOB_ID}"]`)).toBeNull();
    // The backup that ended moved the VM's compliance.
    http.expectOne(COMPLIANCE).flush(pageBody([complianceBody('vm-58')]));
    await view.stable();
    expect(view.text('.ll-count-compliant')).toBe('Compliant 1');
    expect(view.all('.ll-attention-vm')).toEqual([]);

    events.stream.write(sseEvent('state', { seq: 7, jobId: 'job-new', job: jobBody({ id: 'job-new', state: 'queued', startedAt: null }) }));
    await view.stable();
    expect(view.text('.ll-active-count')).toBe('2');
  });

  it('counts active jobs beyond those it lists', async () => {
    const { view } = await open({ jobs: [jobBody()], jobsTotal: 140 });
    expect(view.text('.ll-active-count')).toBe('140');
  });

  it('shows the server status and version from the health endpoint', async () => {
    const { view } = await open();
    expect(view.element.querySelector('.ll-server-loading')).toBeNull();
    expect(view.text('.ll-server-facts .label-success')).toBe('ok');
    expect(view.text('.ll-server-version')).toBe('0.1.0');
  });

  it('shows the problem each part reports, and the rest of the dashboard still works', async () => {
    const view = await renderView(Dashboard);
    flushProblem(http.expectOne(HEALTH), { status: 503, title: 'Lifeline is starting', detail: 'The catalog is being opened.', code: 'shutting-down' });
    flushProblem(http.expectOne(VMS), { status: 502, title: 'Bad Gateway', detail: 'vCenter did not answer.', code: 'vcenter-unreachable' });
    flushProblem(http.expectOne(COMPLIANCE), { status: 403, title: 'Forbidden', detail: 'You lack System.Read.', code: 'forbidden' });
    http.expectOne(ACTIVE_JOBS).flush(pageBody([jobBody()]));
    flushProblem(http.expectOne(STORAGE), { status: 500, title: 'Internal Server Error', detail: 'Lifeline met an unexpected error. Quote error id 0b7e when reporting it.', code: 'internal' });
    flushProblem(http.expectOne(SITES), { status: 404, title: 'Not Found', detail: 'No route GET /api/v1/sites.', code: 'not-found' });
    await view.stable();
    expect(view.text('.ll-tile-dr .ll-problem-detail')).toBe('No route GET /api/v1/sites.');
    expect(view.element.querySelector('.ll-tile-dr .alert')?.classList).toContain('alert-warning');
    expect(view.text('.ll-tile-storage .ll-problem-detail')).toContain('Quote error id 0b7e');
    expect(view.element.querySelector('.ll-storage-facts')).toBeNull();
    expect(view.text('.ll-server-error .ll-problem')).toContain('The catalog is being opened.');
    expect(view.element.querySelector('.ll-server-facts')).toBeNull();
    expect(view.text('.ll-tile-protection .ll-problem-detail')).toBe('You lack System.Read.');
    expect(view.text('.ll-names-unavailable')).toContain('Bad Gateway');
    // Without names, the job's VM shows by its id.
    expect(view.text('.ll-active-job-title')).toBe('Backup · VM vm-58');
  });

  it('shows what the store holds and what deduplication and compression save', async () => {
    const { view } = await open({ storage: storageBody({ dedupRatio: 2.463, compressionRatio: 2 }) });
    const facts = view.all('.ll-storage-facts dt').map((dt) => [dt.textContent?.trim(), dt.nextElementSibling?.textContent?.trim()]);
    expect(facts).toEqual([['Free space', '3 TiB free of 4 TiB'], ...STORE_FACTS]);
    expect(view.element.querySelector('.ll-storage-unavailable')).toBeNull();
  });

  describe('free space', () => {
    const TiB = 2 ** 40;
    const GiB = 2 ** 30;

    function openWithCapacity(capacity: unknown): Promise<Opened> {
      return open({ storage: storageBody({ capacity }) });
    }

    function facts(view: RenderedView<Dashboard>): (string | undefined)[][] {
      return view.all('.ll-storage-facts dt').map((dt) => [dt.textContent?.trim(), dt.nextElementSibling?.textContent?.trim()]);
    }

    it('shows how much of the file system is free, with a bar of the used share and no alert while there is plenty', async () => {
      const { view } = await open();
      expect(view.text('.ll-storage-free')).toBe('3 TiB free of 4 TiB');
      expect(view.element.querySelector('.ll-storage-free')?.getAttribute('data-used-percent')).toBe('25');
      const bar = view.element.querySelector('.ll-storage-free .ll-storage-used');
      expect(bar?.querySelector('progress')?.getAttribute('value')).toBe('25');
      expect(bar?.classList).not.toContain('warning');
      expect(bar?.classList).not.toContain('danger');
      expect(view.element.querySelector('.ll-storage-full')).toBeNull();
      expect(view.element.querySelector('.ll-storage-low')).toBeNull();
      expect(view.element.querySelector('.ll-tile-storage clr-alert')).toBeNull();
    });

    it('says the store is full, and how to free space, when less than the reserve is free', async () => {
      const { view } = await openWithCapacity({ totalBytes: 4 * TiB, freeBytes: 1.5 * GiB, reserveBytes: 2 * GiB });
      expect(view.element.querySelector('.ll-storage-full .alert')?.classList).toContain('alert-danger');
      const text = view.text('.ll-storage-full .alert-text');
      expect(text).toContain('The backup store is full.');
      expect(text).toContain('Only 1.5 GiB is free, less than the 2 GiB Lifeline keeps free for maintenance, so new backups are refused until space is freed.');
      expect(text).toContain('lower the retention in Policies');
      expect(text).toContain('run maintenance in Settings');
      expect(text).toContain('enlarge the file system');
      expect(text).toContain('Restore points past their retention can also be deleted from a VM’s Backups tab.');
      expect(view.element.querySelector('.ll-storage-low')).toBeNull();
      expect(view.element.querySelector('.ll-tile-storage .alert-warning')).toBeNull();
      expect(view.text('.ll-storage-free')).toBe('1.5 GiB free of 4 TiB');
      expect(view.element.querySelector('.ll-storage-used')?.classList).toContain('danger');
      // The rest of the card still shows.
      expect(facts(view).slice(1)).toEqual(STORE_FACTS);
    });

    it('warns that the store is nearly full when less than twice the reserve is free', async () => {
      // 150 GiB is more than a tenth of 1 TiB, but less than twice the 100 GiB reserve.
      const { view } = await openWithCapacity({ totalBytes: TiB, freeBytes: 150 * GiB, reserveBytes: 100 * GiB });
      expect(view.element.querySelector('.ll-storage-low .alert')?.classList).toContain('alert-warning');
      const text = view.text('.ll-storage-low .alert-text');
      expect(text).toContain('The backup store is nearly full.');
      expect(text).toContain('Only 150 GiB is free. Once less than 100 GiB is free, Lifeline refuses new backups.');
      expect(text).toContain('Restore points past their retention can also be deleted from a VM’s Backups tab.');
      expect(view.element.querySelector('.ll-storage-full')).toBeNull();
      expect(view.element.querySelector('.ll-tile-storage .alert-danger')).toBeNull();
      expect(view.element.querySelector('.ll-storage-used')?.classList).toContain('warning');
    });

    it('warns that the store is nearly full when less than a tenth of the file system is free', async () => {
      // 300 GiB is far above the 2 GiB reserve, but less than a tenth of 4 TiB.
      const { view } = await openWithCapacity({ totalBytes: 4 * TiB, freeBytes: 300 * GiB, reserveBytes: 2 * GiB });
      expect(view.element.querySelector('.ll-storage-low .alert')?.classList).toContain('alert-warning');
      expect(view.text('.ll-storage-low .alert-text')).toContain('Only 300 GiB is free.');
      expect(view.element.querySelector('.ll-storage-full')).toBeNull();
      expect(view.text('.ll-storage-free')).toBe('300 GiB free of 4 TiB');
    });

    function expectNoFreeSpace(view: RenderedView<Dashboard>): void {
      expect(facts(view)).toEqual(STORE_FACTS);
      expect(view.element.querySelector('.ll-storage-free')).toBeNull();
      expect(view.element.querySelector('.ll-storage-used')).toBeNull();
      expect(view.element.querySelector('.ll-tile-storage clr-alert')).toBeNull();
      expect(view.all('.ll-added-day').length).toBe(30);
    }

    it('shows no free space and no alert for a store without a fixed bound', async () => {
      const { view } = await openWithCapacity(null);
      expectNoFreeSpace(view);
    });

    it('says a store on object storage has no fixed capacity, and whether Object Lock holds it', async () => {
      const locked = await open({ storage: storageBody({ capacity: null, storage: { kind: 'object-storage', location: 's3://backups/lifeline/', lockMode: 'compliance' } }) });
      expect(facts(locked.view)).toEqual([['Storage', 'Object storage (no fixed capacity), Object Lock in compliance mode'], ...STORE_FACTS]);
      expect(locked.view.element.querySelector('.ll-storage-free')).toBeNull();
      expect(locked.view.element.querySelector('.ll-tile-storage clr-alert')).toBeNull();
      const unlocked = await open({ storage: storageBody({ capacity: null, storage: { kind: 'object-storage', location: 's3://backups/lifeline/', lockMode: 'none' } }) });
      expect(unlocked.view.text('.ll-storage-kind')).toBe('Object storage (no fixed capacity), without Object Lock: restore points are not immutable');
      const directory = await open({ storage: storageBody({ storage: { kind: 'directory' } }) });
      expect(directory.view.element.querySelector('.ll-storage-kind')).toBeNull();
    });

    it('reads an older server’s answer without a capacity, and shows no free space and no alert', async () => {
      const older = storageBody();
      delete older['capacity'];
      const { view } = await open({ storage: older });
      expect(view.element.querySelector('.ll-tile-storage ll-problem-alert clr-alert')).toBeNull();
      expectNoFreeSpace(view);
    });

    it('reports an answer whose capacity it cannot read instead of showing half of it', async () => {
      const { view } = await openWithCapacity({ totalBytes: 4 * TiB, freeBytes: '3 TiB', reserveBytes: 2 * GiB });
      expect(view.text('.ll-tile-storage .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
      expect(view.element.querySelector('.ll-storage-facts')).toBeNull();
      expect(view.element.querySelector('.ll-storage-free')).toBeNull();
      expect(view.element.querySelector('.ll-storage-full')).toBeNull();
      expect(view.element.querySelector('.ll-storage-low')).toBeNull();
    });
  });

  it('charts the data added on each of the last 30 days, and reads each day out to screen readers', async () => {
    const { view } = await open();
    expect(view.text('.ll-added-total')).toBe('60 GiB in the last 30 days (UTC)');
    const days = view.all('.ll-added-day');
    expect(days.length).toBe(30);
    const bar = (day: string): HTMLElement => view.element.querySelector(`.ll-added-day[data-day="${day}"] .ll-added-bar`) as HTMLElement;
    // Heights against the day that added most: 40 GiB fills the plot, 20 GiB half of it.
    expect(bar('2026-11-21').style.height).toBe('100%');
    expect(bar('2026-11-23').style.height).toBe('50%');
    expect(bar('2026-11-20').style.height).toBe('0%');
    // Backups that added nothing new still show that they ran.
    expect(bar('2026-11-22').style.height).toBe('0%');
    expect(bar('2026-11-22').classList).toContain('ll-added-bar-ran');
    expect(bar('2026-11-20').classList).not.toContain('ll-added-bar-ran');
    expect(days[29]?.getAttribute('title')).toBe('Nov 23: 20 GiB added by 4 restore points');
    expect(view.text('.ll-added-max')).toBe('40 GiB');
    expect(view.all('.ll-added-axis span').map((s) => s.textContent?.trim())).toEqual(['Oct 25', 'Nov 23']);

    // The bars are hidden from assistive technology; the table beside them says the same.
    expect(view.element.querySelector('.ll-added-plot')?.getAttribute('aria-hidden')).toBe('true');
    const table = view.element.querySelector('.ll-added-table') as HTMLElement;
    expect(table.classList).toContain('clr-sr-only');
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent?.trim()));
    expect(rows.length).toBe(30);
    expect(rows[0]).toEqual(['Oct 25', '0 B', '0']);
    expect(rows.slice(-3)).toEqual([
      ['Nov 21', '40 GiB', '4'],
      ['Nov 22', '0 B', '4'],
      ['Nov 23', '20 GiB', '4'],
    ]);
  });

  it('draws no bar above the baseline when nothing was added in 30 days', async () => {
    const { view } = await open({ storage: storageBody({ points: 0, vms: 0, logicalBytes: 0, dataBytes: 0, storedBytes: 0, savedBytes: 0, dedupRatio: 1, compressionRatio: 1, dataAddedPerDay: daysAddedBody() }) });
    expect(view.text('.ll-storage-stored')).toBe('0 B');
    expect(view.text('.ll-added-total')).toBe('0 B in the last 30 days (UTC)');
    expect(view.all('.ll-added-bar').map((b) => b.style.height)).toEqual(Array<string>(30).fill('0%'));
  });

  it('says that a server without a backup store has no storage figures, without an error', async () => {
    const view = await renderView(Dashboard);
    http.expectOne(HEALTH).flush({ status: 'ok', version: '0.1.0', time: '2026-11-23T10:00:00.000Z' });
    http.expectOne(VMS).flush(pageBody([]));
    http.expectOne(COMPLIANCE).flush(pageBody([]));
    http.expectOne(ACTIVE_JOBS).flush(pageBody([]));
    flushProblem(http.expectOne(STORAGE), {
      status: 503,
      title: 'Service Unavailable',
      detail: 'Storage figures are not available in this Lifeline server: it has no backup store.',
      code: 'backup-unavailable',
    });
    http.expectOne(SITES).flush(sitesBody([]));
    await view.stable();
    expect(view.text('.ll-storage-unavailable')).toBe('This Lifeline server has no backup store, so there are no storage figures to show.');
    expect(view.element.querySelector('.ll-tile-storage clr-alert')).toBeNull();
    expect(view.element.querySelector('.ll-storage-facts')).toBeNull();
    expect(view.element.querySelector('.ll-added')).toBeNull();
  });

  it('cancels its requests when it is destroyed', async () => {
    const view = await renderView(Dashboard);
    const requests = [HEALTH, VMS, COMPLIANCE, ACTIVE_JOBS, STORAGE, SITES].map((url) => http.expectOne(url));
    view.fixture.destroy();
    expect(requests.map((r) => r.cancelled)).toEqual([true, true, true, true, true, true]);
  });

  it('shows the DR sites this site replicates to, how their links stand and the restore points waiting', async () => {
    const { view } = await open({
      sites: sitesBody([
        peerBody(),
        peerBody({ id: 'site-2', name: 'dr-paris', link: linkBody({ state: 'unreachable', backlogPoints: 5, lastError: 'connect ETIMEDOUT' }) }),
        // A production site replicating to this one is not a DR site of this one.
        peerBody({ id: 'site-3', name: 'branch-lisbon', role: 'source', link: linkBody({ backlogPoints: 40 }) }),
      ]),
    });
    expect(view.text('.ll-dr-backlog')).toBe('7');
    const sites = view.all('.ll-dr-site').map((li) => [...li.children].map((part) => (part.textContent ?? '').trim()));
    expect(sites).toEqual([
      ['dr-frankfurt', 'Replicating'],
      ['dr-paris', 'Unreachable', 'connect ETIMEDOUT'],
    ]);
  });

  it('says when this site replicates to no DR site', async () => {
    const { view } = await open({ sites: sitesBody([peerBody({ role: 'source' })]) });
    expect(view.text('.ll-dr-none')).toContain('This site replicates to no DR site.');
    expect(view.element.querySelector('.ll-dr-site')).toBeNull();
  });
});
