import { Component, signal } from '@angular/core';
import type { HttpTestingController } from '@angular/common/http/testing';

import { CLOCK } from '../sites/clock';
import { ManualClock } from '../testing/manual-clock';
import {
  FAILOVER_ID,
  SOURCE_ID,
  SOURCE_VM_ID,
  failoverAcceptedBody,
  failoverBody,
  mappingTargetsBody,
  mappingsSavedBody,
  replicatedVmBody,
  replicatedVmListBody,
  siteMappingsBody,
} from '../testing/dr-bodies';
import { JOB_ID, jobBody, sseEvent } from '../testing/server-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import type { FakeFetch } from '../api/fake-fetch';
import { DrSite } from './dr-site';
import { REPORT_REFRESH_SECONDS } from './failover-report';

const SITE = `${API_BASE}/api/v1/sites/${SOURCE_ID}`;

/** The section as the Sites view places it below a source site's pairing. */
@Component({
  selector: 'll-dr-site-host',
  imports: [DrSite],
  template: `<ll-dr-site [siteId]="siteId" siteName="prod-berlin" [canAdmin]="admin()" [canRestore]="restore()" />`,
})
class Host {
  siteId = SOURCE_ID;
  readonly admin = signal(true);
  readonly restore = signal(true);
}

describe('DR site: replicated VMs and mappings', () => {
  let http: HttpTestingController;
  let fetch: FakeFetch;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-11-23T10:00:00.000Z'));
    const bed = configureViewTestBed({ providers: [{ provide: CLOCK, useValue: clock }] });
    bed.sdk.contextObjects = [];
    ({ http, fetch } = bed);
  });

  afterEach(() => http.verify());

  async function open(privileges: { admin?: boolean; restore?: boolean; modes?: string[] } = {}, vms: unknown[] = [
    replicatedVmBody(),
    replicatedVmBody({ vm: { id: `${SOURCE_VM_ID}x`, name: 'web-01' }, missing: { failover: [{ kind: 'datastore', source: 'LocalDS_1' }], test: [{ kind: 'test-network', source: 'VM Network' }, { kind: 'datastore', source: 'LocalDS_1' }] } }),
  ], failovers: unknown[] = []): Promise<RenderedView<Host>> {
    const view = await renderView(Host);
    view.fixture.componentInstance.admin.set(privileges.admin ?? true);
    view.fixture.componentInstance.restore.set(privileges.restore ?? true);
    await view.stable();
    http.expectOne({ method: 'GET', url: `${SITE}/replicated-vms` }).flush(replicatedVmListBody(vms));
    http.expectOne({ method: 'GET', url: `${SITE}/mappings` }).flush(siteMappingsBody());
    http.expectOne({ method: 'GET', url: `${SITE}/mapping-targets` }).flush(mappingTargetsBody());
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/openapi.json` }).flush({
      openapi: '3.1.0',
      paths: {},
      components: { schemas: { FailoverRequest: { properties: { mode: { enum: privileges.modes ?? ['disaster', 'test'] } } } } },
    });
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/failovers` }).flush({ items: failovers });
    await view.stable();
    return view;
  }

  function row(view: RenderedView<Host>, name: string): HTMLElement {
    const found = view.all('.ll-replicated-vm').find((r) => r.querySelector('.ll-replicated-name')?.textContent?.trim() === name);
    if (!found) throw new Error(`no row for ${name}`);
    return found;
  }

  it('lists each replicated VM with its latest point, lag and which mapping a failover or a drill lacks', async () => {
    const view = await open();
    const erp = row(view, 'erp-01');
    expect(erp.querySelector('.ll-replicated-lag')?.textContent?.trim()).toBe('30 min');
    expect(erp.querySelector('.ll-ready-failover')).not.toBeNull();
    expect(erp.querySelector('.ll-missing-test')?.textContent?.trim()).toBe('Drill lacks a test mapping for test-network VM Network');
    expect(erp.querySelector<HTMLButtonElement>('.ll-vm-failover')?.disabled).toBeFalse();
    expect(erp.querySelector<HTMLButtonElement>('.ll-vm-test')?.disabled).toBeTrue();
    const web = row(view, 'web-01');
    expect(web.querySelector('.ll-missing-failover')?.textContent?.trim()).toBe('Failover lacks a mapping for datastore LocalDS_1');
    const blocked = web.querySelector<HTMLButtonElement>('.ll-vm-failover')!;
    expect(blocked.disabled).toBeTrue();
    expect(blocked.title).toBe('Failover lacks a mapping for datastore LocalDS_1');
  });

  it('states the data-loss window before a disaster failover, then follows the job and shows the report', async () => {
    const view = await open();
    clock.advance(60);
    (row(view, 'erp-01').querySelector('.ll-vm-failover') as HTMLElement).click();
    await view.stable();
    expect(view.text('.ll-confirm-title')).toBe('Fail over erp-01');
    expect(view.text('.ll-confirm-text')).toContain('Mode: disaster failover.');
    expect(view.text('.ll-confirm-text')).toContain('never removes a failed-over VM');
    // now (10:01) − the point's time (09:30)
    expect(view.text('.ll-confirm-loss')).toMatch(/^Data-loss window: 31 min\. Everything written at the production site after .*2026.* is lost\.$/);
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` });
    expect(post.request.body).toEqual({ mode: 'disaster' });
    post.flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'disaster', state: 'starting', name: 'erp-01' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.element.querySelector('.ll-confirm-title')).toBeNull();
    expect(view.text('.ll-report-state')).toBe('Starting');
    // While the job runs, the failover's record is read again every few seconds.
    clock.advance(REPORT_REFRESH_SECONDS);
    await view.stable();
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/failovers/${FAILOVER_ID}` }).flush(failoverBody({ mode: 'disaster', name: 'erp-01', state: 'starting', report: { ...(failoverBody()['report'] as object), poweredOnAt: null, rtoSeconds: null } }));
    await view.stable();
    expect(view.text('.ll-report-started')).toMatch(/2026/);
    expect(view.text('.ll-report-powered')).toBe('—');
    const stream = await fetch.call(0);
    expect(stream.url).toBe(`${API_BASE}/api/v1/jobs/${JOB_ID}/events`);
    stream.stream.write(sseEvent('state', { seq: 2, jobId: JOB_ID, job: jobBody({ kind: 'failover', state: 'succeeded' }) }));
    stream.stream.end();
    await view.stable();
    const report = http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/failovers/${FAILOVER_ID}` });
    report.flush(failoverBody({ mode: 'disaster', name: 'erp-01', report: { ...(failoverBody()['report'] as object), failures: [], rtoSeconds: 11.4 } }));
    await view.stable();
    // The failovers and the list are read again once the failover has ended.
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/failovers` }).flush({ items: [failoverBody({ mode: 'disaster', name: 'erp-01' })] });
    await view.stable();
    http.expectOne({ method: 'GET', url: `${SITE}/replicated-vms` }).flush(replicatedVmListBody([replicatedVmBody()]));
    await view.stable();
    expect(view.text('.ll-vm-report h5')).toBe('Failover of erp-01');
    expect(view.text('.ll-report-rto')).toBe('11 s');
    expect(view.text('.ll-report-tools')).toBe('Not within the wait');
    expect(view.element.querySelector('.ll-vm-cleanup')).toBeNull();
  });

  it('offers to fail a failed-over VM back after a confirmation naming the consequences, and shows the failback', async () => {
    const view = await open({}, [replicatedVmBody()]);
    await view.click('.ll-vm-failover');
    await view.click('.ll-confirm-ok');
    http
      .expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` })
      .flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'planned', state: 'up', name: 'erp-01' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.element.querySelector('.ll-vm-cleanup')).toBeNull();
    await view.click('.ll-vm-failback');
    expect(view.text('.ll-confirm-title')).toBe('Fail back erp-01');
    expect(view.text('.ll-confirm-text')).toContain('Mode: failback. erp-01 is shut down at this site');
    expect(view.text('.ll-confirm-text')).toContain('the original VM at prod-berlin gets its disks replaced by that point, keeping its identity');
    expect(view.text('.ll-confirm-text')).toContain('If prod-berlin cannot be reached, nothing is changed.');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failback` });
    expect(post.request.body).toEqual({ target: 'original' });
    const failback = { state: 'running', target: 'original', name: null, powerOn: true, shutdownTimeoutSeconds: 300, jobId: 'job-9', shutdown: null, pointId: null, chunks: null, chunksSent: null, bytesSent: null, sourceJobId: null, sourceVm: null, failures: [], requestedBy: 'VSPHERE.LOCAL\\alice', startedAt: '2026-11-23T10:05:00.000Z', endedAt: null };
    post.flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'planned', state: 'up', name: 'erp-01', failback }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.element.querySelector('.ll-confirm-title')).toBeNull();
    expect(view.text('.ll-vm-failback-state')).toBe('Failback to prod-berlin: running, — of — chunks sent.');
    // Running: not offered twice.
    expect(view.element.querySelector('.ll-vm-failback')).toBeNull();
  });

  it('marks a VM failed over in an earlier visit and fails it back from its row', async () => {
    const view = await open({}, [replicatedVmBody()], [failoverBody({ mode: 'disaster', state: 'up', name: 'erp-01' })]);
    expect(row(view, 'erp-01').querySelector('.ll-failed-over')?.textContent?.trim()).toBe('Failed over here as erp-01');
    (row(view, 'erp-01').querySelector('.ll-vm-row-failback') as HTMLElement).click();
    await view.stable();
    expect(view.text('.ll-confirm-title')).toBe('Fail back erp-01');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failback` });
    expect(post.request.body).toEqual({ target: 'original' });
  });

  it('refuses a failback the source site cannot take, keeping the dialog open with the reason', async () => {
    const view = await open({}, [replicatedVmBody()]);
    await view.click('.ll-vm-failover');
    await view.click('.ll-confirm-ok');
    http
      .expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` })
      .flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'disaster', state: 'up', name: 'erp-01' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    await view.click('.ll-vm-failback');
    await view.click('.ll-confirm-ok');
    const detail = 'site prod-berlin cannot be reached (connect ECONNREFUSED), and a failback needs it to take the VM back. Nothing was changed: erp-01 goes on running at this site';
    flushProblem(http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failback` }), { status: 503, title: 'Service Unavailable', detail, code: 'dr-source-unreachable' });
    await view.stable();
    expect(view.text('.ll-confirm-title')).toBe('Fail back erp-01');
    expect(view.text('ll-dr-confirm .ll-problem-detail')).toBe(detail);
  });

  it('offers planned migration of a VM only when the server’s document has the mode', async () => {
    const without = await open();
    expect(without.element.querySelector('.ll-vm-planned')).toBeNull();
    without.fixture.destroy();
    const view = await open({ modes: ['disaster', 'test', 'planned'] }, [replicatedVmBody()]);
    await view.click('.ll-vm-planned');
    expect(view.text('.ll-confirm-title')).toBe('Planned migration of erp-01');
    await view.click('.ll-confirm-ok');
    expect(http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` }).request.body).toEqual({ mode: 'planned' });
  });

  it('runs a drill after a confirmation that names the mode, and offers its clean-up', async () => {
    const view = await open({}, [replicatedVmBody({ missing: { failover: [], test: [] } })]);
    await view.click('.ll-vm-test');
    expect(view.text('.ll-confirm-title')).toBe('Test failover of erp-01');
    expect(view.text('.ll-confirm-text')).toContain('Replication from prod-berlin keeps running and the production site is untouched.');
    expect(view.element.querySelector('.ll-confirm-loss')).toBeNull();
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${SITE}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` });
    expect(post.request.body).toEqual({ mode: 'test' });
    post.flush(failoverAcceptedBody({ failover: failoverBody({ state: 'up' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    await view.click('.ll-vm-cleanup');
    expect(view.text('.ll-confirm-title')).toBe('Clean up erp-01-dr-test');
    await view.click('.ll-confirm-ok');
    const cleanup = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/failovers/${FAILOVER_ID}/cleanup` });
    flushProblem(cleanup, { status: 409, title: 'Conflict', detail: 'the drill is starting: cancel its job first', code: 'conflict' });
    await view.stable();
    // The dialog stays open with the reason.
    expect(view.text('.ll-confirm-title')).toBe('Clean up erp-01-dr-test');
    expect(view.text('ll-dr-confirm .ll-problem-detail')).toBe('the drill is starting: cancel its job first');
  });

  it('disables the actions with the reason for a user without Lifeline Restore, and saving for one without Admin', async () => {
    const view = await open({ admin: false, restore: false });
    const erp = row(view, 'erp-01');
    const failover = erp.querySelector<HTMLButtonElement>('.ll-vm-failover')!;
    expect(failover.disabled).toBeTrue();
    expect(failover.title).toBe('Failover, drills and clean-up need the Lifeline Restore privilege on the vCenter root.');
    expect(view.text('.ll-replicated-needs-restore')).toBe('Failover, drills and clean-up need the Lifeline Restore privilege on the vCenter root.');
    expect(view.element.querySelector<HTMLButtonElement>('.ll-mappings-save')?.disabled).toBeTrue();
    expect(view.text('.ll-mappings-needs-admin')).toBe('Needs the Lifeline Admin privilege on the vCenter root.');
  });

  function mappingRow(view: RenderedView<Host>, kind: string, source: string): HTMLElement {
    const found = view.element.querySelector<HTMLElement>(`.ll-mapping-table[data-kind="${kind}"] .ll-mapping-row[data-source="${source}"]`);
    if (!found) throw new Error(`no ${kind} row for ${source}`);
    return found;
  }

  async function choose(view: RenderedView<Host>, select: HTMLSelectElement, value: string): Promise<void> {
    select.value = value;
    select.dispatchEvent(new Event('change'));
    await view.stable();
  }

  it('edits the mappings from this site’s inventory, shows each refusal beside its row, then the names no VM uses', async () => {
    const view = await open();
    // Mapped already, and what the VMs lack: the test network and web-01's datastore.
    expect(mappingRow(view, 'networks', 'VM Network').querySelector<HTMLSelectElement>('select')?.value).toBe('DR Network');
    const test = mappingRow(view, 'testNetworks', 'VM Network').querySelector<HTMLSelectElement>('select')!;
    expect(test.value).toBe('');
    expect([...test.options].map((o) => o.textContent?.trim())).toEqual(['— not mapped —', 'DR Network', 'DR Test Network']);
    expect(mappingRow(view, 'datastores', 'LocalDS_1').querySelector('.ll-mapping-missing')).not.toBeNull();
    await choose(view, test, 'DR Test Network');
    await choose(view, mappingRow(view, 'datastores', 'LocalDS_1').querySelector('select')!, 'DR-DS2');
    await choose(view, view.element.querySelector<HTMLSelectElement>('.ll-mapping-folder')!, 'group-v3');
    await view.click('.ll-mappings-save');
    const put = http.expectOne({ method: 'PUT', url: `${SITE}/mappings` });
    expect(put.request.body).toEqual({
      vcenterGuid: null,
      networks: { 'VM Network': 'DR Network' },
      testNetworks: { 'VM Network': 'DR Test Network' },
      datastores: { LocalDS_0: 'DR-DS', LocalDS_1: 'DR-DS2' },
      folder: 'group-v3',
      resourcePool: null,
    });
    const message = "testNetworks.VM Network: network DR Test Network does not exist in this site's vCenter";
    flushProblem(put, { status: 400, title: 'Bad Request', detail: message, code: 'validation', errors: [{ field: 'testNetworks', message }] });
    await view.stable();
    expect(mappingRow(view, 'testNetworks', 'VM Network').querySelector('.ll-mapping-row-error')?.textContent?.trim()).toBe(message);
    expect(mappingRow(view, 'networks', 'VM Network').querySelector('.ll-mapping-row-error')).toBeNull();

    await view.click('.ll-mappings-save');
    http
      .expectOne({ method: 'PUT', url: `${SITE}/mappings` })
      .flush(mappingsSavedBody({ unused: ['datastore LocalDS_1'] }));
    await view.stable();
    expect(view.element.querySelector('.ll-mapping-row-error')).toBeNull();
    expect(view.text('.ll-mappings-unused')).toBe('Mapped, but no replicated VM uses it (a typo?): datastore LocalDS_1. Stored all the same.');
    // The VMs' mapping status is read again.
    http.expectOne({ method: 'GET', url: `${SITE}/replicated-vms` }).flush(replicatedVmListBody([replicatedVmBody({ missing: { failover: [], test: [] } })]));
    await view.stable();
    expect(row(view, 'erp-01').querySelector('.ll-ready-test')).not.toBeNull();
  });
});
