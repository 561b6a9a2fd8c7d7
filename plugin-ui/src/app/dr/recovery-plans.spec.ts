import type { HttpTestingController } from '@angular/common/http/testing';

import type { FakeFetch } from '../api/fake-fetch';
import { CLOCK } from '../sites/clock';
import { ManualClock } from '../testing/manual-clock';
import {
  FAILOVER_ID,
  PLAN_ID,
  RUN_ID,
  SOURCE_ID,
  SOURCE_VM_ID,
  SOURCE_VM_ID2,
  capabilitiesBody,
  failoverBody,
  mappingTargetsBody,
  planAcceptedBody,
  planBody,
  planListBody,
  planRunBody,
  replicatedVmBody,
  replicatedVmListBody,
} from '../testing/dr-bodies';
import { JOB_ID, jobBody, sseEvent } from '../testing/server-bodies';
import { peerBody, sitesBody } from '../testing/site-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { REPORT_REFRESH_SECONDS } from './failover-report';
import { planInput } from './plan-form';
import { RecoveryPlans } from './recovery-plans';

const PLANS = `${API_BASE}/api/v1/recovery-plans`;
const PLAN = `${PLANS}/${PLAN_ID}`;

/** A server document with the plan run's modes and, optionally, a failback route. */
function documentBody(modes: string[], failback: boolean): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    paths: {
      '/api/v1/recovery-plans/{pid}/run': { post: { requestBody: { content: { 'application/json': { schema: { properties: { mode: { enum: modes } } } } } } } },
      ...(failback ? { '/api/v1/recovery-plans/{pid}/failback': { post: {} } } : {}),
    },
  };
}

