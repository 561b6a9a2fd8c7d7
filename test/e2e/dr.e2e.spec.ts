// Disaster recovery from the plugin UI at the DR site, end to end: two simulated vCenters and two
// Lifeline servers (the sites fixture), A replicating two VMs to B; the vSphere Client stand-in
// and Chromium in front of B. At B an administrator maps A's network and datastore (and a test
// network) in the Sites view's mappings editor, sees the replicated VMs become ready, creates a
// recovery plan of two groups in the Recovery plans view, tests it, reads the drill's report and
// cleans it up, after which B's inventory is as before; the plan form chooses a VM's point among
// those B lists. A user without Lifeline Admin and Restore sees the plan actions, and those of
// the global Replicated VMs view, disabled with the reason. Each step is photographed light and dark into
// test/e2e/screenshots/.
import type { Frame, Page } from 'playwright-core';
import { startTwoSites, type TwoSites } from '../sites/two-site-fixture.js';
import { fillDisk } from '../demo/demo-seed.js';
import { protectAndReplicate, vmNames } from '../dr/dr-spec-kit.js';
import { expectNoStrayRequests } from './e2e-suite.js';
import { OPERATOR, UI_DIR, screenshotBothThemes, startFront, viewFrame, type E2eFront } from './e2e-world.js';

const SLOW = 600_000;

