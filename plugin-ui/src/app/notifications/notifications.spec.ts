import type { HttpTestingController, TestRequest } from '@angular/common/http/testing';

import { SESSION_HEADER } from '../api/lifeline-api';
import {
  SYSLOG_ID,
  WEBHOOK_ID,
  channelListBody,
  deliveryBody,
  deliveryLogBody,
  emailChannelBody,
  syslogChannelBody,
  testResultBody,
  vcenterChannelBody,
  webhookChannelBody,
} from '../testing/notification-bodies';
import { API_BASE, configureViewTestBed, flushProblem, renderView, type RenderedView } from '../testing/view-test-bed';
import { CHANNELS_PATH, DELIVERIES_PATH, DELIVERY_LOG_LIMIT } from './notifications-api';
import { Notifications } from './notifications';

const CHANNELS = `${API_BASE}${CHANNELS_PATH}`;
const DELIVERIES = `${API_BASE}${DELIVERIES_PATH}?limit=${DELIVERY_LOG_LIMIT}`;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('Notifications', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    const bed = configureViewTestBed();
    bed.sdk.contextObjects = [];
    ({ http } = bed);
  });

  afterEach(() => http.verify());

  /** Answers the view's two reads: the channels and the delivery log. */
  async function answerReads(view: RenderedView<Notifications>, channels: object = channelListBody(), log: object = deliveryLogBody()): Promise<TestRequest> {
    const list = http.expectOne({ method: 'GET', url: CHANNELS });
    list.flush(channels);
    http.expectOne({ method: 'GET', url: DELIVERIES }).flush(log);
    await view.stable();
    return list;
  }

  async function open(channels?: object, log?: object): Promise<{ view: RenderedView<Notifications>; request: TestRequest }> {
    const view = await renderView(Notifications);
    expect(view.text('.ll-notifications-loading')).toBe('Reading the notification channels…');
    const request = await answerReads(view, channels, log);
    return { view, request };
  }

  function rows(view: RenderedView<Notifications>, selector: string, cells: string): string[][] {
    return view.all(selector).map((row) => [...row.querySelectorAll(cells)].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()));
  }

  function row(view: RenderedView<Notifications>, id: string): HTMLElement {
    const found = view.element.querySelector<HTMLElement>(`.ll-channel[data-channel-id="${id}"]`);
    if (found === null) {
      throw new Error(`no row for channel ${id}`);
    }
    return found;
  }

  async function type(view: RenderedView<Notifications>, id: string, value: string): Promise<void> {
    const input = view.element.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`);
    if (input === null) {
      throw new Error(`no field #${id}`);
    }
    input.value = value;
    input.dispatchEvent(new Event('input'));
    await view.stable();
  }

  async function choose(view: RenderedView<Notifications>, id: string, value: string): Promise<void> {
    const select = view.element.querySelector<HTMLSelectElement>(`#${id}`);
    if (select === null) {
      throw new Error(`no select #${id}`);
    }
    select.value = value;
    select.dispatchEvent(new Event('change'));
    await view.stable();
  }

  it('lists each channel with what it sends where, its filter and its deliveries, with the user’s session', async () => {
    const { view, request } = await open(channelListBody([webhookChannelBody(), syslogChannelBody(), emailChannelBody(), vcenterChannelBody()]));
    expect(request.request.headers.get(SESSION_HEADER)).toBe('fake-session-token');
    expect(rows(view, '.ll-channel', '.ll-channel-name, .ll-channel-kind, .ll-channel-target, .ll-channel-filter, .ll-channel-deliveries')).toEqual([
      ['SOAR intake', 'Webhook', 'https://soar.example.com/hooks/lifeline', 'backup.failed, rpo.*', '12 delivered · 1 waiting · 2 given up'],
      ['SIEM', 'Syslog', 'tls://siem.example.com:6514', 'All events, Warning or worse', '40 delivered · 0 waiting · 0 given up'],
      ['Backup team', 'E-mail', 'backup-team@example.com, oncall@example.com via smtp.example.com:587', 'All events, Error or worse', '3 delivered · 0 waiting · 0 given up'],
      ['vCenter', 'vCenter events', 'Monitor → Events of each event’s VM', 'All events', '20 delivered · 0 waiting · 0 given up'],
    ]);
    // Deliveries given up stand out; a channel that is off says so.
    expect(row(view, WEBHOOK_ID).querySelector('.ll-count-dead')?.classList).toContain('ll-dead');
    expect(row(view, SYSLOG_ID).querySelector('.ll-count-dead')?.classList).not.toContain('ll-dead');
    expect(row(view, SYSLOG_ID).querySelector('.ll-channel-disabled')?.textContent?.trim()).toBe('Off');
    expect(row(view, WEBHOOK_ID).querySelector('.ll-channel-disabled')).toBeNull();
    // The secret is nowhere to be seen: the server never sends it and the list has no place for it.
    expect(view.element.textContent).not.toContain('whsec_');
  });

  it('shows the delivery log newest first, naming the channel and marking deliveries given up', async () => {
    const log = deliveryLogBody([
      deliveryBody({ id: 43, outcome: 'dead', attempt: 6, detail: 'connect ECONNREFUSED 10.0.0.9:443', eventType: 'rpo.violated' }),
      deliveryBody({ id: 42, outcome: 'retry', attempt: 5, detail: 'HTTP 503' }),
      deliveryBody({ id: 41, channelId: SYSLOG_ID, eventType: 'backup.failed', detail: 'sent' }),
      deliveryBody({ id: 40, channelId: 'gone-channel', detail: 'HTTP 200' }),
    ]);
    const { view } = await open(undefined, log);
    expect(rows(view, '.ll-delivery', '.ll-delivery-channel, .ll-delivery-event, .ll-delivery-attempt, .ll-delivery-outcome, .ll-delivery-detail, .ll-delivery-duration')).toEqual([
      ['SOAR intake', 'rpo.violated', '6', 'Given up', 'connect ECONNREFUSED 10.0.0.9:443', '35 ms'],
      ['SOAR intake', 'backup.failed', '5', 'Will retry', 'HTTP 503', '35 ms'],
      ['SIEM', 'backup.failed', '1', 'Delivered', 'sent', '35 ms'],
      // A removed channel's attempts stay in the log, under its id.
      ['gone-channel', 'backup.failed', '1', 'Delivered', 'HTTP 200', '35 ms'],
    ]);
    expect(view.all('.ll-delivery').map((r) => r.classList.contains('ll-delivery-dead'))).toEqual([true, false, false, false]);
    expect(view.all('.ll-delivery-outcome .label').map((l) => l.className)).toEqual(['label label-danger', 'label label-warning', 'label label-success', 'label label-success']);
    expect(view.text('.ll-delivery-at')).toMatch(/2026/);
  });

  it('says when there is no channel and nothing was sent yet', async () => {
    const { view } = await open(channelListBody([]), deliveryLogBody([]));
    expect(view.text('.ll-channels-none')).toBe('No channel is configured: Lifeline’s events are shown only in this client.');
    expect(view.text('.ll-deliveries-none')).toBe('No event has been sent to a channel yet.');
    expect(view.element.querySelector('.ll-channel-add')).not.toBeNull();
  });

  it('tells a user without Lifeline Admin everywhere which privilege it takes, and offers no change', async () => {
    const view = await renderView(Notifications);
    const refusal = {
      status: 403,
      title: 'Forbidden',
      detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1.',
      code: 'forbidden',
    };
    flushProblem(http.expectOne(CHANNELS), refusal);
    flushProblem(http.expectOne(DELIVERIES), refusal);
    await view.stable();
    expect(view.text('.ll-notifications-forbidden')).toContain('only for the Lifeline Admin privilege on the root of every vCenter');
    expect(view.text('.ll-notifications-forbidden-detail')).toBe(refusal.detail);
    expect(view.element.querySelector('.ll-notifications-forbidden .alert')?.classList).toContain('alert-info');
    expect(view.element.querySelector('.alert-danger')).toBeNull();
    expect(view.element.querySelector('.ll-channel-add')).toBeNull();
    expect(view.element.querySelector('.ll-channels, .ll-deliveries')).toBeNull();
  });

  it('shows another failure as the server’s problem, and an answer it cannot read as such', async () => {
    const view = await renderView(Notifications);
    flushProblem(http.expectOne(CHANNELS), { status: 503, title: 'Service Unavailable', detail: 'Events are not available on this server now.', code: 'shutting-down' });
    http.expectOne(DELIVERIES).flush(deliveryLogBody());
    await view.stable();
    expect(view.text('ll-problem-alert .ll-problem-detail')).toBe('Events are not available on this server now.');
    view.fixture.destroy();

    const bad = await renderView(Notifications);
    http.expectOne(CHANNELS).flush(channelListBody([webhookChannelBody({ deliveries: { pending: 1, delivered: 'many', dead: 0 } })]));
    http.expectOne(DELIVERIES).flush(deliveryLogBody());
    await bad.stable();
    expect(bad.text('ll-problem-alert .ll-problem-title')).toBe('The Lifeline server sent an answer Lifeline does not understand');
    expect(bad.element.querySelector('.ll-channels')).toBeNull();
  });

  it('sends a test and shows it delivered with the receiver’s answer, then reads the counts and log again', async () => {
    const { view } = await open();
    (row(view, WEBHOOK_ID).querySelector('.ll-channel-test') as HTMLElement).click();
    await view.stable();
    expect(row(view, WEBHOOK_ID).querySelector('.ll-test-sending')).not.toBeNull();
    expect(row(view, WEBHOOK_ID).querySelector<HTMLButtonElement>('.ll-channel-test')?.disabled).toBeTrue();
    const test = http.expectOne({ method: 'POST', url: `${CHANNELS}/${WEBHOOK_ID}/test` });
    test.flush(testResultBody());
    await view.stable();
    await answerReads(view, channelListBody([webhookChannelBody({ deliveries: { pending: 1, delivered: 13, dead: 2 } }), syslogChannelBody()]), deliveryLogBody([deliveryBody({ id: 44, eventType: 'lifeline.test' }), deliveryBody()]));
    const result = row(view, WEBHOOK_ID).querySelector('.ll-channel-test-result');
    expect(result?.querySelector('.ll-test-delivered')?.textContent?.trim()).toBe('Delivered');
    expect(result?.querySelector('.ll-test-detail')?.textContent?.trim()).toBe('HTTP 204');
    expect(row(view, WEBHOOK_ID).querySelector('.ll-count-delivered')?.textContent?.trim()).toBe('13 delivered');
    expect(view.all('.ll-delivery-event')[0]?.textContent?.trim()).toBe('lifeline.test');
    // Only the channel tested shows a result.
    expect(row(view, SYSLOG_ID).querySelector('.ll-channel-test-result')).toBeNull();
  });

  it('shows a test the receiver refused as failed, with the receiver’s answer', async () => {
    const { view } = await open();
    (row(view, WEBHOOK_ID).querySelector('.ll-channel-test') as HTMLElement).click();
    await view.stable();
    http.expectOne({ method: 'POST', url: `${CHANNELS}/${WEBHOOK_ID}/test` }).flush(testResultBody({ delivered: false, detail: 'HTTP 401' }));
    await view.stable();
    await answerReads(view);
    expect(row(view, WEBHOOK_ID).querySelector('.ll-test-failed')?.className).toContain('label-danger');
    expect(row(view, WEBHOOK_ID).querySelector('.ll-test-failed')?.textContent?.trim()).toBe('Failed');
    expect(row(view, WEBHOOK_ID).querySelector('.ll-test-detail')?.textContent?.trim()).toBe('HTTP 401');
    expect(row(view, WEBHOOK_ID).querySelector('.ll-test-delivered')).toBeNull();
  });

  it('adds a webhook with its secret and filter, and shows it in the list', async () => {
    const { view } = await open(channelListBody([]), deliveryLogBody([]));
    await view.click('.ll-channel-add');
    expect(view.text('.modal-title')).toBe('Add a notification channel');
    await type(view, 'll-channel-name', 'SOAR intake');
    await type(view, 'll-channel-url', 'https://soar.example.com/hooks/lifeline');
    await type(view, 'll-channel-secret', SECRET);
    expect(view.element.querySelector<HTMLInputElement>('#ll-channel-secret')?.type).toBe('password');
    await type(view, 'll-channel-types', 'backup.failed, rpo.*');
    await view.click('.ll-channel-save');
    const post = http.expectOne({ method: 'POST', url: CHANNELS });
    expect(post.request.body).toEqual({
      name: 'SOAR intake',
      kind: 'webhook',
      enabled: true,
      filter: { types: ['backup.failed', 'rpo.*'], minSeverity: 'info' },
      settings: { url: 'https://soar.example.com/hooks/lifeline', caPem: null },
      secret: SECRET,
    });
    post.flush(webhookChannelBody({ deliveries: { pending: 0, delivered: 0, dead: 0 } }), { status: 201, statusText: 'Created' });
    await view.stable();
    await answerReads(view, channelListBody([webhookChannelBody()]), deliveryLogBody([]));
    expect(view.element.querySelector('.ll-channel-modal')).toBeNull();
    expect(view.text('.ll-notifications-done')).toBe('Channel SOAR intake added.');
    expect(view.all('.ll-channel-name').map((n) => n.textContent?.trim())).toEqual(['SOAR intake']);
  });

  it('sends only the chosen kind’s settings: an e-mail channel and a syslog channel', async () => {
    const { view } = await open(channelListBody([]), deliveryLogBody([]));
    await view.click('.ll-channel-add');
    await choose(view, 'll-channel-kind', 'email');
    expect(view.element.querySelector('#ll-channel-url')).toBeNull();
    expect(view.element.querySelector('#ll-channel-secret')).toBeNull();
    await type(view, 'll-channel-name', 'Backup team');
    await type(view, 'll-channel-host', 'smtp.example.com');
    await type(view, 'll-channel-port', '587');
    await type(view, 'll-channel-from', 'lifeline@example.com');
    await type(view, 'll-channel-to', 'backup-team@example.com, oncall@example.com');
    await type(view, 'll-channel-user', 'lifeline');
    await type(view, 'll-channel-password-file', '/etc/lifeline/smtp.password');
    await type(view, 'll-channel-summary', '07:00');
    await choose(view, 'll-channel-severity', 'error');
    await view.click('.ll-channel-save');
    const mail = http.expectOne({ method: 'POST', url: CHANNELS });
    expect(mail.request.body).toEqual({
      name: 'Backup team',
      kind: 'email',
      enabled: true,
      filter: { types: [], minSeverity: 'error' },
      settings: {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        user: 'lifeline',
        passwordFile: '/etc/lifeline/smtp.password',
        from: 'lifeline@example.com',
        to: ['backup-team@example.com', 'oncall@example.com'],
        caPem: null,
        dailySummaryAt: '07:00',
      },
    });
    mail.flush(emailChannelBody(), { status: 201, statusText: 'Created' });
    await view.stable();
    await answerReads(view, channelListBody([emailChannelBody()]), deliveryLogBody([]));

    await view.click('.ll-channel-add');
    await choose(view, 'll-channel-kind', 'syslog');
    await type(view, 'll-channel-name', 'SIEM');
    await choose(view, 'll-channel-transport', 'udp');
    expect(view.element.querySelector('#ll-channel-ca')).toBeNull();
    await type(view, 'll-channel-host', '10.0.0.5');
    await type(view, 'll-channel-port', '514');
    await view.click('.ll-channel-save');
    const syslog = http.expectOne({ method: 'POST', url: CHANNELS });
    expect(syslog.request.body).toEqual({ name: 'SIEM', kind: 'syslog', enabled: true, filter: { types: [], minSeverity: 'info' }, settings: { transport: 'udp', host: '10.0.0.5', port: 514, caPem: null } });
    syslog.flush(syslogChannelBody(), { status: 201, statusText: 'Created' });
    await view.stable();
    await answerReads(view);
  });

  it('shows the field the server refuses beside it and keeps the form open', async () => {
    const { view } = await open(channelListBody([]), deliveryLogBody([]));
    await view.click('.ll-channel-add');
    await type(view, 'll-channel-name', 'Plain');
    await type(view, 'll-channel-url', 'http://soar.example.com/hooks');
    await type(view, 'll-channel-secret', SECRET);
    await view.click('.ll-channel-save');
    flushProblem(http.expectOne({ method: 'POST', url: CHANNELS }), {
      status: 400,
      title: 'Bad Request',
      detail: 'settings.url: must be an https URL',
      code: 'validation',
      errors: [{ field: 'settings.url', message: 'settings.url: must be an https URL' }],
    });
    await view.stable();
    expect(view.text('.modal-title')).toBe('Add a notification channel');
    const url = view.element.querySelector('#ll-channel-url')?.closest('.clr-control-container');
    expect(url?.classList).toContain('clr-error');
    expect(url?.querySelector('.ll-field-error')?.textContent?.trim()).toBe('settings.url: must be an https URL');
    expect(view.element.querySelector('#ll-channel-name')?.closest('.clr-control-container')?.classList).not.toContain('clr-error');
    expect(view.text('.ll-channel-save-error .ll-problem-title')).toBe('Bad Request');
    // What was typed stays, the secret included, for the administrator to correct the URL.
    expect(view.element.querySelector<HTMLInputElement>('#ll-channel-secret')?.value).toBe(SECRET);
  });

  it('edits a webhook without showing its secret, keeps it unless a new one is typed', async () => {
    const { view } = await open();
    (row(view, WEBHOOK_ID).querySelector('.ll-channel-edit') as HTMLElement).click();
    await view.stable();
    expect(view.text('.modal-title')).toBe('Edit channel SOAR intake');
    expect(view.element.querySelector<HTMLInputElement>('#ll-channel-secret')?.value).toBe('');
    expect(view.text('.ll-channel-secret-help')).toContain('A secret is set and is never shown');
    // The kind of an existing channel is not changed.
    expect(view.element.querySelector('#ll-channel-kind')).toBeNull();
    expect(view.element.querySelector<HTMLInputElement>('#ll-channel-url')?.value).toBe('https://soar.example.com/hooks/lifeline');
    expect(view.element.querySelector<HTMLInputElement>('#ll-channel-types')?.value).toBe('backup.failed, rpo.*');
    await type(view, 'll-channel-name', 'SOAR');
    await view.click('.ll-channel-save');
    const put = http.expectOne({ method: 'PUT', url: `${CHANNELS}/${WEBHOOK_ID}` });
    expect(put.request.body).toEqual({
      name: 'SOAR',
      kind: 'webhook',
      enabled: true,
      filter: { types: ['backup.failed', 'rpo.*'], minSeverity: 'info' },
      settings: { url: 'https://soar.example.com/hooks/lifeline', caPem: null },
    });
    put.flush(webhookChannelBody({ name: 'SOAR' }));
    await view.stable();
    await answerReads(view);
    expect(view.text('.ll-notifications-done')).toBe('Channel SOAR saved.');

    (row(view, WEBHOOK_ID).querySelector('.ll-channel-edit') as HTMLElement).click();
    await view.stable();
    await type(view, 'll-channel-secret', SECRET);
    await view.click('.ll-channel-save');
    const replaced = http.expectOne({ method: 'PUT', url: `${CHANNELS}/${WEBHOOK_ID}` });
    expect((replaced.request.body as { secret?: string }).secret).toBe(SECRET);
    replaced.flush(webhookChannelBody());
    await view.stable();
    await answerReads(view);
  });

  it('removes a channel after asking, and says why when the server refuses', async () => {
    const { view } = await open();
    (row(view, SYSLOG_ID).querySelector('.ll-channel-remove') as HTMLElement).click();
    await view.stable();
    expect(view.text('.modal-title')).toBe('Remove channel SIEM?');
    await view.click('.ll-channel-remove-confirm');
    flushProblem(http.expectOne({ method: 'DELETE', url: `${CHANNELS}/${SYSLOG_ID}` }), {
      status: 403,
      title: 'Forbidden',
      detail: 'VSPHERE.LOCAL\\bob lacks the privilege com.lifeline.vsphere.Admin on Folder group-d1 of vc02.',
      code: 'forbidden',
    });
    await view.stable();
    expect(view.text('.modal-body .ll-problem-detail')).toContain('vc02');
    await view.click('.ll-channel-remove-confirm');
    http.expectOne({ method: 'DELETE', url: `${CHANNELS}/${SYSLOG_ID}` }).flush(null, { status: 204, statusText: 'No Content' });
    await view.stable();
    await answerReads(view, channelListBody([webhookChannelBody()]));
    expect(view.element.querySelector('.ll-channel-remove-modal')).toBeNull();
    expect(view.text('.ll-notifications-done')).toBe('Channel SIEM removed.');
    expect(view.all('.ll-channel-name').map((n) => n.textContent?.trim())).toEqual(['SOAR intake']);
  });

  it('cancels its requests when it is destroyed', async () => {
    const view = await renderView(Notifications);
    const list = http.expectOne(CHANNELS);
    const log = http.expectOne(DELIVERIES);
    view.fixture.destroy();
    expect(list.cancelled).toBeTrue();
    expect(log.cancelled).toBeTrue();
  });

  it('shows one channel’s attempts, and older attempts a page at a time', async () => {
    const page = Array.from({ length: DELIVERY_LOG_LIMIT }, (_, i) => deliveryBody({ id: 100 - i }));
    const { view } = await open(undefined, deliveryLogBody(page));
    expect(view.all('.ll-delivery').length).toBe(DELIVERY_LOG_LIMIT);
    await view.click('.ll-deliveries-older');
    const older = http.expectOne(`${API_BASE}${DELIVERIES_PATH}?limit=${DELIVERY_LOG_LIMIT}&before=51`);
    older.flush(deliveryLogBody([deliveryBody({ id: 50, outcome: 'dead', attempt: 8, detail: 'HTTP 502' }), deliveryBody({ id: 49 })]));
    await view.stable();
    expect(view.all('.ll-delivery').length).toBe(DELIVERY_LOG_LIMIT + 2);
    expect(view.all('.ll-delivery-dead').map((r) => r.querySelector('.ll-delivery-detail')?.textContent?.trim())).toEqual(['HTTP 502']);
    // A short page is the last one.
    expect(view.element.querySelector('.ll-deliveries-older')).toBeNull();

    const select = view.element.querySelector<HTMLSelectElement>('#ll-log-channel');
    expect([...(select?.options ?? [])].map((o) => o.textContent?.trim())).toEqual(['All channels', 'SOAR intake', 'SIEM']);
    select!.value = SYSLOG_ID;
    select!.dispatchEvent(new Event('change'));
    await view.stable();
    http.expectOne(`${API_BASE}${DELIVERIES_PATH}?limit=${DELIVERY_LOG_LIMIT}&channelId=${SYSLOG_ID}`).flush(deliveryLogBody([deliveryBody({ id: 7, channelId: SYSLOG_ID, detail: 'sent' })]));
    await view.stable();
    expect(rows(view, '.ll-delivery', '.ll-delivery-channel, .ll-delivery-detail')).toEqual([['SIEM', 'sent']]);

    // A refresh keeps the channel chosen.
    await view.click('.ll-notifications-refresh');
    http.expectOne(CHANNELS).flush(channelListBody());
    http.expectOne(`${API_BASE}${DELIVERIES_PATH}?limit=${DELIVERY_LOG_LIMIT}&channelId=${SYSLOG_ID}`).flush(deliveryLogBody([]));
    await view.stable();
    expect(view.text('.ll-deliveries-none')).toBe('Nothing has been sent to this channel yet.');
  });
});
