import type { HttpTestingController } from '@angular/common/http/testing';

import { PAIRING_CODE, PEER_THUMBPRINT, peerBody, probeBody } from '../testing/site-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { PairWizard, siteUrlOf } from './pair-wizard';
import type { Peer } from './sites-api.types';

const PROBE = `${API_BASE}/api/v1/sites/probe`;
const SITES = `${API_BASE}/api/v1/sites`;

describe('PairWizard', () => {
  let http: HttpTestingController;
  let view: RenderedView<PairWizard>;
  let paired: Peer[];
  let closed: number;

  beforeEach(async () => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http } = bed);
    view = await renderView(PairWizard);
    paired = [];
    closed = 0;
    view.fixture.componentRef.instance.paired.subscribe((peer) => paired.push(peer));
    view.fixture.componentRef.instance.closed.subscribe(() => (closed += 1));
  });

  afterEach(() => http.verify());

  function page(): string {
    const current = view.element.querySelector('clr-wizard-page.active');
    return [...(current?.classList ?? [])].find((c) => c.startsWith('ll-pair-page-'))?.slice('ll-pair-page-'.length) ?? 'none';
  }

  function button(selector: string): HTMLButtonElement {
    const found = view.element.querySelector<HTMLButtonElement>(`.clr-wizard-btn-wrapper:not([aria-hidden="true"]) ${selector}`);
    if (found === null) {
      throw new Error(`no visible wizard button ${selector}`);
    }
    return found;
  }

  const next = () => button('.clr-wizard-btn--primary');

  async function clickNext(): Promise<void> {
    next().click();
    await view.stable();
  }

  async function type(id: string, value: string): Promise<void> {
    const input = view.element.querySelector<HTMLInputElement>(`#${id}`)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
    await view.stable();
  }

  async function click(id: string): Promise<void> {
    view.element.querySelector<HTMLInputElement>(`#${id}`)!.click();
    await view.stable();
  }

  /** Address → probe answered → identity confirmed with the code → settings page. */
  async function toSettings(): Promise<void> {
    await type('ll-pair-address', 'dr.example.com');
    await clickNext();
    http.expectOne({ method: 'POST', url: PROBE }).flush(probeBody());
    await view.stable();
    await click('ll-pair-confirm');
    await type('ll-pair-code', PAIRING_CODE);
    await clickNext();
    expect(page()).toBe('settings');
  }

  it('walks from the address to the pairing and sends exactly what the administrator confirmed', async () => {
    expect(page()).toBe('address');
    expect(next().disabled).toBeTrue();
    await type('ll-pair-address', '  dr.example.com ');
    expect(next().disabled).toBeFalse();
    await clickNext();
    const probe = http.expectOne({ method: 'POST', url: PROBE });
    expect(probe.request.body).toEqual({ url: 'https://dr.example.com:8543' });
    expect(view.text('.ll-pair-probing')).toBe('Contacting https://dr.example.com:8543…');
    expect(page()).toBe('address');
    probe.flush(probeBody());
    await view.stable();

    expect(page()).toBe('identity');
    expect(view.text('.ll-pair-peer-name')).toBe('dr-frankfurt');
    expect(view.text('.ll-pair-peer-url')).toBe('https://dr.example.com:8543');
    expect(view.text('.ll-pair-peer-thumbprint')).toBe(PEER_THUMBPRINT);
    // Neither the code alone nor the confirmation alone lets the administrator on.
    expect(next().disabled).toBeTrue();
    await type('ll-pair-code', PAIRING_CODE);
    expect(next().disabled).toBeTrue();
    await click('ll-pair-confirm');
    expect(next().disabled).toBeFalse();
    await clickNext();

    expect(page()).toBe('settings');
    await type('ll-settings-bandwidth', '40');
    await click('ll-settings-window-enabled');
    await type('ll-settings-window-from', '22:00');
    await type('ll-settings-window-to', '06:00');
    await type('ll-settings-window-bandwidth', '10');
    await type('ll-settings-retention-monthly', '12');
    await type('ll-settings-immutable', '30');
    await type('ll-settings-concurrent', '4');
    await clickNext();

    expect(page()).toBe('summary');
    expect(view.text('.ll-pair-summary-text')).toContain('This site pairs with dr-frankfurt at https://dr.example.com:8543');
    expect(view.text('.ll-pair-summary-bandwidth')).toBe('40 MB/s; 10 MB/s from 22:00 to 06:00');
    expect(view.text('.ll-pair-summary-retention')).toBe('last 7, 7 daily, 4 weekly, 12 monthly');
    expect(view.text('.ll-pair-summary-immutable')).toBe('30');
    expect(view.text('.ll-pair-summary-concurrent')).toBe('4');
    expect(button('.btn-success').textContent?.trim()).toBe('Pair');
    button('.btn-success').click();
    await view.stable();

    const post = http.expectOne({ method: 'POST', url: SITES });
    const settings = {
      bandwidthMBps: 40,
      window: { from: '22:00', to: '06:00', bandwidthMBps: 10 },
      retention: { keepLast: 7, daily: 7, weekly: 4, monthly: 12 },
      immutableDays: 30,
      maxConcurrentVms: 4,
    };
    expect(post.request.body).toEqual({ url: 'https://dr.example.com:8543', thumbprint: PEER_THUMBPRINT, code: PAIRING_CODE, settings });
    post.flush(peerBody({ settings, link: null }), { status: 201, statusText: 'Created' });
    await view.stable();
    expect(paired.map((p) => [p.name, p.role, p.settings.maxConcurrentVms])).toEqual([['dr-frankfurt', 'target', 4]]);
  });

  it('refuses an address that is not a site listener’s before asking the server', async () => {
    await type('ll-pair-address', 'http://dr.example.com');
    expect(view.text('.ll-pair-address-error')).toContain('https only, no path');
    expect(next().disabled).toBeTrue();
    await type('ll-pair-address', 'dr.example.com/site');
    expect(next().disabled).toBeTrue();
    await type('ll-pair-address', 'dr.example.com:9443');
    expect(view.element.querySelector('.ll-pair-address-error')).toBeNull();
    expect(next().disabled).toBeFalse();
    http.expectNone(PROBE);
  });

  it('stays on the address with the server’s message when the site cannot be reached', async () => {
    await type('ll-pair-address', 'dr.example.com');
    await clickNext();
    flushProblem(http.expectOne(PROBE), {
      status: 502,
      title: 'Bad Gateway',
      detail: 'The site at https://dr.example.com:8543 could not be reached: connect ECONNREFUSED.',
      code: 'site-unreachable',
    });
    await view.stable();
    expect(page()).toBe('address');
    expect(view.text('.ll-pair-probe-error .ll-problem-detail')).toBe('The site at https://dr.example.com:8543 could not be reached: connect ECONNREFUSED.');
    expect(next().disabled).toBeFalse();
  });

  it('asks for the thumbprint to be confirmed again when the address changes', async () => {
    await toSettings();
    button('.clr-wizard-btn--secondary').click();
    await view.stable();
    button('.clr-wizard-btn--secondary').click();
    await view.stable();
    expect(page()).toBe('address');
    await type('ll-pair-address', 'dr2.example.com');
    await clickNext();
    http.expectOne(PROBE).flush(probeBody({ name: 'dr-paris', url: 'https://dr2.example.com:8543', thumbprint: 'AA:BB' }));
    await view.stable();
    expect(page()).toBe('identity');
    expect(view.text('.ll-pair-peer-thumbprint')).toBe('AA:BB');
    expect(view.element.querySelector<HTMLInputElement>('#ll-pair-confirm')?.checked).toBeFalse();
    expect(next().disabled).toBeTrue();
  });

  it('keeps invalid settings on their page, each with its reason', async () => {
    await toSettings();
    for (const rule of ['keepLast', 'daily', 'weekly', 'monthly']) {
      await type(`ll-settings-retention-${rule}`, '0');
    }
    await type('ll-settings-bandwidth', '-1');
    await type('ll-settings-concurrent', '0');
    await click('ll-settings-window-enabled');
    await type('ll-settings-window-bandwidth', '100');
    await clickNext();
    expect(page()).toBe('settings');
    expect(view.text('.ll-settings-retention-error')).toBe('Keep at least one restore point: set one retention rule above 0.');
    expect(view.text('.ll-settings-bandwidth-field clr-control-error')).toBe('Enter a number of MB/s above 0 and at most 100000.');
    expect(view.text('.ll-settings-concurrent-field clr-control-error')).toBe('Enter a whole number from 1 to 16.');

    await type('ll-settings-bandwidth', '50');
    expect(view.text('.ll-settings-window-not-lower')).toBe('The limit during the window must not be above the bandwidth limit.');
    await type('ll-settings-window-from', '08:00');
    await type('ll-settings-window-to', '08:00');
    expect(view.text('.ll-settings-window-empty')).toBe('The window must start and end at different times.');

    await type('ll-settings-window-to', '18:00');
    await type('ll-settings-window-bandwidth', '5');
    await type('ll-settings-retention-daily', '7');
    await type('ll-settings-concurrent', '2');
    await clickNext();
    expect(page()).toBe('summary');
    http.expectNone(SITES);
  });

  for (const [code, status, detail, advice] of [
    ['pairing-code-invalid', 422, 'The pairing code has expired.', 'Allow pairing again on the DR site for a new code'],
    ['pairing-code-invalid', 403, 'The pairing code was used already.', 'Allow pairing again on the DR site for a new code'],
    ['pairing-code-invalid', 422, 'The pairing code is wrong.', 'Allow pairing again on the DR site for a new code'],
    ['site-thumbprint-mismatch', 409, 'The site presented a certificate with another thumbprint than the one confirmed.', 'presented another certificate'],
    ['site-unreachable', 502, 'The site at https://dr.example.com:8543 could not be reached.', 'Check the address'],
    ['site-paired', 409, 'This site is already paired with dr-frankfurt.', 'listed under Paired sites'],
    ['site-error', 502, 'The server at https://dr.example.com:8543 answered 404 and is not a Lifeline site listener.', 'Check the address'],
  ] as const) {
    it(`shows the server’s message when it refuses the pairing: ${detail}`, async () => {
      await toSettings();
      await clickNext();
      button('.btn-success').click();
      await view.stable();
      flushProblem(http.expectOne({ method: 'POST', url: SITES }), { status, title: status === 502 ? 'Bad Gateway' : 'Pairing refused', detail, code });
      await view.stable();
      expect(page()).toBe('summary');
      expect(view.text('.ll-pair-error .ll-problem-detail')).toBe(detail);
      expect(view.text('.ll-pair-advice')).toContain(advice);
      expect(paired).toEqual([]);
    });
  }

  it('pairs with a new code after the server refused the first', async () => {
    await toSettings();
    await clickNext();
    button('.btn-success').click();
    await view.stable();
    flushProblem(http.expectOne(SITES), { status: 422, title: 'Pairing refused', detail: 'The pairing code has expired.', code: 'pairing-code-invalid' });
    await view.stable();
    for (let i = 0; i < 2; i++) {
      button('.clr-wizard-btn--secondary').click();
      await view.stable();
    }
    expect(page()).toBe('identity');
    await type('ll-pair-code', ' NEW-CODE ');
    await clickNext();
    await clickNext();
    expect(view.element.querySelector('.ll-pair-error')?.textContent?.trim() ?? '').toBe('');
    button('.btn-success').click();
    await view.stable();
    const again = http.expectOne(SITES);
    expect((again.request.body as { code: string }).code).toBe('NEW-CODE');
    again.flush(peerBody(), { status: 201, statusText: 'Created' });
    await view.stable();
    expect(paired.length).toBe(1);
  });

  it('shows a setting the server refuses beside its field and in the list', async () => {
    await toSettings();
    await clickNext();
    button('.btn-success').click();
    await view.stable();
    flushProblem(http.expectOne(SITES), {
      status: 400,
      title: 'Bad Request',
      detail: 'settings.immutableDays: must be at least 7 at this DR site',
      code: 'validation',
      errors: [{ field: 'settings.immutableDays', message: 'must be at least 7 at this DR site' }],
    });
    await view.stable();
    expect(view.text('.ll-pair-error .ll-problem-fields')).toBe('must be at least 7 at this DR site');
    button('.clr-wizard-btn--secondary').click();
    await view.stable();
    expect(page()).toBe('settings');
    expect(view.text('.ll-settings-immutable-field clr-control-error')).toBe('must be at least 7 at this DR site');
  });

  it('closes without pairing on cancel', async () => {
    await type('ll-pair-address', 'dr.example.com');
    button('.clr-wizard-btn--tertiary').click();
    await view.stable();
    expect(closed).toBe(1);
    http.expectNone(PROBE);
  });
});

describe('siteUrlOf', () => {
  it('makes an https URL with the site port of what an administrator types', () => {
    expect(siteUrlOf('dr.example.com')).toBe('https://dr.example.com:8543');
    expect(siteUrlOf('dr.example.com:9443')).toBe('https://dr.example.com:9443');
    expect(siteUrlOf('https://dr.example.com:8543/')).toBe('https://dr.example.com:8543');
    expect(siteUrlOf('10.0.0.9')).toBe('https://10.0.0.9:8543');
    expect(siteUrlOf('[fd00::9]:9443')).toBe('https://[fd00::9]:9443');
  });

  it('refuses what is not a site listener’s address', () => {
    for (const typed of ['', '   ', 'http://dr.example.com', 'ftp://dr', 'dr.example.com/path', 'dr.example.com?x=1', 'user:pw@dr.example.com', 'https://']) {
      expect(siteUrlOf(typed)).withContext(typed).toBeNull();
    }
  });
});
