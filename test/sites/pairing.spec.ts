// Pairing two Lifeline sites end to end: two simulated vCenters, two servers, both APIs and both
// site listeners over real mutual TLS on loopback. The DR site ("site-b") runs on a clock the
// suite moves, so that a code can expire without waiting.
import { createServer, request, type Server } from 'node:https';
import type { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../plugin-server/src/jobs/testing.js';
import { expectProblem } from '../server/vcenter-server-fixture.js';
import { lifeline } from '../store/cli-process.js';
import { pair, siteCall, startTwoSites, strangerIdentity, type ClientIdentity, type SiteSide, type TwoSites } from './two-site-fixture.js';

const VIEWER = { username: 'viewer@vsphere.local', password: 'Viewer-1!' };

interface PeerView {
  id: string;
  name: string;
  role: string;
  thumbprint: string;
  url: string;
  settings: Record<string, unknown>;
  unpairedByPeerAt: string | null;
  link: unknown;
}

describe('pairing two sites', () => {
  let sites: TwoSites;
  let a: SiteSide;
  let b: SiteSide;
  let clockB: ManualClock;
  let stranger: ClientIdentity;

  beforeAll(async () => {
    clockB = new ManualClock(Date.now());
    // A route for peers, mounted as replication mounts its router: it sees who calls, and reads a body of its own size.
    const siteRoutes = (peers: Router) =>
      peers.post('/replication/echo', (req, res) => {
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => res.json({ peer: (res.locals as { peer: unknown }).peer, bytes }));
      });
    sites = await startTwoSites({ users: [VIEWER], deps: { b: { jobClock: clockB, siteRoutes } } });
    a = sites.a;
    b = sites.b;
    stranger = await strangerIdentity();
  });
  afterAll(async () => {
    await sites?.stop();
  });
  /** Each spec starts unpaired. */
  afterEach(async () => {
    for (const side of [a, b]) {
      for (const p of await peers(side)) await side.call(side.admin, 'DELETE', `/sites/${p.id}`);
    }
  });

  const peers = async (side: SiteSide): Promise<PeerView[]> => {
    const reply = await side.call(side.admin, 'GET', '/sites');
    expect(reply.status).toBe(200);
    return reply.json<{ peers: PeerView[] }>().peers;
  };
  const allowPairing = async () => {
    const reply = await b.call(b.admin, 'POST', '/sites/pairing-codes');
    expect(reply.status).withContext(reply.text).toBe(201);
    return reply.json<{ code: string; expiresAt: string; thumbprint: string; siteUrl: string }>();
  };
  const auditOf = async (side: SiteSide, action: string) => {
    const reply = await side.call(side.admin, 'GET', `/audit?action=${action}&limit=1000`);
    expect(reply.status).toBe(200);
    return reply.json<{ items: Array<Record<string, unknown>> }>().items;
  };

  it('pairs through both APIs: code and thumbprint at the DR site, probe and pairing at the source, both hold the pairing', async () => {
    const overviewB = (await b.call(b.admin, 'GET', '/sites')).json<{ self: { name: string; siteUrl: string; thumbprint: string } }>();
    expect(overviewB.self).toEqual({ name: 'site-b', siteUrl: b.server.siteUrl, thumbprint: b.server.thumbprint });

    const code = await allowPairing();
    expect(code.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{1,4}){6}$/);
    expect(code.thumbprint).toBe(b.server.thumbprint);
    expect(code.siteUrl).toBe(b.server.siteUrl);
    expect(Date.parse(code.expiresAt) - clockB.now()).toBe(15 * 60_000);

    const probe = await a.call(a.admin, 'POST', '/sites/probe', { url: code.siteUrl });
    expect(probe.status).withContext(probe.text).toBe(200);
    expect(probe.json()).toEqual({ name: 'site-b', thumbprint: b.server.thumbprint, url: b.server.siteUrl });

    const settings = { bandwidthMBps: 50, window: { from: '08:00', to: '18:00', bandwidthMBps: 10 }, immutableDays: 14, retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 12 } };
    // The code as someone types it: lower case, no dashes.
    const paired = await a.call(a.admin, 'POST', '/sites', { url: code.siteUrl, thumbprint: probe.json()['thumbprint'], code: code.code.replace(/-/g, '').toLowerCase(), settings });
    expect(paired.status).withContext(paired.text).toBe(201);
    const peerOfA = paired.json<PeerView>();
    expect(peerOfA).toEqual(jasmine.objectContaining({ name: 'site-b', role: 'target', thumbprint: b.server.thumbprint, url: b.server.siteUrl, link: null }));
    expect(peerOfA.settings).toEqual({ ...settings, maxConcurrentVms: 2 });
    expect(paired.headers.location).toBe(`/api/v1/sites/${peerOfA.id}`);

    const [peerOfB, ...moreB] = await peers(b);
    expect(moreB).toEqual([]);
    expect(peerOfB).toEqual(jasmine.objectContaining({ name: 'site-a', role: 'source', thumbprint: a.server.thumbprint, url: a.server.siteUrl }));
    // The DR site applies the pairing's retention and immutability to its replicas: it holds them too.
    expect(peerOfB?.settings).toEqual(peerOfA.settings);
    expect(await peers(a)).toEqual([peerOfA]);

    // Each site's certificate is now a paired peer at the other's site listener.
    const atB = await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer');
    expect(atB.status).withContext(atB.text).toBe(200);
    expect(atB.json()).toEqual({ id: peerOfB?.id, name: 'site-a', role: 'source' });
    const atA = await siteCall(a.server.siteUrl, b.identity, 'GET', '/peer');
    expect(atA.json()).toEqual({ id: peerOfA.id, name: 'site-b', role: 'target' });
    // Routes mounted for peers get the peer in res.locals.peer, and bodies larger than pairing's.
    const echo = await siteCall(b.server.siteUrl, a.identity, 'POST', '/replication/echo', { data: 'x'.repeat(1_000_000) });
    expect(echo.status).withContext(echo.text).toBe(200);
    expect(echo.json()).toEqual({ peer: { id: peerOfB?.id, name: 'site-a', thumbprint: a.server.thumbprint }, bytes: 1_000_011 });

    // Never written anywhere: the code is in no log line and no audit record of either site.
    const digits = code.code.replace(/-/g, '');
    for (const side of [a, b]) expect(side.captured.lines.filter((l) => l.includes(digits) || l.includes(code.code))).toEqual([]);
    const accepted = await auditOf(b, 'site.pair-accept');
    expect(accepted[0]).toEqual(jasmine.objectContaining({ outcome: 'success', status: 201, object: `site:${peerOfB?.id}` }));
    expect(JSON.stringify(accepted)).not.toContain(digits);
    const pairedAudit = await auditOf(a, 'site.pair');
    expect(pairedAudit[0]).toEqual(jasmine.objectContaining({ outcome: 'success', object: `site:${peerOfA.id}` }));
    expect(JSON.stringify(pairedAudit)).not.toContain(digits);

    // The source changes the settings of the pairing.
    const patched = await a.call(a.admin, 'PATCH', `/sites/${peerOfA.id}`, { settings: { bandwidthMBps: null, window: null, maxConcurrentVms: 4 } });
    expect(patched.status).withContext(patched.text).toBe(200);
    expect(patched.json<PeerView>().settings).toEqual({ ...peerOfA.settings, bandwidthMBps: null, window: null, maxConcurrentVms: 4 });
    // What the other side acts on is refused where it would be stored and never used: the DR site
    // keeps its replicas by its own retention, the source sends at its own bandwidth.
    const retentionAtA = await a.call(a.admin, 'PATCH', `/sites/${peerOfA.id}`, { settings: { immutableDays: Number(peerOfA.settings['immutableDays']) + 1 } });
    expect(expectProblem(retentionAtA, 400, 'validation')['detail']).toContain('DR site site-b');
    const bandwidthAtB = await b.call(b.admin, 'PATCH', `/sites/${peerOfB!.id}`, { settings: { maxConcurrentVms: 7 } });
    expect(expectProblem(bandwidthAtB, 400, 'validation')['detail']).toContain('source site site-a');
    const retentionAtB = await b.call(b.admin, 'PATCH', `/sites/${peerOfB!.id}`, { settings: { immutableDays: 30 } });
    expect(retentionAtB.status).withContext(retentionAtB.text).toBe(200);
    expect(retentionAtB.json<PeerView>().settings['immutableDays']).toBe(30);
  });

  it('lets a policy name a paired DR site only, by name or id, and keeps the name when the site is unpaired', async () => {
    const policy = (replicationSite: string | null) => ({ name: `Replicated ${Math.random()}`, rpoSeconds: 3600, retention: { keepLast: 3 }, replicationSite });
    const refused = await a.call(a.admin, 'POST', '/policies', policy('site-b'));
    const problem = expectProblem(refused, 400, 'validation');
    expect(problem['errors']).toEqual([{ field: 'replicationSite', message: jasmine.stringMatching(/"site-b" is not a paired site of this Lifeline server \(it is paired with no DR site/) }]);

    const peer = await pair(a, b);
    const byName = await a.call(a.admin, 'POST', '/policies', policy('site-b'));
    expect(byName.status).withContext(byName.text).toBe(201);
    const byId = await a.call(a.admin, 'POST', '/policies', policy(peer.id));
    expect(byId.status).withContext(byId.text).toBe(201);
    // At the DR site, the source is no site to replicate to.
    const atB = expectProblem(await b.call(b.admin, 'POST', '/policies', policy('site-a')), 400, 'validation');
    expect(JSON.stringify(atB['errors'])).toContain('replicates to this one, not a DR site of it');
    const unknown = expectProblem(await a.call(a.admin, 'POST', '/policies', policy('site-z')), 400, 'validation');
    expect(JSON.stringify(unknown['errors'])).toContain('its DR sites are site-b');

    expect((await a.call(a.admin, 'DELETE', `/sites/${peer.id}`)).status).toBe(204);
    const kept = await a.call(a.admin, 'GET', `/policies/${byName.json()['id'] as string}`);
    expect(kept.json()['replicationSite']).toBe('site-b');
    for (const p of [byName, byId]) await a.call(a.admin, 'DELETE', `/policies/${p.json()['id'] as string}`);
  });

  it('unpairs from the source: the sites refuse each other from then on; the DR site keeps the source, marked, with its replicas, until it is unpaired there, and takes it up again when the source pairs again', async () => {
    const peer = await pair(a, b);
    expect((await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer')).status).toBe(200);
    const [atB] = await peers(b);
    expect(atB?.unpairedByPeerAt).toBeNull();
    const removed = await a.call(a.admin, 'DELETE', `/sites/${peer.id}`);
    expect(removed.status).withContext(removed.text).toBe(204);
    expect(await peers(a)).toEqual([]);
    // The DR copy is B's: A unpairing (a compromised A too) does not take A's replicas, failover and
    // drills out of B's reach. A's requests are refused from now on.
    const [kept] = await peers(b);
    expect(kept).toEqual(jasmine.objectContaining({ id: atB!.id, name: 'site-a', role: 'source', unpairedByPeerAt: jasmine.any(String) }));
    expectSiteProblem(await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer'), 403, 'site-not-paired');
    expectSiteProblem(await siteCall(b.server.siteUrl, a.identity, 'POST', '/unpair'), 403, 'site-not-paired');
    expectSiteProblem(await siteCall(a.server.siteUrl, b.identity, 'GET', '/peer'), 403, 'site-not-paired');
    expect((await auditOf(a, 'site.unpair'))[0]).toEqual(jasmine.objectContaining({ outcome: 'success', object: `site:${peer.id}`, details: jasmine.objectContaining({ peerTold: true }) }));
    expect((await auditOf(b, 'site.unpaired-by-peer'))[0]).toEqual(jasmine.objectContaining({ outcome: 'success' }));
    expectProblem(await a.call(a.admin, 'DELETE', `/sites/${peer.id}`), 404, 'not-found');
    // A pairs again: B takes the same pairing up again, and with it the replica it holds.
    await pair(a, b);
    const [again] = await peers(b);
    expect(again).toEqual(jasmine.objectContaining({ id: atB!.id, role: 'source', unpairedByPeerAt: null }));
    expect((await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer')).status).toBe(200);
    // Unpaired by A once more, the pairing goes from B only when B's administrator removes it.
    expect((await a.call(a.admin, 'DELETE', `/sites/${(await peers(a))[0]!.id}`)).status).toBe(204);
    expect((await peers(b)).map((p) => p.unpairedByPeerAt === null)).toEqual([false]);
    expect((await b.call(b.admin, 'DELETE', `/sites/${atB!.id}`)).status).toBe(204);
    expect(await peers(b)).toEqual([]);
  });

  it('unpairs from the DR site: both sites drop the pairing and refuse each other from then on', async () => {
    await pair(a, b);
    const [peerOfB] = await peers(b);
    const removed = await b.call(b.admin, 'DELETE', `/sites/${peerOfB?.id ?? ''}`);
    expect(removed.status).withContext(removed.text).toBe(204);
    expect(await peers(b)).toEqual([]);
    expect(await peers(a)).toEqual([]);
    expectSiteProblem(await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer'), 403, 'site-not-paired');
    expectSiteProblem(await siteCall(a.server.siteUrl, b.identity, 'GET', '/peer'), 403, 'site-not-paired');
  });

  it('refuses a wrong code, a reused code and an expired code, each saying which', async () => {
    const code = await allowPairing();
    const other = await allowPairing();
    const body = (c: string) => ({ url: code.siteUrl, thumbprint: code.thumbprint, code: c, settings: {} });
    // A code of the right form that this site never issued.
    const wrong = [...other.code.replace(/-/g, '')].reverse().join('');
    const wrongReply = expectProblem(await a.call(a.admin, 'POST', '/sites', body(wrong)), 422, 'pairing-code-invalid');
    expect(wrongReply['detail']).toMatch(/the pairing code is not one this site issued/);
    const malformed = expectProblem(await a.call(a.admin, 'POST', '/sites', body('1234')), 400, 'validation');
    expect(malformed['errors']).toEqual([{ field: 'code', message: jasmine.stringMatching(/26 letters and digits/) }]);

    expect((await a.call(a.admin, 'POST', '/sites', body(code.code))).status).toBe(201);
    const [peer] = await peers(a);
    await a.call(a.admin, 'DELETE', `/sites/${peer?.id ?? ''}`);
    const reused = expectProblem(await a.call(a.admin, 'POST', '/sites', body(code.code)), 422, 'pairing-code-invalid');
    expect(reused['detail']).toMatch(/the pairing code was already used at .*good for one attempt/);

    const late = await allowPairing();
    await clockB.advance(15 * 60_000 + 1000);
    const expired = expectProblem(await a.call(a.admin, 'POST', '/sites', body(late.code)), 422, 'pairing-code-invalid');
    expect(expired['detail']).toMatch(/the pairing code expired at .* \(codes are valid for 15 minutes\)/);

    expect(await peers(a)).toEqual([]);
    // B holds only the source A unpaired above, marked so: the refused codes paired nothing.
    expect((await peers(b)).map((p) => [p.name, p.unpairedByPeerAt !== null])).toEqual([['site-a', true]]);
    const failures = (await auditOf(b, 'site.pair-accept')).filter((r) => r['errorCode'] === 'pairing-code-invalid');
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a thumbprint that is not the DR site\'s before sending anything, and a relay with another certificate', async () => {
    const code = await allowPairing();
    const mismatch = expectProblem(await a.call(a.admin, 'POST', '/sites', { url: code.siteUrl, thumbprint: stranger.thumbprint, code: code.code, settings: {} }), 409, 'site-thumbprint-mismatch');
    expect(mismatch['detail']).toContain(`presents the certificate ${b.server.thumbprint}, not the confirmed ${stranger.thumbprint}`);

    // A relay that terminates TLS with a certificate of its own and passes requests on to B with it.
    const relay = await startRelay(stranger, b.server.siteUrl);
    try {
      const probe = expectProblem(await a.call(a.admin, 'POST', '/sites/probe', { url: relay.url }), 409, 'site-thumbprint-mismatch');
      expect(probe['detail']).toContain(`says its certificate is ${b.server.thumbprint} but presents ${stranger.thumbprint}`);
      // An administrator who confirmed the relay's thumbprint anyway: B sees the relay's
      // certificate, A's proof names A's, and B refuses.
      const relayed = expectProblem(await a.call(a.admin, 'POST', '/sites', { url: relay.url, thumbprint: stranger.thumbprint, code: code.code, settings: {} }), 409, 'site-thumbprint-mismatch');
      expect(relayed['detail']).toMatch(/the pairing proof does not match the certificates of this connection/);
      expect(relay.requests).toBe(1);
    } finally {
      await relay.stop();
    }
    expect(await peers(a)).toEqual([]);
    expect(await peers(b)).toEqual([]);
    // The first refusal sent nothing, so the code was still good; the relay's attempt used it up.
    const reused = expectProblem(await a.call(a.admin, 'POST', '/sites', { url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: {} }), 422, 'pairing-code-invalid');
    expect(reused['detail']).toMatch(/already used/);
  });

  it('refuses an unpaired client certificate, or none, with 403 site-not-paired, and audits it', async () => {
    await pair(a, b);
    const hello = await siteCall(b.server.siteUrl, null, 'GET', '/hello');
    expect(hello.json()).toEqual({ name: 'site-b', thumbprint: b.server.thumbprint, siteUrl: b.server.siteUrl });
    for (const path of ['/peer', '/replication/offer', '/unpair', '/anything']) {
      const refused = await siteCall(b.server.siteUrl, stranger, 'POST', path, {});
      expectSiteProblem(refused, 403, 'site-not-paired');
      expect(refused.json()['detail']).toBe(`this site is not paired with the certificate ${stranger.thumbprint}`);
    }
    expectSiteProblem(await siteCall(b.server.siteUrl, null, 'GET', '/peer'), 403, 'site-not-paired');
    const records = (await auditOf(b, 'site.refused')).filter((r) => r['object'] === `certificate:${stranger.thumbprint}`);
    expect(records.length).toBe(4);
    expect(records[0]).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 403, errorCode: 'site-not-paired', user: null, details: jasmine.objectContaining({ thumbprint: stranger.thumbprint }) }));
    // The stranger's refused unpair changed nothing.
    expect((await peers(b)).length).toBe(1);
  });

  it('needs Lifeline Admin for every change; reading the sites needs only System.Read', async () => {
    const viewer = await a.login(VIEWER.username, VIEWER.password);
    expect((await a.call(viewer, 'GET', '/sites')).status).toBe(200);
    expectProblem(await a.call(viewer, 'POST', '/sites/pairing-codes'), 403, 'forbidden');
    expectProblem(await a.call(viewer, 'POST', '/sites/probe', { url: b.server.siteUrl }), 403, 'forbidden');
    const code = await allowPairing();
    expectProblem(await a.call(viewer, 'POST', '/sites', { url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: {} }), 403, 'forbidden');
    expect(await peers(a)).toEqual([]);
    const peer = await pair(a, b);
    expectProblem(await a.call(viewer, 'PATCH', `/sites/${peer.id}`, { settings: { maxConcurrentVms: 3 } }), 403, 'forbidden');
    expectProblem(await a.call(viewer, 'DELETE', `/sites/${peer.id}`), 403, 'forbidden');
    expect((await peers(a)).length).toBe(1);
    const denied = (await auditOf(a, 'site.unpair')).filter((r) => r['user'] === VIEWER.username);
    expect(denied[0]).toEqual(jasmine.objectContaining({ outcome: 'failure', status: 403 }));
  });

  it('pairs, lists and unpairs with the lifeline site commands on the servers\' data directories, beside the running servers', async () => {
    const env = (side: SiteSide) => ({ LIFELINE_SITE_NAME: side.name });
    const allowed = await lifeline(['site', 'allow-pairing', '--data-dir', b.dataDir, '--json'], env(b));
    expect(allowed.code).withContext(allowed.stderr).toBe(0);
    const code = JSON.parse(allowed.stdout) as { code: string; thumbprint: string; siteUrl: string };
    // The address the running server listens on, not the configured "any port".
    expect(code.siteUrl).toBe(b.server.siteUrl);
    expect(code.thumbprint).toBe(b.server.thumbprint);

    const noCode = await lifeline(['site', 'pair', '--data-dir', a.dataDir, '--url', code.siteUrl, '--thumbprint', code.thumbprint], { ...env(a), LIFELINE_PAIRING_CODE: '' });
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain('give the pairing code with --code-file <file> or the LIFELINE_PAIRING_CODE environment variable');

    const paired = await lifeline(['site', 'pair', '--data-dir', a.dataDir, '--url', code.siteUrl, '--thumbprint', code.thumbprint, '--settings', '{"immutableDays":30}'], {
      ...env(a),
      LIFELINE_PAIRING_CODE: code.code,
    });
    expect(paired.code).withContext(paired.stderr).toBe(0);
    expect(paired.stdout).toMatch(/^Paired with site-b {2}DR site/);
    // The running servers see the pairing at once: it is in their database.
    const [peerOfA] = await peers(a);
    expect(peerOfA).toEqual(jasmine.objectContaining({ name: 'site-b', role: 'target', url: b.server.siteUrl }));
    expect(peerOfA?.settings['immutableDays']).toBe(30);
    expect((await peers(b))[0]).toEqual(jasmine.objectContaining({ name: 'site-a', role: 'source', url: a.server.siteUrl, thumbprint: a.server.thumbprint }));
    expect((await siteCall(b.server.siteUrl, a.identity, 'GET', '/peer')).status).toBe(200);

    const listed = await lifeline(['site', 'list', '--data-dir', b.dataDir], env(b));
    expect(listed.stdout).toContain(`This site: site-b  ${b.server.siteUrl}  ${b.server.thumbprint}`);
    expect(listed.stdout).toContain(`site-a  source (it replicates to this site)  ${a.server.siteUrl}  ${a.server.thumbprint}`);

    const unpaired = await lifeline(['site', 'unpair', 'site-a', '--data-dir', b.dataDir], env(b));
    expect(unpaired.code).withContext(unpaired.stderr).toBe(0);
    expect(unpaired.stdout).toContain('Unpaired site-a. It was told and refuses this site from now on.');
    expect(await peers(a)).toEqual([]);
    expect(await peers(b)).toEqual([]);
    const again = await lifeline(['site', 'unpair', 'site-a', '--data-dir', b.dataDir], env(b));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no site site-a is paired with this site [not-found]');
    // Six command processes, each starting Node and opening the database: on a loaded machine
    // they take longer than the default 30 s.
  }, 360_000);

  it('names the field at fault in a pairing request', async () => {
    const code = await allowPairing();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ url: 'http://127.0.0.1:1', thumbprint: code.thumbprint, code: code.code }, 'url', /https:\/\//],
      [{ url: code.siteUrl, thumbprint: 'AB:CD', code: code.code }, 'thumbprint', /SHA-256/],
      [{ url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: { bandwidthMBps: 0 } }, 'settings.bandwidthMBps', /above 0/],
      [{ url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: { retention: { keepLast: 0, daily: 0, weekly: 0, monthly: 0 } } }, 'settings.retention', /at least one rule/],
      [{ url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: { window: { from: '25:00', to: '06:00', bandwidthMBps: 5 } } }, 'settings.window.from', /HH:MM/],
    ];
    for (const [body, field, message] of cases) {
      const problem = expectProblem(await a.call(a.admin, 'POST', '/sites', body), 400, 'validation');
      expect(problem['errors']).withContext(field).toEqual([{ field, message: jasmine.stringMatching(message) }]);
    }
    // An address where no site listens.
    const gone = expectProblem(await a.call(a.admin, 'POST', '/sites/probe', { url: 'https://127.0.0.1:1' }), 502, 'site-unreachable');
    expect(gone['detail']).toMatch(/^the site at https:\/\/127\.0\.0\.1:1 could not be reached: .*ECONNREFUSED/);
    expectProblem(await a.call(a.admin, 'POST', '/sites', { url: 'https://127.0.0.1:1', thumbprint: code.thumbprint, code: code.code }), 502, 'site-unreachable');
    // The API listener is no site listener.
    const api = expectProblem(await a.call(a.admin, 'POST', '/sites/probe', { url: b.server.url }), 502, 'site-error');
    expect(api['detail']).toContain('is not a Lifeline site listener');
    // None of them reached the DR site: the code is still good.
    expect((await a.call(a.admin, 'POST', '/sites', { url: code.siteUrl, thumbprint: code.thumbprint, code: code.code, settings: {} })).status).toBe(201);
  });
});

function expectSiteProblem(reply: { status: number; contentType: string; text: string; json<T = Record<string, unknown>>(): T }, status: number, code: string): void {
  expect(reply.status).withContext(reply.text).toBe(status);
  expect(reply.contentType).toMatch(/^application\/problem\+json/);
  expect(reply.json()['code']).toBe(code);
}

/** An HTTPS relay on loopback with its own certificate, presenting that certificate to the site it forwards to as well. */
async function startRelay(identity: ClientIdentity, target: string): Promise<{ url: string; requests: number; stop(): Promise<void> }> {
  const state = { requests: 0 };
  const server: Server = createServer({ cert: identity.certPem, key: identity.keyPem }, (req, res) => {
    if (req.method !== 'GET') state.requests++;
    const out = request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, agent: false, rejectUnauthorized: false, cert: identity.certPem, key: identity.keyPem },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
