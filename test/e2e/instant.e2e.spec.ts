// Instant recovery in the plugin UI, end to end: Debian's Chromium drives the built UI through the
// demo host against a Lifeline server whose configuration has an NFS section and the vCenter
// simulator, which mounts that server's NFS export as ESXi would (test/vcsim/nas.go). From a VM's
// Backups tab the administrator runs the VM from its restore point at once and cancels; from the
// Recover wizard they start a new VM from the backup at once, follow the wizard's link to Global >
// Instant recoveries and discard it there; another new VM is migrated to production storage there.
// What the administrator relies on is checked in vCenter (the VM runs from the NFS datastore, then
// no longer does, is gone or is on production storage) and in Lifeline (no publication left). The views are photographed into test/e2e/screenshots/.
// The NFS server listens on 127.0.0.12 (its portmapper on port 111), an address no other suite uses.
import type { Frame, Page } from 'playwright-core';
import { useE2eWorld } from './e2e-suite.js';
import { modalFrame, screenshotBothThemes, viewFrame } from './e2e-world.js';

const SLOW = 600_000;
const NFS_HOST = '127.0.0.12';
/** Where the harness's NFS datastore (`lifeline-<name>`) shows in a disk's file name. */
const ON_NFS = /^\[lifeline-[^\]]+\] /;

