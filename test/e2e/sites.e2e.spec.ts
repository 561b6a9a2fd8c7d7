// Pairing two sites from the plugin UI, end to end: the production site A is the e2e world (its
// own simulated vCenter, Lifeline server, the vSphere Client stand-in and Chromium); the DR site B
// is a second Lifeline server on a second simulated vCenter. An administrator allows pairing on B
// (through B's API, as B's Sites view does), then runs A's Pair a site wizard in the browser with
// B's address, thumbprint and code. The wizard is photographed at each step into
// test/e2e/screenshots/.
import type { Frame, Page } from 'playwright-core';
import { startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';
import { useE2eWorld } from './e2e-suite.js';
import { screenshotBothThemes, viewFrame } from './e2e-world.js';

const SLOW = 600_000;

describe('pairing two sites in the plugin UI', () => {
  const e2e = useE2eWorld({ vms: 1 });
  let dr: VcenterServer;
  let drAdmin: string;

  beforeAll(async () => {
    dr = await startVcenterServer({ sim: { vms: 1 }, dataDirPrefix: 'lifeline-e2e-dr-', env: () => ({ LIFELINE_SITE_NAME: 'dr-site' }) });
    drAdmin = await dr.login();
  }, SLOW);

  afterAll(async () => {
    await dr?.stop();
  }, SLOW);

  async function openSites(page: Page): Promise<Frame> {
    await page.locator('#globals button').first().click();
    const frame = await viewFrame(page);
    await frame.locator('.ll-global-nav a', { hasText: 'Sites' }).click();
    await frame.locator('.ll-sites-self').waitFor();
    return frame;
  }

  async function allowPairing(): Promise<{ code: string; thumbprint: string; siteUrl: string }> {
    const reply = await dr.call(drAdmin, 'POST', '/sites/pairing-codes');
    expect(reply.status).toBe(201);
    return reply.json() as { code: string; thumbprint: string; siteUrl: string };
  }

  /** Runs the wizard up to its summary with B's address and `code`. */
  async function wizardToSummary(page: Page, sites: Frame, siteUrl: string, code: string, shots: boolean): Promise<Frame> {
    await sites.locator('button.ll-sites-pair').click();
    const wizard = sites.locator('.ll-pair-wizard');
    const next = () => sites.locator('clr-wizard-button[type="next"] button, button.clr-wizard-btn--primary', { hasText: 'Next' }).first().click();
    await sites.locator('#ll-pair-address').fill(siteUrl);
    if (shots) await screenshotBothThemes(page, 'sites-pair-address');
    await next();
    // B's certificate as B presents it, for the administrator to compare with B's screen.
    await wizard.locator('.ll-pair-peer-thumbprint').waitFor();
    expect((await wizard.locator('.ll-pair-peer-thumbprint').textContent())?.trim()).toBe(dr.server.thumbprint);
    await sites.locator('#ll-pair-confirm').check({ force: true });
    await sites.locator('#ll-pair-code').fill(code);
    if (shots) await screenshotBothThemes(page, 'sites-pair-identity');
    await next();
    await wizard.locator('.ll-pair-page-settings').waitFor();
    if (shots) await screenshotBothThemes(page, 'sites-pair-settings');
    await next();
    await wizard.locator('.ll-pair-summary').waitFor();
    return sites;
  }

  async function finish(sites: Frame): Promise<void> {
    await sites.locator('button', { hasText: /^\s*Pair\s*$/ }).last().click();
  }

  it(
    'refuses a wrong code with the server\'s message, then pairs with the right one',
    async () => {
      const page = await e2e.world.openHost();
      const sites = await openSites(page);
      const { code, siteUrl } = await allowPairing();

      // A code B never issued: B refuses, the wizard says why and stays open.
      const wrong = code.replace(/[A-Z2-7]/i, (c) => (c.toUpperCase() === 'A' ? 'B' : 'A'));
      await wizardToSummary(page, sites, siteUrl, wrong, false);
      await finish(sites);
      const error = sites.locator('.ll-pair-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/code/i);
      await screenshotBothThemes(page, 'sites-pair-refused');
      // The refused attempt used up the code (single use): allow pairing again.
      await sites.locator('clr-wizard-button[type="cancel"] button, button', { hasText: 'Cancel' }).first().click();

      const again = await allowPairing();
      await wizardToSummary(page, sites, again.siteUrl, again.code, true);
      await screenshotBothThemes(page, 'sites-pair-summary');
      await finish(sites);
      await sites.locator('.ll-peer .ll-peer-name', { hasText: 'dr-site' }).waitFor();
      await screenshotBothThemes(page, 'sites-paired');

      // Both sides hold the pairing: A replicates to B, B knows A as its source.
      const atB = (await dr.call(drAdmin, 'GET', '/sites')).json() as { peers: { role: string; thumbprint: string }[] };
      expect(atB.peers.map((p) => [p.role, p.thumbprint])).toEqual([['source', e2e.world.server.thumbprint]]);
      expect(await sites.locator('.ll-peer .ll-peer-role').first().textContent()).toMatch(/target|DR/i);
    },
    SLOW,
  );
});
