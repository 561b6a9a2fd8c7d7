/**
 * The two-site fixture keeps what the paired site relies on across a restart: B's site listener
 * answers on the address A holds for it, after B's server restarts in this process and when its
 * data directory is served by a `lifeline serve` process. Every DR spec that restarts B and then
 * replicates to it depends on this (a site listener on a new port is ECONNREFUSED for A).
 */
import { startServeProcess } from '../server/serve-process.js';
import { startTwoSites, type TwoSites } from './two-site-fixture.js';

describe('the two-site fixture', () => {
  let sites: TwoSites;
  beforeAll(async () => {
    sites = await startTwoSites({ paired: true });
  }, 120_000);
  afterAll(async () => {
    await sites?.stop();
  }, 120_000);

  async function heldByA(): Promise<string> {
    const list = (await sites.a.call(sites.a.admin, 'GET', '/sites')).json<{ peers: { url: string }[] }>();
    return list.peers[0]!.url;
  }

  it("keeps B's site listener on the address A holds for it, across a restart and in a serve process of B's data directory", async () => {
    const { b } = sites;
    const url = await heldByA();
    expect(new URL(url).port).toBe(new URL(b.server.siteUrl).port);
    await b.restart();
    expect(new URL(b.server.siteUrl).port).toBe(new URL(url).port);
    await b.release();
    try {
      const proc = await startServeProcess(b.dataDir, b.serveEnv);
      try {
        expect(b.serveEnv['LIFELINE_SITE_PORT']).toBe(new URL(url).port);
      } finally {
        await proc.stop();
      }
    } finally {
      await b.restart();
    }
    expect(new URL(b.server.siteUrl).port).toBe(new URL(url).port);
    // A reaches B where it holds it.
    const probe = await sites.a.call(sites.a.admin, 'POST', '/sites/probe', { url });
    expect(probe.status).withContext(probe.text).toBe(200);
    expect(probe.json<{ thumbprint: string }>().thumbprint).toBe(b.server.thumbprint);
  }, 120_000);
});
