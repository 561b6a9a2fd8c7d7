import type { HttpTestingController } from '@angular/common/http/testing';

import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../../testing/view-test-bed';
import { POLICY_ID, pageBody, policyBody } from '../../testing/server-bodies';
import { Policies } from './policies';

const LIST = `${API_BASE}/api/v1/policies?limit=1000`;
const HOOK_SETS = `${API_BASE}/api/v1/hook-sets`;

describe('Policies', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    ({ http } = configureViewTestBed());
  });

  afterEach(() => http.verify());

  async function open(policies = [policyBody(), policyBody({ id: 'pol-bronze', name: 'Bronze', rpoSeconds: 86_400, consistency: 'crash', vmCount: 0, retention: { keepLast: 0, hourly: 0, daily: 7, weekly: 4, monthly: 0, yearly: 0 } })]): Promise<RenderedView<Policies>> {
    const view = await renderView(Policies);
    http.expectOne(LIST).flush(pageBody(policies));
    await view.stable();
    return view;
  }

  function type(view: RenderedView<Policies>, selector: string, value: string | number): void {
    const input = view.element.querySelector(selector) as HTMLInputElement | null;
    if (input === null) {
      throw new Error(`no input ${selector}`);
    }
    input.value = String(value);
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
  }

  /** Opens the form with the create or edit button; the form asks which hook sets the server declares. */
  async function openForm(view: RenderedView<Policies>, button: string, hookSets: readonly string[] = ['postgres', 'sap-hana']): Promise<void> {
    await view.click(button);
    http.expectOne(HOOK_SETS).flush(pageBody(hookSets.map((name) => ({ name }))));
    await view.stable();
  }

  function hookSetOptions(view: RenderedView<Policies>): string[] {
    return view.all('#ll-policy-hook-set option').map((o) => (o.textContent ?? '').trim());
  }

  function rows(view: RenderedView<Policies>): string[][] {
    return view.all('.ll-policy-row').map((row) =>
      [...row.querySelectorAll('clr-dg-cell')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
  }

  it('lists every policy with its RPO, retention, immutability, consistency, scripts and VM count', async () => {
    const view = await open([policyBody({ hookSet: 'postgres' }), policyBody({ id: 'pol-bronze', name: 'Bronze', rpoSeconds: 86_400, consistency: 'crash', vmCount: 0, retention: { keepLast: 0, hourly: 0, daily: 7, weekly: 4, monthly: 0, yearly: 0 } })]);
    const [gold, bronze] = rows(view);
    expect(gold?.slice(0, 7)).toEqual(['Gold', '15 min', 'last 4, 24 hourly, 14 daily', '7 d', 'Application-consistent', 'postgres', '3']);
    expect(bronze?.slice(0, 7)).toEqual(['Bronze', '1 d', '7 daily, 4 weekly', '7 d', 'Crash-consistent', 'None', '0']);
  });

  it('says so when there are no policies yet', async () => {
    const view = await open([]);
    expect(view.text('clr-dg-placeholder')).toBe('There are no protection policies yet.');
  });

  it('creates a policy from the form and lists it', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    expect(view.text('.modal-title')).toBe('New protection policy');
    type(view, '#ll-policy-name', '  Silver ');
    type(view, '#ll-policy-rpo', 30);
    type(view, '#ll-retention-weekly', 8);
    await view.stable();
    await view.click('.ll-policy-save');

    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/policies` });
    expect(post.request.body).toEqual({
      name: 'Silver',
      rpoSeconds: 1800,
      retention: { keepLast: 0, hourly: 0, daily: 14, weekly: 8, monthly: 0, yearly: 0 },
      immutabilityDays: 7,
      consistency: 'application',
      onQuiesceFailure: 'fail',
      hookSet: null,
      copyToObjectStorage: null,
    });
    post.flush(policyBody({ id: 'pol-silver', name: 'Silver', rpoSeconds: 1800, vmCount: 0 }), { status: 201, statusText: 'Created' });
    await view.stable();
    expect(view.element.querySelector('.modal-title')).toBeNull();
    http.expectOne(LIST).flush(pageBody([policyBody({ id: 'pol-silver', name: 'Silver', rpoSeconds: 1800, vmCount: 0 })]));
    await view.stable();
    expect(rows(view).map((row) => row[0])).toEqual(['Silver']);
  });

  it('shows a mistake beside its field before anything is sent', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    type(view, '#ll-policy-rpo', 2000);
    for (const rule of ['daily']) {
      type(view, `#ll-retention-${rule}`, 0);
    }
    await view.stable();
    await view.click('.ll-policy-save');
    http.expectNone(`${API_BASE}/api/v1/policies`);
    expect(view.text('.ll-policy-name-field clr-control-error')).toBe('Give the policy a name of 1 to 80 characters.');
    expect(view.text('.ll-policy-rpo-field clr-control-error')).toBe('Enter a whole number of minutes from 1 to 1440.');
    expect(view.text('.ll-retention-error')).toBe('Keep at least one restore point: set one retention rule above 0.');
  });

  it('shows each field error of the server’s 400 on its field, and the rest in the alert', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    type(view, '#ll-policy-name', 'Gold');
    await view.stable();
    await view.click('.ll-policy-save');
    flushProblem(http.expectOne(`${API_BASE}/api/v1/policies`), {
      status: 400,
      title: 'Bad Request',
      detail: 'the policy has 3 faults',
      code: 'validation',
      errors: [
        { field: 'retention.daily', message: 'retention.daily must be a whole number from 0 to 3660' },
        { field: 'immutabilityDays', message: 'immutabilityDays must be at least the RPO' },
        { field: 'windows[0].start', message: 'windows[0].start must be HH:MM' },
      ],
    });
    await view.stable();
    expect(view.text('.ll-retention-daily-field clr-control-error')).toBe('retention.daily must be a whole number from 0 to 3660');
    expect(view.text('.ll-policy-immutability-field clr-control-error')).toBe('immutabilityDays must be at least the RPO');
    expect(view.text('.ll-problem-title')).toBe('Bad Request');
    expect(view.text('.ll-problem-detail')).toBe('the policy has 3 faults');
    expect(view.all('.ll-problem-fields li').map((li) => li.textContent?.trim())).toEqual([
      'retention.daily must be a whole number from 0 to 3660',
      'immutabilityDays must be at least the RPO',
      'windows[0].start must be HH:MM',
    ]);

    // Correcting the field clears the server's error there; the form may be sent again.
    type(view, '#ll-retention-daily', 10);
    type(view, '#ll-policy-immutability', 14);
    await view.stable();
    expect(view.element.querySelector('.ll-retention-daily-field clr-control-error')).toBeNull();
  });

  it('shows a name already taken (409) on the name field', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    type(view, '#ll-policy-name', 'gold');
    await view.stable();
    await view.click('.ll-policy-save');
    flushProblem(http.expectOne(`${API_BASE}/api/v1/policies`), {
      status: 409,
      title: 'Conflict',
      detail: 'name: another policy is already called "gold"',
      code: 'policy-name-taken',
      errors: [{ field: 'name', message: 'name "gold" is already used by another policy' }],
    });
    await view.stable();
    expect(view.text('.ll-policy-name-field clr-control-error')).toBe('name "gold" is already used by another policy');
    expect(view.element.querySelector('.ll-problem-fields')).toBeNull();
  });

  it('warns in the form when the RPO is below what the policy’s VMs allow with the job slots', async () => {
    const view = await open([policyBody({ rpoSeconds: 60, feasibility: { feasible: false, bestRpoSeconds: 160, vmsInfeasible: 3, vmsUnmeasured: 0, reason: 'slots' } })]);
    await openForm(view, '.ll-policy-edit');
    expect(view.text('.ll-policy-infeasible')).toContain('the VMs this policy protects cannot all meet an RPO below 3 min');
    type(view, '#ll-policy-rpo', 3);
    await view.stable();
    expect(view.element.querySelector('.ll-policy-infeasible')).toBeNull();
    type(view, '#ll-policy-rpo', 2);
    await view.stable();
    expect(view.element.querySelector('.ll-policy-infeasible')).not.toBeNull();
  });

  it('edits a policy, keeping what the form does not show', async () => {
    const view = await open([policyBody({ rpoSeconds: 930, copyToObjectStorage: { points: 'weekly-monthly', immutableDays: 365 } })]);
    await openForm(view, '.ll-policy-edit');
    expect(view.text('.modal-title')).toBe('Edit protection policy Gold');
    expect((view.element.querySelector('#ll-policy-rpo') as HTMLInputElement).value).toBe('16');
    type(view, '#ll-policy-immutability', 30);
    await view.stable();
    await view.click('.ll-policy-save');
    const put = http.expectOne({ method: 'PUT', url: `${API_BASE}/api/v1/policies/${POLICY_ID}` });
    expect(put.request.body).toEqual({
      name: 'Gold',
      // Untouched, the RPO keeps its exact seconds.
      rpoSeconds: 930,
      retention: { keepLast: 4, hourly: 24, daily: 14, weekly: 0, monthly: 0, yearly: 0 },
      immutabilityDays: 30,
      consistency: 'application',
      onQuiesceFailure: 'crash-consistent',
      excludedDisks: [],
      hookSet: null,
      windows: [{ days: ['mon'], start: '22:00', end: '06:00' }],
      replicationSite: null,
      copyToObjectStorage: { points: 'weekly-monthly', immutableDays: 365 },
    });
    put.flush(policyBody({ immutabilityDays: 30 }));
    await view.stable();
    http.expectOne(LIST).flush(pageBody([policyBody({ immutabilityDays: 30 })]));
    await view.stable();
    expect(rows(view)[0]?.[3]).toBe('30 d');
  });

  it('offers copies to object storage, sends the choice, and shows the server’s refusal on the field', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    expect(view.text('.ll-policy-copy-field label')).toBe('Copy to object storage');
    expect(view.all('#ll-policy-copy option').map((o) => o.textContent?.trim())).toEqual(['No copies', 'Every restore point', 'Weekly and monthly restore points']);
    expect(view.element.querySelector('#ll-policy-copy-days')).toBeNull();
    type(view, '#ll-policy-name', 'Archive');
    const select = view.element.querySelector('#ll-policy-copy') as HTMLSelectElement;
    select.value = 'weekly-monthly';
    select.dispatchEvent(new Event('change'));
    await view.stable();
    expect((view.element.querySelector('#ll-policy-copy-days') as HTMLInputElement).value).toBe('365');
    type(view, '#ll-policy-copy-days', 0);
    await view.stable();
    await view.click('.ll-policy-save');
    http.expectNone(`${API_BASE}/api/v1/policies`);
    expect(view.text('.ll-policy-copy-days-field clr-control-error')).toBe('Enter a whole number of days from 1 to 3650.');
    type(view, '#ll-policy-copy-days', 3650);
    await view.stable();
    await view.click('.ll-policy-save');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/policies` });
    expect((post.request.body as { copyToObjectStorage: unknown }).copyToObjectStorage).toEqual({ points: 'weekly-monthly', immutableDays: 3650 });
    flushProblem(post, {
      status: 400,
      title: 'Bad Request',
      detail: 'the policy has 1 fault',
      code: 'validation',
      errors: [{ field: 'copyToObjectStorage', message: 'copyToObjectStorage: this Lifeline server has no object storage for copies (copyS3 in lifeline.json)' }],
    });
    await view.stable();
    expect(view.text('.ll-policy-copy-field clr-control-error')).toBe('copyToObjectStorage: this Lifeline server has no object storage for copies (copyS3 in lifeline.json)');

    // No copies after all: an invalid number of days for them no longer holds the form back.
    type(view, '#ll-policy-copy-days', 0);
    select.value = 'none';
    select.dispatchEvent(new Event('change'));
    await view.stable();
    await view.click('.ll-policy-save');
    const again = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/policies` });
    expect((again.request.body as { copyToObjectStorage: unknown }).copyToObjectStorage).toBeNull();
    again.flush(policyBody({ id: 'pol-archive', name: 'Archive' }), { status: 201, statusText: 'Created' });
    await view.stable();
    http.expectOne(LIST).flush(pageBody([policyBody({ id: 'pol-archive', name: 'Archive' })]));
    await view.stable();
  });

  it('edits a policy’s copies to object storage, or turns them off', async () => {
    const view = await open([policyBody({ copyToObjectStorage: { points: 'all', immutableDays: 90 } })]);
    await openForm(view, '.ll-policy-edit');
    expect((view.element.querySelector('#ll-policy-copy') as HTMLSelectElement).value).toBe('all');
    expect((view.element.querySelector('#ll-policy-copy-days') as HTMLInputElement).value).toBe('90');
    const select = view.element.querySelector('#ll-policy-copy') as HTMLSelectElement;
    select.value = 'none';
    select.dispatchEvent(new Event('change'));
    await view.stable();
    expect(view.element.querySelector('#ll-policy-copy-days')).toBeNull();
    await view.click('.ll-policy-save');
    const put = http.expectOne({ method: 'PUT', url: `${API_BASE}/api/v1/policies/${POLICY_ID}` });
    expect((put.request.body as { copyToObjectStorage: unknown }).copyToObjectStorage).toBeNull();
    put.flush(policyBody());
    await view.stable();
    http.expectOne(LIST).flush(pageBody([policyBody()]));
    await view.stable();
  });

  it('offers None and the hook sets the server declares, and sends the one chosen', async () => {
    const view = await open([]);
    await openForm(view, '.ll-policy-create');
    expect(view.text('.ll-policy-hook-set-field label')).toBe('Pre/post scripts');
    expect(hookSetOptions(view)).toEqual(['None', 'postgres', 'sap-hana']);
    expect((view.element.querySelector('#ll-policy-hook-set') as HTMLSelectElement).value).toBe('');
    type(view, '#ll-policy-name', 'Databases');
    const select = view.element.querySelector('#ll-policy-hook-set') as HTMLSelectElement;
    select.value = 'sap-hana';
    select.dispatchEvent(new Event('change'));
    await view.stable();
    await view.click('.ll-policy-save');
    const post = http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/policies` });
    expect((post.request.body as { hookSet: unknown }).hookSet).toBe('sap-hana');
    post.flush(policyBody({ id: 'pol-db', name: 'Databases', hookSet: 'sap-hana', vmCount: 0 }), { status: 201, statusText: 'Created' });
    await view.stable();
    http.expectOne(LIST).flush(pageBody([policyBody({ id: 'pol-db', name: 'Databases', hookSet: 'sap-hana', vmCount: 0 })]));
    await view.stable();
    expect(rows(view)[0]?.[5]).toBe('sap-hana');
  });

  it('keeps a policy’s hook set that the server no longer declares, saying so, until the user picks another', async () => {
    const view = await open([policyBody({ hookSet: 'oracle' })]);
    await openForm(view, '.ll-policy-edit', ['postgres']);
    expect(hookSetOptions(view)).toEqual(['None', 'postgres', 'oracle (not configured on this server)']);
    expect((view.element.querySelector('#ll-policy-hook-set') as HTMLSelectElement).value).toBe('oracle');
    await view.click('.ll-policy-save');
    flushProblem(http.expectOne({ method: 'PUT', url: `${API_BASE}/api/v1/policies/${POLICY_ID}` }), {
      status: 400,
      title: 'Bad Request',
      detail: 'invalid protection policy',
      code: 'validation',
      errors: [{ field: 'hookSet', message: 'hookSet "oracle" is not a hook set of this Lifeline server\'s configuration (it declares postgres)' }],
    });
    await view.stable();
    expect(view.text('.ll-policy-hook-set-field clr-control-error')).toBe('hookSet "oracle" is not a hook set of this Lifeline server\'s configuration (it declares postgres)');
    expect(view.element.querySelector('.ll-problem-fields')).toBeNull();
  });

  it('closes the form without sending anything on cancel', async () => {
    const view = await open();
    await openForm(view, '.ll-policy-edit');
    type(view, '#ll-policy-name', 'Platinum');
    await view.click('.ll-policy-cancel');
    expect(view.element.querySelector('.ll-policy-save')).toBeNull();
    http.expectNone(() => true);
  });

  it('deletes a policy after confirmation', async () => {
    const view = await open([policyBody({ vmCount: 0 })]);
    await view.click('.ll-policy-delete');
    expect(view.text('.ll-delete-text')).toBe('Policy Gold is deleted. A policy that still protects VMs cannot be deleted.');
    await view.click('.ll-delete-confirm');
    http.expectOne({ method: 'DELETE', url: `${API_BASE}/api/v1/policies/${POLICY_ID}` }).flush(null, { status: 204, statusText: 'No Content' });
    await view.stable();
    http.expectOne(LIST).flush(pageBody([]));
    await view.stable();
    expect(rows(view)).toEqual([]);
    expect(view.element.querySelector('.ll-delete-confirm')).toBeNull();
  });

  it('keeps the dialog open with the reason when a policy in use cannot be deleted', async () => {
    const view = await open();
    await view.click('.ll-policy-delete');
    await view.click('.ll-delete-confirm');
    flushProblem(http.expectOne(`${API_BASE}/api/v1/policies/${POLICY_ID}`), {
      status: 409,
      title: 'Conflict',
      detail: 'the policy protects 3 VM(s); assign them another policy first',
      code: 'policy-in-use',
    });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toBe('the policy protects 3 VM(s); assign them another policy first');
    expect(view.element.querySelector('.ll-delete-confirm')).not.toBeNull();
    expect(rows(view).length).toBe(2);
  });

  it('shows why the list could not be read', async () => {
    const view = await renderView(Policies);
    flushProblem(http.expectOne(LIST), { status: 502, title: 'Bad Gateway', detail: 'vCenter vc1 did not answer', code: 'vcenter-unreachable' });
    await view.stable();
    expect(view.text('.ll-problem')).toContain('vCenter vc1 did not answer');
  });
});