describe('disaster recovery in the plugin UI at the DR site', () => {
  let sites: TwoSites;
  let front: E2eFront;
  let sourceId: string;
  let vmsBefore: string[];

  beforeAll(async () => {
    sites = await startTwoSites({
      stores: true,
      paired: true,
      users: [OPERATOR],
      portgroups: { 'site-b': ['DR Test Network'] },
      env: { 'site-b': { LIFELINE_UI_DIR: UI_DIR } },
      prepare: async (name, vc) => {
        if (name === 'site-a') {
          await fillDisk(vc.vms[0]!.disks[0]!.path, 4 * 1024 * 1024, 21);
          await fillDisk(vc.vms[1]!.disks[0]!.path, 4 * 1024 * 1024, 22);
        }
      },
    });
    const { a, b } = sites;
    await protectAndReplicate(a, { vms: 2, keepLast: 3 });
    sourceId = (await b.call(b.admin, 'GET', '/sites')).json<{ peers: { id: string }[] }>().peers[0]!.id;
    vmsBefore = await vmNames(b);
    front = await startFront({
      server: b.server,
      config: b.config,
      dataDir: b.dataDir,
      vms: b.vc.vms.map((vm) => ({ moref: vm.moref, name: vm.name })),
      users: [OPERATOR],
      log: b.captured,
    });
  }, SLOW);

  afterAll(async () => {
    await front?.stop();
    await sites?.stop();
  }, SLOW);

  afterEach(() => expectNoStrayRequests(front));

  async function openPage(page: Page, label: string, ready: string): Promise<Frame> {
    await page.locator('#globals button').first().click();
    const frame = await viewFrame(page);
    await frame.locator('.ll-global-nav a', { hasText: label }).click();
    await frame.locator(ready).first().waitFor();
    return frame;
  }

  it(
    'maps A’s resources, creates a plan, tests it, shows the drill report and cleans it up',
    async () => {
      const page = await front.openHost();
      const sitesView = await openPage(page, 'Sites', '.ll-mappings .ll-mapping-table');
      // Nothing mapped yet: both VMs lack the network and the datastore.
      await sitesView.locator('.ll-replicated-vm .ll-missing-failover').first().waitFor();
      expect(await sitesView.locator('.ll-replicated-vm').count()).toBe(2);
      expect(await sitesView.locator('.ll-replicated-vm .ll-missing-failover').first().textContent()).toContain('VM Network');
      expect(await sitesView.locator('.ll-replicated-vm .ll-vm-failover').first().isDisabled()).toBeTrue();
      await screenshotBothThemes(page, 'dr-mappings-missing');

      const row = (kind: string, source: string) => sitesView.locator(`.ll-mapping-table[data-kind="${kind}"] .ll-mapping-row[data-source="${source}"] select`);
      // A target B does not have is refused beside its row (the choice is offered as typed).
      await row('networks', 'VM Network').selectOption('VM Network');
      await row('datastores', 'LocalDS_0').selectOption('LocalDS_0');
      await row('testNetworks', 'VM Network').selectOption('DR Test Network');
      await sitesView.locator('.ll-mappings-save').click();
      await sitesView.locator('.ll-mappings-saved').waitFor();
      await sitesView.locator('.ll-replicated-vm .ll-ready-test').nth(1).waitFor();
      expect(await sitesView.locator('.ll-replicated-vm .ll-missing-failover').count()).toBe(0);
      expect(await sitesView.locator('.ll-replicated-vm .ll-vm-test').first().isDisabled()).toBeFalse();
      const stored = (await sites.b.call(sites.b.admin, 'GET', `/sites/${sourceId}/mappings`)).json<{ mappings: unknown }>().mappings;
      expect(stored).toEqual(jasmine.objectContaining({ networks: { 'VM Network': 'VM Network' }, datastores: { LocalDS_0: 'LocalDS_0' }, testNetworks: { 'VM Network': 'DR Test Network' } }));
      await screenshotBothThemes(page, 'dr-mappings-saved');

      const plans = await openPage(page, 'Recovery plans', '.ll-plans');
      await plans.locator('.ll-plans-create:not([disabled])').click();
      await plans.locator('.ll-plan-vm').nth(1).waitFor();
      await plans.locator('.ll-plan-name-input').fill('Two tiers');
      await plans.locator('.ll-plan-vm-group').nth(0).fill('1');
      await plans.locator('.ll-plan-vm-group').nth(1).fill('2');
      await plans.locator('.ll-plan-tools').fill('3');
      // The first VM's point is chosen among those B lists (its only one, the latest now).
      await plans.locator('.ll-plan-vm-more').first().click();
      await plans.locator('.ll-plan-vm-details .ll-plan-vm-point option').nth(1).waitFor({ state: 'attached' });
      const pointId = (await sites.b.call(sites.b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: { vm: { id: string }; latestPoint: { id: string } }[] }>().items.find((v) => v.vm.id.endsWith(`:${sites.a.vc.vms[0]!.moref}`))!.latestPoint.id;
      await plans.locator('.ll-plan-vm-details .ll-plan-vm-point').selectOption(pointId);
      await screenshotBothThemes(page, 'dr-plan-form');
      await plans.locator('.ll-plan-save').click();
      await plans.locator('.ll-plans-done').waitFor();
      // The list is read again with the new plan.
      await plans.locator('.ll-plan-group').nth(1).waitFor();
      expect(await plans.locator('.ll-plan-group').allTextContents()).toEqual([`1. ${sites.a.vc.vms[0]!.name}`, `2. ${sites.a.vc.vms[1]!.name}`]);
      const saved = (await sites.b.call(sites.b.admin, 'GET', '/recovery-plans')).json<{ items: { name: string; vmOptions?: Record<string, { point?: string }> }[] }>().items.find((p) => p.name === 'Two tiers')!;
      expect(Object.values(saved.vmOptions ?? {}).map((o) => o.point)).toEqual([pointId]);
      await screenshotBothThemes(page, 'dr-plan-created');

      await plans.locator('.ll-plan-test').click();
      await plans.locator('.ll-confirm-text').waitFor();
      expect(await plans.locator('.ll-confirm-text').textContent()).toContain('Mode: test (DR drill).');
      await screenshotBothThemes(page, 'dr-plan-test-confirm');
      await plans.locator('.ll-confirm-ok').click();
      // The job ends once both groups are up (the simulator's guests never start VMware Tools,
      // so each waits out its 3 s); then the report is read again.
      await plans.locator('.ll-plan-drill-report .ll-report-row').nth(1).waitFor({ timeout: 180_000 });
      await plans.locator('.ll-plan-job .ll-job-state', { hasText: 'Succeeded' }).waitFor({ timeout: 180_000 });
      await plans.locator('.ll-plan-drill-report .ll-report-state', { hasText: 'Up' }).nth(1).waitFor({ timeout: 60_000 });
      const reportRows = await plans.locator('.ll-plan-drill-report .ll-report-row').allTextContents();
      expect(reportRows.length).toBe(2);
      for (const text of reportRows) expect(text).toContain('-dr-test');
      expect(await plans.locator('.ll-plan-drill-report .ll-report-tools').first().textContent()).toContain('Not within the wait');
      expect(await plans.locator('.ll-plan-drill-report .ll-report-rto').first().textContent()).toMatch(/\d+ s/);
      expect(await vmNames(sites.b)).not.toEqual(vmsBefore);
      await screenshotBothThemes(page, 'dr-plan-drill-report');

      await plans.locator('.ll-plan-cleanup:not([disabled])').click();
      await plans.locator('.ll-confirm-ok').click();
      await plans.locator('.ll-plan-drill-report .ll-report-state', { hasText: 'Cleaned up' }).nth(1).waitFor({ timeout: 120_000 });
      expect(await vmNames(sites.b)).toEqual(vmsBefore);
      await screenshotBothThemes(page, 'dr-plan-cleaned');
    },
    SLOW,
  );

  it(
    'shows a user without Lifeline Admin and Restore the DR actions disabled with the reason',
    async () => {
      const page = await front.openHost(OPERATOR.username);
      const sitesView = await openPage(page, 'Sites', '.ll-replicated-vm');
      expect(await sitesView.locator('.ll-mappings-save').isDisabled()).toBeTrue();
      expect(await sitesView.locator('.ll-mappings-needs-admin').textContent()).toContain('Lifeline Admin');
      expect(await sitesView.locator('.ll-replicated-vm .ll-vm-test').first().isDisabled()).toBeTrue();
      expect(await sitesView.locator('.ll-replicated-vm .ll-vm-test').first().getAttribute('title')).toContain('Lifeline Restore');
      const plans = await openPage(page, 'Recovery plans', '.ll-plans');
      await plans.locator('.ll-plans-needs-admin').waitFor();
      expect(await plans.locator('.ll-plans-create').isDisabled()).toBeTrue();
      expect(await plans.locator('.ll-plans-needs-restore').textContent()).toContain('Lifeline Restore');
      await screenshotBothThemes(page, 'dr-plans-read-only');
      // Global > Replicated VMs: A's VMs under A's name, the actions disabled with the reason.
      const replicated = await openPage(page, 'Replicated VMs', '.ll-replicated-vm');
      expect(await replicated.locator('.ll-replicated h4').allTextContents()).toEqual(['Replicated VMs of site-a']);
      expect(await replicated.locator('.ll-replicated-vm').count()).toBe(2);
      expect(await replicated.locator('.ll-replicated-vm .ll-vm-failover').first().isDisabled()).toBeTrue();
      expect(await replicated.locator('.ll-replicated-vm .ll-vm-failover').first().getAttribute('title')).toContain('Lifeline Restore');
      await screenshotBothThemes(page, 'dr-replicated-vms-read-only');
    },
    SLOW,
  );

  it('keeps per-VM options a plan is saved with, and refuses one naming a hook set B does not have', async () => {
    const { b } = sites;
    const vmId = (await b.call(b.admin, 'GET', `/sites/${sourceId}/replicated-vms`)).json<{ items: { vm: { id: string } }[] }>().items[0]!.vm.id;
    const body = { name: 'Options', siteId: sourceId, groups: [{ vms: [vmId] }] };
    const refused = await b.call(b.admin, 'POST', '/recovery-plans', { ...body, vmOptions: { [vmId]: { hookSet: 'no-such-set' } } });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(`vmOptions.${vmId}.hookSet`);
    const accepted = await b.call(b.admin, 'POST', '/recovery-plans', { ...body, vmOptions: { [vmId]: { powerOn: false } } });
    expect(accepted.status).toBe(201);
    const plan = accepted.json<{ id: string; vmOptions?: Record<string, { powerOn?: boolean }> }>();
    expect(plan.vmOptions?.[vmId]?.powerOn).toBeFalse();
    expect((await b.call(b.admin, 'DELETE', `/recovery-plans/${plan.id}`)).status).toBe(204);
  });
});
