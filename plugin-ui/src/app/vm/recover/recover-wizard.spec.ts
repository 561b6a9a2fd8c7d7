import type { HttpTestingController } from '@angular/common/http/testing';
import { ActivatedRoute } from '@angular/router';

import type { VmCapabilities } from '../../api/capabilities';
import { flushCapabilities } from '../../api/capabilities-testing';
import type { FakeFetch } from '../../api/fake-fetch';
import { FAKE_VM_ID, FakeHtmlClientSdk } from '../../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, radioGroupNames, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, POINT_ID, jobBody, pageBody, pointBody, revertBody, vmBody } from '../../testing/server-bodies';
import { RecoverWizard } from './recover-wizard';

const VM_PATH = `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}`;
const DAMAGED = '20261122-100000-0f0f0f0f';
const OTHER_VM = 'urn:vmomi:VirtualMachine:vm-77:5a1e7c2d-9b3f-4e61-8c0a-2f4d6b8e1a37';

describe('RecoverWizard', () => {
  let sdk: FakeHtmlClientSdk;
  let http: HttpTestingController;
  let fetch: FakeFetch;

  function configure(mode?: string): void {
    ({ sdk, http, fetch } = configureViewTestBed({
      providers: [{ provide: ActivatedRoute, useValue: { snapshot: { data: mode === undefined ? {} : { mode } } } }],
    }));
  }

  afterEach(() => http.verify());

  async function open(revert = revertBody(), capabilities: Partial<VmCapabilities> = {}): Promise<RenderedView<RecoverWizard>> {
    const view = await renderView(RecoverWizard);
    flushCapabilities(http, API_BASE, FAKE_VM_ID, capabilities);
    http.expectOne(`${API_BASE}/api/v1/vms?limit=1000`).flush(pageBody([vmBody('vm-58', 'erp-01'), vmBody('vm-77', 'file-server')]));
    http.expectOne(`${VM_PATH}/revert`).flush(revert);
    http.expectOne(`${VM_PATH}/points?offset=0&limit=100`).flush(pageBody([pointBody(), pointBody({ id: DAMAGED, damaged: true })]));
    await view.stable();
    return view;
  }

  function visible(view: RenderedView<RecoverWizard>, selector: string): HTMLButtonElement {
    const button = view.element.querySelector<HTMLButtonElement>(`.clr-wizard-btn-wrapper:not([aria-hidden="true"]) ${selector}`);
    if (button === null) {
      throw new Error(`no visible wizard button ${selector}`);
    }
    return button;
  }

  async function next(view: RenderedView<RecoverWizard>): Promise<void> {
    visible(view, '.clr-wizard-btn--primary').click();
    await view.stable();
  }

  async function choosePoint(view: RenderedView<RecoverWizard>, id: string): Promise<void> {
    view.element.querySelector<HTMLInputElement>(`.ll-recover-point[data-point-id="${id}"] input[type=radio]`)?.click();
    await view.stable();
  }

  it('walks from a restore point to a new VM and starts it', async () => {
    configure();
    const view = await open();
    expect(visible(view, '.clr-wizard-btn--primary').disabled).toBeTrue();
    // A damaged point cannot be chosen.
    expect(view.element.querySelector<HTMLInputElement>(`.ll-recover-point[data-point-id="${DAMAGED}"] input[type=radio]`)?.disabled).toBeTrue();
    await choosePoint(view, POINT_ID);
    expect(visible(view, '.clr-wizard-btn--primary').disabled).toBeFalse();
    await next(view);
    expect(view.element.querySelector<HTMLInputElement>('#ll-mode-instantiate')?.checked).toBeTrue();
    // A screen reader names each choice by its label (the recovery, and the disks' speed on the next page).
    expect(radioGroupNames(view.element)).toEqual(['Recovery', 'Disks']);
    await next(view);
    const name = view.element.querySelector<HTMLInputElement>('#ll-recover-name')!;
    expect(name.value).toBe('erp-01-20261123-100000');
    name.value = 'erp-01-copy';
    name.dispatchEvent(new Event('input'));
    const datastore = view.element.querySelector<HTMLInputElement>('#ll-recover-datastore')!;
    datastore.value = 'datastore2';
    datastore.dispatchEvent(new Event('input'));
    await view.stable();
    await next(view);
    expect(view.text('.ll-recover-summary')).toContain('Lifeline creates the VM erp-01-copy from the restore point of Nov 23, 2026');

    visible(view, '.btn-success').click();
    await view.stable();
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/instantiate` });
    expect(post.request.body).toEqual({ name: 'erp-01-copy', powerOn: false, datastore: 'datastore2' });
    post.flush({ job: jobBody({ kind: 'restore', state: 'queued' }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.element.querySelector('clr-wizard')).toBeNull();
    expect(view.text('.ll-recover-started .ll-job-state')).toBe('Queued');
    expect((await fetch.call(0)).url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    // A copied VM runs from no backup: nothing to migrate or discard.
    expect(view.element.querySelector('.ll-recover-open-instant')).toBeNull();
    await view.click('.ll-recover-close');
    expect(sdk.modalResults).toEqual([{ jobId: JOB_ID }]);
  });

  it('starts a new VM that runs from the backup at once when instant is chosen; copy first stays the default', async () => {
    configure();
    const view = await open();
    await choosePoint(view, POINT_ID);
    await next(view);
    await next(view);
    expect(view.element.querySelector<HTMLInputElement>('#ll-speed-copy')?.checked).withContext('copy first is the default').toBeTrue();
    view.element.querySelector<HTMLInputElement>('#ll-speed-instant')?.click();
    view.element.querySelector<HTMLInputElement>('#ll-recover-power-on')?.click();
    await view.stable();
    await next(view);
    expect(view.text('.ll-recover-instant')).toContain('starts from the backup on Lifeline’s NFS datastore');
    visible(view, '.btn-success').click();
    await view.stable();
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/instant-instance` });
    expect(post.request.body).toEqual({ name: 'erp-01-20261123-100000', powerOn: true });
    post.flush({ job: jobBody({ kind: 'instant-recovery', state: 'queued' }), created: true, runId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b' }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-recover-started .ll-job-state')).toBe('Queued');
    // The dialog links to the view where the new VM is migrated or discarded: the global view, at Instant recoveries.
    expect(view.text('.ll-recover-instant-view')).toContain('Instant recoveries view');
    sessionStorage.removeItem('lifeline.globalPage');
    await view.click('.ll-recover-open-instant');
    expect(JSON.stringify(sdk.navigations)).toBe(JSON.stringify([{ targetViewId: 'lifeline.global' }]));
    expect(sessionStorage.getItem('lifeline.globalPage')).toBe('/global/instant-recoveries');
    expect(sdk.modalResults).toEqual([{ jobId: JOB_ID }]);
    sessionStorage.removeItem('lifeline.globalPage');
    view.fixture.destroy();
  });

  it('as Clone and attach, attaches the disks from the backup at once when instant is chosen', async () => {
    configure('attach');
    const view = await open();
    await choosePoint(view, POINT_ID);
    await next(view);
    view.element.querySelector<HTMLInputElement>('#ll-speed-instant')?.click();
    await view.stable();
    await next(view);
    expect(view.text('.ll-recover-instant')).toContain('attached from the backup on Lifeline’s NFS datastore');
    visible(view, '.btn-success').click();
    await view.stable();
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/instant-attach` });
    expect(post.request.body).toEqual({ vm: FAKE_VM_ID });
    post.flush({ job: jobBody({ kind: 'instant-recovery' }), created: true, runId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b' }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-recover-started .ll-job-state')).toBe('Running');
    view.fixture.destroy();
  });

  it('reverts this VM temporarily, with power off when asked', async () => {
    configure();
    const view = await open();
    await choosePoint(view, POINT_ID);
    await next(view);
    view.element.querySelector<HTMLInputElement>('#ll-mode-revert')?.click();
    await view.stable();
    await next(view);
    view.element.querySelector<HTMLInputElement>('#ll-recover-power-off')?.click();
    await view.stable();
    await next(view);
    visible(view, '.btn-success').click();
    await view.stable();
    const post = http.expectOne({ method: 'POST', url: `${VM_PATH}/revert` });
    expect(post.request.body).toEqual({ pointId: POINT_ID, powerOff: true });
    flushProblem(post, { status: 409, title: 'Conflict', detail: 'VirtualMachine vm-58 is busy with backup job job-2 (running)', code: 'busy' });
    await view.stable();
    // The wizard stays on its last page with the reason.
    expect(view.text('.ll-problem-detail')).toBe('VirtualMachine vm-58 is busy with backup job job-2 (running)');
    expect(view.element.querySelector('clr-wizard')).not.toBeNull();
  });

  it('offers no revert while the VM is in one', async () => {
    configure();
    const view = await open(revertBody({ reverted: true, pointId: POINT_ID, state: 'reverted', revertedAt: '2026-11-23T11:00:00.000Z', jobId: 'job-r' }));
    await choosePoint(view, POINT_ID);
    await next(view);
    expect(view.element.querySelector<HTMLInputElement>('#ll-mode-revert')?.disabled).toBeTrue();
    expect(view.text('.ll-mode-in-revert')).toContain('in a temporary revert already');
  });

  it('as Clone and attach, skips the mode and attaches chosen disks to the chosen VM', async () => {
    configure('attach');
    const view = await open();
    expect(view.element.querySelector('#ll-mode-revert')).toBeNull();
    await choosePoint(view, POINT_ID);
    await next(view);
    const target = view.element.querySelector<HTMLSelectElement>('#ll-recover-target-vm')!;
    expect([...target.options].map((o) => o.textContent?.trim())).toEqual(['erp-01', 'file-server']);
    expect(target.value).toBe(FAKE_VM_ID);
    target.value = OTHER_VM;
    target.dispatchEvent(new Event('change'));
    view.element.querySelector<HTMLInputElement>('#ll-recover-disk-0')?.click();
    await view.stable();
    await next(view);
    expect(view.text('.ll-recover-summary')).toContain('clones 1 disk(s) of the restore point of Nov 23, 2026');
    expect(view.text('.ll-recover-summary')).toContain('attaches them to file-server');
    visible(view, '.btn-success').click();
    await view.stable();
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/attach` });
    expect(post.request.body).toEqual({ vm: OTHER_VM, disks: [1] });
    post.flush({ job: jobBody({ kind: 'restore' }), created: true, attachmentId: 'a' }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-recover-started .ll-job-state')).toBe('Running');
    view.fixture.destroy();
  });

  it('offers no way to recover to a user who may not restore, only a way out', async () => {
    configure();
    const view = await open(revertBody(), { restore: false, protect: true, admin: true });
    expect(view.element.querySelector('clr-wizard')).toBeNull();
    expect(view.all('.ll-recover-point')).toEqual([]);
    await view.click('.ll-recover-close');
    expect(sdk.modalResults).toEqual([null]);
    http.expectNone(() => true);
  });

  it('shows the wizard to a user who may restore', async () => {
    configure();
    const view = await open(revertBody(), { restore: true, protect: false, admin: false });
    expect(view.element.querySelector('clr-wizard')).not.toBeNull();
    expect(view.all('.ll-recover-point').length).toBe(2);
  });

  it('closes without a job on cancel', async () => {
    configure();
    const view = await open();
    visible(view, '.clr-wizard-btn--tertiary').click();
    await view.stable();
    expect(sdk.modalResults).toEqual([null]);
    http.expectNone(() => true);
  });

  it('on its last page still goes back and cancels without starting anything', async () => {
    configure();
    const view = await open();
    await choosePoint(view, POINT_ID);
    await next(view);
    await next(view);
    await next(view);
    expect(view.element.querySelector('.ll-page-confirm.active')).not.toBeNull();
    visible(view, '.clr-wizard-btn--secondary').click();
    await view.stable();
    expect(view.element.querySelector('.ll-page-confirm.active')).toBeNull();
    await next(view);
    expect(view.element.querySelector('.ll-page-confirm.active')).not.toBeNull();
    visible(view, '.clr-wizard-btn--tertiary').click();
    await view.stable();
    expect(sdk.modalResults).toEqual([null]);
    http.expectNone(() => true);
  });
});
