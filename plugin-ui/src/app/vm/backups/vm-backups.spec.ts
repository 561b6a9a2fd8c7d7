import type { HttpTestingController } from '@angular/common/http/testing';

import type { VmCapabilities } from '../../api/capabilities';
import { flushCapabilities } from '../../api/capabilities-testing';
import type { FakeFetch } from '../../api/fake-fetch';
import { SESSION_HEADER } from '../../api/lifeline-api';
import { FAKE_VM_ID } from '../../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, radioGroupNames, renderView, type RenderedView } from '../../testing/view-test-bed';
import { JOB_ID, POINT_ID, instantRevertBody, jobBody, pageBody, pointBody, revertBody, sseEvent } from '../../testing/server-bodies';
import { VmBackups } from './vm-backups';

const VM_PATH = `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}`;
const FIRST_PAGE = `${VM_PATH}/points?offset=0&limit=50`;
const OLDER = '20261122-100000-0f0f0f0f';

describe('VmBackups', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    ({ http, fetch } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  async function open(
    points: unknown[] = [pointBody(), pointBody({ id: OLDER, createdAt: '2026-11-22T10:00:00.000Z', consistency: 'crash', locked: false, damaged: true, newBytes: 0 })],
    revert = revertBody(),
    capabilities: Partial<VmCapabilities> = {},
    instant = instantRevertBody(),
  ): Promise<RenderedView<VmBackups>> {
    const view = await renderView(VmBackups);
    flushCapabilities(http, API_BASE, FAKE_VM_ID, capabilities);
    http.expectOne(FIRST_PAGE).flush(pageBody(points, { limit: 50 }));
    http.expectOne(`${VM_PATH}/revert`).flush(revert);
    http.expectOne(`${VM_PATH}/instant-revert`).flush(instant);
    await view.stable();
    return view;
  }

  function row(view: RenderedView<VmBackups>, id: string): HTMLElement {
    const found = view.element.querySelector<HTMLElement>(`.ll-point-row[data-point-id="${id}"]`);
    if (found === null) {
      throw new Error(`no row for point ${id}`);
    }
    return found;
  }

  async function selectPoint(view: RenderedView<VmBackups>, id: string): Promise<void> {
    row(view, id).querySelector<HTMLInputElement>('input[type=radio]')?.click();
    await view.stable();
  }

  const button = (view: RenderedView<VmBackups>, selector: string) => view.element.querySelector<HTMLButtonElement>(selector);

  function check(view: RenderedView<VmBackups>, selector: string, checked: boolean): void {
    const box = view.element.querySelector<HTMLInputElement>(selector);
    if (box === null) {
      throw new Error(`no checkbox ${selector}`);
    }
    if (box.checked !== checked) {
      box.click();
    }
  }

  it('lists restore points with time, type, sizes, immutability and damage', async () => {
    const view = await open();
    const newest = row(view, POINT_ID);
    expect(newest.querySelector('.ll-point-time')?.textContent).toContain('2026');
    expect(newest.querySelector('.ll-point-consistency')?.textContent?.trim()).toBe('Application');
    expect(newest.querySelector('.ll-point-logical')?.textContent?.trim()).toBe('40 GiB');
    expect(newest.querySelector('.ll-point-new')?.textContent?.trim()).toBe('1.5 GiB');
    expect(newest.querySelector('.ll-point-retain-until')?.textContent).toContain('Nov 30, 2026');
    expect(newest.querySelector('.ll-point-locked')?.textContent?.trim()).toBe('Locked');
    expect(newest.querySelector('.ll-point-damaged')).toBeNull();
    const older = row(view, OLDER);
    expect(older.querySelector('.ll-point-consistency')?.textContent?.trim()).toBe('Crash');
    expect(older.querySelector('.ll-point-locked')).toBeNull();
    expect(older.querySelector('.ll-point-damaged')?.textContent?.trim()).toBe('Damaged');
    expect(view.text('.ll-points-range')).toBe('1–2 of 2');
    expect(view.element.querySelector('.ll-revert-banner')).toBeNull();
  });

  it('shows which points have a copy on object storage, and until when it is locked there', async () => {
    const view = await open([pointBody({ objectStorageCopy: { retainUntil: '2027-11-23T10:00:00.000Z' } }), pointBody({ id: OLDER, createdAt: '2026-11-22T10:00:00.000Z' })]);
    expect(row(view, POINT_ID).querySelector('.ll-point-copied')?.textContent?.trim()).toBe('Copied, locked until Nov 23, 2027');
    expect(row(view, POINT_ID).querySelector('.ll-point-not-copied')).toBeNull();
    expect(row(view, OLDER).querySelector('.ll-point-copied')).toBeNull();
    expect(row(view, OLDER).querySelector('.ll-point-not-copied')?.textContent?.trim()).toBe('No copy');
  });

  it('offers recovery only from a selected point that is not damaged', async () => {
    const view = await open();
    expect(button(view, '.ll-action-revert')?.disabled).toBeTrue();
    await selectPoint(view, OLDER);
    expect(button(view, '.ll-action-revert')?.disabled).toBeTrue();
    expect(button(view, '.ll-action-attach')?.disabled).toBeTrue();
    await selectPoint(view, POINT_ID);
    expect(button(view, '.ll-action-revert')?.disabled).toBeFalse();
    expect(button(view, '.ll-action-instantiate')?.disabled).toBeFalse();
    expect(button(view, '.ll-action-attach')?.disabled).toBeFalse();
  });

  describe('export', () => {
    const TICKET_URL = '/api/v1/downloads/Qx3vT0m5bYl2kKpN8cWfR1sJzA9dHqE7uV4gLiO6yXw';
    /** The links the view made the browser follow, as they were when clicked. */
    let followed: Array<{ href: string | null; download: boolean; inDocument: boolean }>;

    beforeEach(() => {
      followed = [];
      // The browser's own download is the one thing not run for real: it would leave the test page.
      spyOn(HTMLAnchorElement.prototype, 'click').and.callFake(function (this: HTMLAnchorElement) {
        followed.push({ href: this.getAttribute('href'), download: this.hasAttribute('download'), inDocument: this.isConnected });
      });
    });

    it('is offered for a selected point that is not damaged', async () => {
      const view = await open();
      expect(button(view, '.ll-action-export')?.disabled).toBeTrue();
      await selectPoint(view, OLDER);
      expect(button(view, '.ll-action-export')?.disabled).toBeTrue();
      await selectPoint(view, POINT_ID);
      expect(button(view, '.ll-action-export')?.disabled).toBeFalse();
    });

    it('asks for a ticket to the chosen disk and format with the session, then lets the browser download it', async () => {
      const view = await open();
      await selectPoint(view, POINT_ID);
      await view.click('.ll-action-export');
      expect(view.text('.modal-title')).toBe('Export a disk');
      expect(view.text('.ll-dialog-submit')).toBe('Download');
      expect(view.all('.ll-export-disk').map((r) => (r as HTMLInputElement).checked)).toEqual([true, false]);
      expect(view.element.querySelector<HTMLInputElement>('#ll-export-format-raw')?.checked).toBeTrue();
      // A screen reader names each choice by its label.
      expect(radioGroupNames(view.element)).toEqual(['Disk', 'Format']);
      await view.click('#ll-export-disk-1');
      await view.click('#ll-export-format-vmdk');
      await view.click('.ll-dialog-submit');

      const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/disks/1/download` });
      expect(post.request.body).toEqual({ format: 'vmdk' });
      expect(post.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
      expect(followed).toEqual([]);
      post.flush({ url: TICKET_URL, expiresAt: '2026-11-23T12:01:00.000Z', resumableForSeconds: 3600 }, { status: 201, statusText: 'Created' });
      await view.stable();

      expect(followed).toEqual([{ href: `${API_BASE}${TICKET_URL}`, download: true, inDocument: true }]);
      // The link was only there to be followed.
      expect(document.querySelector(`a[href$="${TICKET_URL}"]`)).toBeNull();
      expect(view.element.querySelector('.modal-title')).toBeNull();
      // A download starts no job: recovery stays available.
      expect(fetch.calls.length).toBe(0);
      expect(button(view, '.ll-action-revert')?.disabled).toBeFalse();
    });

    it('asks for the first disk as a raw image unless told otherwise', async () => {
      const view = await open();
      await selectPoint(view, POINT_ID);
      await view.click('.ll-action-export');
      await view.click('.ll-dialog-submit');
      const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/disks/0/download` });
      expect(post.request.body).toEqual({ format: 'raw' });
      post.flush({ url: TICKET_URL, expiresAt: '2026-11-23T12:01:00.000Z' }, { status: 201, statusText: 'Created' });
      await view.stable();
      expect(followed.map((f) => f.href)).toEqual([`${API_BASE}${TICKET_URL}`]);
    });

    it('keeps the dialog open with the reason when the server refuses, and downloads nothing', async () => {
      const view = await open();
      await selectPoint(view, POINT_ID);
      await view.click('.ll-action-export');
      await view.click('.ll-dialog-submit');
      flushProblem(http.expectOne(`${API_BASE}/api/v1/points/${POINT_ID}/disks/0/download`), {
        status: 403,
        title: 'Forbidden',
        detail: 'erp-admin@vsphere.local lacks the privilege com.lifeline.Restore on VirtualMachine vm-58.',
        code: 'forbidden',
      });
      await view.stable();
      expect(view.text('.modal-body .ll-problem-detail')).toBe('erp-admin@vsphere.local lacks the privilege com.lifeline.Restore on VirtualMachine vm-58.');
      expect(view.text('.modal-title')).toBe('Export a disk');
      expect(followed).toEqual([]);
    });

    it('follows no link that is not a download on the Lifeline server', async () => {
      const view = await open();
      await selectPoint(view, POINT_ID);
      await view.click('.ll-action-export');
      await view.click('.ll-dialog-submit');
      http.expectOne(`${API_BASE}/api/v1/points/${POINT_ID}/disks/0/download`).flush({ url: 'https://elsewhere.example/x', expiresAt: '2026-11-23T12:01:00.000Z' }, { status: 201, statusText: 'Created' });
      await view.stable();
      expect(followed).toEqual([]);
      expect(view.text('.modal-body .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
    });
  });

  it('reverts the VM temporarily, follows the job, then shows the revert banner', async () => {
    const view = await open();
    await selectPoint(view, POINT_ID);
    await view.click('.ll-action-revert');
    expect(view.text('.modal-title')).toBe('Revert temporarily');
    expect(view.text('.ll-dialog-text')).toContain('Its current disks are kept aside');
    check(view, '#ll-power-off', true);
    await view.click('.ll-dialog-submit');
    const post = http.expectOne({ method: 'POST', url: `${VM_PATH}/revert` });
    expect(post.request.body).toEqual({ pointId: POINT_ID, powerOff: true });
    post.flush({ job: jobBody({ kind: 'restore', state: 'queued', phase: null, startedAt: null }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.element.querySelector('.modal-title')).toBeNull();
    expect(view.text('.ll-recovery-job .ll-job-kind')).toBe('Recovery');
    expect(view.text('.ll-recovery-job .ll-job-state')).toBe('Queued');
    expect(button(view, '.ll-action-instantiate')?.disabled).toBeTrue();

    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(sseEvent('snapshot', { seq: 1, jobId: JOB_ID, job: jobBody({ kind: 'restore', phase: 'restore disks', progress: { bytesDone: 16 * 2 ** 30, bytesTotal: 40 * 2 ** 30, rateBytesPerSecond: null, etaSeconds: null } }) }));
    await view.stable();
    expect(view.element.querySelector('.ll-recovery-job .ll-job-progress')?.getAttribute('data-percent')).toBe('40');
    stream.stream.write(sseEvent('state', { seq: 2, jobId: JOB_ID, job: jobBody({ kind: 'restore', state: 'succeeded' }) }));
    stream.stream.end();
    await view.stable();
    http.expectOne(`${VM_PATH}/revert`).flush(revertBody({ reverted: true, pointId: POINT_ID, state: 'reverted', revertedAt: '2026-11-23T11:00:00.000Z', jobId: JOB_ID }));
    http.expectOne(`${VM_PATH}/instant-revert`).flush(instantRevertBody());
    await view.stable();
    expect(view.text('.ll-revert-text')).toContain('This VM runs temporarily on its restore point of Nov 23, 2026');
    expect(row(view, POINT_ID).querySelector('.ll-point-reverted')?.textContent?.trim()).toBe('Running on it');
    // A VM already in a revert is not reverted again; the banner's actions lead out of it.
    expect(button(view, '.ll-action-revert')?.disabled).toBeTrue();
  });

  it('keeps the dialog open with the reason when the server refuses', async () => {
    const view = await open();
    await selectPoint(view, POINT_ID);
    await view.click('.ll-action-revert');
    await view.click('.ll-dialog-submit');
    const post = http.expectOne(`${VM_PATH}/revert`);
    expect(post.request.body).toEqual({ pointId: POINT_ID, powerOff: false });
    flushProblem(post, {
      status: 409,
      title: 'Conflict',
      detail: 'VM erp-01 is poweredOn; a revert powers it off: confirm with powerOff: true',
      code: 'conflict',
    });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toBe('VM erp-01 is poweredOn; a revert powers it off: confirm with powerOff: true');
    expect(view.text('.modal-title')).toBe('Revert temporarily');
    expect(fetch.calls.length).toBe(0);
  });

  it('cancels a temporary revert or makes it permanent from the banner', async () => {
    const reverted = revertBody({ reverted: true, pointId: POINT_ID, state: 'reverted', revertedAt: '2026-11-23T11:00:00.000Z', jobId: 'job-r' });
    const view = await open([pointBody()], reverted);
    expect(view.text('.ll-revert-text')).toContain('This VM runs temporarily on its restore point of Nov 23, 2026');
    await view.click('.ll-revert-cancel');
    expect(view.text('.ll-dialog-text')).toContain('what changed on the restored disks is lost');
    await view.click('.ll-dialog-submit');
    const cancel = http.expectOne({ method: 'POST', url: `${VM_PATH}/revert/cancel` });
    expect(cancel.request.body).toEqual({ powerOff: false });
    flushProblem(cancel, { status: 403, title: 'Forbidden', detail: 'You lack the privilege Lifeline.Restore on VirtualMachine vm-58.', code: 'forbidden' });
    await view.stable();
    await view.click('.ll-dialog-cancel');

    await view.click('.ll-revert-commit');
    expect(view.text('.ll-dialog-text')).toContain('the disks kept aside are deleted');
    await view.click('.ll-dialog-submit');
    const commit = http.expectOne({ method: 'POST', url: `${VM_PATH}/revert/commit` });
    expect(commit.request.body).toEqual({});
    commit.flush({ job: jobBody({ id: 'job-c', kind: 'restore', state: 'queued' }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect((await fetch.call(0)).url).toBe(`${API_BASE}/api/v1/jobs/job-c/events`);
    expect(button(view, '.ll-revert-commit')?.disabled).toBeTrue();
    view.fixture.destroy();
  });

  it('names the point of a revert by its id when it is not on the page shown', async () => {
    const view = await open([pointBody({ id: OLDER })], revertBody({ reverted: true, pointId: POINT_ID, state: 'reverted', revertedAt: '2026-11-23T11:00:00.000Z', jobId: 'job-r' }));
    expect(view.text('.ll-revert-text')).toContain(`This VM runs temporarily on its restore point ${POINT_ID}.`);
  });

  it('says what runs while a revert is being made or undone, and follows its job', async () => {
    const view = await open([pointBody()], revertBody({ reverted: true, pointId: POINT_ID, state: 'cancelling', revertedAt: null, jobId: 'job-x' }));
    expect(view.text('.ll-revert-text')).toBe('Lifeline is cancelling the revert and returning this VM to its own disks.');
    expect(view.element.querySelector('.ll-revert-cancel')).toBeNull();
    expect((await fetch.call(0)).url).toBe(`${API_BASE}/api/v1/jobs/job-x/events`);
    view.fixture.destroy();
  });

  describe('instant revert', () => {
    const running = (overrides: Record<string, unknown> = {}) => instantRevertBody({ active: true, pointId: POINT_ID, state: 'running', createdAt: '2026-11-23T11:00:00.000Z', ...overrides });

    it('is offered beside the temporary revert, follows its job, then shows the VM running from its backup', async () => {
      const view = await open();
      expect(button(view, '.ll-action-instant-revert')?.disabled).toBeTrue();
      await selectPoint(view, OLDER);
      expect(button(view, '.ll-action-instant-revert')?.disabled).withContext('a damaged point').toBeTrue();
      await selectPoint(view, POINT_ID);
      await view.click('.ll-action-instant-revert');
      expect(view.text('.modal-title')).toBe('Instant revert');
      expect(view.text('.ll-dialog-text')).toContain('nothing is copied first');
      check(view, '#ll-power-off', true);
      await view.click('.ll-dialog-submit');
      const post = http.expectOne({ method: 'POST', url: `${VM_PATH}/instant-revert` });
      expect(post.request.body).toEqual({ pointId: POINT_ID, powerOff: true });
      post.flush({ job: jobBody({ kind: 'instant-revert', state: 'queued', phase: null, startedAt: null }), created: true }, { status: 202, statusText: 'Accepted' });
      await view.stable();
      http.expectOne(`${VM_PATH}/instant-revert`).flush(running({ state: 'starting', job: { id: JOB_ID, operation: 'revert', state: 'running', bytesDone: 0, bytesTotal: null } }));
      await view.stable();
      expect(view.element.querySelector('.modal-title')).toBeNull();
      expect(view.text('.ll-recovery-job .ll-job-kind')).toBe('Instant revert');
      expect(view.text('.ll-instant-text')).toBe(`Lifeline is starting this VM from restore point ${POINT_ID}.`);
      expect(view.element.querySelector('.ll-instant-commit')).toBeNull();

      const stream = await fetch.call(0);
      expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
      stream.stream.write(sseEvent('state', { seq: 1, jobId: JOB_ID, job: jobBody({ kind: 'instant-revert', state: 'succeeded' }) }));
      stream.stream.end();
      await view.stable();
      http.expectOne(`${VM_PATH}/revert`).flush(revertBody());
      http.expectOne(`${VM_PATH}/instant-revert`).flush(running());
      await view.stable();
      expect(view.text('.ll-instant-text')).toContain('This VM runs from its backup: its restore point of Nov 23, 2026');
      expect(row(view, POINT_ID).querySelector('.ll-point-reverted')?.textContent?.trim()).toBe('Running on it');
      expect(view.element.querySelector('.ll-revert-banner')).toBeNull();
      // One revert at a time: neither kind is offered while the VM runs from its backup.
      expect(button(view, '.ll-action-revert')?.disabled).toBeTrue();
      expect(button(view, '.ll-action-instant-revert')?.disabled).toBeTrue();
      expect(button(view, '.ll-instant-commit')?.disabled).toBeFalse();
      expect(button(view, '.ll-instant-cancel')?.disabled).toBeFalse();
    });

    it('makes it permanent from the banner and shows the move of the disks with its progress', async () => {
      const view = await open([pointBody()], revertBody(), {}, running());
      await view.click('.ll-instant-commit');
      expect(view.text('.modal-title')).toBe('Make permanent');
      expect(view.text('.ll-dialog-text')).toContain('move from Lifeline’s NFS datastore');
      expect(view.element.querySelector('#ll-power-off')).toBeNull();
      await view.click('.ll-dialog-submit');
      const commit = http.expectOne({ method: 'POST', url: `${VM_PATH}/instant-revert/commit` });
      expect(commit.request.body).toEqual({});
      commit.flush({ job: jobBody({ id: 'job-m', kind: 'instant-revert', state: 'queued' }), created: true }, { status: 202, statusText: 'Accepted' });
      await view.stable();
      http.expectOne(`${VM_PATH}/instant-revert`).flush(running({ state: 'migrating', job: { id: 'job-m', operation: 'commit', state: 'running', bytesDone: 0, bytesTotal: 8 * 2 ** 30 } }));
      await view.stable();
      expect(view.text('.ll-instant-text')).toBe('This VM runs from its backup while Lifeline moves its disks to production storage.');
      expect(view.element.querySelector('.ll-instant-cancel')).withContext('no cancel while the disks move').toBeNull();

      const stream = await fetch.call(0);
      expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/job-m/events`);
      stream.stream.write(sseEvent('snapshot', { seq: 1, jobId: 'job-m', job: jobBody({ id: 'job-m', kind: 'instant-revert', phase: 'migrate', progress: { bytesDone: 2 * 2 ** 30, bytesTotal: 8 * 2 ** 30, rateBytesPerSecond: null, etaSeconds: null } }) }));
      await view.stable();
      expect(view.text('.ll-instant-text')).toBe('This VM runs from its backup while Lifeline moves its disks to production storage: 25% done.');
      expect(view.element.querySelector('.ll-recovery-job .ll-job-progress')?.getAttribute('data-percent')).toBe('25');
      stream.stream.write(sseEvent('state', { seq: 2, jobId: 'job-m', job: jobBody({ id: 'job-m', kind: 'instant-revert', state: 'succeeded' }) }));
      stream.stream.end();
      await view.stable();
      http.expectOne(`${VM_PATH}/revert`).flush(revertBody());
      http.expectOne(`${VM_PATH}/instant-revert`).flush(instantRevertBody());
      await view.stable();
      expect(view.element.querySelector('.ll-instant-banner')).toBeNull();
      expect(row(view, POINT_ID).querySelector('.ll-point-reverted')).toBeNull();
    });

    it('follows the move already under way when the tab opens', async () => {
      const view = await open([pointBody()], revertBody(), {}, running({ state: 'migrating', job: { id: 'job-x', operation: 'commit', state: 'running', bytesDone: 3 * 2 ** 29, bytesTotal: 2 * 2 ** 30 } }));
      expect(view.text('.ll-instant-text')).toBe('This VM runs from its backup while Lifeline moves its disks to production storage: 75% done.');
      expect((await fetch.call(0)).url).toBe(`${API_BASE}/api/v1/jobs/job-x/events`);
      view.fixture.destroy();
    });

    it('cancels from the banner; a refusal keeps the dialog open with the reason', async () => {
      const view = await open([pointBody()], revertBody(), {}, running());
      await view.click('.ll-instant-cancel');
      expect(view.text('.modal-title')).toBe('Cancel instant revert');
      expect(view.text('.ll-dialog-text')).toContain('what it wrote while running from the backup is lost');
      await view.click('.ll-dialog-submit');
      const cancel = http.expectOne({ method: 'POST', url: `${VM_PATH}/instant-revert/cancel` });
      expect(cancel.request.body).toEqual({});
      flushProblem(cancel, { status: 503, title: 'Service Unavailable', detail: 'This Lifeline server has no NFS server, which an instant revert runs the VM from: add an "nfs" section (host, clients) to its configuration.', code: 'nfs-not-configured' });
      await view.stable();
      expect(view.text('.modal-body .ll-problem-detail')).toContain('add an "nfs" section');
      expect(view.text('.modal-title')).toBe('Cancel instant revert');
      expect(fetch.calls.length).toBe(0);
    });

    it('shows no way out of an instant revert to a user without the Restore privilege', async () => {
      const view = await open([pointBody()], revertBody(), { restore: false }, running());
      expect(view.text('.ll-instant-text')).toContain('This VM runs from its backup');
      expect(view.element.querySelector('.ll-instant-commit')).toBeNull();
      expect(view.element.querySelector('.ll-instant-cancel')).toBeNull();
      expect(view.element.querySelector('.ll-action-instant-revert')).toBeNull();
    });
  });

  it('creates a new VM from a point with the name the user gives', async () => {
    const view = await open();
    await selectPoint(view, POINT_ID);
    await view.click('.ll-action-instantiate');
    const name = view.element.querySelector<HTMLInputElement>('#ll-instance-name');
    expect(name?.value).toBe('erp-01-20261123-100000');
    name!.value = ' erp-01-restored ';
    name!.dispatchEvent(new Event('input'));
    check(view, '#ll-instance-power-on', true);
    await view.stable();
    await view.click('.ll-dialog-submit');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/instantiate` });
    expect(post.request.body).toEqual({ name: 'erp-01-restored', powerOn: true });
    flushProblem(post, {
      status: 400,
      title: 'Bad Request',
      detail: 'name: a VM called erp-01-restored exists already',
      code: 'validation',
      errors: [{ field: 'name', message: 'a VM called erp-01-restored exists already' }],
    });
    await view.stable();
    expect(view.text('.ll-problem-fields')).toBe('a VM called erp-01-restored exists already');
  });

  it('clones and attaches the chosen disks of a point to this VM', async () => {
    const view = await open();
    await selectPoint(view, POINT_ID);
    await view.click('.ll-action-attach');
    expect(view.all('.ll-attach-disk').map((box) => (box as HTMLInputElement).checked)).toEqual([true, true]);
    check(view, '#ll-attach-disk-1', false);
    await view.stable();
    await view.click('.ll-dialog-submit');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/points/${POINT_ID}/attach` });
    expect(post.request.body).toEqual({ vm: FAKE_VM_ID, disks: [0] });
    post.flush({ job: jobBody({ kind: 'restore' }), created: true, attachmentId: '6f1c2d3e-0000-4000-8000-000000000001' }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-recovery-job .ll-job-state')).toBe('Running');
    view.fixture.destroy();
  });

  it('does not attach when no disk is chosen, and sends all disks without listing them', async () => {
    const view = await open();
    await selectPoint(view, POINT_ID);
    await view.click('.ll-action-attach');
    check(view, '#ll-attach-disk-0', false);
    check(view, '#ll-attach-disk-1', false);
    await view.stable();
    expect(button(view, '.ll-dialog-submit')?.disabled).toBeTrue();
    check(view, '#ll-attach-disk-0', true);
    check(view, '#ll-attach-disk-1', true);
    await view.stable();
    await view.click('.ll-dialog-submit');
    expect(http.expectOne(`${API_BASE}/api/v1/points/${POINT_ID}/attach`).request.body).toEqual({ vm: FAKE_VM_ID });
  });

  it('shows no restore action to a user without the Restore privilege, and every one to a user with it', async () => {
    const inRevert = revertBody({ reverted: true, pointId: POINT_ID, state: 'reverted', revertedAt: '2026-11-23T11:00:00.000Z', jobId: null });
    // Downloading a disk reads a restore point's data, so it needs Restore too.
    const restoreActions = ['.ll-action-revert', '.ll-action-instant-revert', '.ll-action-instantiate', '.ll-action-attach', '.ll-action-export', '.ll-revert-cancel', '.ll-revert-commit'];

    const without = await open(undefined, inRevert, { restore: false, protect: true, admin: true });
    await selectPoint(without, POINT_ID);
    expect(without.all('.ll-point-row').length).toBe(2);
    expect(without.all('.ll-revert-banner').length).toBe(1);
    for (const action of restoreActions) {
      expect(without.element.querySelector(action)).withContext(action).toBeNull();
    }
    without.fixture.destroy();

    const withRestore = await open(undefined, inRevert, { restore: true, protect: false, admin: false });
    await selectPoint(withRestore, POINT_ID);
    for (const action of restoreActions) {
      expect(withRestore.element.querySelector(action)).withContext(action).not.toBeNull();
    }
  });

  it('shows no restore action before it knows what the user may do', async () => {
    const view = await renderView(VmBackups);
    http.expectOne(FIRST_PAGE).flush(pageBody([pointBody()], { limit: 50 }));
    http.expectOne(`${VM_PATH}/revert`).flush(revertBody());
    http.expectOne(`${VM_PATH}/instant-revert`).flush(instantRevertBody());
    await view.stable();
    expect(view.all('.ll-point-row').length).toBe(1);
    expect(view.element.querySelector('.ll-action-revert')).toBeNull();
    expect(view.element.querySelector('.ll-point-delete')).toBeNull();
    expect(view.element.querySelector('.ll-point-retain')).toBeNull();
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    await view.stable();
    expect(view.element.querySelector('.ll-action-revert')).not.toBeNull();
    expect(view.element.querySelector('.ll-point-delete')).not.toBeNull();
    expect(view.element.querySelector('.ll-point-retain')).not.toBeNull();
  });

  describe('delete', () => {
    // The default page: POINT_ID is retained until Nov 30, 2026; OLDER is past its retention.
    const POINT_URL = `${API_BASE}/api/v1/points/${OLDER}`;
    const deletes = { method: 'DELETE' };
    const modal = '.ll-point-delete-modal';

    async function askDelete(view: RenderedView<VmBackups>, id = OLDER): Promise<void> {
      await selectPoint(view, id);
      await view.click('.ll-point-delete');
    }

    it('is offered to an administrator for a point past its retention, and says until when a locked point is kept', async () => {
      const view = await open();
      expect(button(view, '.ll-point-delete')?.textContent?.trim()).toBe('Delete…');
      expect(button(view, '.ll-point-delete')?.disabled).toBeTrue();
      await selectPoint(view, OLDER);
      expect(button(view, '.ll-point-delete')?.disabled).toBeFalse();
      expect(view.element.querySelector('.ll-point-delete-locked')).toBeNull();

      await selectPoint(view, POINT_ID);
      expect(button(view, '.ll-point-delete')?.disabled).toBeTrue();
      const kept = view.text('.ll-point-delete-locked');
      expect(kept).toContain('This restore point is kept until Nov 30, 2026');
      expect(kept).toContain('it can be deleted from then on.');
      // A disabled button asks nothing.
      button(view, '.ll-point-delete')?.click();
      await view.stable();
      expect(view.element.querySelector(`${modal} .modal-title`)).toBeNull();
    });

    it('is not shown to a user without the Admin privilege, even one who may restore', async () => {
      const view = await open(undefined, undefined, { protect: true, restore: true, admin: false });
      await selectPoint(view, OLDER);
      expect(view.element.querySelector('.ll-action-revert')).not.toBeNull();
      expect(view.element.querySelector('.ll-point-delete')).toBeNull();
      await selectPoint(view, POINT_ID);
      expect(view.element.querySelector('.ll-point-delete-locked')).toBeNull();
      view.fixture.destroy();

      // Deleting needs Admin only, not Restore.
      const admin = await open(undefined, undefined, { protect: false, restore: false, admin: true });
      await selectPoint(admin, OLDER);
      expect(admin.element.querySelector('.ll-action-revert')).toBeNull();
      expect(button(admin, '.ll-point-delete')?.disabled).toBeFalse();
    });

    it('deletes the point once confirmed, with the session, and reads the list again', async () => {
      const view = await open();
      const created = view.text(`.ll-point-row[data-point-id="${OLDER}"] .ll-point-time`);
      expect(created).toContain('Nov 22, 2026');
      await askDelete(view);
      expect(view.text(`${modal} .modal-title`)).toBe('Delete restore point');
      const text = view.text('.ll-point-delete-text');
      expect(text).toContain(`Lifeline deletes the restore point of ${created}.`);
      expect(text).toContain('Its data is removed for good; this cannot be undone.');
      expect(text).toContain('freed by the next maintenance');
      expect(text).toContain('The VM’s other restore points are not affected.');
      http.expectNone(deletes);

      await view.click('.ll-point-delete-confirm');
      const request = http.expectOne(deletes);
      expect(request.request.url).toBe(POINT_URL);
      expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
      // While it runs the button says so and cannot be pressed again.
      expect(button(view, '.ll-point-delete-confirm')?.disabled).toBeTrue();
      expect(view.text('.ll-point-delete-confirm')).toBe('Deleting…');
      button(view, '.ll-point-delete-confirm')?.click();
      await view.stable();
      http.expectNone(deletes);

      request.flush(null, { status: 204, statusText: 'No Content' });
      await view.stable();
      expect(view.element.querySelector(`${modal} .modal-title`)).toBeNull();
      http.expectOne(FIRST_PAGE).flush(pageBody([pointBody()], { limit: 50 }));
      await view.stable();
      expect(view.all('.ll-point-row').map((r) => r.getAttribute('data-point-id'))).toEqual([POINT_ID]);
      expect(view.text('.ll-points-range')).toBe('1–1 of 1');
    });

    it('keeps the dialog open with the reason when the point is still retained, and leaves the list as it was', async () => {
      const view = await open();
      await askDelete(view);
      await view.click('.ll-point-delete-confirm');
      const detail = `restore point ${OLDER} is retained until 2026-11-24T10:00:00.000Z; it can be deleted from then on`;
      flushProblem(http.expectOne({ method: 'DELETE', url: POINT_URL }), {
        status: 409,
        title: 'Conflict',
        detail,
        code: 'retention-locked',
        allowedAt: '2026-11-24T10:00:00.000Z',
      });
      await view.stable();
      expect(view.text(`${modal} .ll-problem-detail`)).toBe(detail);
      expect(view.text(`${modal} .modal-title`)).toBe('Delete restore point');
      expect(button(view, '.ll-point-delete-confirm')?.disabled).toBeFalse();
      expect(view.text('.ll-point-delete-confirm')).toBe('Delete');
      http.expectNone(FIRST_PAGE);
      expect(view.all('.ll-point-row').length).toBe(2);

      // Asked again, the dialog starts without the old reason.
      await view.click('.ll-point-delete-cancel');
      await view.click('.ll-point-delete');
      expect(view.element.querySelector(`${modal} .ll-problem-detail`)).toBeNull();
    });

    it('says so and drops the point from the list when it is already gone', async () => {
      const view = await open();
      await askDelete(view);
      await view.click('.ll-point-delete-confirm');
      flushProblem(http.expectOne({ method: 'DELETE', url: POINT_URL }), {
        status: 404,
        title: 'Not Found',
        detail: `no restore point ${OLDER}`,
        code: 'not-found',
      });
      await view.stable();
      expect(view.text(`${modal} .ll-problem-detail`)).toBe(`no restore point ${OLDER}`);
      http.expectOne(FIRST_PAGE).flush(pageBody([pointBody()], { limit: 50 }));
      await view.stable();
      expect(view.all('.ll-point-row').length).toBe(1);
    });

    it('sends nothing when the user cancels', async () => {
      const view = await open();
      await askDelete(view);
      expect(view.element.querySelector(`${modal} .modal-title`)).not.toBeNull();
      await view.click('.ll-point-delete-cancel');
      expect(view.element.querySelector(`${modal} .modal-title`)).toBeNull();
      http.expectNone(deletes);
      expect(view.all('.ll-point-row').length).toBe(2);
    });
  });

  describe('keep longer', () => {
    const RETAIN_URL = `${API_BASE}/api/v1/points/${POINT_ID}/retention`;
    const modal = '.ll-point-retain-modal';
    // Kept until Nov 30, 2026, 10:00 where the test runs, whatever its time zone.
    const RETAIN_UNTIL = new Date(2026, 10, 30, 10, 0).toISOString();
    const points = (): unknown[] => [
      pointBody({ retainUntil: RETAIN_UNTIL }),
      pointBody({ id: OLDER, createdAt: '2026-11-22T10:00:00.000Z', retainUntil: '2026-11-22T12:00:00.000Z', locked: false }),
    ];
    const dayInput = (view: RenderedView<VmBackups>): HTMLInputElement => {
      const input = view.element.querySelector<HTMLInputElement>(`${modal} input[type=date]`);
      if (input === null) {
        throw new Error('no date input in the dialog');
      }
      return input;
    };

    async function chooseDay(view: RenderedView<VmBackups>, day: string): Promise<void> {
      const input = dayInput(view);
      input.value = day;
      input.dispatchEvent(new Event('input'));
      await view.stable();
    }

    async function askRetain(view: RenderedView<VmBackups>): Promise<void> {
      await selectPoint(view, POINT_ID);
      await view.click('.ll-point-retain');
    }

    it('is offered to a user who may protect the VM, for a selected point, and to no one else', async () => {
      const view = await open(points(), undefined, { protect: true, restore: false, admin: false });
      expect(button(view, '.ll-point-retain')?.textContent?.trim()).toBe('Keep longer…');
      expect(button(view, '.ll-point-retain')?.disabled).toBeTrue();
      await selectPoint(view, POINT_ID);
      expect(button(view, '.ll-point-retain')?.disabled).toBeFalse();
      // A point past its retention may be kept longer too.
      await selectPoint(view, OLDER);
      expect(button(view, '.ll-point-retain')?.disabled).toBeFalse();
      view.fixture.destroy();

      // Neither Restore nor Admin is enough: keeping a point longer needs Protect.
      const without = await open(points(), undefined, { protect: false, restore: true, admin: true });
      await selectPoint(without, POINT_ID);
      expect(without.element.querySelector('.ll-point-delete')).not.toBeNull();
      expect(without.element.querySelector('.ll-point-retain')).toBeNull();
    });

    it('offers to keep the point 30 days past its retain-until, and refuses a day before it', async () => {
      const view = await open(points());
      const created = view.text(`.ll-point-row[data-point-id="${POINT_ID}"] .ll-point-time`);
      await askRetain(view);
      expect(view.text(`${modal} .modal-title`)).toBe('Keep restore point longer');
      const text = view.text('.ll-point-retain-text');
      expect(text).toContain(`The restore point of ${created} is kept until Nov 30, 2026`);
      const warning = view.text('.ll-point-retain-warning');
      expect(warning).toContain('nobody, administrators included, can delete this restore point or its data');
      expect(warning).toContain('maintenance does not prune it');
      expect(warning).toContain('cannot be shortened later');
      expect(dayInput(view).value).toBe('2026-12-30');
      expect(dayInput(view).min).toBe('2026-11-30');
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeFalse();
      expect(view.element.querySelector('.ll-point-retain-early')).toBeNull();

      await chooseDay(view, '2026-11-29');
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeTrue();
      expect(view.text('.ll-point-retain-early')).toBe('Choose Nov 30, 2026 or a later day: a restore point can be kept longer, never shorter.');
      button(view, '.ll-point-retain-confirm')?.click();
      await view.stable();

      await chooseDay(view, '');
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeTrue();
      expect(view.element.querySelector('.ll-point-retain-early')).toBeNull();

      // The day it is kept until already is the earliest one allowed.
      await chooseDay(view, '2026-11-30');
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeFalse();
      http.expectNone({ method: 'POST' });
      expect(view.text(`${modal} .modal-title`)).toBe('Keep restore point longer');
    });

    it('asks once, with the session, to keep the point to the end of the chosen day, follows the job, then reads the list again', async () => {
      const view = await open(points());
      await askRetain(view);
      await chooseDay(view, '2027-01-15');
      await view.click('.ll-point-retain-confirm');

      const posts = http.match({ method: 'POST' });
      expect(posts.length).toBe(1);
      const post = posts[0]!;
      expect(post.request.url).toBe(RETAIN_URL);
      expect(post.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
      // The end of Jan 15, 2027 where the user is.
      const endOfDay = new Date(2027, 0, 15, 23, 59, 59, 999).toISOString();
      expect(post.request.body).toEqual({ retainUntil: endOfDay });
      // While it is asked the button says so and cannot be pressed again.
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeTrue();
      expect(view.text('.ll-point-retain-confirm')).toBe('Starting…');
      button(view, '.ll-point-retain-confirm')?.click();
      await view.stable();
      http.expectNone({ method: 'POST' });

      const KEEP_JOB = 'job-keep';
      post.flush({ job: jobBody({ id: KEEP_JOB, kind: 'retention', state: 'queued', phase: null, startedAt: null }), created: true }, { status: 202, statusText: 'Accepted' });
      await view.stable();
      expect(view.element.querySelector(`${modal} .modal-title`)).toBeNull();
      expect(view.text('.ll-point-retain-job .ll-job-kind')).toBe('Keep restore point');
      expect(view.text('.ll-point-retain-job .ll-job-state')).toBe('Queued');
      // One point at a time; recoveries go on meanwhile.
      expect(button(view, '.ll-point-retain')?.disabled).toBeTrue();
      expect(button(view, '.ll-action-revert')?.disabled).toBeFalse();

      const stream = await fetch.call(0);
      expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${KEEP_JOB}/events`);
      stream.stream.write(
        sseEvent('snapshot', {
          seq: 1,
          jobId: KEEP_JOB,
          job: jobBody({ id: KEEP_JOB, kind: 'retention', phase: 'lock', progress: { bytesDone: 10 * 2 ** 30, bytesTotal: 40 * 2 ** 30, rateBytesPerSecond: null, etaSeconds: null } }),
        }),
      );
      await view.stable();
      expect(view.element.querySelector('.ll-point-retain-job .ll-job-progress')?.getAttribute('data-percent')).toBe('25');
      http.expectNone(FIRST_PAGE);

      stream.stream.write(
        sseEvent('state', {
          seq: 2,
          jobId: KEEP_JOB,
          job: jobBody({ id: KEEP_JOB, kind: 'retention', state: 'succeeded', result: { pointId: POINT_ID, retainUntil: endOfDay } }),
        }),
      );
      stream.stream.end();
      await view.stable();
      expect(view.text('.ll-point-retain-job .ll-job-state')).toBe('Succeeded');
      http.expectOne(FIRST_PAGE).flush(pageBody([pointBody({ retainUntil: endOfDay })], { limit: 50 }));
      await view.stable();
      expect(row(view, POINT_ID).querySelector('.ll-point-retain-until')?.textContent).toContain('Jan 15, 2027');
    });

    it('leaves the list as it was when the job fails', async () => {
      const view = await open(points());
      await askRetain(view);
      await view.click('.ll-point-retain-confirm');
      http
        .expectOne({ method: 'POST', url: RETAIN_URL })
        .flush({ job: jobBody({ kind: 'retention' }), created: true }, { status: 202, statusText: 'Accepted' });
      await view.stable();
      const stream = await fetch.call(0);
      stream.stream.write(
        sseEvent('state', {
          seq: 1,
          jobId: JOB_ID,
          job: jobBody({ kind: 'retention', state: 'failed', error: { code: 'io', message: 'the backup store could not be written' } }),
        }),
      );
      stream.stream.end();
      await view.stable();
      expect(view.text('.ll-point-retain-job .ll-job-state')).toBe('Failed');
      expect(view.text('.ll-point-retain-job .ll-job-error')).toBe('the backup store could not be written');
      http.expectNone(FIRST_PAGE);
      expect(button(view, '.ll-point-retain')?.disabled).toBeFalse();
    });

    it('keeps the dialog open with the reason when the server refuses to shorten, and changes nothing', async () => {
      const view = await open(points());
      await askRetain(view);
      await view.click('.ll-point-retain-confirm');
      const detail = `restore point ${POINT_ID} is retained until 2026-12-31T23:59:59.999Z; retention can be extended, never shortened`;
      flushProblem(http.expectOne({ method: 'POST', url: RETAIN_URL }), { status: 409, title: 'Conflict', detail, code: 'retention-shorten-refused' });
      await view.stable();
      expect(view.text(`${modal} .ll-problem-detail`)).toBe(detail);
      expect(view.text(`${modal} .modal-title`)).toBe('Keep restore point longer');
      expect(button(view, '.ll-point-retain-confirm')?.disabled).toBeFalse();
      expect(view.text('.ll-point-retain-confirm')).toBe('Keep longer');
      http.expectNone(FIRST_PAGE);
      expect(fetch.calls.length).toBe(0);
      expect(view.element.querySelector('.ll-point-retain-job .ll-followed-job')).toBeNull();
      expect(view.all('.ll-point-row').length).toBe(2);

      // Asked again, the dialog starts without the old reason.
      await view.click('.ll-point-retain-cancel');
      await view.click('.ll-point-retain');
      expect(view.element.querySelector(`${modal} .ll-problem-detail`)).toBeNull();
    });

    it('shows what the server found wrong with the day', async () => {
      const view = await open(points());
      await askRetain(view);
      await chooseDay(view, '2040-01-01');
      await view.click('.ll-point-retain-confirm');
      flushProblem(http.expectOne({ method: 'POST', url: RETAIN_URL }), {
        status: 400,
        title: 'Bad Request',
        detail: 'retainUntil: more than 10 years ahead',
        code: 'validation',
        errors: [{ field: 'retainUntil', message: 'more than 10 years ahead' }],
      });
      await view.stable();
      expect(view.text(`${modal} .ll-problem-fields`)).toBe('more than 10 years ahead');
      expect(dayInput(view).value).toBe('2040-01-01');
      expect(fetch.calls.length).toBe(0);
    });

    it('sends nothing when the user cancels', async () => {
      const view = await open(points());
      await askRetain(view);
      expect(view.element.querySelector(`${modal} .modal-title`)).not.toBeNull();
      await view.click('.ll-point-retain-cancel');
      expect(view.element.querySelector(`${modal} .modal-title`)).toBeNull();
      http.expectNone({ method: 'POST' });
      expect(fetch.calls.length).toBe(0);
      expect(view.all('.ll-point-row').length).toBe(2);
    });
  });

  it('pages through the restore points', async () => {
    const view = await renderView(VmBackups);
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    http.expectOne(FIRST_PAGE).flush(pageBody([pointBody()], { total: 120, limit: 50 }));
    http.expectOne(`${VM_PATH}/revert`).flush(revertBody());
    http.expectOne(`${VM_PATH}/instant-revert`).flush(instantRevertBody());
    await view.stable();
    expect(view.text('.ll-points-range')).toBe('1–1 of 120');
    await view.click('.ll-points-next');
    http.expectOne(`${VM_PATH}/points?offset=50&limit=50`).flush(pageBody([pointBody({ id: OLDER })], { total: 120, offset: 50, limit: 50 }));
    await view.stable();
    expect(view.text('.ll-points-range')).toBe('51–51 of 120');
  });

  it('shows why the restore points could not be read', async () => {
    const view = await renderView(VmBackups);
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    flushProblem(http.expectOne(FIRST_PAGE), { status: 404, title: 'Not Found', detail: 'No resource at GET /api/v1/vms/x/points', code: 'not-found' });
    flushProblem(http.expectOne(`${VM_PATH}/revert`), {
      status: 503,
      title: 'Service Unavailable',
      detail: 'Recovery is not available in this Lifeline server: it has no backup store.',
      code: 'backup-unavailable',
    });
    flushProblem(http.expectOne(`${VM_PATH}/instant-revert`), {
      status: 503,
      title: 'Service Unavailable',
      detail: 'Instant revert is not available in this Lifeline server: it has no backup store.',
      code: 'backup-unavailable',
    });
    await view.stable();
    expect(view.all('.ll-problem-detail').map((e) => e.textContent?.trim())).toEqual([
      'Recovery is not available in this Lifeline server: it has no backup store.',
      'Instant revert is not available in this Lifeline server: it has no backup store.',
      'No resource at GET /api/v1/vms/x/points',
    ]);
  });
});
