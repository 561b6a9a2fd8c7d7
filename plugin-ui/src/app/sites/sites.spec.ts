import type { HttpTestingController, TestRequest } from '@angular/common/http/testing';

import { SESSION_HEADER } from '../api/lifeline-api';
import { PAIRING_CODE, linkBody, PEER_ID, PEER_THUMBPRINT, peerBody, replicationSettingsBody, SELF_THUMBPRINT, pairingCodeBody, probeBody, sitesBody } from '../testing/site-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { ManualClock } from '../testing/manual-clock';
import { CLOCK } from './clock';
import { LINK_REFRESH_SECONDS, Sites } from './sites';

const SITES = `${API_BASE}/api/v1/sites`;
const PEER = `${SITES}/${PEER_ID}`;

describe('Sites', () => {
  let http: HttpTestingController;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-11-23T10:00:00.000Z'));
    const bed = configureViewTestBed({ providers: [{ provide: CLOCK, useValue: clock }] });
    bed.sdk.contextObjects = [];
    ({ http } = bed);
  });

  // The view's disaster-recovery part (privileges, and per source site its replicated VMs, their
  // failovers and mappings) has specs of its own (dr/*.spec.ts); here its reads are left unanswered.
  afterEach(() => {
    http.match((r) => r.url === `${API_BASE}/api/v1/capabilities` || r.url === `${API_BASE}/api/v1/openapi.json` || r.url === `${API_BASE}/api/v1/failovers` || /\/sites\/[^/]+\/(replicated-vms|mappings|mapping-targets)$/.test(r.url));
    http.verify();
  });

  async function open(answer: (request: TestRequest) => void = (r) => r.flush(sitesBody())): Promise<RenderedView<Sites>> {
    const view = await renderView(Sites);
    answer(http.expectOne({ method: 'GET', url: SITES }));
    await view.stable();
    return view;
  }

  /** The cells of each peer row, as the user reads them. */
  function rows(view: RenderedView<Sites>): string[][] {
    return view.all('.ll-peer').map((row) => [...row.querySelectorAll('clr-dg-cell')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()));
  }

  it('shows this site and each paired site with its link, throughput, bytes sent and backlog', async () => {
    const view = await renderView(Sites);
    expect(view.text('.ll-sites-loading')).toBe('Reading this site’s pairings…');
    expect(view.element.querySelector('.ll-peers .datagrid-spinner')).not.toBeNull();
    const request = http.expectOne(SITES);
    expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    request.flush(
      sitesBody([
        peerBody(),
        peerBody({ id: 'site-2', name: 'branch-lisbon', url: 'https://lisbon.example.com:8543', role: 'source', link: linkBody({ state: 'unreachable', lastError: 'connect ECONNREFUSED 10.0.0.9:8543', throughputBps: 0, bytesSent: 0, backlogPoints: 0 }) }),
        peerBody({ id: 'site-3', name: 'dr-new', link: null }),
      ]),
    );
    await view.stable();
    expect(view.text('.ll-self-name')).toBe('prod-berlin');
    expect(view.text('.ll-self-address')).toBe('https://lifeline.example.com:8543');
    expect(view.text('.ll-self-thumbprint')).toBe(SELF_THUMBPRINT);
    const [dr, branch, fresh] = rows(view);
    expect(dr?.slice(0, 4)).toEqual(['dr-frankfurt', 'https://dr.example.com:8543', PEER_THUMBPRINT, 'DR site: this site replicates to it']);
    const link = (id: string, part: string) => (view.element.querySelector(`.ll-peer[data-peer-id="${id}"] ${part}`)?.textContent ?? '').trim();
    expect(link(PEER_ID, '.ll-link-state')).toBe('Replicating');
    expect(link(PEER_ID, '.ll-link-contact')).toMatch(/^last contact .*2026/);
    expect(dr?.slice(5, 8)).toEqual(['20 MiB/s', '3 GiB', '2 waiting']);
    expect(branch?.[3]).toBe('Production site: it replicates to this site');
    expect(link('site-2', '.ll-link-state')).toBe('Unreachable');
    expect(link('site-2', '.ll-link-error')).toBe('connect ECONNREFUSED 10.0.0.9:8543');
    expect(view.element.querySelector('.ll-peer[data-peer-id="site-2"] .ll-peer-link .label')?.classList).toContain('label-danger');
    expect(fresh?.slice(4, 8)).toEqual(['Nothing replicated yet', '', '', '']);
  });

  it('marks a production site that unpaired this DR site, whose replicas stay here', async () => {
    const view = await renderView(Sites);
    http.expectOne(SITES).flush(
      sitesBody([
        peerBody({ id: 'site-2', name: 'prod-lisbon', role: 'source', unpairedByPeerAt: '2026-11-22T09:30:00.000Z', link: null }),
        peerBody({ id: 'site-3', name: 'prod-porto', role: 'source', link: null }),
      ]),
    );
    await view.stable();
    const cell = (id: string, part: string) => view.element.querySelector(`.ll-peer[data-peer-id="${id}"] ${part}`);
    expect(cell('site-2', '.ll-peer-unpaired-by-peer')?.textContent?.trim()).toBe('Unpaired by it');
    expect(cell('site-2', '.ll-peer-unpaired-by-peer')?.classList).toContain('label-warning');
    expect(cell('site-2', '.ll-peer-unpaired-by-peer-hint')?.textContent).toMatch(/^It unpaired this site on .*2026.* and is refused from then on\. Its replicas stay here, with failover and drills from them, until you unpair it here/);
    expect(cell('site-3', '.ll-peer-unpaired-by-peer')).toBeNull();
    expect(rows(view)[1]?.[3]).toBe('Production site: it replicates to this site');
  });

  it('says when this site is paired with no other', async () => {
    const view = await open((r) => r.flush(sitesBody([])));
    expect(view.text('clr-dg-placeholder')).toBe('This site is not paired with any other site.');
  });

  it('reports an answer it cannot read, and the server’s problem', async () => {
    const bad = await open((r) => r.flush(sitesBody([peerBody({ role: 'primary' })])));
    expect(bad.text('ll-problem-alert .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
    expect(bad.element.querySelector('.ll-peer')).toBeNull();
    bad.fixture.destroy();
    const failed = await open((r) => flushProblem(r, { status: 404, title: 'Not Found', detail: 'No route GET /api/v1/sites.', code: 'not-found' }));
    expect(failed.text('ll-problem-alert .ll-problem-detail')).toBe('No route GET /api/v1/sites.');
  });

  it('unpairs only after a confirmation that names the peer', async () => {
    const view = await open();
    await view.click('.ll-peer-unpair');
    expect(view.text('.modal-title')).toBe('Unpair from dr-frankfurt?');
    expect(view.text('.ll-unpair-text')).toContain('This site and dr-frankfurt (https://dr.example.com:8543) stop replicating');
    expect(view.text('.ll-unpair-confirm')).toBe('Unpair from dr-frankfurt');
    http.expectNone({ method: 'DELETE', url: PEER });

    await view.click('.ll-unpair-cancel');
    expect(view.element.querySelector('.ll-unpair-text')).toBeNull();
    http.expectNone({ method: 'DELETE', url: PEER });

    await view.click('.ll-peer-unpair');
    await view.click('.ll-unpair-confirm');
    http.expectOne({ method: 'DELETE', url: PEER }).flush(null, { status: 204, statusText: 'No Content' });
    await view.stable();
    http.expectOne({ method: 'GET', url: SITES }).flush(sitesBody([]));
    await view.stable();
    expect(view.text('.ll-sites-done')).toContain('This site is no longer paired with dr-frankfurt.');
    expect(view.element.querySelector('.ll-peer')).toBeNull();
    expect(view.element.querySelector('.ll-unpair-text')).toBeNull();
  });

  it('keeps the unpair dialog open with the reason the server refuses', async () => {
    const view = await open();
    await view.click('.ll-peer-unpair');
    await view.click('.ll-unpair-confirm');
    flushProblem(http.expectOne({ method: 'DELETE', url: PEER }), {
      status: 403,
      title: 'Forbidden',
      detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toContain('lacks the privilege com.lifeline.vsphere.Admin');
    expect(view.text('.modal-title')).toBe('Unpair from dr-frankfurt?');
    expect(view.element.querySelector('.ll-peer')).not.toBeNull();
  });

  it('edits how this source site sends, starting from the current settings, shows the DR site’s part read-only and sends only its own with PATCH', async () => {
    const view = await open();
    await view.click('.ll-peer-edit');
    expect(view.text('.modal-title')).toBe('Replication settings with dr-frankfurt');
    const input = (id: string) => view.element.querySelector<HTMLInputElement>(`#${id}`);
    expect(input('ll-settings-bandwidth')?.value).toBe('50');
    expect(input('ll-settings-window-enabled')?.checked).toBeTrue();
    expect(input('ll-settings-window-from')?.value).toBe('08:00');
    expect(input('ll-settings-window-bandwidth')?.value).toBe('20');
    expect(input('ll-settings-concurrent')?.value).toBe('2');
    // The DR site keeps its replicas by its own rule: shown, not editable here, and where to change it.
    expect(input('ll-settings-retention-monthly')).toBeNull();
    expect(input('ll-settings-immutable')).toBeNull();
    expect(view.text('.ll-settings-theirs-title')).toBe('Set at the DR site dr-frankfurt');
    expect(view.text('.ll-settings-theirs-retention')).toBe('last 3, 7 daily, 4 weekly, 6 monthly');
    expect(view.text('.ll-settings-theirs-immutable')).toBe('14');
    expect(view.text('.ll-settings-theirs-where')).toContain('in the Sites view of Lifeline at dr-frankfurt');

    input('ll-settings-bandwidth')!.value = '80';
    input('ll-settings-bandwidth')!.dispatchEvent(new Event('input'));
    input('ll-settings-window-enabled')!.click();
    await view.stable();
    await view.click('.ll-edit-save');
    const patch = http.expectOne({ method: 'PATCH', url: PEER });
    expect(patch.request.body).toEqual({ settings: { bandwidthMBps: 80, window: null, maxConcurrentVms: 2 } });
    patch.flush(peerBody({ settings: replicationSettingsBody({ bandwidthMBps: 80, window: null }) }));
    await view.stable();
    http.expectOne({ method: 'GET', url: SITES }).flush(sitesBody());
    await view.stable();
    expect(view.text('.ll-sites-done')).toContain('The replication settings with dr-frankfurt are saved.');
    expect(view.element.querySelector('.ll-edit-save')).toBeNull();
  });

  it('at the DR site edits how it keeps replicas, shows the source’s part read-only and sends only its own with PATCH', async () => {
    const source = peerBody({ id: 'site-2', name: 'prod-lisbon', role: 'source', settings: replicationSettingsBody({ window: null, maxConcurrentVms: 3 }) });
    const view = await open((r) => r.flush(sitesBody([source])));
    await view.click('.ll-peer-edit');
    const input = (id: string) => view.element.querySelector<HTMLInputElement>(`#${id}`);
    expect(input('ll-settings-retention-keepLast')?.value).toBe('3');
    expect(input('ll-settings-immutable')?.value).toBe('14');
    expect(input('ll-settings-bandwidth')).toBeNull();
    expect(input('ll-settings-window-enabled')).toBeNull();
    expect(input('ll-settings-concurrent')).toBeNull();
    expect(view.text('.ll-settings-theirs-title')).toBe('Set at the source site prod-lisbon');
    expect(view.text('.ll-settings-theirs-bandwidth')).toBe('50 MB/s');
    expect(view.text('.ll-settings-theirs-concurrent')).toBe('3');
    expect(view.text('.ll-settings-theirs-where')).toContain('in the Sites view of Lifeline at prod-lisbon');

    input('ll-settings-immutable')!.value = '30';
    input('ll-settings-immutable')!.dispatchEvent(new Event('input'));
    await view.stable();
    await view.click('.ll-edit-save');
    const patch = http.expectOne({ method: 'PATCH', url: `${SITES}/site-2` });
    expect(patch.request.body).toEqual({ settings: { retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 6 }, immutableDays: 30 } });
    patch.flush({ ...source, settings: replicationSettingsBody({ window: null, maxConcurrentVms: 3, immutableDays: 30 }) });
    await view.stable();
    http.expectOne({ method: 'GET', url: SITES }).flush(sitesBody([source]));
    await view.stable();
    expect(view.element.querySelector('.ll-edit-save')).toBeNull();
  });

  it('shows the server’s refusal of a setting beside its field', async () => {
    const view = await open();
    await view.click('.ll-peer-edit');
    await view.click('.ll-edit-save');
    flushProblem(http.expectOne({ method: 'PATCH', url: PEER }), {
      status: 400,
      title: 'Bad Request',
      detail: 'settings.maxConcurrentVms: must be at most 8',
      code: 'validation',
      errors: [{ field: 'settings.maxConcurrentVms', message: 'must be at most 8' }],
    });
    await view.stable();
    expect(view.text('.ll-settings-concurrent-field clr-control-error')).toBe('must be at most 8');
    expect(view.text('.ll-edit-error .ll-problem-title')).toBe('Bad Request');
    expect(view.element.querySelector('.ll-edit-save')).not.toBeNull();
  });

  it('reads the links’ figures again every few seconds while it is open, never twice at once', async () => {
    const view = await open();
    expect(LINK_REFRESH_SECONDS).toBe(10);
    clock.advance(9);
    await view.stable();
    http.expectNone(SITES);
    clock.advance(1);
    await view.stable();
    const again = http.expectOne(SITES);
    // While that read is under way, the next ticks ask nothing more.
    clock.advance(15);
    await view.stable();
    http.expectNone(SITES);
    // Meanwhile the list stays as it was, without the datagrid's loading state flashing.
    expect(view.element.querySelector('.ll-peers .datagrid-spinner')).toBeNull();
    expect(rows(view).length).toBe(1);
    again.flush(sitesBody([peerBody({ link: linkBody({ bytesSent: 5 * 2 ** 30, throughputBps: 2 ** 20, backlogPoints: 0 }) })]));
    await view.stable();
    expect(rows(view)[0]?.slice(5, 8)).toEqual(['1 MiB/s', '5 GiB', '0 waiting']);
    clock.advance(10);
    await view.stable();
    http.expectOne(SITES).flush(sitesBody());
    await view.stable();
    view.fixture.destroy();
    expect(clock.counting).toBe(0);
  });

  it('shows a pairing code from Allow pairing, and forgets it when the dialog closes', async () => {
    const view = await open();
    await view.click('.ll-sites-allow');
    http.expectOne({ method: 'POST', url: `${SITES}/pairing-codes` }).flush(pairingCodeBody(), { status: 201, statusText: 'Created' });
    await view.stable();
    expect(view.text('.ll-pairing-code')).toBe(PAIRING_CODE);
    await view.click('.ll-allow-close');
    expect(view.element.querySelector('.ll-pairing-code')).toBeNull();
    expect(view.element.textContent).not.toContain(PAIRING_CODE);
  });

  it('lists the new peer once the Pair a site wizard has paired', async () => {
    const view = await open((r) => r.flush(sitesBody([])));
    await view.click('.ll-sites-pair');
    const wizard = view.element.querySelector('ll-pair-wizard');
    expect(wizard).not.toBeNull();
    const address = view.element.querySelector<HTMLInputElement>('#ll-pair-address')!;
    address.value = 'dr.example.com';
    address.dispatchEvent(new Event('input'));
    await view.stable();
    const primary = () => view.element.querySelector<HTMLButtonElement>('.clr-wizard-btn-wrapper:not([aria-hidden="true"]) .clr-wizard-btn--primary')!;
    primary().click();
    await view.stable();
    http.expectOne(`${SITES}/probe`).flush(probeBody());
    await view.stable();
    view.element.querySelector<HTMLInputElement>('#ll-pair-confirm')!.click();
    const code = view.element.querySelector<HTMLInputElement>('#ll-pair-code')!;
    code.value = PAIRING_CODE;
    code.dispatchEvent(new Event('input'));
    await view.stable();
    primary().click();
    await view.stable();
    primary().click();
    await view.stable();
    primary().click();
    await view.stable();
    http.expectOne({ method: 'POST', url: SITES }).flush(peerBody({ link: null }), { status: 201, statusText: 'Created' });
    await view.stable();
    http.expectOne({ method: 'GET', url: SITES }).flush(sitesBody([peerBody({ link: null })]));
    await view.stable();
    expect(view.element.querySelector('ll-pair-wizard')).toBeNull();
    expect(view.text('.ll-sites-done')).toContain('This site is now paired with dr-frankfurt.');
    expect(rows(view).map((r) => r[0])).toEqual(['dr-frankfurt']);
  });

  it('cancels its request when it is destroyed', async () => {
    const view = await renderView(Sites);
    const request = http.expectOne(SITES);
    view.fixture.destroy();
    expect(request.cancelled).toBeTrue();
  });
});
