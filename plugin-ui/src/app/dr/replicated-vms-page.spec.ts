import type { HttpTestingController } from '@angular/common/http/testing';

import { CLOCK } from '../sites/clock';
import { ManualClock } from '../testing/manual-clock';
import { SOURCE_ID, SOURCE_VM_ID, capabilitiesBody, failoverAcceptedBody, failoverBody, replicatedVmBody } from '../testing/dr-bodies';
import { API_BASE, configureViewTestBed, renderView, type RenderedView } from '../testing/view-test-bed';
import { ReplicatedVmsPage } from './replicated-vms-page';

const OTHER_SITE = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('Global > Replicated VMs', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    const bed = configureViewTestBed({ providers: [{ provide: CLOCK, useValue: new ManualClock(Date.parse('2026-11-23T10:00:00.000Z')) }] });
    bed.sdk.contextObjects = [];
    ({ http } = bed);
  });

  afterEach(() => http.verify());

  async function open(restore = true, failovers: unknown[] = []): Promise<RenderedView<ReplicatedVmsPage>> {
    const view = await renderView(ReplicatedVmsPage);
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/capabilities` }).flush(capabilitiesBody({ restore }));
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/openapi.json` }).flush({ openapi: '3.1.0', paths: {} });
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/replicated-vms` }).flush({
      items: [
        { site: { id: SOURCE_ID, name: 'prod-berlin' }, ...replicatedVmBody() },
        { site: { id: OTHER_SITE, name: 'prod-paris' }, ...replicatedVmBody({ vm: { id: 'paris:vm-7', name: 'web-01' }, missing: { failover: [{ kind: 'network', source: 'DMZ' }], test: [] } }) },
      ],
    });
    await view.stable();
    // Each site's list reads the failovers this site keeps (which VMs are failed over here).
    for (const req of http.match({ method: 'GET', url: `${API_BASE}/api/v1/failovers` })) req.flush({ items: failovers });
    await view.stable();
    return view;
  }

  it('lists the VMs of every source site under their site, naming the mapping a failover lacks', async () => {
    const view = await open();
    expect(view.all('.ll-replicated h4').map((h) => h.textContent?.trim())).toEqual(['Replicated VMs of prod-berlin', 'Replicated VMs of prod-paris']);
    const [berlin, paris] = view.all('.ll-replicated');
    expect(berlin!.querySelector('.ll-replicated-name')?.textContent?.trim()).toBe('erp-01');
    expect(berlin!.querySelector('.ll-replicated-lag')?.textContent?.trim()).toBe('30 min');
    expect(paris!.querySelector('.ll-missing-failover')?.textContent?.trim()).toBe('Failover lacks a mapping for network DMZ');
    expect(paris!.querySelector<HTMLButtonElement>('.ll-vm-failover')?.disabled).toBeTrue();
    expect(paris!.querySelector<HTMLButtonElement>('.ll-vm-test')?.disabled).toBeFalse();
  });

  it('tests a VM through the same confirmation as the Sites view, at its own site', async () => {
    const view = await open();
    const berlin = view.all('.ll-replicated')[0]!;
    (berlin.querySelector('.ll-vm-failover') as HTMLElement).click();
    await view.stable();
    expect(view.text('.ll-confirm-title')).toBe('Fail over erp-01');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failover` });
    expect(post.request.body).toEqual({ mode: 'disaster' });
    post.flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'disaster', state: 'starting', name: 'erp-01' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-report-state')).toBe('Starting');
  });

  it('disables the actions with the reason for a user without Lifeline Restore', async () => {
    const view = await open(false);
    for (const b of view.all('.ll-vm-failover, .ll-vm-test') as HTMLButtonElement[]) {
      expect(b.disabled).toBeTrue();
      expect(b.title).toBe('Failover, drills and clean-up need the Lifeline Restore privilege on the vCenter root.');
    }
  });

  it('offers Fail back… for a VM failed over in an earlier visit, from the failovers the server keeps, with its confirmation', async () => {
    const earlier = failoverBody({ mode: 'planned', state: 'up', name: 'erp-01' });
    const drill = failoverBody({ id: 'b1c2d3e4-0000-4000-8000-000000000002', peerId: OTHER_SITE, sourceVm: { id: 'paris:vm-7', name: 'web-01' }, mode: 'test', state: 'up', name: 'web-01-dr-test' });
    const view = await open(true, [earlier, drill]);
    const [berlin, paris] = view.all('.ll-replicated');
    expect(berlin!.querySelector('.ll-failed-over')?.textContent?.trim()).toBe('Failed over here as erp-01');
    // A drill is no failover: nothing to fail back.
    expect(paris!.querySelector('.ll-failed-over')).toBeNull();
    expect(paris!.querySelector('.ll-vm-row-failback')).toBeNull();
    const button = berlin!.querySelector<HTMLButtonElement>('.ll-vm-row-failback')!;
    expect(button.disabled).toBeFalse();
    button.click();
    await view.stable();
    expect(view.text('.ll-confirm-title')).toBe('Fail back erp-01');
    expect(view.text('.ll-confirm-text')).toContain('the original VM at prod-berlin gets its disks replaced by that point, keeping its identity');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/failback` });
    expect(post.request.body).toEqual({ target: 'original' });
    const failback = { state: 'running', target: 'original', name: null, powerOn: true, shutdownTimeoutSeconds: 300, jobId: 'job-9', shutdown: null, pointId: null, chunks: null, chunksSent: null, bytesSent: null, sourceJobId: null, sourceVm: null, failures: [], requestedBy: 'VSPHERE.LOCAL\\alice', startedAt: '2026-11-23T10:05:00.000Z', endedAt: null };
    post.flush(failoverAcceptedBody({ failover: failoverBody({ mode: 'planned', state: 'up', name: 'erp-01', failback }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    expect(view.text('.ll-vm-failback-state')).toBe('Failback to prod-berlin: running, — of — chunks sent.');
  });

  it('shows a failback under way or failed from the server\'s record, and offers Fail back… again only after a failure', async () => {
    const failback = { target: 'original', name: null, powerOn: true, shutdownTimeoutSeconds: 300, jobId: 'job-9', shutdown: null, pointId: null, chunks: null, chunksSent: null, bytesSent: null, sourceJobId: null, sourceVm: null, requestedBy: 'VSPHERE.LOCAL\\alice', startedAt: '2026-11-23T10:05:00.000Z' };
    const running = await open(true, [failoverBody({ mode: 'disaster', state: 'up', name: 'erp-01', failback: { ...failback, state: 'running', failures: [], endedAt: null } })]);
    expect(running.text('.ll-failback-running')).toBe('Failback to prod-berlin under way');
    expect(running.element.querySelector('.ll-vm-row-failback')).toBeNull();
    running.fixture.destroy();
    const reason = 'Lifeline stopped during the failback\'s backup step, before site prod-berlin was asked to recover a point; the failback was rolled back at the next start';
    const failed = await open(true, [failoverBody({ mode: 'disaster', state: 'up', name: 'erp-01', failback: { ...failback, state: 'failed', failures: [reason], endedAt: '2026-11-23T10:06:00.000Z' } })]);
    expect(failed.text('.ll-failback-failed')).toBe(`Last failback failed: ${reason}`);
    expect(failed.element.querySelector<HTMLButtonElement>('.ll-vm-row-failback')?.disabled).toBeFalse();
  });

  it('disables Fail back… with the reason for a user without Lifeline Restore', async () => {
    const view = await open(false, [failoverBody({ mode: 'planned', state: 'up', name: 'erp-01' })]);
    const button = view.element.querySelector<HTMLButtonElement>('.ll-vm-row-failback')!;
    expect(button.disabled).toBeTrue();
    expect(button.title).toBe('Failover, drills and clean-up need the Lifeline Restore privilege on the vCenter root.');
  });
});
