import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch, FakeFetchCall } from '../../api/fake-fetch';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, complianceBody, jobBody, pageBody, sseEvent, vmBody } from '../../testing/server-bodies';
import { Dashboard } from './dashboard';

const HEALTH = `${API_BASE}/api/v1/health`;
const VMS = `${API_BASE}/api/v1/vms?limit=1000`;
const COMPLIANCE = `${API_BASE}/api/v1/compliance?limit=1000`;
const ACTIVE_JOBS = `${API_BASE}/api/v1/jobs?state=queued,running&limit=100`;

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

  async function open(answers: { compliance?: unknown[]; jobs?: unknown[]; jobsTotal?: number } = {}): Promise<Opened> {
    const view = await renderView(Dashboard);
    http.expectOne(HEALTH).flush({ status: 'ok', version: '0.1.0', time: '2026-11-23T10:00:00.000Z' });
    http.expectOne(VMS).flush(pageBody([vmBody('vm-1', 'web-01'), vmBody('vm-2', 'db-01'), vmBody('vm-58', 'erp-01')]));
    http.expectOne(COMPLIANCE).flush(pageBody(answers.compliance ?? []));
    const jobs = answers.jobs ?? [];
    http.expectOne(ACTIVE_JOBS).flush(pageBody(jobs, { total: answers.jobsTotal ?? jobs.length }));
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
    expect(view.all('.ll-active-job-title').map((e) => e.textContent?.trim())).toEqual(['Backup · erp-01', 'Backup · repository main']);

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
    await view.stable();
    expect(view.text('.ll-server-error .ll-problem')).toContain('The catalog is being opened.');
    expect(view.element.querySelector('.ll-server-facts')).toBeNull();
    expect(view.text('.ll-tile-protection .ll-problem-detail')).toBe('You lack System.Read.');
    expect(view.text('.ll-names-unavailable')).toContain('Bad Gateway');
    // Without names, the job's VM shows by its id.
    expect(view.text('.ll-active-job-title')).toBe('Backup · VM vm-58');
  });

  it('cancels its requests when it is destroyed', async () => {
    const view = await renderView(Dashboard);
    const requests = [HEALTH, VMS, COMPLIANCE, ACTIVE_JOBS].map((url) => http.expectOne(url));
    view.fixture.destroy();
    expect(requests.map((r) => r.cancelled)).toEqual([true, true, true, true]);
  });
});
