// A user's vCenter session ends, and so does everything Lifeline does in its name: a user signs
// out of vCenter (SOAP SessionManager.Logout on the very session whose id the vSphere Client sends
// as its token), and Lifeline, which cloned a session from that token, refuses the token from the
// next check on, and ends the user's open event stream. The server runs against the vCenter
// simulator with a revalidation interval shortened from 60 s so the spec need not wait a minute.
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { openSse } from './sse-client.js';

describe('A vCenter session that ends', () => {
  let s: VcenterServer;

  beforeAll(async () => {
    s = await startVcenterServer({ dataDirPrefix: 'lifeline-session-end-', deps: { sessions: { revalidateMs: 300, sweepIntervalMs: 100 } } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('after a SOAP Logout, reads and changes are refused and the open event stream ends', async () => {
    const token = await s.login();
    expect((await s.call(token, 'GET', '/jobs')).status).toBe(200);
    const before = await s.call(token, 'POST', '/policies', { name: 'Before logout', rpoSeconds: 3600, retention: { keepLast: 4 } });
    expect(before.status).toBe(201);
    const stream = await openSse(`${s.server.url}/api/v1/events`, { thumbprint: s.server.thumbprint, headers: { 'vmware-api-session-id': token } });
    expect(stream.status).toBe(200);

    await s.vc.soapLogout(token);
    // vCenter itself refuses the token now.
    const ticket = await s.vc.request('POST', '/api/ui/vcenter/session/clone-ticket', JSON.stringify({ vc_guid: s.vc.instanceUuid }), {
      'content-type': 'application/json',
      'vmware-api-session-id': token,
    });
    expect(ticket.status).toBe(401);

    // Lifeline asks vCenter again about the token of the session the stream holds, and ends it.
    await stream.ended;
    expectProblem(await s.call(token, 'GET', '/jobs'), 401, 'unauthenticated');
    expectProblem(await s.call(token, 'POST', '/policies', { name: 'After logout', rpoSeconds: 3600, retention: { keepLast: 4 } }), 401, 'unauthenticated');
    expect(s.captured.lines.join('\n')).not.toContain(token);
  });

  it('a token logged out while no stream holds its session is refused on its next use past the interval', async () => {
    const token = await s.login();
    expect((await s.call(token, 'GET', '/policies')).status).toBe(200);
    await s.vc.soapLogout(token);
    // The last acceptance is trusted for the (shortened) interval; a few seconds of asking is ample.
    for (let i = 0; i < 100 && (await s.call(token, 'GET', '/policies')).status === 200; i++) await new Promise((r) => setTimeout(r, 50));
    expectProblem(await s.call(token, 'GET', '/policies'), 401, 'unauthenticated');
  });
});
