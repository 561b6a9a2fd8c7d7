import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch } from '../../api/fake-fetch';
import type { VmCapabilities } from '../../api/capabilities';
import { flushCapabilities } from '../../api/capabilities-testing';
import { FAKE_VM_ID } from '../../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { ATTACHMENT_ID, JOB_ID, POINT_ID, attachmentBody, jobBody, sseEvent } from '../../testing/server-bodies';
import { VmAttachedDisks } from './vm-attached-disks';

const LIST = `${API_BASE}/api/v1/vms/${encodeURIComponent(FAKE_VM_ID)}/attachments`;

describe('VmAttachedDisks', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    ({ http, fetch } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  async function open(items: unknown[], capabilities: Partial<VmCapabilities> = {}): Promise<RenderedView<VmAttachedDisks>> {
    const view = await renderView(VmAttachedDisks);
    flushCapabilities(http, API_BASE, FAKE_VM_ID, capabilities);
    http.expectOne(LIST).flush({ items, total: items.length });
    await view.stable();
    return view;
  }

  it('lists the backup disks attached to this VM', async () => {
    const view = await open([attachmentBody(), attachmentBody({ id: 'a2', state: 'uploading' })]);
    const [attached, cloning] = view.all('.ll-attachment-row');
    expect(attached?.querySelector('.ll-attachment-point')?.textContent?.trim()).toBe(POINT_ID);
    expect(attached?.querySelector('.ll-attached-disk')?.textContent?.trim()).toBe('Hard disk 1, 32 GiB · [datastore1] lifeline-attach/6f1c2d3e/disk0.vmdk');
    expect(attached?.querySelector('.ll-attachment-state')?.textContent?.trim()).toBe('Attached');
    expect(cloning?.querySelector('.ll-attachment-state')?.textContent?.trim()).toBe('Cloning');
    expect(cloning?.querySelector('.ll-detach')).toBeNull();
  });

  it('offers detach only to a user who may restore', async () => {
    const without = await open([attachmentBody()], { restore: false });
    expect(without.all('.ll-attachment-row').length).toBe(1);
    expect(without.all('.ll-detach')).toEqual([]);
    without.fixture.destroy();

    const withRestore = await open([attachmentBody()], { restore: true, protect: false, admin: false });
    expect(withRestore.all('.ll-detach').length).toBe(1);
  });

  it('offers no detach while it does not know what the user may do', async () => {
    const view = await renderView(VmAttachedDisks);
    http.expectOne(LIST).flush({ items: [attachmentBody()], total: 1 });
    await view.stable();
    expect(view.all('.ll-attachment-row').length).toBe(1);
    expect(view.all('.ll-detach')).toEqual([]);
    flushCapabilities(http, API_BASE, FAKE_VM_ID);
    await view.stable();
    expect(view.all('.ll-detach').length).toBe(1);
  });

  it('says so when no backup disk is attached', async () => {
    const view = await open([]);
    expect(view.text('clr-dg-placeholder')).toBe('No backup disks are attached to this VM.');
  });

  it('detaches after confirmation and follows the job until the disks are gone', async () => {
    const view = await open([attachmentBody()]);
    await view.click('.ll-detach');
    expect(view.text('.ll-detach-text')).toContain(`restore point ${POINT_ID} are removed from this VM and deleted`);
    await view.click('.ll-detach-confirm');
    const remove = http.expectOne({ method: 'DELETE', url: `${API_BASE}/api/v1/attachments/${ATTACHMENT_ID}` });
    remove.flush({ job: jobBody({ kind: 'restore', state: 'queued' }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    http.expectOne(LIST).flush({ items: [attachmentBody({ state: 'detaching' })], total: 1 });
    await view.stable();
    expect(view.text('.ll-attachment-state')).toBe('Detaching');
    expect(view.text('.ll-detach-job .ll-job-state')).toBe('Queued');

    const stream = await fetch.call(0);
    stream.stream.write(sseEvent('state', { seq: 3, jobId: JOB_ID, job: jobBody({ kind: 'restore', state: 'succeeded' }) }));
    stream.stream.end();
    await view.stable();
    http.expectOne(LIST).flush({ items: [], total: 0 });
    await view.stable();
    expect(view.all('.ll-attachment-row')).toEqual([]);
  });

  it('says when live updates of the detach job are interrupted', async () => {
    fetch.answers.push(
      new Response(JSON.stringify({ title: 'Service Unavailable', detail: 'Lifeline is stopping.', status: 503, code: 'shutting-down' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    const view = await open([attachmentBody()]);
    await view.click('.ll-detach');
    await view.click('.ll-detach-confirm');
    const remove = http.expectOne({ method: 'DELETE', url: `${API_BASE}/api/v1/attachments/${ATTACHMENT_ID}` });
    remove.flush({ job: jobBody({ kind: 'restore', state: 'queued' }), created: true }, { status: 202, statusText: 'Accepted' });
    await view.stable();
    http.expectOne(LIST).flush({ items: [attachmentBody({ state: 'detaching' })], total: 1 });
    await view.stable();
    expect(view.text('.ll-detach-job .ll-job-state')).toBe('Queued');
    expect(view.text('.ll-detach-job .ll-stream-lost')).toBe('Live updates are interrupted; Lifeline keeps trying to reconnect. Service Unavailable');
    view.fixture.destroy();
  });

  it('keeps the dialog open with the reason when the detach is refused', async () => {
    const view = await open([attachmentBody()]);
    await view.click('.ll-detach');
    await view.click('.ll-detach-confirm');
    flushProblem(http.expectOne(`${API_BASE}/api/v1/attachments/${ATTACHMENT_ID}`), {
      status: 409,
      title: 'Conflict',
      detail: 'VirtualMachine vm-58 is busy with backup job job-9 (running)',
      code: 'busy',
    });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toBe('VirtualMachine vm-58 is busy with backup job job-9 (running)');
    expect(view.element.querySelector('.ll-detach-confirm')).not.toBeNull();
  });
});
