import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch } from '../../api/fake-fetch';
import { FAKE_VM_ID, FakeHtmlClientSdk } from '../../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, POLICY_ID, jobBody, policyBody, protectionBody, sseEvent, unprotectedBody } from '../../testing/server-bodies';
import { BackupNow } from './backup-now';

const VM_PATH = `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}`;

describe('BackupNow', () => {
  let sdk: FakeHtmlClientSdk;
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    ({ sdk, http, fetch } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  async function open(protection: Record<string, unknown>): Promise<RenderedView<BackupNow>> {
    const view = await renderView(BackupNow);
    http.expectOne(`${VM_PATH}/protection`).flush(protection);
    await view.stable();
    if (protection['policy'] !== null) {
      http.expectOne(`${API_BASE}/api/v1/policies/${POLICY_ID}`).flush(policyBody());
      await view.stable();
    }
    return view;
  }

  const startButton = (view: RenderedView<BackupNow>) => view.element.querySelector<HTMLButtonElement>('.ll-backup-start');

  it('says under which policy the backup runs, starts it and shows its progress', async () => {
    const view = await open(protectionBody());
    expect(view.text('.ll-backup-text')).toBe('Lifeline backs up this VM now, outside its schedule, under policy Gold (Application-consistent).');
    await view.click('.ll-backup-start');
    const post = http.expectOne({ method: 'POST', url: `${VM_PATH}/backup` });
    expect(post.request.body).toEqual({});
    post.flush({ job: jobBody({ state: 'queued', phase: null, startedAt: null }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-job-state')).toBe('Queued');
    expect(startButton(view)).toBeNull();
    expect(view.text('.ll-backup-background')).toContain('closing this dialog does not stop it');

    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(sseEvent('snapshot', { seq: 1, jobId: JOB_ID, job: jobBody({ progress: { bytesDone: 1 << 20, bytesTotal: 8 << 20, rateBytesPerSecond: null, etaSeconds: null } }) }));
    await view.stable();
    expect(view.element.querySelector('.ll-job-progress')?.getAttribute('data-percent')).toBe('13');

    stream.stream.write(
      sseEvent('state', {
        seq: 2,
        jobId: JOB_ID,
        job: jobBody({ state: 'failed', error: { code: 'vsphere-fault', message: 'CreateSnapshot_Task failed: quiescing timed out' } }),
      }),
    );
    await view.stable();
    expect(view.text('.ll-job-state')).toBe('Failed');
    expect(view.text('.ll-backup-job .ll-job-error')).toBe('CreateSnapshot_Task failed: quiescing timed out');

    await view.click('.ll-backup-close');
    expect(sdk.modalResults).toEqual([{ jobId: JOB_ID }]);
  });

  it('shows the backup already running instead of offering a second one', async () => {
    const view = await open(protectionBody({ activeJob: { id: JOB_ID, kind: 'backup', state: 'running' } }));
    expect(startButton(view)).toBeNull();
    const stream = await fetch.call(0);
    stream.stream.write(sseEvent('snapshot', { seq: 1, jobId: JOB_ID, job: jobBody() }));
    await view.stable();
    expect(view.text('.ll-job-state')).toBe('Running');
    view.fixture.destroy();
  });

  it('sends nothing for a VM without a policy and says what to do', async () => {
    const view = await open(unprotectedBody());
    expect(view.text('.ll-backup-not-protected')).toContain('Assign it a policy under Configure > Lifeline protection first.');
    expect(startButton(view)?.disabled).toBeTrue();
    await view.click('.ll-backup-close');
    expect(sdk.modalResults).toEqual([null]);
  });

  it('says why backups are paused', async () => {
    const view = await open(protectionBody({ paused: true, pauseReason: 'temporary revert in progress' }));
    expect(view.text('.ll-backup-paused')).toBe('Backups of this VM are paused: temporary revert in progress');
    expect(startButton(view)?.disabled).toBeTrue();
  });

  it('shows the problem when the server refuses the backup', async () => {
    const view = await open(protectionBody());
    await view.click('.ll-backup-start');
    flushProblem(http.expectOne(`${VM_PATH}/backup`), {
      status: 503,
      title: 'Service Unavailable',
      detail: 'The backup pipeline is not available in this Lifeline server; no backup can be started.',
      code: 'backup-unavailable',
    });
    await view.stable();
    expect(view.text('.ll-problem-title')).toBe('Service Unavailable');
    expect(view.text('.ll-problem-detail')).toContain('no backup can be started');
    expect(startButton(view)?.disabled).toBeFalse();
  });
});