describe('instant recovery in the plugin UI, end to end', () => {
  const e2e = useE2eWorld({ vms: 2, file: { nfs: { host: NFS_HOST, port: 0, portmapperPort: 111, clients: ['127.0.0.1', NFS_HOST] } } });
  const { api } = e2e;

  const vmUrn = (i: number) => `urn:vmomi:VirtualMachine:${e2e.world.vc.vms[i]!.moref}:${e2e.world.vc.instanceUuid}`;
  const vcenter = () => e2e.world.backup.vcenter(e2e.world.vc.instanceUuid, AbortSignal.timeout(30_000));
  const diskFiles = async (moref: string) => (await (await vcenter()).getVm(moref)).disks.map((d) => d.fileName);

  async function waitForJob(id: string): Promise<Record<string, unknown>> {
    for (;;) {
      const job = (await api('GET', `/jobs/${id}`)).body;
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(String(job['state']))) return job;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A restore point of VM i, backed up through the API (the UI flow that makes one is tested elsewhere). */
  async function backUp(i: number): Promise<string> {
    const policies = (await api('GET', '/policies?limit=1000')).body['items'] as { id: string; name: string }[];
    let policyId = policies.find((p) => p.name === 'E2E instant')?.id;
    if (policyId === undefined) {
      const created = await api('POST', '/policies', { name: 'E2E instant', rpoSeconds: 3600, consistency: 'crash', retention: { keepLast: 3 } });
      expect(created.status).withContext(JSON.stringify(created.body)).toBe(201);
      policyId = String(created.body['id']);
    }
    const assigned = await api('PUT', `/vms/${encodeURIComponent(vmUrn(i))}/protection`, { policyId });
    expect([200, 201]).toContain(assigned.status);
    const started = await api('POST', `/vms/${encodeURIComponent(vmUrn(i))}/backup`, {});
    expect(started.status).withContext(JSON.stringify(started.body)).toBe(202);
    const job = await waitForJob(String((started.body['job'] as { id: string }).id));
    expect(job['state']).withContext(JSON.stringify(job['error'])).toBe('succeeded');
    return (job['result'] as { pointId: string }).pointId;
  }

  async function openBackups(page: Page, vm: number): Promise<Frame> {
    await page.locator('#vms button', { hasText: e2e.world.vc.vms[vm]!.name }).click();
    await page.locator('#tabs button', { hasText: 'Lifeline backups' }).click();
    const frame = await viewFrame(page);
    const row = frame.locator('.ll-point-row').first();
    await row.waitFor();
    await row.locator('.datagrid-select label').click();
    return frame;
  }

  const publications = async () => (await api('GET', '/publications')).body['items'] as unknown[];

  it(
    'runs a VM from its backup at once from the Backups tab, then Cancel puts its own disks back',
    async () => {
      const pointId = await backUp(0);
      const moref = e2e.world.vc.vms[0]!.moref;
      const before = await diskFiles(moref);
      expect(before.every((f) => !ON_NFS.test(f))).toBeTrue();

      const page = await e2e.world.openHost();
      const backups = await openBackups(page, 0);
      await backups.locator('button.ll-action-instant-revert').click();
      expect(await backups.locator('.ll-dialog-text').textContent()).toContain('straight from the backup on Lifeline’s NFS datastore');
      // The simulated VM is running: the dialog asks to power it off.
      await backups.locator('#ll-power-off').check();
      await backups.locator('button.ll-dialog-submit').click();
      await backups.locator('button.ll-instant-cancel').waitFor({ timeout: 120_000 });
      expect(await backups.locator('.ll-instant-text').textContent()).toContain('This VM runs from its backup');
      await screenshotBothThemes(page, 'vm-backups-instant-revert');

      // In vCenter the VM runs, its disk on Lifeline's NFS datastore.
      const running = await (await vcenter()).getVm(moref);
      expect(running.powerState).toBe('poweredOn');
      expect(running.disks.map((d) => d.fileName).every((f) => ON_NFS.test(f))).withContext(running.disks.map((d) => d.fileName).join(', ')).toBeTrue();
      expect((await api('GET', `/vms/${encodeURIComponent(vmUrn(0))}/instant-revert`)).body).toEqual(jasmine.objectContaining({ active: true, state: 'running', pointId }));

      await backups.locator('button.ll-instant-cancel').click();
      expect(await backups.locator('.ll-dialog-text').textContent()).toContain('returns to the disks kept aside');
      await backups.locator('button.ll-dialog-submit').click();
      await backups.locator('.ll-instant-banner').waitFor({ state: 'detached', timeout: 120_000 });

      expect(await diskFiles(moref)).withContext('the VM is back on its own disks').toEqual(before);
      expect((await api('GET', `/vms/${encodeURIComponent(vmUrn(0))}/instant-revert`)).body['active']).toBeFalse();
      expect(await publications()).toEqual([]);
    },
    SLOW,
  );

  it(
    'starts a new VM from the backup in the Recover wizard, lists it in Instant recoveries, and discards it there',
    async () => {
      await backUp(1);
      const source = e2e.world.vc.vms[1]!;
      const page = await e2e.world.openHost();
      await openBackups(page, 1);
      await page.locator('#actions button', { hasText: /^Recover/ }).click();
      const wizard = await modalFrame(page);
      const button = (name: string) => wizard.getByRole('button', { name, exact: true });
      await wizard.locator('.ll-page-point .datagrid-select label').first().click();
      await button('Next').click();
      // A new VM is the wizard's default recovery. Each page is waited for: the wizard keeps every
      // page in the document, hidden but the current one.
      await wizard.locator('label[for="ll-mode-instantiate"]').waitFor({ state: 'visible', timeout: 60_000 });
      await button('Next').click();
      await wizard.locator('#ll-recover-name').waitFor({ state: 'visible', timeout: 60_000 });
      const name = await wizard.locator('#ll-recover-name').inputValue();
      expect(name).toContain(source.name);
      await wizard.locator('#ll-recover-power-on').check({ force: true });
      await wizard.locator('#ll-speed-instant').check({ force: true });
      await button('Next').click();
      expect(await wizard.locator('.ll-recover-instant').textContent()).toContain('starts from the backup on Lifeline’s NFS datastore');
      await button('Start').click();
      await wizard.locator('.ll-recover-started .ll-job-state[data-state="succeeded"]').waitFor({ timeout: 120_000 });
      await screenshotBothThemes(page, 'recover-instant-started');

      // The wizard's link opens Global > Instant recoveries, which lists the new VM running from the backup.
      await wizard.locator('button.ll-recover-open-instant').click();
      await page.locator('#modal').waitFor({ state: 'hidden' });
      const view = await viewFrame(page);
      const row = view.locator('.ll-instant-row', { hasText: name });
      await row.waitFor({ timeout: 60_000 });
      expect(await view.locator('.ll-global-nav a.active').textContent()).toContain('Instant recoveries');
      expect(await row.locator('.ll-instant-state').textContent()).toContain('Running from backup');
      await row.locator('button.ll-instant-discard').waitFor();
      await screenshotBothThemes(page, 'instant-recoveries');

      const runs = (await api('GET', '/instant-recoveries')).body['items'] as { id: string; vmName: string; vm: { moref: string } | null }[];
      const run = runs.find((r) => r.vmName === name);
      expect(run?.vm).withContext('the new VM exists').not.toBeNull();
      const made = await (await vcenter()).getVm(run!.vm!.moref);
      expect(made.powerState).toBe('poweredOn');
      expect(made.disks.length).toBeGreaterThan(0);
      expect(made.disks.every((d) => ON_NFS.test(d.fileName))).withContext(made.disks.map((d) => d.fileName).join(', ')).toBeTrue();

      await row.locator('button.ll-instant-discard').click();
      expect(await view.locator('.ll-instant-dialog-text').textContent()).toContain(`The VM ${name} is powered off and removed from vCenter`);
      await screenshotBothThemes(page, 'instant-recoveries-discard');
      await view.locator('button.ll-instant-confirm').click();
      await row.waitFor({ state: 'detached', timeout: 120_000 });

      expect((await (await vcenter()).inventory()).vms.map((v) => v.name)).withContext('the new VM is gone').not.toContain(name);
      expect((await api('GET', '/instant-recoveries')).body['items']).toEqual([]);
      expect(await publications()).toEqual([]);
      expect(await (await vcenter()).nasDatastores()).withContext('the NFS datastore is unmounted once nothing uses it').toEqual([]);
    },
    SLOW,
  );

  it(
    'migrates a new VM running from the backup to production storage from Instant recoveries, the VM running on',
    async () => {
      const pointId = await backUp(1);
      // Started through the API: the wizard's way to start one is the flow above.
      const name = `instant-migrate-${pointId.slice(-8)}`;
      const started = await api('POST', `/points/${pointId}/instant-instance`, { name, powerOn: true });
      expect(started.status).withContext(JSON.stringify(started.body)).toBe(202);
      expect((await waitForJob(String((started.body['job'] as { id: string }).id)))['state']).toBe('succeeded');
      const run = (await api('GET', `/instant-recoveries/${String(started.body['runId'])}`)).body as { vm: { moref: string } };
      const target = e2e.world.vc.datastores[0]!.name;
      const before = await (await vcenter()).getVm(run.vm.moref);
      expect(before.disks.every((d) => ON_NFS.test(d.fileName))).withContext('the new VM runs from the NFS datastore').toBeTrue();

      const page = await e2e.world.openHost();
      await page.locator('#globals button').first().click();
      const view = await viewFrame(page);
      await view.locator('.ll-global-nav a', { hasText: 'Instant recoveries' }).click();
      const row = view.locator('.ll-instant-row', { hasText: name });
      await row.locator('button.ll-instant-migrate').click();
      expect(await view.locator('.ll-instant-dialog-text').textContent()).toContain(`The disks of ${name} move from Lifeline’s NFS datastore to the datastore you choose while the VM runs`);
      expect(await view.locator('button.ll-instant-confirm').isDisabled()).withContext('a datastore must be chosen first').toBeTrue();
      // The datastores offered are the datacenter's, not Lifeline's NFS datastore the VM runs from.
      await view.locator(`#ll-instant-datastore option[value="${target}"]`).waitFor({ state: 'attached' });
      const offered = await view.locator('#ll-instant-datastore option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value).filter((v) => v !== ''));
      expect(offered).toEqual(e2e.world.vc.datastores.map((d) => d.name).sort());
      await view.locator('#ll-instant-datastore').selectOption(target);
      await screenshotBothThemes(page, 'instant-recoveries-migrate');
      await view.locator('button.ll-instant-confirm').click();
      await row.waitFor({ state: 'detached', timeout: 120_000 });

      const moved = await (await vcenter()).getVm(run.vm.moref);
      expect(moved.powerState).withContext('the VM ran on through the move').toBe('poweredOn');
      expect(moved.disks.map((d) => d.datastore.name)).toEqual(moved.disks.map(() => target));
      expect(await publications()).toEqual([]);
      expect(await (await vcenter()).nasDatastores()).toEqual([]);
    },
    SLOW,
  );
});
