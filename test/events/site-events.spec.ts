// Events of pairing and of privilege refusals, end to end: two Lifeline sites on two simulated
// vCenters over real mutual TLS, each with a signed webhook channel to a receiver on loopback.
// A pairing refused for a wrong code, a pairing made and one ended are told at both sites (each
// from its side); a user refused again and again for one privilege is told once per burst, and
// once more for another privilege.
import { startWebhookReceiver, webhookSecret, type ReceivedWebhook, type WebhookReceiver } from '../../plugin-server/src/events/testing.js';
import { expectProblem } from '../server/vcenter-server-fixture.js';
import { pair, startTwoSites, type SiteSide, type TwoSites } from '../sites/two-site-fixture.js';

const VIEWER = { username: 'viewer@vsphere.local', password: 'Viewer-1!' };

describe('events of pairing and of privilege refusals', () => {
  let sites: TwoSites;
  let a: SiteSide;
  let b: SiteSide;
  const receivers = new Map<SiteSide, WebhookReceiver>();

  const told = (side: SiteSide, type: string): Array<ReceivedWebhook['payload']> =>
    (receivers.get(side)?.received ?? []).map((r) => r.payload).filter((p) => p.type === type);
  /** Waits until `side` was told `n` events of `type`. */
  const until = async (side: SiteSide, type: string, n: number): Promise<Array<ReceivedWebhook['payload']>> => {
    for (let i = 0; i < 1500 && told(side, type).length < n; i++) await new Promise((r) => setTimeout(r, 20));
    return told(side, type);
  };

  beforeAll(async () => {
    sites = await startTwoSites({ users: [VIEWER] });
    a = sites.a;
    b = sites.b;
    for (const side of [a, b]) {
      const secret = webhookSecret();
      const receiver = await startWebhookReceiver(secret);
      receivers.set(side, receiver);
      const created = await side.call(side.admin, 'POST', '/notifications/channels', {
        name: 'site watch',
        kind: 'webhook',
        settings: { url: receiver.url, caPem: receiver.caPem },
        secret,
        filter: { types: ['site.*', 'privilege.refused'] },
      });
      expect(created.status).withContext(created.text).toBe(201);
    }
  }, 540_000);

  afterAll(async () => {
    for (const r of receivers.values()) await r.close();
    await sites?.stop();
  });

  it('tells a refused pairing, a pairing made and a pairing ended, at both sites', async () => {
    const allowed = await b.call(b.admin, 'POST', '/sites/pairing-codes');
    expect(allowed.status).withContext(allowed.text).toBe(201);
    const code = allowed.json<{ code: string; thumbprint: string; siteUrl: string }>();
    const wrong = [...code.code.replace(/-/g, '')].reverse().join('');
    expectProblem(await a.call(a.admin, 'POST', '/sites', { url: code.siteUrl, thumbprint: code.thumbprint, code: wrong, settings: {} }), 422, 'pairing-code-invalid');
    const [refusedAtA] = await until(a, 'site.pairing-refused', 1);
    expect(refusedAtA?.data).toEqual(jasmine.objectContaining({ severity: 'warning', data: jasmine.objectContaining({ change: 'refused', url: b.server.siteUrl, role: 'target', error: jasmine.objectContaining({ code: 'pairing-code-invalid' }) }) }));
    const [refusedAtB] = await until(b, 'site.pairing-refused', 1);
    expect(refusedAtB?.data).toEqual(jasmine.objectContaining({ data: jasmine.objectContaining({ change: 'refused', name: 'site-a', role: 'source', error: jasmine.objectContaining({ code: 'pairing-code-invalid' }) }) }));
    // The code itself is told nowhere.
    expect(JSON.stringify(told(a, 'site.pairing-refused')) + JSON.stringify(told(b, 'site.pairing-refused'))).not.toContain(wrong);

    const peer = await pair(a, b);
    const [pairedAtA] = await until(a, 'site.paired', 1);
    expect(pairedAtA?.data).toEqual(jasmine.objectContaining({ site: peer.id, message: 'Paired with the DR site site-b', data: jasmine.objectContaining({ role: 'target', url: b.server.siteUrl }) }));
    const [pairedAtB] = await until(b, 'site.paired', 1);
    expect(pairedAtB?.data).toEqual(jasmine.objectContaining({ message: 'Paired with the source site site-a', data: jasmine.objectContaining({ role: 'source', name: 'site-a' }) }));

    expect((await a.call(a.admin, 'DELETE', `/sites/${peer.id}`)).status).toBe(204);
    const [endedAtA] = await until(a, 'site.unpaired', 1);
    expect(endedAtA?.data).toEqual(jasmine.objectContaining({ site: peer.id, severity: 'warning', message: 'The pairing with site-b was ended here', data: jasmine.objectContaining({ by: 'here' }) }));
    const [endedAtB] = await until(b, 'site.unpaired', 1);
    expect(endedAtB?.data).toEqual(jasmine.objectContaining({ message: 'The source site site-a ended its pairing with this site; its replicas stay here for failover until it is unpaired here', data: jasmine.objectContaining({ by: 'peer', role: 'source' }) }));
    expect(told(a, 'site.paired').length).toBe(1);
    expect(told(b, 'site.unpaired').length).toBe(1);
  }, 360_000);

  it('tells a user refused for a privilege once per burst, and a refusal for another privilege once more', async () => {
    const viewer = await a.login(VIEWER.username, VIEWER.password);
    // A burst: the same privilege refused five times.
    for (let i = 0; i < 5; i++) expectProblem(await a.call(viewer, 'POST', '/sites/pairing-codes'), 403, 'forbidden');
    const [first] = await until(a, 'privilege.refused', 1);
    expect(first?.data).toEqual(jasmine.objectContaining({ severity: 'warning', data: jasmine.objectContaining({ user: VIEWER.username, privilege: 'com.lifeline.vsphere.Admin' }) }));
    // Another privilege of the same user: its own event.
    expectProblem(await a.call(viewer, 'POST', `/vms/${encodeURIComponent(a.urn(0))}/backup`), 403, 'forbidden');
    const refusals = await until(a, 'privilege.refused', 2);
    expect(refusals.length).toBe(2);
    const privileges = refusals.map((r) => (r.data['data'] as { privilege: string }).privilege);
    expect(privileges[0]).toBe('com.lifeline.vsphere.Admin');
    expect(privileges[1]).not.toBe('com.lifeline.vsphere.Admin');
    // The burst of the first goes on: told no more.
    for (let i = 0; i < 3; i++) expectProblem(await a.call(viewer, 'POST', '/sites/pairing-codes'), 403, 'forbidden');
    const refusedAgain = await a.call(viewer, 'POST', `/vms/${encodeURIComponent(a.urn(0))}/backup`);
    expect(refusedAgain.status).toBe(403);
    // A marker event after them (a refusal at the other site's own receiver is not one): a test of this channel.
    const channels = (await a.call(a.admin, 'GET', '/notifications/channels')).json<{ items: Array<{ id: string }> }>().items;
    const test = await a.call(a.admin, 'POST', `/notifications/channels/${channels[0]?.id ?? ''}/test`);
    expect(test.status).withContext(test.text).toBe(200);
    expect(told(a, 'privilege.refused').length).toBe(2);
    expect(told(b, 'privilege.refused').length).toBe(0);
  }, 360_000);
});
