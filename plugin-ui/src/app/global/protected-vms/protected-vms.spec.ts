import type { HttpTestingController } from '@angular/common/http/testing';

import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { complianceBody, pageBody, vmBody } from '../../testing/server-bodies';
import { ProtectedVms, compareBySeverity } from './protected-vms';
import { readVmCompliance } from '../../api/compliance';

const COMPLIANCE = `${API_BASE}/api/v1/compliance?limit=1000`;
const VMS = `${API_BASE}/api/v1/vms?limit=1000`;

describe('ProtectedVms', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    ({ http } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  function rows(view: RenderedView<ProtectedVms>): string[][] {
    return view.all('.ll-protected-vm-row').map((row) =>
      [...row.querySelectorAll('clr-dg-cell')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
  }

  it('lists protected VMs by name, worst RPO compliance first', async () => {
    const view = await renderView(ProtectedVms);
    http.expectOne(VMS).flush(pageBody([vmBody('vm-1', 'web-01'), vmBody('vm-2', 'db-01'), vmBody('vm-3', 'mail')]));
    http.expectOne(COMPLIANCE).flush(
      pageBody([
        complianceBody('vm-1'),
        complianceBody('vm-2', { status: 'violated', ageSeconds: null, lastGoodPointAt: null, exceededBySeconds: 4000 }),
        complianceBody('vm-3', { status: 'at-risk', ageSeconds: 800, paused: true, policy: { id: 'pol-gone', name: null } }),
      ]),
    );
    await view.stable();
    expect(rows(view)).toEqual([
      ['db-01', 'Gold', 'Violated', 'No backup yet', 'none yet, RPO 15 min'],
      ['mail', 'pol-gone', 'At riskPaused', jasmine.stringContaining('2026') as unknown as string, '13 min of 15 min'],
      ['web-01', 'Gold', 'Compliant', jasmine.stringContaining('2026') as unknown as string, '2 min of 15 min'],
    ]);
    expect(view.all('.ll-paused').length).toBe(1);
    expect(view.text('clr-dg-footer')).toContain('3 protected VMs');
  });

  it('shows VMs by id when vCenter names cannot be read, and says why', async () => {
    const view = await renderView(ProtectedVms);
    flushProblem(http.expectOne(VMS), { status: 502, title: 'Bad Gateway', detail: 'vCenter did not answer', code: 'vcenter-unreachable' });
    http.expectOne(COMPLIANCE).flush(pageBody([complianceBody('vm-1')]));
    await view.stable();
    expect(rows(view)[0]?.[0]).toBe('vm-1');
    expect(view.text('.ll-names-unavailable')).toContain('Bad Gateway');
  });

  it('says so when no VM is protected yet', async () => {
    const view = await renderView(ProtectedVms);
    http.expectOne(VMS).flush(pageBody([]));
    http.expectOne(COMPLIANCE).flush(pageBody([]));
    await view.stable();
    expect(view.text('clr-dg-placeholder')).toContain('No VM is protected yet.');
  });

  it('shows why compliance could not be read', async () => {
    const view = await renderView(ProtectedVms);
    http.expectOne(VMS).flush(pageBody([]));
    flushProblem(http.expectOne(COMPLIANCE), { status: 403, title: 'Forbidden', detail: 'You lack System.Read.', code: 'forbidden' });
    await view.stable();
    expect(view.text('.ll-problem-detail')).toBe('You lack System.Read.');
  });

  it('orders violated before at risk before compliant, longest overdue first', () => {
    const read = (body: Record<string, unknown>) => readVmCompliance(body)!;
    const sorted = [
      read(complianceBody('a')),
      read(complianceBody('b', { status: 'violated', exceededBySeconds: 10 })),
      read(complianceBody('c', { status: 'violated', exceededBySeconds: 99 })),
      read(complianceBody('d', { status: 'at-risk' })),
    ].sort(compareBySeverity);
    expect(sorted.map((c) => c.vm.moref)).toEqual(['c', 'b', 'd', 'a']);
  });
});
