// E-mail to a real SMTP server on loopback (the smtp-server package): STARTTLS and TLS with a
// password read from a private file, the mail naming the VM and the error, a password file others
// can read refused, and the daily summary sent once at its hour.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, systemRandomBytes, type Clock } from '../domain/index.js';
import { createLogger } from '../log/index.js';
import { ManualClock } from '../jobs/testing.js';
import { EventsService } from './events-service.js';
import { validateChannelInput } from './channel.js';
import type { SummaryFacts } from './daily-summary.js';
import { mailText, startSmtpReceiver } from './testing.js';

describe('e-mail channel', () => {
  let dir: string;
  let db: Database.Database;
  let services: EventsService[];
  let passwordFile: string;
  const PASSWORD = 'smtp pass 1!';

  const service = (clock: Clock = systemClock, summary?: () => Promise<SummaryFacts>) => {
    const s = new EventsService({
      db,
      dataDir: dir,
      clock,
      random: () => 0.5,
      randomBytes: systemRandomBytes,
      log: createLogger({ level: 'debug', write: () => undefined }),
      version: '0.0.0-test',
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
      ...(summary ? { summary } : {}),
    });
    services.push(s);
    s.start();
    return s;
  };

  const emailChannel = (s: EventsService, port: number, caPem: string, security: 'tls' | 'starttls', extra: Record<string, unknown> = {}) =>
    s.store.createChannel(
      validateChannelInput({
        name: 'ops mail',
        kind: 'email',
        settings: { host: '127.0.0.1', port, security, user: 'lifeline', passwordFile, from: 'lifeline@example.com', to: ['ops@example.com'], caPem, ...extra },
      }),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-email-'));
    db = new Database(join(dir, 'lifeline.db'));
    db.pragma('foreign_keys = ON');
    services = [];
    passwordFile = join(dir, 'smtp.password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  });

  afterEach(async () => {
    for (const s of services) await s.stop();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const security of ['starttls', 'tls'] as const) {
    it(`mails a failed backup with the VM and the error over ${security.toUpperCase()}, logged in`, async () => {
      const smtp = await startSmtpReceiver(security, 'lifeline', PASSWORD);
      try {
        const s = service();
        const ch = emailChannel(s, smtp.port, smtp.caPem, security);
        void s.record({
          type: 'backup.failed',
          vm: { vcenterGuid: 'vc-1', moref: 'vm-42', name: 'db01' },
          jobId: 'job-7',
          message: 'Backup of db01 failed: the VM is busy',
          data: { error: { code: 'vsphere-fault', message: 'the VM is busy' } },
        });
        const [mail] = await smtp.waitFor(1);
        expect(mail?.secure).toBeTrue();
        expect(mail?.user).toBe('lifeline');
        expect(mail?.to).toEqual(['ops@example.com']);
        expect(mailText(mail?.raw ?? '')).toMatch(/Subject: \[Lifeline error\] Backup of db01 failed: the VM is busy/);
        expect(mailText(mail?.raw ?? '')).toContain('VM:       db01 (vm-42, vCenter vc-1)');
        expect(mailText(mail?.raw ?? '')).toContain('Error:    the VM is busy (vsphere-fault)');
        await waitUntil(() => s.store.counts(ch.id).delivered === 1);
      } finally {
        await smtp.close();
      }
    });
  }

  it('refuses to send with a password file other users can read, and says so in the delivery log', async () => {
    const smtp = await startSmtpReceiver('starttls', 'lifeline', PASSWORD);
    try {
      await chmod(passwordFile, 0o644);
      const s = service();
      const ch = emailChannel(s, smtp.port, smtp.caPem, 'starttls');
      void s.record({ type: 'backup.failed', message: 'Backup failed' });
      await waitUntil(() => s.store.counts(ch.id).dead === 1);
      expect(s.store.deliveryLog({ channelId: ch.id })[0]?.detail).toMatch(/0644.*chmod 600/);
      expect(smtp.mails).toEqual([]);
    } finally {
      await smtp.close();
    }
  });

  it('sends the daily summary once at its hour, with compliance, failures and capacity', async () => {
    const smtp = await startSmtpReceiver('starttls', 'lifeline', PASSWORD);
    try {
      const clock = new ManualClock(Date.parse('2026-03-02T07:58:30Z'));
      const facts: SummaryFacts = {
        compliance: [
          { vm: 'vm-1', status: 'compliant', ageSeconds: 600 },
          { vm: 'vm-2', status: 'violated', ageSeconds: 7200 },
        ],
        capacity: { totalBytes: 100 * 1024 ** 3, freeBytes: 40 * 1024 ** 3, storedBytes: 55 * 1024 ** 3 },
      };
      const s = service(clock, () => Promise.resolve(facts));
      emailChannel(s, smtp.port, smtp.caPem, 'starttls', { dailySummaryAt: '08:00' });
      void s.record({ type: 'backup.failed', vm: { vcenterGuid: 'vc-1', moref: 'vm-2' }, message: 'Backup of vm-2 failed: busy' });
      await smtp.waitFor(1);
      expect(smtp.mails.length).toBe(1);
      await clock.advanceTo(Date.parse('2026-03-02T08:00:30Z'));
      const mails = await smtp.waitFor(2);
      // Long header lines are folded (RFC 5322); read them unfolded.
      const summary = mailText(mails[1]?.raw ?? '');
      expect(summary).toContain('Subject: [Lifeline] Daily summary 2026-03-02: 1 VM(s) out of RPO, 1 failure(s)');
      expect(summary).toContain('RPO compliance: 1 compliant, 0 at risk, 1 violated, of 2 protected VMs');
      expect(summary).toMatch(/violated\s+vm-2\s+last good point 120 min ago/);
      expect(summary).toContain('backup.failed  Backup of vm-2 failed: busy');
      expect(summary).toContain('Store: 55.0 GiB stored; file system 40.0 GiB free of 100.0 GiB');
      // Later the same day, and after a restart, no second summary.
      await clock.advanceTo(Date.parse('2026-03-02T12:00:00Z'));
      await services[0]?.stop();
      service(clock, () => Promise.resolve(facts));
      await clock.advance(120_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.mails.length).toBe(2);
    } finally {
      await smtp.close();
    }
  });

  it('refuses a bad e-mail configuration, naming the field', () => {
    const field = (settings: Record<string, unknown>) => {
      try {
        validateChannelInput({ name: 'm', kind: 'email', settings: { host: '127.0.0.1', port: 587, security: 'starttls', from: 'a@b.c', to: ['d@e.f'], ...settings } });
        return null;
      } catch (err) {
        return (err as { details: { field?: string } }).details.field ?? null;
      }
    };
    expect(field({})).toBeNull();
    expect(field({ to: ['not an address'] })).toBe('settings.to[0]');
    expect(field({ user: 'u' })).toBe('settings.passwordFile');
    expect(field({ user: 'u', passwordFile: 'relative/file' })).toBe('settings.passwordFile');
    expect(field({ user: 'u', passwordFile: '/etc/p', security: 'none' })).toBe('settings.security');
    expect(field({ dailySummaryAt: '25:00' })).toBe('settings.dailySummaryAt');
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
