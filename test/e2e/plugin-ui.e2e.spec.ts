// End to end: Debian's Chromium, driven by playwright-core, uses the built plugin UI through the
// demo host (which frames the views as the vSphere Client does, on an origin of its own, and
// reaches Lifeline only through its /plugins/… reverse proxy) against a real Lifeline server and
// the vCenter simulator. After every flow, no browser request may have missed the proxy. Each flow checks what the administrator relies on, and the
// views are photographed in light and dark theme into test/e2e/screenshots/.
import type { Frame, Page } from 'playwright-core';
import { vsphereSchemaErrors } from '../manifest/vsphere-manifest-schema.js';
import { useE2eWorld } from './e2e-suite.js';
import { OPERATOR, modalFrame, screenshotBothThemes, viewFrame } from './e2e-world.js';

const SLOW = 600_000;

describe('the plugin UI, end to end', () => {
  const e2e = useE2eWorld({ vms: 3 });
  const { api } = e2e;

  const vmUrn = (i: number) => `urn:vmomi:VirtualMachine:${e2e.world.vc.vms[i]!.moref}:${e2e.world.vc.instanceUuid}`;

  async function waitForJob(id: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const job = (await api('GET', `/jobs/${id}`)).body;
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(String(job['state']))) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${String(job['state'])}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  let policyId: string | null = null;
  async function ensurePolicy(): Promise<string> {
    if (policyId) return policyId;
    const created = await api('POST', '/policies', { name: 'E2E hourly', rpoSeconds: 3600, consistency: 'crash', immutabilityDays: 1, retention: { keepLast: 5, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 } });
    expect(created.status).withContext(JSON.stringify(created.body)).toBe(201);
    policyId = String(created.body['id']);
    return policyId;
  }

  /** A restore point of VM i made through the API (the UI flow that makes one is tested on its own). */
  async function ensurePoint(i: number): Promise<string> {
    const existing = await api('GET', `/vms/${encodeURIComponent(vmUrn(i))}/points`);
    const items = existing.body['items'] as { id: string }[] | undefined;
    if (items && items.length > 0) return items[0]!.id;
    const assigned = await api('PUT', `/vms/${encodeURIComponent(vmUrn(i))}/protection`, { policyId: await ensurePolicy() });
    expect([200, 201]).toContain(assigned.status);
    const started = await api('POST', `/vms/${encodeURIComponent(vmUrn(i))}/backup`, {});
    expect(started.status).toBe(202);
    const job = await waitForJob(String((started.body['job'] as { id: string }).id));
    expect(job['state']).toBe('succeeded');
    const after = await api('GET', `/vms/${encodeURIComponent(vmUrn(i))}/points`);
    return (after.body['items'] as { id: string }[])[0]!.id;
  }

  async function selectNewestPoint(frame: Frame): Promise<void> {
    const row = frame.locator('.ll-point-row').first();
    await row.waitFor();
    await row.locator('.datagrid-select label').click();
  }

  async function openVmTab(page: Page, vm: number, tab: string): Promise<Frame> {
    await page.locator('#vms button', { hasText: e2e.world.vc.vms[vm]!.name }).click();
    await page.locator('#tabs button', { hasText: tab }).click();
    return viewFrame(page);
  }

  async function openGlobal(page: Page, nav: string): Promise<Frame> {
    await page.locator('#globals button').first().click();
    const frame = await viewFrame(page);
    await frame.locator('.ll-global-nav a', { hasText: nav }).click();
    return frame;
  }

  /** Records every percentage the progress bars of a frame show, from now on. */
  async function recordProgress(frame: Frame): Promise<void> {
    // Runs in the page (the server's TypeScript has no DOM types, so it is given as text).
    await frame.evaluate(`(() => {
      window.llPercents = [];
      const note = () => document.querySelectorAll('.ll-job-progress[data-percent]').forEach((el) => {
        const p = Number(el.getAttribute('data-percent'));
        if (Number.isFinite(p)) window.llPercents.push(p);
      });
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-percent'] });
    })()`);
  }

  it(
    'assigns a policy, backs up now with a live progress bar, and lists the new point',
    async () => {
      await ensurePolicy();
      const page = await e2e.world.openHost();
      // VM 2 is used by this flow alone: the others get points from ensurePoint().
      const protection = await openVmTab(page, 2, 'Lifeline protection');
      await protection.locator('.ll-protection-none').waitFor();
      await screenshotBothThemes(page, 'vm-protection-unprotected');

      await protection.locator('#ll-policy-select').selectOption({ label: 'E2E hourly' });
      await protection.locator('button.ll-assign').click();
      await protection.locator('.ll-protection-policy', { hasText: 'E2E hourly' }).waitFor();

      // The last phase (removing the snapshot) is slowed down, so the finished transfer shows.
      await e2e.world.vc.injectDelay('RemoveSnapshot_Task', 1500, 1);
      await recordProgress(protection);
      await protection.locator('button.ll-backup-now').click();
      await protection.locator('.ll-protection-job .ll-job-state[data-state="succeeded"]').waitFor({ timeout: 120_000 });
      const percents = (await protection.evaluate('window.llPercents')) as number[];
      expect(percents.length).toBeGreaterThan(0);
      expect(Math.max(...percents)).toBe(100);
      await screenshotBothThemes(page, 'vm-protection-protected');

      const backups = await openVmTab(page, 2, 'Lifeline backups');
      await backups.locator('.ll-point-row').first().waitFor();
      expect(await backups.locator('.ll-point-row').count()).toBe(1);
      expect(await backups.locator('.ll-point-consistency').first().textContent()).toMatch(/crash/i);
      await screenshotBothThemes(page, 'vm-backups');

      const points = await api('GET', `/vms/${encodeURIComponent(vmUrn(2))}/points`);
      expect((points.body['items'] as unknown[]).length).toBe(1);
    },
    SLOW,
  );

  it(
    'clones a point, attaches it to the other VM, then detaches it leaving that VM as it was',
    async () => {
      await ensurePoint(0);
      const target = e2e.world.vc.vms[1]!;
      const disksBefore = (await api('GET', `/vms/${encodeURIComponent(vmUrn(1))}/attachments`)).body;
      expect((disksBefore['items'] as unknown[] | undefined)?.length ?? 0).toBe(0);

      const page = await e2e.world.openHost();
      await openVmTab(page, 0, 'Lifeline backups');
      await page.locator('#actions button', { hasText: 'Clone and attach' }).click();
      const wizard = await modalFrame(page);
      await screenshotBothThemes(page, 'clone-attach-wizard');
      await driveWizardToTarget(wizard, target.name);

      const deadline = Date.now() + 120_000;
      let attachments: { id: string; state?: string }[] = [];
      while (Date.now() < deadline) {
        attachments = ((await api('GET', `/vms/${encodeURIComponent(vmUrn(1))}/attachments`)).body['items'] as typeof attachments) ?? [];
        if (attachments.length > 0 && attachments[0]!.state === 'attached') break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(attachments.length).toBe(1);
      await screenshotBothThemes(page, 'clone-attach-started');
      await wizard.locator('button.ll-recover-close').click();
      await page.locator('#modal').waitFor({ state: 'hidden' });

      const attached = await openVmTab(page, 1, 'Lifeline attached disks');
      await attached.locator('.ll-attachment-row').first().waitFor();
      await screenshotBothThemes(page, 'vm-attached-disks');
      await attached.locator('button.ll-detach').first().click();
      await attached.locator('button.ll-detach-confirm').click();
      await attached.locator('.ll-attachment-row').first().waitFor({ state: 'detached', timeout: 120_000 });
      const after = (await api('GET', `/vms/${encodeURIComponent(vmUrn(1))}/attachments`)).body['items'] as unknown[];
      expect(after.length).toBe(0);
    },
    SLOW,
  );

  /** Walks the recover wizard opened as "Clone and attach…": the newest point, the target VM, start. */
  async function driveWizardToTarget(wizard: Frame, targetName: string): Promise<void> {
    const button = (name: string) => wizard.getByRole('button', { name, exact: true });
    await wizard.locator('.ll-page-point .datagrid-select label').first().click();
    await button('Next').click();
    await wizard.locator('#ll-recover-target-vm').selectOption({ label: targetName });
    await button('Next').click();
    await button('Start').click();
  }

  it(
    'reverts a VM temporarily and cancels, showing the banner meanwhile',
    async () => {
      await ensurePoint(0);
      const page = await e2e.world.openHost();
      const backups = await openVmTab(page, 0, 'Lifeline backups');
      await selectNewestPoint(backups);
      await backups.locator('button.ll-action-revert').click();
      // The simulated VM is running: the dialog asks to power it off.
      await backups.locator('#ll-power-off').check();
      await backups.locator('button.ll-dialog-submit').click();
      await backups.locator('.ll-revert-banner').waitFor({ timeout: 120_000 });
      await backups.locator('button.ll-revert-cancel').waitFor({ timeout: 120_000 });
      await screenshotBothThemes(page, 'vm-backups-reverted');
      const reverted = await api('GET', `/vms/${encodeURIComponent(vmUrn(0))}/revert`);
      expect(reverted.body['reverted']).toBe(true);

      await backups.locator('button.ll-revert-cancel').click();
      // The VM runs on the restored disks: cancelling asks, like reverting, to confirm its power-off.
      await backups.locator('#ll-power-off').check();
      await backups.locator('button.ll-dialog-submit').click();
      await backups.locator('.ll-revert-banner').waitFor({ state: 'detached', timeout: 120_000 });
      const after = await api('GET', `/vms/${encodeURIComponent(vmUrn(0))}/revert`);
      expect(after.body['reverted']).toBe(false);
    },
    SLOW,
  );

  it(
    'keeps a point longer from the Backups tab: the retention job runs, and deleting it is then refused',
    async () => {
      const pointId = await ensurePoint(0);
      const before = String((await api('GET', `/points/${pointId}`)).body['retainUntil']);
      // 40 days after its current retain-until, as the browser (on this machine's clock and zone) counts days.
      const target = new Date(before);
      const day = new Date(target.getFullYear(), target.getMonth(), target.getDate() + 40);
      const pad = (n: number) => String(n).padStart(2, '0');
      const dayText = `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
      const endOfDay = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 23, 59, 59, 999).toISOString();

      const page = await e2e.world.openHost();
      const backups = await openVmTab(page, 0, 'Lifeline backups');
      await selectNewestPoint(backups);
      await backups.locator('button.ll-point-retain').click();
      await backups.locator('#ll-point-retain-day').fill(dayText);
      await screenshotBothThemes(page, 'vm-backups-keep-longer');
      await backups.locator('button.ll-point-retain-confirm').click();
      await backups.locator('.ll-point-retain-job .ll-job-state[data-state="succeeded"]').waitFor({ timeout: 120_000 });
      expect((await api('GET', `/points/${pointId}`)).body['retainUntil']).toBe(endOfDay);

      // Locked now: the administrator's Delete is not offered, says until when, and the API refuses it.
      await selectNewestPoint(backups);
      expect(await backups.locator('button.ll-point-delete').isDisabled()).toBeTrue();
      await backups.locator('.ll-point-delete-locked').waitFor();
      const refused = await api('DELETE', `/points/${pointId}`);
      expect(refused.status).toBe(409);
      expect(refused.body['allowedAt']).toBe(endOfDay);
    },
    SLOW,
  );

  it(
    'shows a user without the Restore privilege no restore action, and the API refuses them',
    async () => {
      const pointId = await ensurePoint(0);
      const page = await e2e.world.openHost(OPERATOR.username);
      // The host page fills the account list once the demo session is made.
      await page.locator('#user option:checked', { hasText: OPERATOR.username }).waitFor({ state: 'attached' });
      const backups = await openVmTab(page, 0, 'Lifeline backups');
      await selectNewestPoint(backups);
      for (const action of ['ll-action-revert', 'll-action-instantiate', 'll-action-attach']) {
        expect(await backups.locator(`button.${action}`).count()).withContext(action).toBe(0);
      }
      expect(await page.locator('#actions button', { hasText: /Recover|Clone and attach/ }).count()).toBe(0);
      await screenshotBothThemes(page, 'vm-backups-operator');

      const token = await e2e.world.vc.soapLogin(OPERATOR.username, OPERATOR.password);
      const refused = await api('POST', `/vms/${encodeURIComponent(vmUrn(0))}/revert`, { pointId, powerOff: true }, token);
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.body)).toContain('Restore');
      const attach = await api('POST', `/points/${pointId}/attach`, { vm: vmUrn(1) }, token);
      expect(attach.status).toBe(403);
    },
    SLOW,
  );

  it(
    'shows the global views in both themes',
    async () => {
      await ensurePoint(0);
      const page = await e2e.world.openHost();
      for (const [nav, name, ready] of [
        ['Dashboard', 'global-dashboard', '.ll-added-bar-ran'],
        ['Protected VMs', 'global-protected-vms', '.ll-view'],
        ['Policies', 'global-policies', '.ll-policy-row'],
        ['Jobs', 'global-jobs', '.ll-job-row'],
        ['Audit', 'global-audit', '.ll-audit-row'],
        ['Settings', 'global-settings', '.ll-settings-read-only'],
      ] as const) {
        let frame = await openGlobal(page, nav);
        // The server keeps its storage figures for 30 s: a dashboard opened before the backup
        // (by an earlier flow) may still be served them, so the refresh button is pressed until
        // the backup shows, as a user would.
        for (let attempt = 0; nav === 'Dashboard' && attempt < 12 && (await frame.locator(ready).count()) === 0; attempt++) {
          await page.waitForTimeout(5000);
          await page.locator('#refresh').click();
          frame = await viewFrame(page);
        }
        await frame.locator(ready).first().waitFor();
        await screenshotBothThemes(page, name);
      }
      // The dashboard's storage tile counts what the server stored, and today's bar shows the backup.
      const storage = (await api('GET', '/storage')).body;
      expect(Number(storage['points'])).toBeGreaterThan(0);
      const dashboard = await openGlobal(page, 'Dashboard');
      await dashboard.locator('.ll-storage-points', { hasText: new RegExp(`^\\s*${String(storage['points'])}\\s*$`) }).waitFor();
      expect(await dashboard.locator('.ll-added-bar-ran').count()).toBeGreaterThan(0);

      // The audit view lists the calls that changed something, the policy and the backup among them.
      const audit = await openGlobal(page, 'Audit');
      for (const action of ['policy.create', 'protection.assign', 'vm.backup']) {
        await audit.locator('.ll-audit-action', { hasText: action }).first().waitFor();
      }

      const policies = await openGlobal(page, 'Policies');
      await policies.locator('.ll-policy-name', { hasText: 'E2E hourly' }).waitFor();
    },
    SLOW,
  );

  it(
    'reaches the API only through the proxy prefix, and a request that leaves it is caught',
    async () => {
      const page = await e2e.world.openHost();
      const frame = await openVmTab(page, 0, 'Lifeline protection');
      // The view's frame (.ll-view) is drawn before it asks the API anything; what the VM's
      // protection is shows only once the API answered through the proxy.
      await frame.locator('.ll-protection-facts, .ll-protection-none').first().waitFor();
      const apiCalls = e2e.world.demo.proxied.filter((p) => p.includes('/api/v1/'));
      expect(apiCalls.length).toBeGreaterThan(0);
      for (const call of apiCalls) expect(call).toContain(` ${e2e.world.demo.proxyPrefix}/api/v1/`);

      // What a view would do if it called /api/v1 on the page's origin instead of the proxied base.
      const status = await frame.evaluate("fetch('/api/v1/health').then((r) => r.status)");
      expect(status).toBe(404);
      // Both watches catch it: the stand-in answered 404, and the browser's request lacked the prefix.
      expect(e2e.world.demo.escapes).toEqual(['GET /api/v1/health']);
      expect(e2e.world.stray).toEqual([`${e2e.world.demo.url}/api/v1/health`]);
      (e2e.world.demo.escapes as string[]).splice(0);
      e2e.world.stray.splice(0);

      // The server's redirects are relative, so a browser following them stays under the prefix.
      // (Followed by fetch: opened as a page, the UI outside a frame would run standalone.)
      const uiFolder = `${e2e.world.demo.url}${e2e.world.demo.proxyPrefix}${new URL(e2e.world.server.pluginUrl!).pathname.replace(/plugin\.json$/, 'ui')}`;
      for (const start of [uiFolder, `${e2e.world.demo.url}${e2e.world.demo.proxyPrefix}/`]) {
        const landed = (await frame.evaluate(`fetch('${start}').then((r) => [r.status, r.url, r.redirected])`)) as [number, string, boolean];
        expect(landed).withContext(start).toEqual([200, `${uiFolder}/`, true]);
      }

      // plugin.json as the vSphere Client fetches it through the proxy conforms to VMware's schema.
      const manifest: unknown = await frame.evaluate(`fetch('${e2e.world.demo.proxyPrefix}${new URL(e2e.world.server.pluginUrl!).pathname}').then((r) => r.json())`);
      expect(vsphereSchemaErrors(manifest)).toEqual([]);
    },
    SLOW,
  );

  it(
    'reloads the view at the vSphere Client refresh button, and shows a clear error once the session is gone',
    async () => {
      await ensurePolicy();
      const page = await e2e.world.openHost();
      const policies = await openGlobal(page, 'Policies');
      // The list has loaded (not only the view's frame), so what the server adds next is new to it.
      await policies.locator('.ll-policy-row').first().waitFor();
      const created = await api('POST', '/policies', { name: 'Made elsewhere', rpoSeconds: 7200, consistency: 'crash', immutabilityDays: 1, retention: { keepLast: 3, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 } });
      expect(created.status).toBe(201);
      expect(await policies.locator('.ll-policy-name', { hasText: 'Made elsewhere' }).count()).toBe(0);
      await page.locator('#refresh').click();
      await policies.locator('.ll-policy-name', { hasText: 'Made elsewhere' }).waitFor();

      // The vSphere Client's session ends: its SDK calls back with null, and the view says so.
      await page.locator('#signout').click();
      await page.locator('#refresh').click();
      await policies.locator('.ll-problem-title', { hasText: 'The vSphere Client could not connect this view to Lifeline' }).waitFor();
      expect(await policies.locator('.ll-problem-detail').first().textContent()).toContain('session');
    },
    SLOW,
  );
});
