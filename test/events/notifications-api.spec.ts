// Events out as an administrator sets them up: a webhook channel configured over the real HTTPS
// API, a backup that fails because the vCenter simulator refuses its snapshot, and the signed
// webhook a real receiver on loopback verifies with the standardwebhooks package; the receiver
// down while the server restarts, and the event delivered once afterwards.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { download } from '../export/download.js';
import { corruptSlot, qemuImgCompare } from '../export/export-fixture.js';
import { join } from 'node:path';
import { mailText, parsePrometheusText, startSmtpReceiver, startSyslogReceiver, startWebhookReceiver, webhookSecret, type SmtpReceiver, type SyslogReceiver, type WebhookReceiver } from '../../plugin-server/src/events/testing.js';
import { MiB, seeded, writeDisk } from '../protection/backup-fixture.js';
import { httpsCall, type HttpsReply } from '../server/https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from '../server/vcenter-server-fixture.js';

/** The point hook: writes its LIFELINE_* variables to `<dir>/<point id>.env` (dir is its first argument). */
const POINT_HOOK = `#!/bin/sh
env | grep '^LIFELINE_' | sort > "$1/$LIFELINE_POINT_ID.env"
`;

describe('notifications over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let viewer: string;
  let receiver: WebhookReceiver;
  let smtp: SmtpReceiver;
  let syslog: SyslogReceiver;
  const secret = webhookSecret();

  const call = (method: string, path: string, body?: unknown, token = admin): Promise<HttpsReply> => fx.call(token, method, path, body);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(fx.urn(i))}`;

  /** "Back up now" of VM i; waits for the job to end and returns it. */
  const backupNow = async (i: number): Promise<Record<string, unknown>> => {
    const reply = await call('POST', `${vmPath(i)}/backup`);
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let n = 0; n < 3000; n++) {
      const job = (await call('GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };

  const until = async (what: string, cond: () => Promise<boolean>): Promise<void> => {
    for (let n = 0; n < 1500; n++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${what} did not happen`);
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: 4 * MiB },
      users: [{ username: 'viewer@vsphere.local', password: 'Viewer-1!', privileges: ['System.View', 'System.Read'] }],
      backup: { passphrase: 'notifications passphrase' },
      dataDirPrefix: 'lifeline-notifications-',
      prepare: async (_vc, dataDir) => {
        await mkdir(join(dataDir, 'hooks', 'out'), { recursive: true, mode: 0o755 });
        await writeFile(join(dataDir, 'hooks', 'point.sh'), POINT_HOOK);
        await chmod(join(dataDir, 'hooks', 'point.sh'), 0o755);
      },
      file: (_vc, dataDir) => ({ pointHook: { command: join(dataDir, 'hooks', 'point.sh'), args: [join(dataDir, 'hooks', 'out')], timeoutSeconds: 30 } }),
      // Retries a few hundred milliseconds apart, so that a receiver back after a restart is reached soon.
      deps: { events: { retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 400 } } },
    });
    admin = await fx.login();
    viewer = await fx.login('viewer@vsphere.local', 'Viewer-1!');
    receiver = await startWebhookReceiver(secret);
    smtp = await startSmtpReceiver('starttls', 'lifeline-mail', 'Mail-Pass-1!');
    syslog = await startSyslogReceiver('tcp');
    // A backup window that opens twelve hours from now: the scheduler starts no backup of its own
    // during the suite, so every job is one the suite asked for.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opens = Date.now() + 12 * 3600_000;
    const windows = [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: hhmm(opens), end: hhmm(opens + 60_000) }];
    const policy = await call('POST', '/policies', { name: 'hourly', rpoSeconds: 3600, retention: { keepLast: 4 }, windows });
    expect(policy.status).withContext(policy.text).toBe(201);
    for (const i of [0, 1]) {
      const r = await call('PUT', `${vmPath(i)}/protection`, { policyId: policy.json()['id'] });
      expect([200, 201]).withContext(r.text).toContain(r.status);
    }
  }, 360_000);

  afterAll(async () => {
    await receiver?.close();
    await smtp?.close();
    await syslog?.close();
    await fx?.stop();
  });

  it('refuses a bad channel configuration with the field named, and lets only Lifeline Admins configure', async () => {
    const bad = await call('POST', '/notifications/channels', { name: 'hook', kind: 'webhook', settings: { url: 'http://127.0.0.1:9/hook' }, secret });
    const problem = expectProblem(bad, 400, 'validation');
    expect(JSON.stringify(problem)).toContain('settings.url');
    expect(JSON.stringify(problem)).not.toContain(secret);
    const links = expectProblem(await call('POST', '/notifications/channels', { name: 'hook', kind: 'webhook', settings: { url: receiver.url, exportLinks: 'yes' }, secret }), 400, 'validation');
    expect(JSON.stringify(links)).toContain('settings.exportLinks');
    const noSecret = expectProblem(await call('POST', '/notifications/channels', { name: 'hook', kind: 'webhook', settings: { url: receiver.url } }), 400, 'validation');
    expect(JSON.stringify(noSecret)).toContain('secret');
    expectProblem(await call('GET', '/notifications/channels', undefined, viewer), 403, 'forbidden');
    expectProblem(await call('POST', '/notifications/channels', { name: 'hook', kind: 'webhook', settings: { url: receiver.url, caPem: receiver.caPem }, secret }, viewer), 403, 'forbidden');
  });

  it('sends a verifying webhook for a failed backup, and after the receiver was down across a restart delivers the next one exactly once', async () => {
    const created = await call('POST', '/notifications/channels', {
      name: 'third-party tool',
      kind: 'webhook',
      settings: { url: receiver.url, caPem: receiver.caPem },
      secret,
      filter: { types: ['backup.failed', 'backup.succeeded'] },
    });
    expect(created.status).withContext(created.text).toBe(201);
    expect(created.text).not.toContain(secret);
    const channel = created.json();
    expect(channel['secretSet']).toBeTrue();
    const channelId = String(channel['id']);

    const vcenterChannel = await call('POST', '/notifications/channels', { name: 'vCenter events', kind: 'vcenter', filter: { types: ['backup.*'] } });
    expect(vcenterChannel.status).withContext(vcenterChannel.text).toBe(201);

    const passwordFile = join(fx.dataDir, 'smtp.password');
    await writeFile(passwordFile, 'Mail-Pass-1!\n', { mode: 0o600 });
    const mail = await call('POST', '/notifications/channels', {
      name: 'ops mail',
      kind: 'email',
      filter: { types: ['backup.failed'] },
      settings: { host: '127.0.0.1', port: smtp.port, security: 'starttls', user: 'lifeline-mail', passwordFile, from: 'lifeline@example.com', to: ['ops@example.com'], caPem: smtp.caPem },
    });
    expect(mail.status).withContext(mail.text).toBe(201);
    const siem = await call('POST', '/notifications/channels', { name: 'SIEM', kind: 'syslog', filter: { minSeverity: 'error' }, settings: { transport: 'tcp', host: '127.0.0.1', port: syslog.port } });
    expect(siem.status).withContext(siem.text).toBe(201);

    const test = await call('POST', `/notifications/channels/${channelId}/test`);
    expect(test.status).withContext(test.text).toBe(200);
    expect(test.json()).toEqual(jasmine.objectContaining({ delivered: true, detail: 'HTTP 204' }));

    // The snapshot is refused: the backup fails, and the receiver hears of it, signed.
    await fx.vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'the VM is busy with another task', moref: fx.moref(0) });
    const failed = await backupNow(0);
    expect(failed['state']).toBe('failed');
    await receiver.waitFor(2);
    const hook = receiver.received.find((r) => r.payload.type === 'backup.failed');
    expect(hook).withContext(JSON.stringify(receiver.received)).toBeDefined();
    expect(receiver.refused).toEqual([]);
    expect(hook?.payload.data).toEqual(
      jasmine.objectContaining({
        severity: 'error',
        jobId: failed['id'],
        vm: jasmine.objectContaining({ vcenterGuid: fx.vc.instanceUuid, moref: fx.moref(0) }),
        message: jasmine.stringMatching(/the VM is busy with another task/),
      }),
    );

    // The same failure by mail and in the SIEM's syslog.
    const [mailed] = await smtp.waitFor(1);
    const text = mailText(mailed?.raw ?? '');
    expect(text).toContain(`(${fx.moref(0)}, vCenter ${fx.vc.instanceUuid})`);
    expect(text).toMatch(/Error: .*the VM is busy with another task/);
    const lines = await syslog.waitFor(1);
    expect(lines.find((l) => l.includes(` backup.failed [lifeline@32473 id="${hook?.id ?? ''}"`))).withContext(lines.join('\n')).toMatch(new RegExp(`^<131>1 .* vm="${fx.moref(0)}" .*the VM is busy with another task`));

    // The same failure is in vCenter's event log of that VM, as the vSphere Client shows it.
    const vc = await fx.backup.vcenter(fx.vc.instanceUuid, new AbortController().signal);
    await until('the vCenter event', async () => (await vc.queryVmEvents(fx.moref(0))).some((e) => e.eventTypeId === 'com.lifeline.vsphere.backup.failed'));
    const posted = (await vc.queryVmEvents(fx.moref(0))).find((e) => e.eventTypeId === 'com.lifeline.vsphere.backup.failed');
    expect(posted).toEqual(
      jasmine.objectContaining({ type: 'EventEx', severity: 'error', vm: fx.moref(0), message: jasmine.stringMatching(/^Lifeline: Backup of .* failed: .*the VM is busy with another task/) }),
    );
    expect(posted?.arguments).toEqual(jasmine.objectContaining({ lifelineEventId: hook?.id, jobId: failed['id'] }));
    // Only this VM's: the other VM has no Lifeline event yet.
    expect((await vc.queryVmEvents(fx.moref(1))).filter((e) => e.eventTypeId?.startsWith('com.lifeline.vsphere.'))).toEqual([]);

    // The receiver goes away; a backup fails meanwhile; the server restarts; the receiver returns.
    await receiver.close();
    await fx.vc.injectFault({ method: 'CreateSnapshot_Task', fault: 'InvalidState', message: 'still busy', moref: fx.moref(1) });
    const second = await backupNow(1);
    expect(second['state']).toBe('failed');
    await until('a failed attempt', async () => ((await call('GET', `/notifications/deliveries?channelId=${channelId}`)).json()['items'] as Array<{ outcome: string }>).some((e) => e.outcome === 'retry'));
    await fx.restart();
    admin = await fx.login();
    await receiver.start();
    await receiver.waitFor(3);
    await until('the delivery recorded', async () => {
      const c = (await call('GET', `/notifications/channels/${channelId}`)).json()['deliveries'] as { pending: number; delivered: number };
      return c.pending === 0;
    });
    await new Promise((r) => setTimeout(r, 1000));
    const late = receiver.received.filter((r) => r.payload.data['jobId'] === second['id']);
    expect(late.length).withContext(JSON.stringify(receiver.received.map((r) => r.payload.type))).toBe(1);
    expect(late[0]?.payload.data['message']).toMatch(/still busy/);
    expect(receiver.received.length).toBe(3);
    expect((await call('GET', `/notifications/channels/${channelId}`)).json()['deliveries']).toEqual({ pending: 0, delivered: 3, dead: 0 });
    expect((await call('GET', `/notifications/channels/${String(vcenterChannel.json()['id'])}`)).json()['deliveries']).toEqual({ pending: 0, delivered: 2, dead: 0 });

    const log = (await call('GET', `/notifications/deliveries?channelId=${channelId}`)).json()['items'] as Array<{ eventId: string; outcome: string; detail: string }>;
    expect(log.filter((e) => e.eventId === late[0]?.id).map((e) => e.outcome)).toContain('delivered');
    expect(log.some((e) => e.eventId === late[0]?.id && e.outcome === 'retry' && /ECONNREFUSED/.test(e.detail))).toBeTrue();
    expect(fx.captured.lines.join('\n')).not.toContain(secret);
    const audit = (await call('GET', '/audit?action=channel.create')).json()['items'] as unknown[];
    expect(audit.length).toBeGreaterThan(0);
  }, 360_000);

  it('gives a webhook that asks for them, and the point hook, download links of each new point, which download its disk as raw and VMDK', async () => {
    const linkSecret = webhookSecret();
    const vendor = await startWebhookReceiver(linkSecret);
    try {
      const created = await call('POST', '/notifications/channels', {
        name: 'backup vendor',
        kind: 'webhook',
        settings: { url: vendor.url, caPem: vendor.caPem, exportLinks: true },
        secret: linkSecret,
        filter: { types: ['point.created'] },
      });
      expect(created.status).withContext(created.text).toBe(201);
      expect((created.json()['settings'] as Record<string, unknown>)['exportLinks']).toBeTrue();
      // Data of the guest's, so that the point holds a chunk (zeros are stored as none).
      const guestDisk = fx.vc.vms[0]?.disks[0];
      if (guestDisk) await writeDisk(guestDisk.path, 0, seeded(16, 256 * 1024));
      const job = await backupNow(0);
      expect(job['state']).withContext(JSON.stringify(job['error'])).toBe('succeeded');
      const pointId = (job['result'] as { pointId: string }).pointId;
      await until('the point.created webhook', () => Promise.resolve(vendor.received.some((r) => r.payload.data['jobId'] === job['id'])));
      const hook = vendor.received.find((r) => r.payload.data['jobId'] === job['id']);
      expect(vendor.refused).toEqual([]);
      expect(hook?.payload.type).toBe('point.created');
      expect(hook?.payload.data['pointId']).toBe(pointId);
      const links = hook?.payload.data['exportLinks'] as Array<{ disk: number; raw: string; vmdk: string; expiresAt: string }>;
      const disk = fx.vc.vms[0]?.disks[0];
      // One disk, named by its device key as vSphere numbers it.
      expect(links.map((l) => l.disk)).toEqual([disk?.key ?? -1]);
      const [link] = links;
      if (!link || !disk) throw new Error('no link or no disk');
      expect(link.raw.startsWith(`${fx.server.url}/api/v1/downloads/`)).withContext(link.raw).toBeTrue();
      // Each URL downloads, without a session, exactly the VM's disk as it was backed up.
      for (const format of ['raw', 'vmdk'] as const) {
        const got = await download(link[format]);
        expect(got.status).withContext(got.body.toString('utf8', 0, 500)).toBe(200);
        const file = join(fx.dataDir, `vendor-copy.${format}`);
        await writeFile(file, got.body);
        const cmp = await qemuImgCompare(disk.path, 'raw', file, format);
        expect(cmp.code).withContext(cmp.output).toBe(0);
      }
      // Each whole download is an export.succeeded event of the VM, naming the point, disk and format.
      const exported = async () =>
        ((await call('GET', `/vms/${encodeURIComponent(fx.urn(0))}/events?limit=50`)).json()['items'] as Array<{ type: string; pointId: string | null; message: string }>).filter(
          (e) => e.type === 'export.succeeded' && e.pointId === pointId,
        );
      await until('the export events', async () => (await exported()).length >= 2);
      const messages = (await exported()).map((e) => e.message).sort();
      expect(messages).toEqual([jasmine.stringMatching(/^Export of the VMDK of disk \d+ of restore point /), jasmine.stringMatching(/^Export of the raw image of disk \d+ of restore point /)]);
      // A download that fails on the server's side (a damaged chunk) is an export.failed event.
      // A slot the simulator's disk has data in (an all-zero slot has no chunk).
      const index = await fx.backup.repository.openIndex(pointId, link.disk, new AbortController().signal);
      let slot = 0;
      while (slot < index.slots - 1 && index.digest(slot).every((b) => b === 0)) slot++;
      const bad = await corruptSlot(fx.backup.repository, pointId, link.disk, slot);
      try {
        expect((await download(link.raw)).status).toBe(500);
        const failedExports = async () =>
          ((await call('GET', `/vms/${encodeURIComponent(fx.urn(0))}/events?limit=50`)).json()['items'] as Array<{ type: string; pointId: string | null; severity: string; message: string }>).filter(
            (e) => e.type === 'export.failed' && e.pointId === pointId,
          );
        await until('the export.failed event', async () => (await failedExports()).length >= 1);
        const [failedExport] = await failedExports();
        expect(failedExport?.severity).toBe('error');
        expect(failedExport?.message).toContain(bad.hex);

        // Maintenance's verification finds the damage: the run fails, and both are told.
        const opsSecret = webhookSecret();
        const ops = await startWebhookReceiver(opsSecret);
        try {
          const opsChannel = await call('POST', '/notifications/channels', { name: 'storage ops', kind: 'webhook', settings: { url: ops.url, caPem: ops.caPem }, secret: opsSecret, filter: { types: ['verify.damage', 'maintenance.*'] } });
          expect(opsChannel.status).withContext(opsChannel.text).toBe(201);
          const run = await call('POST', '/maintenance', { steps: ['verify'], verifyPercent: 100 });
          expect(run.status).withContext(run.text).toBe(202);
          const runId = String((run.json()['job'] as { id: string }).id);
          await ops.waitFor(2, 60_000);
          const byType = new Map(ops.received.map((r) => [r.payload.type, r.payload.data] as const));
          expect(byType.get('maintenance.failed')).toEqual(jasmine.objectContaining({ jobId: runId, severity: 'error' }));
          expect(byType.get('verify.damage')).toEqual(jasmine.objectContaining({ jobId: runId, severity: 'critical', data: jasmine.objectContaining({ count: jasmine.any(Number), damagedPoints: jasmine.arrayContaining([pointId]) }) }));
          expect((await call('DELETE', `/notifications/channels/${String(opsChannel.json()['id'])}`)).status).toBeLessThan(300);
        } finally {
          await ops.close();
        }
      } finally {
        await bad.undo();
      }
      // The links are secrets: not in the server's log, nor in the delivery log.
      const tickets = links.flatMap((l) => [l.raw, l.vmdk]).map((u) => u.slice(u.lastIndexOf('/') + 1));
      const deliveries = (await call('GET', `/notifications/deliveries?channelId=${String(created.json()['id'])}`)).text;
      for (const t of tickets) {
        expect(fx.captured.lines.join('\n')).not.toContain(t);
        expect(deliveries).not.toContain(t);
      }
      // A channel that did not ask gets no links.
      expect(receiver.received.some((r) => 'exportLinks' in r.payload.data)).toBeFalse();

      // The point hook of lifeline.json ran for the point, with its id and links of its own.
      const envFile = join(fx.dataDir, 'hooks', 'out', `${pointId}.env`);
      let env = '';
      await until('the point hook', async () => {
        env = await readFile(envFile, 'utf8').catch(() => '');
        return env.includes('LIFELINE_EXPORT_LINKS=');
      });
      const vars = new Map(env.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
      expect(vars.get('LIFELINE_EVENT')).toBe('point.created');
      expect(vars.get('LIFELINE_POINT_ID')).toBe(pointId);
      expect(vars.get('LIFELINE_JOB_ID')).toBe(String(job['id']));
      expect(vars.get('LIFELINE_VM')).toBe(fx.moref(0));
      const hookLinks = JSON.parse(vars.get('LIFELINE_EXPORT_LINKS') ?? '[]') as Array<{ disk: number; raw: string }>;
      expect(hookLinks.map((l) => l.disk)).toEqual([disk.key]);
      expect(hookLinks[0]?.raw).not.toBe(link.raw);
      const viaHook = await download(hookLinks[0]?.raw ?? '');
      expect(viaHook.status).toBe(200);
      const hookCopy = join(fx.dataDir, 'hook-copy.raw');
      await writeFile(hookCopy, viaHook.body);
      const hookCmp = await qemuImgCompare(disk.path, 'raw', hookCopy, 'raw');
      expect(hookCmp.code).withContext(hookCmp.output).toBe(0);
    } finally {
      await vendor.close();
    }
  }, 360_000);

  it('serves Prometheus metrics behind a bearer token, with the RPO age of each protected VM and the jobs by outcome', async () => {
    const scrape = (token?: string) =>
      httpsCall(`${fx.server.url}/metrics`, { method: 'GET', thumbprint: fx.server.thumbprint, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await scrape('anything')).status).toBe(404);
    const token = 'b7f3c1e9a2d84f6b9c0e1a2b3c4d5e6f';
    await writeFile(join(fx.dataDir, 'metrics-token'), `${token}\n`, { mode: 0o600 });
    const refused = await scrape();
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
    expect((await scrape('not-the-token-at-all')).status).toBe(401);

    const ok = await backupNow(0);
    expect(ok['state']).withContext(JSON.stringify(ok['error'])).toBe('succeeded');
    const reply = await scrape(token);
    expect(reply.status).toBe(200);
    expect(String(reply.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheusText(reply.text);
    const one = (name: string, labels: Record<string, string>) => samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    expect(types.get('lifeline_vm_rpo_age_seconds')).toBe('gauge');
    const age0 = one('lifeline_vm_rpo_age_seconds', { vm: fx.moref(0), vcenter: fx.vc.instanceUuid });
    expect(age0.length).toBe(1);
    expect(age0[0]?.value).toBeGreaterThanOrEqual(0);
    expect(age0[0]?.value).toBeLessThan(3600);
    expect(one('lifeline_vm_rpo_age_seconds', { vm: fx.moref(1) }).length).toBe(1);
    expect(one('lifeline_vm_rpo_target_seconds', { vm: fx.moref(0) })[0]?.value).toBe(3600);
    expect(one('lifeline_vm_rpo_status', { vm: fx.moref(0), status: 'compliant' })[0]?.value).toBe(1);
    expect(one('lifeline_jobs_total', { kind: 'backup', outcome: 'succeeded' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(one('lifeline_job_duration_seconds_count', { kind: 'backup', outcome: 'succeeded' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(one('lifeline_store_points', {})[0]?.value).toBeGreaterThanOrEqual(1);
    expect(one('lifeline_store_dedup_ratio', {})[0]?.value).toBeGreaterThan(0);
    expect(one('lifeline_store_filesystem_free_bytes', {})[0]?.value).toBeGreaterThan(0);
    expect(reply.text).not.toContain(token);
  }, 180_000);
});
