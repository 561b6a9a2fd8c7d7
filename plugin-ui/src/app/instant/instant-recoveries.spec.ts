import type { HttpTestingController } from '@angular/common/http/testing';

import type { VmCapabilities } from '../api/capabilities';
import { flushCapabilities } from '../api/capabilities-testing';
import type { FakeFetch } from '../api/fake-fetch';
import { FAKE_VC_GUID, FAKE_VM_ID } from '../sdk/fake-html-client-sdk';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { JOB_ID, POINT_ID, RUN_ID, instantAcceptedBody, instantRecoveryBody, jobBody, migrationTargetsBody, sseEvent } from '../testing/server-bodies';
import { InstantRecoveries } from './instant-recoveries';

const LIST = `${API_BASE}/api/v1/instant-recoveries`;
const NEW_VM = `urn:vmomi:VirtualMachine:vm-91:${FAKE_VC_GUID}`;
const ATTACH_RUN = '0b6a3c1d-2e4f-4a5b-9c8d-7e6f5a4b3c2d';

describe('Global > Instant recoveries', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;

  beforeEach(() => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http, fetch } = bed);
  });

  afterEach(() => http.verify());

  const attachRun = (overrides: Record<string, unknown> = {}) =>
    instantRecoveryBody({ id: ATTACH_RUN, kind: 'attach', vm: { id: FAKE_VM_ID, moref: 'vm-58', vcenter: FAKE_VC_GUID }, vmName: 'erp-01', ...overrides });

  async function open(items: unknown[], capabilities: Readonly<Record<string, Partial<VmCapabilities>>> = {}): Promise<RenderedView<InstantRecoveries>> {
    const view = await renderView(InstantRecoveries);
    http.expectOne({ method: 'GET', url: LIST }).flush({ items, total: items.length });
    await view.stable();
    for (const vmId of new Set(items.map((i) => ((i as { vm: { id: string } | null }).vm?.id ?? null)).filter((id): id is string => id !== null))) {
      flushCapabilities(http, API_BASE, vmId, capabilities[vmId] ?? {});
    }
    await view.stable();
    return view;
  }

  const row = (view: RenderedView<InstantRecoveries>, runId: string) => view.element.querySelector<HTMLElement>(`.ll-instant-row[data-run-id="${runId}"]`)!;
  const cell = (view: RenderedView<InstantRecoveries>, runId: string, selector: string) => (row(view, runId).querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim();

  it('lists each instant recovery with its VM, point, disks and state', async () => {
    const view = await open([instantRecoveryBody(), attachRun()]);
    expect(view.all('.ll-instant-row').length).toBe(2);
    expect(cell(view, RUN_ID, '.ll-instant-vm')).toBe('erp-01-instant');
    expect(cell(view, RUN_ID, '.ll-instant-kind')).toBe('New VM from the backup');
    expect(cell(view, RUN_ID, '.ll-instant-point')).toBe(POINT_ID);
    expect(cell(view, RUN_ID, '.ll-instant-disk')).toBe('32 GiB · [lifeline-e2e] 20261123-100000-1a2b3c4d/disk0.vmdk');
    expect(cell(view, RUN_ID, '.ll-instant-started')).toMatch(/^Started Nov 2\d, 2026, /);
    expect(cell(view, RUN_ID, '.ll-instant-state')).toBe('Running from backup');
    expect(cell(view, ATTACH_RUN, '.ll-instant-kind')).toBe('Backup disks attached to this VM');
    expect(view.text('.ll-instant-intro')).toContain('until they are migrated to production storage or discarded');
  });

  it('offers migrate and discard only on a VM the user may restore, and only once it is known', async () => {
    const view = await renderView(InstantRecoveries);
    http.expectOne(LIST).flush({ items: [instantRecoveryBody(), attachRun()], total: 2 });
    await view.stable();
    expect(view.all('.ll-instant-migrate')).withContext('nothing is offered before the server says what the user may do').toEqual([]);
    flushCapabilities(http, API_BASE, NEW_VM, { restore: false });
    flushCapabilities(http, API_BASE, FAKE_VM_ID, { restore: true, protect: false, admin: false });
    await view.stable();
    expect(row(view, RUN_ID).querySelector('.ll-instant-migrate')).toBeNull();
    expect(row(view, RUN_ID).querySelector('.ll-instant-discard')).toBeNull();
    expect(row(view, ATTACH_RUN).querySelector('.ll-instant-migrate')).not.toBeNull();
    expect(row(view, ATTACH_RUN).querySelector('.ll-instant-discard')).not.toBeNull();
  });

  it('says so when nothing runs from a backup', async () => {
    const view = await open([]);
    expect(view.text('clr-dg-placeholder')).toBe('No VM or disk runs from a backup.');
  });

  it('shows the migration’s progress live, also when the view opens with it under way, and drops the run once it is done', async () => {
    const view = await open([instantRecoveryBody({ state: 'migrating' })]);
    expect(cell(view, RUN_ID, '.ll-instant-state')).toBe('Migrating');
    expect(row(view, RUN_ID).querySelector('.ll-instant-migrate')).withContext('no action while a job works on it').toBeNull();
    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(
      sseEvent('snapshot', { seq: 4, jobId: JOB_ID, job: jobBody({ kind: 'instant-recovery', phase: 'migrate', progress: { bytesDone: 40, bytesTotal: 100, rateBytesPerSecond: null, etaSeconds: null } }) }),
    );
    await view.stable();
    expect(cell(view, RUN_ID, '.ll-job-progress-text')).toBe('migrate 40%');
    stream.stream.write(sseEvent('state', { seq: 5, jobId: JOB_ID, job: jobBody({ kind: 'instant-recovery', state: 'succeeded', progress: { bytesDone: 100, bytesTotal: 100, rateBytesPerSecond: null, etaSeconds: null } }) }));
    stream.stream.end();
    await view.stable();
    http.expectOne(LIST).flush({ items: [], total: 0 });
    await view.stable();
    expect(view.all('.ll-instant-row')).toEqual([]);
  });

  /** Answers the dialog's question for the datastores the migration may go to. */
  async function flushTargets(view: RenderedView<InstantRecoveries>, runId = RUN_ID): Promise<void> {
    http.expectOne({ method: 'GET', url: `${LIST}/${runId}/migration-targets` }).flush(migrationTargetsBody());
    await view.stable();
  }

  async function choose(view: RenderedView<InstantRecoveries>, datastore: string): Promise<void> {
    const select = view.element.querySelector<HTMLSelectElement>('#ll-instant-datastore')!;
    select.value = datastore;
    select.dispatchEvent(new Event('change'));
    await view.stable();
  }

  it('migrates to the datastore the user chooses of those the server lists, after saying what happens', async () => {
    const view = await open([instantRecoveryBody()]);
    await view.click('.ll-instant-migrate');
    expect(view.text('.modal-title')).toBe('Migrate to production');
    expect(view.text('.ll-instant-dialog-text')).toContain('The disks of erp-01-instant move from Lifeline’s NFS datastore to the datastore you choose while the VM runs');
    const confirm = view.element.querySelector<HTMLButtonElement>('.ll-instant-confirm')!;
    expect(view.element.querySelector<HTMLSelectElement>('#ll-instant-datastore')?.disabled).withContext('nothing to choose before the list arrives').toBeTrue();
    await flushTargets(view);
    const options = [...view.element.querySelectorAll<HTMLOptionElement>('#ll-instant-datastore option')].map((o) => [o.value, o.textContent?.replace(/\s+/g, ' ').trim()]);
    expect(options).toEqual([
      ['', 'Choose a datastore'],
      ['LocalDS_0', 'LocalDS_0 · 40 GiB free'],
      ['LocalDS_1', 'LocalDS_1'],
    ]);
    expect(confirm.disabled).withContext('a datastore must be chosen').toBeTrue();
    await choose(view, 'LocalDS_1');
    expect(confirm.disabled).toBeFalse();
    await view.click('.ll-instant-confirm');
    const post = http.expectOne({ method: 'POST', url: `${LIST}/${RUN_ID}/migrate` });
    expect(post.request.body).toEqual({ datastore: 'LocalDS_1' });
    post.flush(instantAcceptedBody(), { status: 202, statusText: 'Accepted' });
    await view.stable();
    http.expectOne(LIST).flush({ items: [instantRecoveryBody({ state: 'migrating' })], total: 1 });
    await view.stable();
    expect(view.element.querySelector('.modal-title')).toBeNull();
    expect(cell(view, RUN_ID, '.ll-instant-state')).toBe('Migrating');
    expect(cell(view, RUN_ID, '.ll-job-state')).toBe('Queued');
    view.fixture.destroy();
  });

  it('discards an attachment after saying the VM keeps its own disks', async () => {
    const view = await open([attachRun()]);
    await view.click('.ll-instant-discard');
    expect(view.text('.ll-instant-dialog-text')).toBe(
      `The disks of restore point ${POINT_ID} are detached from erp-01; what was written to them is lost. erp-01 keeps its own disks, and the restore point stays as it was.`,
    );
    await view.click('.ll-instant-confirm');
    const post = http.expectOne({ method: 'POST', url: `${LIST}/${ATTACH_RUN}/discard` });
    expect(post.request.body).toEqual({});
    post.flush(instantAcceptedBody(), { status: 202, statusText: 'Accepted' });
    await view.stable();
    http.expectOne(LIST).flush({ items: [attachRun({ state: 'discarding' })], total: 1 });
    await view.stable();
    expect(cell(view, ATTACH_RUN, '.ll-instant-state')).toBe('Discarding');
    view.fixture.destroy();
  });

  it('keeps the dialog open with the server’s reason when a migration is refused', async () => {
    const view = await open([instantRecoveryBody()]);
    await view.click('.ll-instant-migrate');
    await flushTargets(view);
    await choose(view, 'LocalDS_0');
    await view.click('.ll-instant-confirm');
    flushProblem(http.expectOne(`${LIST}/${RUN_ID}/migrate`), { status: 403, title: 'Forbidden', detail: 'Datastore.AllocateSpace is required on datastore LocalDS_0', code: 'forbidden' });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toBe('Datastore.AllocateSpace is required on datastore LocalDS_0');
    expect(cell(view, RUN_ID, '.ll-instant-state')).toBe('Running from backup');
  });

  it('says why when the server has no NFS datastore configured', async () => {
    const view = await renderView(InstantRecoveries);
    flushProblem(http.expectOne(LIST), { status: 503, title: 'Service Unavailable', detail: 'instant recovery needs the nfs section of the configuration', code: 'nfs-not-configured' });
    await view.stable();
    expect(view.text('.ll-problem-detail')).toBe('instant recovery needs the nfs section of the configuration');
    expect(view.all('.ll-instant-row')).toEqual([]);
  });
});
