import type { HttpTestingController } from '@angular/common/http/testing';

import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { FAKE_VC_GUID } from '../../sdk/fake-html-client-sdk';
import { pageBody, vmBody } from '../../testing/server-bodies';
import { AUDIT_PAGE_SIZE, Audit } from './audit';

function record(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    at: '2026-11-23T10:00:00.000Z',
    user: 'VSPHERE.LOCAL\\alice',
    vcenterGuid: null,
    action: 'policy.create',
    object: `policy:pol-${id}`,
    outcome: 'success',
    status: 201,
    errorCode: null,
    requestId: `req-${id}`,
    details: { name: 'Gold' },
    ...overrides,
  };
}

const url = (query: string): string => `${API_BASE}/api/v1/audit?${query}`;

describe('Audit', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    ({ http } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  function type(view: RenderedView<Audit>, selector: string, value: string): void {
    const input = view.element.querySelector(selector) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  function rows(view: RenderedView<Audit>): string[][] {
    return view.all('.ll-audit-row').map((row) =>
      [...row.querySelectorAll('clr-dg-cell')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
  }

  it('shows the newest entries with who did what to which object and how it ended', async () => {
    const view = await renderView(Audit);
    http.expectOne(url('offset=0&limit=50')).flush(
      pageBody(
        [
          record(2, { user: null, action: 'protection.assign', object: `vm:${FAKE_VC_GUID}:vm-58`, outcome: 'failure', status: 403, errorCode: 'forbidden' }),
          record(1),
        ],
        { limit: AUDIT_PAGE_SIZE },
      ),
    );
    await view.stable();
    // A VM is named by its name, not its moref and vCenter GUID.
    http.expectOne(`${API_BASE}/api/v1/vms?limit=1000`).flush(pageBody([vmBody('vm-58', 'erp-01')]));
    await view.stable();
    const [failed, created] = rows(view);
    expect(failed?.slice(1)).toEqual(['unknown', 'protection.assign', 'erp-01', 'Failure 403 forbidden']);
    expect(created?.slice(1)).toEqual(['VSPHERE.LOCAL\\alice', 'policy.create', 'policy:pol-1', 'Success']);
    expect(view.text('.ll-audit-range')).toBe('1–2 of 2');
    expect(view.element.querySelector<HTMLButtonElement>('.ll-audit-next')?.disabled).toBeTrue();
  });

  it('pages through the log a page at a time', async () => {
    const view = await renderView(Audit);
    const first = Array.from({ length: AUDIT_PAGE_SIZE }, (_, i) => record(120 - i));
    http.expectOne(url('offset=0&limit=50')).flush(pageBody(first, { total: 120, limit: AUDIT_PAGE_SIZE }));
    await view.stable();
    expect(view.text('.ll-audit-range')).toBe('1–50 of 120');
    expect(view.element.querySelector<HTMLButtonElement>('.ll-audit-previous')?.disabled).toBeTrue();
    await view.click('.ll-audit-next');
    http.expectOne(url('offset=50&limit=50')).flush(pageBody(first, { total: 120, offset: 50, limit: AUDIT_PAGE_SIZE }));
    await view.stable();
    expect(view.text('.ll-audit-range')).toBe('51–100 of 120');
    await view.click('.ll-audit-previous');
    http.expectOne(url('offset=0&limit=50')).flush(pageBody(first, { total: 120, limit: AUDIT_PAGE_SIZE }));
    await view.stable();
    expect(view.text('.ll-audit-range')).toBe('1–50 of 120');
  });

  it('filters by user and action as the server matches them, and clears the filter', async () => {
    const view = await renderView(Audit);
    http.expectOne(url('offset=0&limit=50')).flush(pageBody([record(1)]));
    await view.stable();
    type(view, '#ll-audit-user', ' VSPHERE.LOCAL\\bob ');
    type(view, '#ll-audit-action', 'job.cancel');
    await view.click('.ll-audit-apply');
    http.expectOne(url('offset=0&limit=50&user=VSPHERE.LOCAL%5Cbob&action=job.cancel')).flush(pageBody([]));
    await view.stable();
    expect(view.text('clr-dg-placeholder')).toBe('No audit entries match.');
    expect(view.text('.ll-audit-range')).toBe('0–0 of 0');
    await view.click('.ll-audit-clear');
    http.expectOne(url('offset=0&limit=50')).flush(pageBody([record(1)]));
    await view.stable();
    expect((view.element.querySelector('#ll-audit-user') as HTMLInputElement).value).toBe('');
    expect(rows(view).length).toBe(1);
  });

  it('shows a refusal with the privilege the user lacks', async () => {
    const view = await renderView(Audit);
    flushProblem(http.expectOne(url('offset=0&limit=50')), {
      status: 403,
      title: 'Forbidden',
      detail: 'You lack the privilege Lifeline.Admin on the vCenter root folder.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.ll-problem-detail')).toBe('You lack the privilege Lifeline.Admin on the vCenter root folder.');
  });

  it('lets only the newest request fill the grid', async () => {
    const view = await renderView(Audit);
    const first = http.expectOne(url('offset=0&limit=50'));
    type(view, '#ll-audit-action', 'vm.backup');
    await view.click('.ll-audit-apply');
    expect(first.cancelled).toBeTrue();
    http.expectOne(url('offset=0&limit=50&action=vm.backup')).flush(pageBody([record(5, { action: 'vm.backup' })]));
    await view.stable();
    expect(rows(view).map((r) => r[2])).toEqual(['vm.backup']);
  });
});
