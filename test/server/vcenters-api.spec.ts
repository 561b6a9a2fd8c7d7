// GET /api/v1/vcenters against one Lifeline server serving two vCenter simulators: a session is
// answered the vCenter it is for, with the host name of that vCenter's configured URL as its name
// (what the UI shows in its vCenter picker); no session, an unknown one, or one of the other
// vCenter is answered 401, and the problem names neither a host nor a vCenter the caller did not name.
import type { HttpsReply } from './https-client.js';
import { startTwoVcenterServer, type TwoVcenterServer } from './two-vcenter-fixture.js';
import { expectProblem } from './vcenter-server-fixture.js';

describe('GET /api/v1/vcenters', () => {
  let fx: TwoVcenterServer;
  let tokenA: string;
  let tokenB: string;

  const configuredHost = (guid: string): string => new URL(fx.config.vcenters.get(guid)?.url ?? 'https://missing.invalid').hostname;
  /** The problem echoes at most the vCenter the caller named itself: never a name, never another vCenter. */
  const revealsNothing = (reply: HttpsReply, named: string | null): void => {
    expect(reply.json()['items']).toBeUndefined();
    expect(reply.text).not.toContain(configuredHost(fx.a.guid));
    for (const guid of [fx.a.guid, fx.b.guid].filter((g) => g !== named)) expect(reply.text).not.toContain(guid);
  };

  beforeAll(async () => {
    fx = await startTwoVcenterServer({ sim: { vms: 1 }, dataDirPrefix: 'lifeline-vcenters-api-' });
    tokenA = await fx.a.login();
    tokenB = await fx.b.login();
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it("answers each session the vCenter it is for, named by the host name of that vCenter's URL", async () => {
    for (const [side, token] of [
      [fx.a, tokenA],
      [fx.b, tokenB],
    ] as const) {
      const reply = await side.call(token, 'GET', '/vcenters');
      expect(reply.status).withContext(reply.text).toBe(200);
      expect(reply.json()).toEqual({ items: [{ guid: side.guid, name: configuredHost(side.guid) }] });
    }
    // The simulators listen on loopback: their configured host is its address, never the UUID.
    expect(configuredHost(fx.a.guid)).toBe('127.0.0.1');
  });

  it('answers 401, naming no vCenter but the one the caller named, without a session, with a token vCenter does not know, or with the other vCenter\'s token', async () => {
    const refused: Array<[HttpsReply, string | null]> = [
      [await fx.a.call(null, 'GET', '/vcenters'), fx.a.guid],
      [await fx.call(null, 'GET', '/vcenters'), null],
      [await fx.a.call('not-a-session-7d1c', 'GET', '/vcenters'), fx.a.guid],
      [await fx.a.call(tokenB, 'GET', '/vcenters'), fx.a.guid],
    ];
    for (const [reply, named] of refused) {
      expectProblem(reply, 401, 'unauthenticated');
      revealsNothing(reply, named);
    }
  });
});
