import type { HttpTestingController } from '@angular/common/http/testing';

import { ManualClock } from '../testing/manual-clock';
import { PAIRING_CODE, SELF_THUMBPRINT, pairingCodeBody } from '../testing/site-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { AllowPairing } from './allow-pairing';
import { CLOCK } from './clock';
import { formatRemaining } from './countdown';

const CODES = `${API_BASE}/api/v1/sites/pairing-codes`;
/** 14 min 59 s before the code of pairingCodeBody() expires. */
const ISSUED_AT = Date.parse('2026-11-23T10:00:01.000Z');

describe('AllowPairing', () => {
  let http: HttpTestingController;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(ISSUED_AT);
    const bed = configureViewTestBed({ providers: [{ provide: CLOCK, useValue: clock }] });
    bed.sdk.contextObjects = [];
    ({ http } = bed);
  });

  afterEach(() => http.verify());

  async function open(): Promise<RenderedView<AllowPairing>> {
    const view = await renderView(AllowPairing);
    expect(view.text('.ll-allow-loading')).toBe('Asking for a pairing code…');
    const post = http.expectOne({ method: 'POST', url: CODES });
    expect(post.request.body).toEqual({});
    post.flush(pairingCodeBody(), { status: 201, statusText: 'Created' });
    await view.stable();
    return view;
  }

  it('asks for a code once and shows it with this site’s thumbprint and address', async () => {
    const view = await open();
    expect(view.text('.ll-pairing-code')).toBe(PAIRING_CODE);
    expect(view.text('.ll-allow-thumbprint')).toBe(SELF_THUMBPRINT);
    expect(view.text('.ll-allow-address')).toBe('https://lifeline.example.com:8543');
    expect(view.text('.ll-allow-once')).toContain('shown only here and only now');
    expect(view.all('ll-copy-button button').map((b) => b.getAttribute('aria-label'))).toEqual([
      'Copy the pairing code',
      'Copy the certificate thumbprint',
      'Copy the site address',
    ]);
    // Nothing more is asked while the dialog stays open.
    clock.advance(30);
    await view.stable();
    http.expectNone(CODES);
  });

  it('counts the code’s validity down each second and hides the code once it has expired', async () => {
    const view = await open();
    expect(view.text('.ll-countdown')).toBe('Expires in 14:59');
    clock.advance(1);
    await view.stable();
    expect(view.text('.ll-countdown')).toBe('Expires in 14:58');
    clock.advance(14 * 60 + 57);
    await view.stable();
    expect(view.text('.ll-countdown')).toBe('Expires in 0:01');
    expect(view.text('.ll-pairing-code')).toBe(PAIRING_CODE);
    clock.advance(1);
    await view.stable();
    expect(view.text('.ll-countdown')).toBe('Expired');
    expect(view.element.querySelector('.ll-pairing-code')).toBeNull();
    expect(view.text('.ll-allow-expired')).toContain('This code has expired');
    // The countdown stops counting when it is over.
    expect(clock.counting).toBe(0);
  });

  it('shows no code that was already past its expiry when it arrived', async () => {
    clock.advance(20 * 60);
    const view = await open();
    expect(view.element.querySelector('.ll-pairing-code')).toBeNull();
    expect(view.text('.ll-countdown')).toBe('Expired');
  });

  it('forgets the code when it is closed', async () => {
    const view = await open();
    let closed = 0;
    view.fixture.componentRef.instance.closed.subscribe(() => (closed += 1));
    await view.click('.ll-allow-close');
    expect(closed).toBe(1);
    view.fixture.destroy();
    expect(clock.counting).toBe(0);
  });

  it('says why no code was given, e.g. to a user without Lifeline Admin', async () => {
    const view = await renderView(AllowPairing);
    flushProblem(http.expectOne(CODES), {
      status: 403,
      title: 'Forbidden',
      detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.ll-problem-detail')).toContain('lacks the privilege com.lifeline.vsphere.Admin');
    expect(view.element.querySelector('.ll-pairing-code')).toBeNull();
    expect(view.element.querySelector('.ll-allow-loading')).toBeNull();
  });

  // Headless Chromium grants no clipboard permission to a page, so the browser's answer to
  // writeText() is stood in for here: accepted, then refused as the vSphere Client's frame may.
  it('copies the code to the clipboard and says so', async () => {
    const view = await open();
    const write = spyOn(navigator.clipboard, 'writeText').and.resolveTo();
    await view.click('.ll-copy-code button');
    expect(write).toHaveBeenCalledOnceWith(PAIRING_CODE);
    expect(view.text('.ll-copy-code [role=status]')).toBe('Copied');
    await view.click('.ll-copy-thumbprint button');
    expect(write).toHaveBeenCalledWith(SELF_THUMBPRINT);
  });

  it('says to copy by hand when the browser refuses the clipboard, with the code still on screen', async () => {
    const view = await open();
    spyOn(navigator.clipboard, 'writeText').and.rejectWith(new DOMException('Write permission denied.', 'NotAllowedError'));
    await view.click('.ll-copy-code button');
    expect(view.text('.ll-copy-code [role=status]')).toBe('The browser did not allow copying; select the text and copy it.');
    expect(view.text('.ll-pairing-code')).toBe(PAIRING_CODE);
  });

  it('formats the time left as minutes and seconds, hours past an hour', () => {
    expect(formatRemaining(899)).toBe('14:59');
    expect(formatRemaining(0.2)).toBe('0:01');
    expect(formatRemaining(-5)).toBe('0:00');
    expect(formatRemaining(3723)).toBe('1:02:03');
  });
});
