import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch, FakeFetchCall } from '../../api/fake-fetch';
import { SESSION_HEADER } from '../../api/lifeline-api';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, jobBody, pageBody, sseEvent, vmBody } from '../../testing/server-bodies';
import { PEER_ID, replicationResultBody } from '../../testing/site-bodies';
import { Jobs } from './jobs';

const LIST = `${API_BASE}/api/v1/jobs?limit=200`;
const ACTIVE = `${API_BASE}/api/v1/jobs?state=queued,running&limit=500`;

describe('Jobs', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    ({ http, fetch } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  const finished = jobBody({
    id: 'job-old',
    state: 'succeeded',
    phase: 'commit',
    progress: { bytesDone: 8 << 20, bytesTotal: 8 << 20, rateBytesPerSecond: null, etaSeconds: null },
    startedAt: '2026-11-23T09:00:00.000Z',
    finishedAt: '2026-11-23T09:02:30.000Z',
  });

  /** Opens the view, answers the list and returns the global event stream it opened. */
  async function open(jobs = [jobBody(), finished], total = jobs.length, active = jobs.filter((j) => j['state'] === 'queued' || j['state'] === 'running')): Promise<{ view: RenderedView<Jobs>; events: FakeFetchCall }> {
    const view = await renderView(Jobs);
    http.expectOne(LIST).flush(pageBody(jobs, { total, limit: 200 }));
    http.expectOne(ACTIVE).flush(pageBody(active, { limit: 500 }));
    http.expectOne(`${API_BASE}/api/v1/vms?limit=1000`).flush(pageBody([vmBody('vm-58', 'erp-01')]));
    const events = await fetch.call(0);
    await view.stable();
    return { view, events };
  }

  function row(view: RenderedView<Jobs>, id: string): HTMLElement | null {
    return view.element.querySelector(`.ll-job-row[data-job-id="${id}"]`);
  }

  function cells(view: RenderedView<Jobs>, id: string): string[] {
    return [...(row(view, id)?.querySelectorAll('clr-dg-cell') ?? [])].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim());
  }

  afterEach(() => {
    // The view's stream ends with it; nothing is left reading.
    for (const call of fetch.calls) {
      call.stream.end();
    }
  });

  it('shows backups waiting for a slot, also those older than the newest page, with their RPO deadline', async () => {
    const waiting = jobBody({ id: 'job-waiting', state: 'queued', phase: null, phases: [], attempt: 0, startedAt: null, requestedBy: 'scheduler', deadline: '2026-11-23T10:01:00.000Z' });
    const longWaiting = jobBody({ id: 'job-long', state: 'queued', phase: null, phases: [], attempt: 0, startedAt: null, requestedBy: 'scheduler', deadline: '2026-11-23T09:59:00.000Z' });
    const { view } = await open([waiting, finished], 300, [longWaiting, waiting]);
    expect(view.all('.ll-job-row').map((r) => r.getAttribute('data-job-id'))).toEqual(['job-long', 'job-waiting', 'job-old']);
    expect(cells(view, 'job-waiting')[3]).toContain('Waiting for a slot');
    expect(cells(view, 'job-waiting')[3]).toContain('RPO deadline');
    expect(view.text('.ll-jobs-queued')).toBe('2 waiting for a slot');
  });

  it('lists the jobs with state, duration and a progress bar for running ones', async () => {
    const { view, events } = await open();
    expect(events.url).toBe(`${API_BASE}/api/v1/events`);
    expect(events.headers[SESSION_HEADER]).toBe('fake-session-token');
    expect(events.headers['Accept']).toBe('text/event-stream');
    expect(view.all('.ll-job-row').map((r) => r.getAttribute('data-job-id'))).toEqual([JOB_ID, 'job-old']);
    const old = cells(view, 'job-old');
    expect(old[0]).toBe('Backup');
    expect(old[1]).toBe('erp-01');
    expect(old[2]).toBe('Succeeded');
    expect(old[4]).toBe('2 min');
    expect(row(view, 'job-old')?.querySelector('.ll-job-progress')).toBeNull();
    expect(row(view, JOB_ID)?.querySelector('.ll-job-progress')).not.toBeNull();
    expect(row(view, 'job-old')?.querySelector('.ll-job-cancel')).toBeNull();
  });

  it('moves progress bars and states as the server streams events', async () => {
    const { view, events } = await open();
    events.stream.write(': heartbeat\n\n');
    events.stream.write(
      sseEvent('progress', { seq: 41, jobId: JOB_ID, progress: { bytesDone: 1 << 20, bytesTotal: 2 << 20, rateBytesPerSecond: 1 << 20, etaSeconds: 1 } }),
    );
    await view.stable();
    expect(row(view, JOB_ID)?.querySelector('.ll-job-progress')?.getAttribute('data-percent')).toBe('50');
    // An event split across chunks arrives whole.
    const done = sseEvent('state', { seq: 42, jobId: JOB_ID, job: jobBody({ state: 'succeeded', finishedAt: '2026-11-23T10:01:05.000Z' }) });
    events.stream.write(done.slice(0, 30));
    await view.stable();
    expect(cells(view, JOB_ID)[2]).toBe('Running');
    events.stream.write(done.slice(30));
    await view.stable();
    expect(cells(view, JOB_ID)[2]).toBe('Succeeded');
    expect(row(view, JOB_ID)?.querySelector('.ll-job-progress')).toBeNull();
  });

  it('adds a job that starts while the view is open', async () => {
    const { view, events } = await open([finished]);
    events.stream.write(sseEvent('state', { seq: 50, jobId: 'job-new', job: jobBody({ id: 'job-new', state: 'queued', startedAt: null }) }));
    await view.stable();
    expect(view.all('.ll-job-row').map((r) => r.getAttribute('data-job-id'))).toEqual(['job-new', 'job-old']);
    expect(cells(view, 'job-new')[2]).toBe('Queued');
  });

  it('reads the list again when the server says it missed events', async () => {
    const { view, events } = await open([finished]);
    events.stream.write(sseEvent('resync', { seq: 900, jobId: null }));
    await view.stable();
    http.expectOne(LIST).flush(pageBody([jobBody({ id: 'job-missed', state: 'failed', error: { code: 'x', message: 'y' } }), finished]));
    http.expectOne(ACTIVE).flush(pageBody([]));
    await view.stable();
    expect(cells(view, 'job-missed')[2]).toBe('Failed');
  });

  it('cancels a running job', async () => {
    const { view } = await open();
    (row(view, JOB_ID)?.querySelector('.ll-job-cancel') as HTMLButtonElement).click();
    await view.stable();
    const cancel = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/jobs/${JOB_ID}/cancel` });
    cancel.flush(jobBody({ cancelRequested: true }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(row(view, JOB_ID)?.querySelector('.ll-job-cancel')).toBeNull();
    // A running job ends once its work has cleaned up; until then it says it is being cancelled.
    expect(row(view, JOB_ID)?.querySelector('.ll-job-state')?.textContent).toBe('Running');
    expect(row(view, JOB_ID)?.querySelector('.ll-job-cancelling')?.textContent).toBe('cancelling…');
  });

  it('shows why a cancel was refused', async () => {
    const { view } = await open();
    (row(view, JOB_ID)?.querySelector('.ll-job-cancel') as HTMLButtonElement).click();
    await view.stable();
    flushProblem(http.expectOne(`${API_BASE}/api/v1/jobs/${JOB_ID}/cancel`), {
      status: 403,
      title: 'Forbidden',
      detail: 'You lack the privilege Lifeline.Protect on VirtualMachine vm-58.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.ll-problem-detail')).toBe('You lack the privilege Lifeline.Protect on VirtualMachine vm-58.');
  });

  it('shows a job with its log, and adds log lines as they are written', async () => {
    const { view, events } = await open();
    (row(view, JOB_ID)?.querySelector('.ll-job-details') as HTMLButtonElement).click();
    await view.stable();
    http.expectOne(`${API_BASE}/api/v1/jobs/${JOB_ID}`).flush({
      ...jobBody(),
      log: { lines: 1, dropped: 0, tail: [{ line: 0, at: '2026-11-23T10:00:05.000Z', level: 'info', message: 'snapshot lifeline-1 created' }] },
    });
    await view.stable();
    expect(view.text('.ll-job-detail .card-header')).toContain(`Job ${JOB_ID}`);
    expect(view.text('.ll-job-log')).toContain('snapshot lifeline-1 created');
    events.stream.write(
      sseEvent('log', { seq: 60, jobId: JOB_ID, line: { line: 1, at: '2026-11-23T10:00:09.000Z', level: 'warn', message: 'disk 2: CBT reset, reading all' } }),
    );
    await view.stable();
    expect(view.all('.ll-job-log span').map((s) => s.className)).toEqual(['ll-log-info', 'll-log-warn']);
    expect(view.text('.ll-job-log')).toContain('disk 2: CBT reset, reading all');
    await view.click('.ll-job-detail-close');
    expect(view.element.querySelector('.ll-job-detail')).toBeNull();
  });

  it('says when live updates are interrupted', async () => {
    fetch.answers.push(
      new Response(JSON.stringify({ title: 'Service Unavailable', detail: 'Lifeline is stopping.', status: 503, code: 'shutting-down' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    const { view } = await open();
    await view.stable();
    expect(view.text('.ll-stream-lost')).toBe('Live updates are interrupted; Lifeline keeps trying to reconnect. Service Unavailable');
  });

  it('reads older jobs a page at a time, without repeating one already shown', async () => {
    const firstPage = Array.from({ length: 200 }, (_, i) => jobBody({ id: `job-${i}`, state: 'succeeded', finishedAt: '2026-11-23T09:00:00.000Z' }));
    const { view } = await open(firstPage, 250);
    expect(view.text('.ll-jobs-count')).toBe('200 jobs');
    await view.click('.ll-jobs-older');
    // A job started meanwhile, so the server's next page starts with the last one already shown.
    const older = [firstPage[199], ...Array.from({ length: 50 }, (_, i) => jobBody({ id: `job-${200 + i}`, state: 'failed', error: { code: 'x', message: 'y' } }))];
    http.expectOne(`${API_BASE}/api/v1/jobs?offset=200&limit=200`).flush(pageBody(older, { total: 251, offset: 200, limit: 200 }));
    await view.stable();
    expect(view.text('.ll-jobs-count')).toBe('250 jobs');
    expect(new Set(view.all('.ll-job-row').map((r) => r.getAttribute('data-job-id'))).size).toBe(250);
    // The server's list is read to its end.
    expect(view.element.querySelector('.ll-jobs-older')).toBeNull();
  });

  it('offers no older jobs when the first page holds them all', async () => {
    const { view } = await open();
    expect(view.text('.ll-jobs-count')).toBe('2 jobs');
    expect(view.element.querySelector('.ll-jobs-older')).toBeNull();
  });

  it('shows a VM by its id when vCenter names cannot be read, and says why', async () => {
    const view = await renderView(Jobs);
    http.expectOne(LIST).flush(pageBody([finished]));
    http.expectOne(ACTIVE).flush(pageBody([]));
    flushProblem(http.expectOne(`${API_BASE}/api/v1/vms?limit=1000`), { status: 502, title: 'Bad Gateway', detail: 'vCenter did not answer.', code: 'vcenter-unreachable' });
    await fetch.call(0);
    await view.stable();
    expect(cells(view, 'job-old')[1]).toBe('VM vm-58');
    expect(view.text('.ll-names-unavailable')).toContain('Bad Gateway');
  });

  it('stops reading the stream when it goes away', async () => {
    const { view } = await open();
    view.fixture.destroy();
    await view.stable();
    expect(fetch.calls.length).toBe(1);
  });

  it('shows what a replication job sent to the DR site: chunks and bytes, in the list and the detail', async () => {
    const replication = jobBody({
      id: 'job-repl',
      kind: 'replication',
      state: 'succeeded',
      phase: null,
      startedAt: '2026-11-23T10:03:00.000Z',
      finishedAt: '2026-11-23T10:04:00.000Z',
      result: replicationResultBody(),
    });
    const running = jobBody({ id: 'job-repl-2', kind: 'replication', phase: 'send', progress: { bytesDone: 1 << 20, bytesTotal: 4 << 20, rateBytesPerSecond: null, etaSeconds: null } });
    const { view } = await open([running, replication, finished]);
    const done = cells(view, 'job-repl');
    expect(done[0]).toBe('Replication');
    expect(done[1]).toBe('erp-01');
    expect(done[5]).toBe('37 of 1200 chunks sent (96 MiB)');
    // A running replication shows its progress; a backup shows no replication figures.
    expect(row(view, 'job-repl-2')?.querySelector('.ll-job-progress')).not.toBeNull();
    expect(row(view, 'job-repl-2')?.querySelector('.ll-job-replication-sent')).toBeNull();
    expect(row(view, 'job-old')?.querySelector('.ll-job-replication-sent')).toBeNull();

    (row(view, 'job-repl')?.querySelector('.ll-job-details') as HTMLButtonElement).click();
    await view.stable();
    http.expectOne(`${API_BASE}/api/v1/jobs/job-repl`).flush({ ...replication, log: { lines: 0, dropped: 0, tail: [] } });
    await view.stable();
    expect(view.text('.ll-job-detail-replication-site')).toBe(PEER_ID);
    expect(view.text('.ll-job-detail-replication-sent')).toBe('37 of 1200 chunks sent (96 MiB)');
    expect(view.element.querySelector('.ll-job-detail-replication-present')).toBeNull();
  });

  it('shows no replication figures from a result it cannot read', async () => {
    const odd = jobBody({ id: 'job-repl', kind: 'replication', state: 'succeeded', finishedAt: '2026-11-23T10:04:00.000Z', result: replicationResultBody({ chunksSent: 'many' }) });
    const { view } = await open([odd]);
    expect(cells(view, 'job-repl')[0]).toBe('Replication');
    expect(row(view, 'job-repl')?.querySelector('.ll-job-replication-sent')).toBeNull();
  });
});