describe('Recovery plans', () => {
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

  const vms = () =>
    replicatedVmListBody([
      replicatedVmBody(),
      replicatedVmBody({ vm: { id: SOURCE_VM_ID2, name: 'db-01' }, latestPoint: { id: '20261123-090000-1a2b3c4d', createdAt: '2026-11-23T09:00:00.000Z' }, lagSeconds: 3600 }),
    ]);

  async function load(view: RenderedView<RecoveryPlans>, plans = planListBody()): Promise<void> {
    http.expectOne({ method: 'GET', url: PLANS }).flush(plans);
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites` }).flush(sitesBody([peerBody({ id: SOURCE_ID, name: 'prod-berlin', role: 'source' })]));
    await view.stable();
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms` }).flush(vms());
    await view.stable();
  }

  async function open(caps = capabilitiesBody(), doc = documentBody(['disaster', 'test'], false), plans = planListBody()): Promise<RenderedView<RecoveryPlans>> {
    const view = await renderView(RecoveryPlans);
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/capabilities` }).flush(caps);
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/openapi.json` }).flush(doc);
    await load(view, plans);
    return view;
  }

  it('lists each plan with its site, its groups in order and its last run, and shows the last drill’s report', async () => {
    const view = await open();
    expect(view.text('.ll-plan-name')).toBe('ERP tier');
    expect(view.text('.ll-plan-site')).toBe('prod-berlin');
    expect(view.all('.ll-plan-group').map((g) => g.textContent?.trim())).toEqual(['1. erp-01', '2. db-01']);
    expect(view.text('.ll-plan-last')).toMatch(/^Test \(drill\) · .*2026/);
    expect(view.text('.ll-plan-drill-title')).toBe('Last drill of ERP tier');
    expect(view.all('.ll-plan-drill-report .ll-report-row').length).toBe(1);
    expect(view.text('.ll-plan-drill-report .ll-report-vm')).toBe('erp-01 → erp-01-dr-test');
    expect(view.text('.ll-plan-drill-report .ll-report-rto')).toBe('11 s');
    expect(view.text('.ll-plan-no-failover')).toBe('The plan has not been failed over.');
    // Offered only when the server's document has them.
    expect(view.element.querySelector('.ll-plan-planned')).toBeNull();
    expect(view.element.querySelector('.ll-plan-failback')).toBeNull();
  });

  it('says in the drill’s report which network override no mapping used', async () => {
    const report = { ...(failoverBody()['report'] as Record<string, unknown>), unusedOverrides: [{ source: 'VM Network', target: 'Prod Net', reason: 'test-networks' }] };
    const plan = planBody({ runs: [{ ...planRunBody(), failovers: [[failoverBody({ planRunId: RUN_ID, report })]] }] });
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test'], false), planListBody([plan]));
    expect(view.text('.ll-plan-drill-report .ll-report-unused-override')).toBe('Network override VM Network → Prod Net not used: a drill keeps the test networks');
    expect(view.text('.ll-plan-drill-report .ll-report-failures')).toContain('None');
  });

  it('offers planned migration and failback when the server’s document has them', async () => {
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test', 'planned'], true));
    expect(view.element.querySelector('.ll-plan-planned')).not.toBeNull();
    expect(view.element.querySelector('.ll-plan-failback')).not.toBeNull();
  });

  it('disables every action with the reason for a user without Lifeline Admin and Restore', async () => {
    const view = await open(capabilitiesBody({ admin: false, restore: false, protect: false }));
    for (const button of ['.ll-plans-create', '.ll-plan-edit', '.ll-plan-delete']) {
      const b = view.element.querySelector<HTMLButtonElement>(button)!;
      expect(b.disabled).withContext(button).toBeTrue();
    }
    expect(view.element.querySelector<HTMLButtonElement>('.ll-plan-edit')?.title).toBe('Needs the Lifeline Admin privilege on the vCenter root.');
    for (const button of ['.ll-plan-test', '.ll-plan-failover', '.ll-plan-cleanup']) {
      const b = view.element.querySelector<HTMLButtonElement>(button)!;
      expect(b.disabled).withContext(button).toBeTrue();
      expect(b.title).withContext(button).toBe('Failover, drills and clean-up need the Lifeline Restore privilege on the vCenter root.');
    }
    expect(view.text('.ll-plans-needs-admin')).toBe('Needs the Lifeline Admin privilege on the vCenter root.');
  });

  it('states the largest data-loss window of the plan’s VMs before it fails the plan over', async () => {
    const view = await open();
    clock.advance(120);
    await view.click('.ll-plan-failover');
    expect(view.text('.ll-confirm-title')).toBe('Fail over ERP tier');
    // db-01's latest point (09:00) is the oldest: now (10:02) − 09:00.
    expect(view.text('.ll-confirm-loss')).toMatch(/^Data-loss window: 1 h 2 min\./);
    await view.click('.ll-confirm-cancel');
    expect(view.element.querySelector('.ll-confirm-title')).toBeNull();
  });

  it('tests a plan after a confirmation naming the mode, follows the job, then shows the new report; cleans up the same way', async () => {
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test'], false), planListBody([planBody({ runs: [] })]));
    expect(view.element.querySelector<HTMLButtonElement>('.ll-plan-cleanup')?.disabled).toBeTrue();
    await view.click('.ll-plan-test');
    expect(view.text('.ll-confirm-text')).toContain('Mode: test (DR drill).');
    await view.click('.ll-confirm-ok');
    const run = http.expectOne({ method: 'POST', url: `${PLAN}/run` });
    expect(run.request.body).toEqual({ mode: 'test' });
    run.flush(planAcceptedBody(), { status: 202, statusText: 'Accepted' });
    await view.stable();
    await load(view, planListBody([planBody({ runs: [{ ...planRunBody(), failovers: [[failoverBody({ planRunId: RUN_ID, state: 'starting', report: { ...(failoverBody()['report'] as object), poweredOnAt: null, rtoSeconds: null } })]] }] })]));
    expect(view.text('.ll-plan-job .ll-job-state')).toBe('Running');
    expect(view.text('.ll-plan-drill-report .ll-report-state')).toBe('Starting');
    // While the job runs, the report is read again every few seconds.
    clock.advance(REPORT_REFRESH_SECONDS);
    await view.stable();
    await load(view, planListBody([planBody({ runs: [{ ...planRunBody(), failovers: [[failoverBody({ planRunId: RUN_ID, state: 'up' })]] }] })]));
    expect(view.text('.ll-plan-drill-report .ll-report-state')).toBe('Up');
    const stream = await fetch.call(0);
    stream.stream.write(sseEvent('state', { seq: 3, jobId: JOB_ID, job: jobBody({ kind: 'recovery-plan', state: 'succeeded' }) }));
    stream.stream.end();
    await view.stable();
    await load(view);
    expect(view.text('.ll-plan-drill-report .ll-report-state')).toBe('Up');
    expect(view.text('.ll-plan-drill-report .ll-report-powered')).toMatch(/2026/);

    expect(view.element.querySelector<HTMLButtonElement>('.ll-plan-cleanup')?.disabled).toBeFalse();
    await view.click('.ll-plan-cleanup');
    expect(view.text('.ll-confirm-text')).toBe('Removes the VMs the last drill of ERP tier made at this site, with their disks and folders, and nothing else.');
    await view.click('.ll-confirm-ok');
    http.expectOne({ method: 'POST', url: `${PLAN}/cleanup` }).flush(planAcceptedBody({ run: planRunBody({ cleanupJobId: 'job-10' }) }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    await load(view, planListBody([planBody({ runs: [{ ...planRunBody(), failovers: [[failoverBody({ planRunId: RUN_ID, state: 'cleaned', report: { ...(failoverBody()['report'] as object), cleanedAt: '2026-11-23T10:05:00.000Z' } })]] }] })]));
    expect(view.text('.ll-plan-drill-report .ll-report-state')).toBe('Cleaned up');
    expect(FAILOVER_ID).toBeTruthy();
  });

  /** A plan failed over in mode planned: erp-01 (group 1) and db-01 (group 2) up at this site. */
  const FAILOVER_ID2 = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
  const failedOver = (failback: Record<string, unknown> | null = null, failback2: Record<string, unknown> | null = null) => [
    [failoverBody({ mode: 'planned', name: 'erp-01', planRunId: RUN_ID, ...(failback ? { failback } : {}) })],
    [failoverBody({ id: FAILOVER_ID2, mode: 'planned', name: 'db-01', sourceVm: { id: SOURCE_VM_ID2, name: 'db-01' }, vm: { moref: 'vm-102', instanceUuid: null }, planRunId: RUN_ID, ...(failback2 ? { failback: failback2 } : {}) })],
  ];
  const failbackPart = (overrides: Record<string, unknown> = {}) => ({
    state: 'running', target: 'new', name: 'erp-01-failback', powerOn: true, shutdownTimeoutSeconds: 300, jobId: JOB_ID, shutdown: null, pointId: null, chunks: null, chunksSent: null, bytesSent: null,
    sourceJobId: null, sourceVm: null, failures: [], requestedBy: 'VSPHERE.LOCAL\\alice', startedAt: '2026-11-23T10:10:00.000Z', endedAt: null, ...overrides,
  });
  const planned = planRunBody({ mode: 'planned', groups: [[FAILOVER_ID], [FAILOVER_ID2]] });
  const failbackRun = planRunBody({ id: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a', mode: 'planned', jobId: JOB_ID, groups: [[FAILOVER_ID], [FAILOVER_ID2]], failback: { target: 'new', nameSuffix: '-failback', powerOn: true, shutdownTimeoutSeconds: 300 }, createdAt: '2026-11-23T10:10:00.000Z' });

  it('fails a plan back after a confirmation naming the mode and what happens to the VMs at both sites, follows and cancels the run, and shows its report in the order it ran', async () => {
    const plans = planListBody([planBody({ runs: [{ ...planned, failovers: failedOver() }] })]);
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test', 'planned'], true), plans);
    expect(view.text('.ll-plan-last')).toMatch(/^Planned migration · /);
    expect(view.text('.ll-plan-no-failback')).toBe('The plan has not been failed back.');

    await view.click('.ll-plan-failback');
    expect(view.text('.ll-confirm-title')).toBe('Fail back ERP tier');
    expect(view.text('.ll-confirm-text')).toContain('Mode: failback, a planned migration back to prod-berlin, the plan’s last group first.');
    expect(view.text('.ll-confirm-text')).toContain('is shut down at this site');
    expect(view.text('.ll-confirm-text')).toContain('stays powered off here');
    // Onto the original VMs by default: their disks are replaced.
    expect(view.text('.ll-confirm-consequence')).toContain('The original VMs at prod-berlin get their disks replaced');
    await view.click('.ll-confirm-target-new');
    expect(view.text('.ll-confirm-consequence')).toContain('A new VM of each is made at prod-berlin');
    expect(view.text('.ll-confirm-consequence')).toContain('the original VMs at prod-berlin are left as they are');
    expect(view.text('.ll-confirm-refusal')).toContain('Nothing starts if a VM of the plan is not failed over');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${PLAN}/failback` });
    expect(post.request.body).toEqual({ target: 'new' });
    post.flush(planAcceptedBody({ job: jobBody({ kind: 'recovery-plan-failback', target: { type: 'RecoveryPlan', id: PLAN_ID, vcenterGuid: null } }), run: failbackRun }), { status: 202, statusText: 'Accepted' });
    await view.stable();
    // db-01 (group 2) went first and is back; erp-01 (group 1) is under way.
    const running = planBody({
      runs: [
        { ...failbackRun, failovers: failedOver(failbackPart(), failbackPart({ state: 'done', name: 'db-01-failback', shutdown: 'guest', pointId: '20261123-101000-5e6f7a8b', chunks: 4, chunksSent: 1, bytesSent: 1048576, sourceVm: { moref: 'vm-77', name: 'db-01-failback' }, endedAt: '2026-11-23T10:11:00.000Z' })) },
        { ...planned, failovers: failedOver() },
      ],
    });
    await load(view, planListBody([running]));
    expect(view.text('.ll-plan-job .ll-job-kind')).toBe('Recovery plan failback');
    expect(view.text('.ll-plan-job .ll-job-state')).toBe('Running');
    expect(view.text('.ll-plan-last')).toMatch(/^Failback · /);
    // The last failover's report is still the planned migration's.
    expect(view.all('.ll-plan-failover-report .ll-report-row').length).toBe(2);
    expect(view.text('.ll-plan-failback-target')).toBe('As new VMs at the production site; the plan’s last group first.');
    expect(view.all('.ll-failback-row .ll-failback-group').map((c) => c.textContent?.trim())).toEqual(['2', '1']);
    expect(view.all('.ll-failback-row .ll-failback-state').map((c) => c.textContent?.trim())).toEqual(['Failed back', 'Running']);
    const [db] = view.all('.ll-failback-row');
    expect(db!.querySelector('.ll-failback-vm')?.textContent?.trim()).toBe('db-01 → db-01');
    expect(db!.querySelector('.ll-failback-shutdown')?.textContent?.trim()).toBe('guest shut down');
    expect(db!.querySelector('.ll-failback-sent')?.textContent?.trim()).toMatch(/^1 of 4 chunks \(1(\.0)? MiB\)$/);
    expect(db!.querySelector('.ll-failback-now')?.textContent?.trim()).toBe('db-01-failback (vm-77)');

    // Cancel: the job is asked to stop starting VMs.
    expect(view.text('.ll-plan-cancel-bar .ll-hint')).toBe('A cancel starts no further VM; what is under way is undone, what is done stays.');
    await view.click('.ll-plan-cancel');
    http.expectOne({ method: 'POST', url: `${API_BASE}/api/v1/jobs/${JOB_ID}/cancel` }).flush(jobBody({ kind: 'recovery-plan-failback', target: { type: 'RecoveryPlan', id: PLAN_ID, vcenterGuid: null }, cancelRequested: true }));
    await view.stable();
    const stream = await fetch.call(0);
    stream.stream.write(sseEvent('state', { seq: 3, jobId: JOB_ID, job: jobBody({ kind: 'recovery-plan-failback', target: { type: 'RecoveryPlan', id: PLAN_ID, vcenterGuid: null }, state: 'cancelled', error: { code: 'cancelled', message: 'cancelled by request' } }) }));
    stream.stream.end();
    await view.stable();
    const cancelled = planBody({
      runs: [
        { ...failbackRun, failovers: failedOver(failbackPart({ state: 'failed', failures: ['not started: the plan’s failback was cancelled; the VM runs at this site as before'], endedAt: '2026-11-23T10:11:05.000Z' }), failbackPart({ state: 'done', sourceVm: { moref: 'vm-77', name: 'db-01-failback' } })) },
      ],
    });
    await load(view, planListBody([cancelled]));
    expect(view.element.querySelector('.ll-plan-cancel')).toBeNull();
    expect(view.all('.ll-failback-row .ll-failback-state').map((c) => c.textContent?.trim())).toEqual(['Failed back', 'Failed']);
    expect(view.text('.ll-failback-failure')).toContain('not started');
  });

  it('shows the server’s refusal of a plan’s failback, naming the VMs, in the confirmation, which stays open', async () => {
    const plans = planListBody([planBody({ runs: [{ ...planned, failovers: failedOver() }] })]);
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test', 'planned'], true), plans);
    await view.click('.ll-plan-failback');
    await view.click('.ll-confirm-ok');
    const post = http.expectOne({ method: 'POST', url: `${PLAN}/failback` });
    expect(post.request.body).toEqual({ target: 'original' });
    const detail = 'recovery plan ERP tier cannot be failed back: db-01: no reverse replication of it has completed yet: protect db-01 at this site and let a backup send a point back first. Nothing was started';
    flushProblem(post, { status: 409, title: 'Conflict', detail, code: 'dr-failback-refused', vms: [{ vmId: SOURCE_VM_ID2, name: 'db-01', reason: 'no-reverse-replication' }] });
    await view.stable();
    expect(view.text('ll-dr-confirm ll-problem-alert')).toContain('db-01: no reverse replication of it has completed yet');
    expect(view.element.querySelector('.ll-confirm-title')).not.toBeNull();
    expect(view.element.querySelector('.ll-plan-cancel')).toBeNull();
  });

  it('creates a plan of ordered groups and saves a VM’s per-VM options', async () => {
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test'], false), planListBody([]));
    expect(view.text('clr-dg-placeholder')).toBe('There is no recovery plan at this site.');
    await view.click('.ll-plans-create');
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms` }).flush(vms());
    await view.stable();
    const set = async (selector: string, value: string) => {
      const input = view.element.querySelector<HTMLInputElement>(selector)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
      await view.stable();
    };
    await set('.ll-plan-name-input', 'ERP tier');
    // db-01 first (group 1), then erp-01 (group 3: gaps close).
    await set(`.ll-plan-vm[data-vm-id="${SOURCE_VM_ID2}"] .ll-plan-vm-group`, '1');
    await set(`.ll-plan-vm[data-vm-id="${SOURCE_VM_ID}"] .ll-plan-vm-group`, '3');
    await set('.ll-plan-parallel', '2');
    await set('.ll-plan-tools', '120');
    expect(view.text('.ll-plan-summary')).toBe('2 groups, 2 VMs');
    await view.click('.ll-plan-save');
    const post = http.expectOne({ method: 'POST', url: PLANS });
    expect(post.request.body).toEqual({ name: 'ERP tier', siteId: SOURCE_ID, groups: [{ vms: [SOURCE_VM_ID2] }, { vms: [SOURCE_VM_ID] }], maxParallel: 2, toolsTimeoutSeconds: 120 });
    post.flush(planBody({ groups: [{ vms: [SOURCE_VM_ID2] }, { vms: [SOURCE_VM_ID] }], runs: [] }), { status: 201, statusText: 'Created' });
    await view.stable();
    expect(view.text('.ll-plans-done')).toBe('Recovery plan ERP tier saved.');
    await load(view, planListBody([planBody({ groups: [{ vms: [SOURCE_VM_ID2] }, { vms: [SOURCE_VM_ID] }], runs: [] })]));
    expect(view.all('.ll-plan-group').map((g) => g.textContent?.trim())).toEqual(['1. db-01', '2. erp-01']);

    // Edit: erp-01 not powered on, sent as that VM's option and nothing else.
    await view.click('.ll-plan-edit');
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms` }).flush(vms());
    await view.stable();
    expect(view.element.querySelector<HTMLInputElement>('.ll-plan-name-input')?.value).toBe('ERP tier');
    view.element.querySelector<HTMLInputElement>(`.ll-plan-vm[data-vm-id="${SOURCE_VM_ID}"] .ll-plan-vm-power`)!.click();
    await view.stable();
    await view.click('.ll-plan-save');
    const put = http.expectOne({ method: 'PUT', url: PLAN });
    expect((put.request.body as { vmOptions: unknown }).vmOptions).toEqual({ [SOURCE_VM_ID]: { powerOn: false } });
    put.flush(planBody({ groups: [{ vms: [SOURCE_VM_ID2] }, { vms: [SOURCE_VM_ID] }], vmOptions: { [SOURCE_VM_ID]: { powerOn: false } }, runs: [] }));
    await view.stable();
    expect(view.text('.ll-plans-done')).toBe('Recovery plan ERP tier saved.');
    expect(view.element.querySelector('ll-plan-form .modal-title')).toBeNull();
    await load(view, planListBody([planBody({ groups: [{ vms: [SOURCE_VM_ID2] }, { vms: [SOURCE_VM_ID] }], vmOptions: { [SOURCE_VM_ID]: { powerOn: false } }, runs: [] })]));
    expect(view.all('.ll-plan-group').map((g) => g.textContent?.trim())).toEqual(['1. db-01', '2. erp-01']);
  });
  it('chooses a VM’s point among those the server lists and overrides its mappings, and shows a refusal beside the VM', async () => {
    const view = await open(capabilitiesBody(), documentBody(['disaster', 'test'], false), planListBody([]));
    await view.click('.ll-plans-create');
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms` }).flush(vms());
    await view.stable();
    const row = `.ll-plan-vm[data-vm-id="${SOURCE_VM_ID}"]`;
    const set = async (selector: string, value: string, event = 'input') => {
      const input = view.element.querySelector<HTMLInputElement | HTMLSelectElement>(selector)!;
      input.value = value;
      input.dispatchEvent(new Event(event));
      await view.stable();
    };
    await set('.ll-plan-name-input', 'ERP tier');
    await set(`${row} .ll-plan-vm-group`, '1');
    expect(view.text(`${row} .ll-plan-vm-more`)).toBe('Latest point');
    await view.click(`${row} .ll-plan-vm-more`);
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/mapping-targets` }).flush(mappingTargetsBody());
    await view.stable();
    http.expectOne({ method: 'GET', url: `${API_BASE}/api/v1/sites/${SOURCE_ID}/replicated-vms/${encodeURIComponent(SOURCE_VM_ID)}/points` }).flush({
      items: [
        { id: '20261123-093000-1a2b3c4d', createdAt: '2026-11-23T09:30:00.000Z' },
        { id: '20261123-083000-0a0b0c0d', createdAt: '2026-11-23T08:30:00.000Z' },
      ],
    });
    await view.stable();
    const details = '.ll-plan-vm-details';
    const options = view.all(`${details} .ll-plan-vm-point option`) as HTMLOptionElement[];
    expect(options.map((o) => o.value)).toEqual(['', '20261123-093000-1a2b3c4d', '20261123-083000-0a0b0c0d']);
    expect(options[0]!.textContent?.trim()).toBe('Latest when the plan runs');
    expect(options[2]!.textContent).toMatch(/2026/);
    await set(`${details} .ll-plan-vm-point`, '20261123-083000-0a0b0c0d', 'change');
    await set(`${details} .ll-plan-vm-datastore`, 'DR-DS2', 'change');
    await set(`${details} .ll-plan-vm-folder`, 'group-v3', 'change');
    await set(`${details} .ll-plan-vm-pool`, 'resgroup-9');
    // An override needs both networks.
    await view.click(`${details} .ll-plan-vm-net-add`);
    expect(view.text(`${details} .ll-plan-vm-net-invalid`)).toBe('Name the production network and choose this site’s network it goes to.');
    await set(`${details} .ll-plan-vm-net-source`, 'VM Network');
    await set(`${details} .ll-plan-vm-net-target`, 'DR Network', 'change');
    await view.click(`${details} .ll-plan-vm-net-add`);
    expect(view.element.querySelector(`${details} .ll-plan-vm-net-invalid`)).toBeNull();
    expect(view.text(`${details} .ll-plan-vm-net-text`)).toBe('VM Network → DR Network');
    expect(view.text(`${row} .ll-plan-vm-more`)).toBe('Chosen point, 4 override(s)');
    await view.click('.ll-plan-save');
    const post = http.expectOne({ method: 'POST', url: PLANS });
    expect((post.request.body as { vmOptions: unknown }).vmOptions).toEqual({
      [SOURCE_VM_ID]: { point: '20261123-083000-0a0b0c0d', datastore: 'DR-DS2', folder: 'group-v3', pool: 'resgroup-9', networks: { 'VM Network': 'DR Network' } },
    });
    const field = `vmOptions.${SOURCE_VM_ID}.pool`;
    flushProblem(post, { status: 400, title: 'Bad Request', detail: `${field}: resource pool resgroup-9 does not exist in this site's vCenter`, code: 'validation', errors: [{ field, message: `${field}: resource pool resgroup-9 does not exist in this site's vCenter` }] });
    await view.stable();
    expect(view.text('.ll-plan-vm-error')).toBe(`${field}: resource pool resgroup-9 does not exist in this site's vCenter`);
    // The form stays open with what the user chose.
    expect(view.element.querySelector<HTMLInputElement>(`${details} .ll-plan-vm-pool`)?.value).toBe('resgroup-9');
  });
});

describe('planInput', () => {
  it('orders groups by number, closes gaps, leaves out VMs of group 0 and default options', () => {
    const entry = (group: number, options = {}) => ({ group, options });
    expect(planInput('p', 's', [
      { id: 'a', entry: entry(2) },
      { id: 'b', entry: entry(0, { powerOn: false }) },
      { id: 'c', entry: entry(5, { hookSet: 'db' }) },
      { id: 'd', entry: entry(2) },
    ], 4, 300)).toEqual({ name: 'p', siteId: 's', groups: [{ vms: ['a', 'd'] }, { vms: ['c'] }], maxParallel: 4, toolsTimeoutSeconds: 300, vmOptions: { c: { hookSet: 'db' } } });
  });
});
