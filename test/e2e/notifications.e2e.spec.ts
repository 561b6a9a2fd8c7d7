// Events from the plugin UI, end to end: an administrator opens Global > Settings >
// Notifications in Chromium (through the vSphere Client stand-in and its proxy), adds a webhook
// that points at a real HTTPS receiver on loopback, presses Send test and sees the test delivered,
// in the channel's row and in the delivery log; the receiver verifies the Standard Webhooks
// signature with the `standardwebhooks` package, as a third party's would. A bad URL is refused
// with the field named beside it, and a user without Lifeline Admin is told what it takes. A VM's
// Protection tab lists what Lifeline told about the VM after a backup. The views are photographed
// in light and dark theme into test/e2e/screenshots/.
import type { Frame, Page } from 'playwright-core';
import { startWebhookReceiver, webhookSecret, type WebhookReceiver } from '../../plugin-server/src/events/testing.js';
import { useE2eWorld } from './e2e-suite.js';
import { OPERATOR, screenshotBothThemes, viewFrame } from './e2e-world.js';

const SLOW = 600_000;

describe('notification channels in the plugin UI', () => {
  const e2e = useE2eWorld({ vms: 1 });
  const { api } = e2e;
  let receiver: WebhookReceiver;
  const secret = webhookSecret();

  beforeAll(async () => {
    receiver = await startWebhookReceiver(secret);
  }, SLOW);

  afterAll(async () => {
    await receiver?.close();
  }, SLOW);

  async function openNotifications(page: Page): Promise<Frame> {
    await page.locator('#globals button').first().click();
    const frame = await viewFrame(page);
    await frame.locator('.ll-global-nav a', { hasText: 'Settings' }).click();
    await frame.locator('.ll-settings-nav-notifications').click();
    return frame;
  }

  async function fillWebhook(frame: Frame, name: string, url: string): Promise<void> {
    await frame.locator('button.ll-channel-add').click();
    await frame.locator('#ll-channel-name').fill(name);
    await frame.locator('#ll-channel-url').fill(url);
    await frame.locator('#ll-channel-secret').fill(secret);
    // The receiver's certificate is its own, trusted for this channel only.
    await frame.locator('#ll-channel-ca').fill(receiver.caPem);
    await frame.locator('#ll-channel-types').fill('backup.failed, rpo.*');
  }

  it(
    'adds a webhook, sends a test that the receiver verifies, and shows it delivered',
    async () => {
      const page = await e2e.world.openHost();
      const frame = await openNotifications(page);
      await frame.locator('.ll-channels-none').waitFor();

      // A plain-http URL is refused by the server, the field named beside it; nothing is stored.
      await fillWebhook(frame, 'SOAR intake', receiver.url.replace('https:', 'http:'));
      await frame.locator('button.ll-channel-save').click();
      const urlError = frame.locator('#ll-channel-url ~ .ll-field-error');
      await urlError.waitFor();
      expect(await urlError.textContent()).toContain('settings.url');
      expect(await urlError.textContent()).toContain('https');
      await screenshotBothThemes(page, 'notifications-refused-field');

      await frame.locator('#ll-channel-url').fill(receiver.url);
      await frame.locator('button.ll-channel-save').click();
      const row = frame.locator('.ll-channel', { hasText: 'SOAR intake' });
      await row.waitFor();
      expect((await row.locator('.ll-channel-target').textContent())?.trim()).toBe(receiver.url);
      expect((await row.locator('.ll-channel-filter').textContent())?.trim()).toBe('backup.failed, rpo.*');
      expect((await frame.locator('.ll-notifications-done').textContent())?.trim()).toBe('Channel SOAR intake added.');
      // Write-only: the secret is in no page of the plugin once saved.
      expect(await frame.content()).not.toContain(secret);

      await row.locator('button.ll-channel-test').click();
      const delivered = row.locator('.ll-test-delivered');
      await delivered.waitFor({ timeout: 60_000 });
      expect((await row.locator('.ll-test-detail').textContent())?.trim()).toBe('HTTP 204');

      // The receiver got it, signed: standardwebhooks verified it (a bad signature is refused, 401).
      await receiver.waitFor(1);
      const tests = receiver.received.filter((r) => r.payload.type === 'lifeline.test');
      const hook = tests[0];
      expect(receiver.refused).toEqual([]);
      expect(tests.length).toBe(1);
      expect(hook?.payload.type).toBe('lifeline.test');
      expect(hook?.payload.data.message).toBe('Test of notification channel SOAR intake');
      expect(hook?.id).toBe(hook?.payload.data.id);

      // The delivery log and the channel's counts show the attempt.
      const logged = frame.locator('.ll-delivery', { hasText: 'lifeline.test' });
      await logged.waitFor();
      expect((await logged.locator('.ll-delivery-channel').textContent())?.trim()).toBe('SOAR intake');
      expect((await logged.locator('.ll-delivery-outcome').textContent())?.trim()).toBe('Delivered');
      expect((await logged.locator('.ll-delivery-detail').textContent())?.trim()).toBe('HTTP 204');
      expect((await row.locator('.ll-count-delivered').textContent())?.trim()).toBe('1 delivered');
      await screenshotBothThemes(page, 'notifications-test-delivered');

      // The receiver refuses the next test (its answer is shown as the failure), and the edit form
      // offers to replace the secret without showing it.
      receiver.failWith = 500;
      await row.locator('button.ll-channel-test').click();
      await row.locator('.ll-test-failed').waitFor({ timeout: 60_000 });
      expect((await row.locator('.ll-test-detail').textContent())?.trim()).toBe('HTTP 500');
      receiver.failWith = null;
      await row.locator('button.ll-channel-edit').click();
      expect(await frame.locator('#ll-channel-secret').inputValue()).toBe('');
      expect(await frame.locator('.ll-channel-secret-help').textContent()).toContain('A secret is set and is never shown');
      await screenshotBothThemes(page, 'notifications-edit');
    },
    SLOW,
  );

  it(
    'tells a user without Lifeline Admin which privilege the channels need',
    async () => {
      const page = await e2e.world.openHost(OPERATOR.username);
      const frame = await openNotifications(page);
      const refusal = frame.locator('.ll-notifications-forbidden');
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain('Lifeline Admin privilege');
      expect(await frame.locator('button.ll-channel-add').count()).toBe(0);
      await screenshotBothThemes(page, 'notifications-forbidden');
    },
    SLOW,
  );

  it(
    "shows the VM's recent events on its Protection tab after a backup",
    async () => {
      const vm = e2e.world.vc.vms[0]!;
      const urn = encodeURIComponent(`urn:vmomi:VirtualMachine:${vm.moref}:${e2e.world.vc.instanceUuid}`);
      const policy = await api('POST', '/policies', { name: 'E2E events', rpoSeconds: 3600, consistency: 'crash', retention: { keepLast: 2 } });
      expect(policy.status).withContext(JSON.stringify(policy.body)).toBe(201);
      expect([200, 201]).toContain((await api('PUT', `/vms/${urn}/protection`, { policyId: policy.body['id'] })).status);
      const started = await api('POST', `/vms/${urn}/backup`, {});
      expect(started.status).toBe(202);
      const jobId = String((started.body['job'] as { id: string }).id);
      const deadline = Date.now() + 120_000;
      let state = '';
      while (!['succeeded', 'failed', 'cancelled', 'interrupted'].includes(state)) {
        if (Date.now() > deadline) throw new Error(`backup ${jobId} still ${state}`);
        await new Promise((r) => setTimeout(r, 200));
        state = String((await api('GET', `/jobs/${jobId}`)).body['state']);
      }
      expect(state).toBe('succeeded');

      const page = await e2e.world.openHost();
      await page.locator('#vms button', { hasText: vm.name }).click();
      await page.locator('#tabs button', { hasText: 'Lifeline protection' }).click();
      const frame = await viewFrame(page);
      await frame.locator('.ll-protection-policy', { hasText: 'E2E events' }).waitFor();
      await frame.locator('button.ll-vm-events-toggle').click();
      const backup = frame.locator('.ll-vm-event[data-type^="backup."]').first();
      await backup.waitFor();
      expect(await backup.getAttribute('data-type')).toMatch(/^backup\.(succeeded|warning)$/);
      expect(await backup.locator('.ll-vm-event-message').textContent()).toContain(vm.name);
      await screenshotBothThemes(page, 'vm-protection-recent-events');
    },
    SLOW,
  );
});
