import type { HttpTestingController, TestRequest } from '@angular/common/http/testing';

import type { FakeFetch } from '../../api/fake-fetch';

import { SESSION_HEADER } from '../../api/lifeline-api';
import { FAKE_VC_GUID } from '../../sdk/fake-html-client-sdk';
import { JOB_ID, PASSPHRASE_WARNING, jobBody, settingsBody, sseEvent } from '../../testing/server-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { MAINTENANCE_PATH, Settings } from './settings';

const SETTINGS = `${API_BASE}/api/v1/settings`;

describe('Settings', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http, fetch } = bed);
  });

  afterEach(() => http.verify());

  async function open(answer: (request: TestRequest) => void = (r) => r.flush(settingsBody())): Promise<{ view: RenderedView<Settings>; request: TestRequest }> {
    const view = await renderView(Settings);
    expect(view.text('.ll-settings-loading')).toBe('Reading the Lifeline server’s settings…');
    const request = http.expectOne(SETTINGS);
    answer(request);
    await view.stable();
    return { view, request };
  }

  /** The term and value pairs of a section, as the user reads them. */
  function facts(view: RenderedView<Settings>, section: string): (string | undefined)[][] {
    return view.all(`${section} dt`).map((dt) => [dt.textContent?.trim(), dt.nextElementSibling?.textContent?.replace(/\s+/g, ' ').trim()]);
  }

  it('asks the server for its settings with the user’s session, and shows them read-only', async () => {
    const { view, request } = await open();
    expect(request.request.method).toBe('GET');
    expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    expect(view.element.querySelector('.ll-settings-loading')).toBeNull();
    expect(facts(view, '.ll-settings-server')).toEqual([
      ['Version', '0.1.0'],
      ['Server URL', 'https://lifeline.example.com:8443'],
      ['Certificate thumbprint (SHA-256)', '12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0'],
      ['Data directory', '/var/lib/lifeline'],
      ['Idle vCenter sessions end after', '30 min'],
    ]);
    const store = facts(view, '.ll-settings-store');
    expect(store.slice(0, 3)).toEqual([
      ['Store directory', '/srv/lifeline/store'],
      ['Encryption', 'Encrypted'],
      ['Store passphrase', 'Kept in a file inside the data directory'],
    ]);
    expect(store[3]?.[0]).toBe('Daily maintenance');
    expect(store[3]?.[1]).toMatch(/^Every day at 03:00 server time, verifying 4 % of the stored data\s+\(next run \S.*2026.*\)$/);
    expect(facts(view, '.ll-settings-jobs')).toEqual([
      ['Jobs running at once', '4'],
      ['At once per datastore', '2'],
      ['Waiting for a slot at most', '10000'],
    ]);
    const vcenters = view.all('.ll-vcenter').map((tr) => [...tr.children].map((td) => td.textContent?.trim()));
    expect(vcenters).toEqual([
      ['https://vc01.example.com', 'svc-lifeline@vsphere.local', FAKE_VC_GUID, 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01'],
    ]);
    // Read-only: nothing to type into; the one button runs maintenance, it changes no setting.
    expect(view.all('input, select, textarea')).toEqual([]);
    expect(view.all('button').map((b) => b.textContent?.trim())).toEqual(['Run maintenance now']);
    expect(view.text('.ll-settings-read-only')).toContain('Settings are shown read-only');
  });

  it('shows what the server warns about in a warning alert', async () => {
    const { view } = await open();
    const alert = view.element.querySelector('.ll-settings-warnings .alert');
    expect(alert?.classList).toContain('alert-warning');
    expect(view.all('.ll-settings-warning').map((w) => w.textContent?.trim())).toEqual([PASSPHRASE_WARNING]);
  });

  it('shows no warning when there is none, and says so when the server has no store or vCenter', async () => {
    const { view } = await open((r) =>
      r.flush(settingsBody({ storeDir: null, storeEncrypted: null, passphraseInDataDir: false, vcenters: [], jobLimits: { global: 2, queued: 20 }, warnings: [] })),
    );
    expect(view.element.querySelector('.ll-settings-warnings')).toBeNull();
    expect(view.text('.ll-settings-no-store')).toBe('This Lifeline server has no backup store.');
    expect(view.text('.ll-settings-no-vcenters')).toBe('No vCenter Server is configured.');
    expect(facts(view, '.ll-settings-jobs')).toEqual([
      ['Jobs running at once', '2'],
      ['Waiting for a slot at most', '20'],
    ]);
  });

  it('says when the daily maintenance is off, and shows no schedule from a server that does not report one', async () => {
    const off = await open((r) => r.flush(settingsBody({ maintenance: { enabled: false, at: '03:00', verifyPercent: 4, nextRunAt: null } })));
    expect(off.view.text('.ll-settings-maintenance-schedule')).toBe('Off: it runs only when started here (maintenance.enabled in lifeline.json)');
    off.view.fixture.destroy();
    const older = await open((r) => r.flush(settingsBody({ maintenance: undefined })));
    expect(older.view.element.querySelector('.ll-settings-maintenance-schedule')).toBeNull();
    expect(older.view.element.querySelector('.ll-settings-maintenance-run')).not.toBeNull();
  });

  it('says which privilege a user without Lifeline Admin needs, rather than showing a failure', async () => {
    const { view } = await open((r) =>
      flushProblem(r, {
        status: 403,
        title: 'Forbidden',
        detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.',
        code: 'forbidden',
      }),
    );
    expect(view.text('.ll-settings-forbidden')).toContain('needs the Lifeline Admin privilege');
    expect(view.text('.ll-settings-forbidden-detail')).toBe('VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.');
    expect(view.element.querySelector('.ll-settings-forbidden .alert')?.classList).toContain('alert-info');
    expect(view.element.querySelector('.alert-danger')).toBeNull();
    expect(view.element.querySelector('.ll-settings')).toBeNull();
  });

  it('shows any other failure as the server’s problem', async () => {
    const { view } = await open((r) =>
      flushProblem(r, { status: 404, title: 'Not Found', detail: 'This Lifeline server does not report its settings.', code: 'not-found' }),
    );
    expect(view.text('ll-problem-alert .ll-problem-title')).toBe('Not Found');
    expect(view.text('ll-problem-alert .ll-problem-detail')).toBe('This Lifeline server does not report its settings.');
    expect(view.element.querySelector('.ll-settings-forbidden')).toBeNull();
  });

  it('reports an answer it cannot read instead of showing half of it', async () => {
    const { view } = await open((r) => r.flush(settingsBody({ jobLimits: { global: 'four' } })));
    expect(view.text('ll-problem-alert .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
    expect(view.element.querySelector('.ll-settings')).toBeNull();
  });

  it('cancels its request when it is destroyed', async () => {
    const view = await renderView(Settings);
    const request = http.expectOne(SETTINGS);
    view.fixture.destroy();
    expect(request.cancelled).toBeTrue();
  });

  it('runs repository maintenance now and follows the job to its end', async () => {
    const { view } = await open();
    expect(view.text('.ll-settings-maintenance-text')).toContain('Maintenance applies each policy’s retention');
    await view.click('.ll-settings-maintenance-run');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}${MAINTENANCE_PATH}` });
    expect(post.request.body).toEqual({});
    const queued = jobBody({ kind: 'maintenance', state: 'queued', phase: null, startedAt: null, target: { type: 'repository', id: 'store', vcenterGuid: null } });
    post.flush({ job: queued, created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-settings-maintenance-job .ll-job-kind')).toBe('Repository maintenance');
    expect(view.text('.ll-settings-maintenance-job .ll-job-state')).toBe('Queued');
    expect(view.element.querySelector('.ll-settings-maintenance-run')).toBeNull();

    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(sseEvent('state', { seq: 1, jobId: JOB_ID, job: { ...queued, state: 'succeeded', startedAt: queued['createdAt'] } }));
    await view.stable();
    expect(view.text('.ll-settings-maintenance-job .ll-job-state')).toBe('Succeeded');
    expect(view.element.querySelector('.ll-settings-maintenance-run')).not.toBeNull();
  });

  it('shows why maintenance could not start', async () => {
    const { view } = await open();
    await view.click('.ll-settings-maintenance-run');
    flushProblem(http.expectOne({ method: 'POST', url: `${API_BASE}${MAINTENANCE_PATH}` }), {
      status: 403,
      title: 'Forbidden',
      detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.ll-settings-store ll-problem-alert .ll-problem-detail')).toContain('lacks the privilege com.lifeline.vsphere.Admin');
    expect(view.element.querySelector('.ll-settings-maintenance-job')).toBeNull();
  });
});
