// The outbox and its channels against real receivers on loopback: a signed webhook that the
// standardwebhooks package verifies, retries with backoff until a receiver comes back, a delivery
// that outlives the process that recorded it, dead letters after the last attempt, filters, and
// RFC 5424 syslog over UDP, TCP and TLS.
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { threadId } from 'node:worker_threads';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, systemRandomBytes } from '../domain/index.js';
import { createLogger } from '../log/index.js';
import { EventsService, type EventsServiceOptions } from './events-service.js';
import { validateChannelInput } from './channel.js';
import type { RpoTransition } from './producers.js';
import { startSyslogReceiver, startWebhookReceiver, webhookSecret, type WebhookReceiver } from './testing.js';

describe('events out', () => {
  let dir: string;
  let db: Database.Database;
  let open: EventsService[];
  const lines: string[] = [];

  const service = (extra: Partial<EventsServiceOptions> = {}): EventsService => {
    const s = new EventsService({
      db,
      dataDir: dir,
      clock: systemClock,
      random: () => 0.5,
      randomBytes: systemRandomBytes,
      log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      version: '0.0.0-test',
      retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
      ...extra,
    });
    open.push(s);
    s.start();
    return s;
  };

  const webhookChannel = (s: EventsService, r: WebhookReceiver, secret: string, filter?: unknown) =>
    s.store.createChannel(validateChannelInput({ name: 'siem hook', kind: 'webhook', settings: { url: r.url, caPem: r.caPem }, secret, ...(filter ? { filter } : {}) }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-events-'));
    db = new Database(join(dir, 'lifeline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    open = [];
    lines.length = 0;
  });

  afterEach(async () => {
    for (const s of open) await s.stop();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers an event as a webhook whose Standard Webhooks signature verifies, once, and logs the attempt', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      const s = service();
      const ch = webhookChannel(s, receiver, secret);
      const vm = { vcenterGuid: 'vc-1', moref: 'vm-42', name: 'db01' };
      const event = await s.record({ type: 'backup.failed', vm, jobId: 'job-1', message: 'Backup of db01 failed: the VM is busy', data: { error: { code: 'vsphere-fault', message: 'the VM is busy' } } }, 'job:job-1:backup.failed');
      const [got] = await receiver.waitFor(1);
      expect(got?.id).toBe(event?.id ?? 'none');
      expect(got?.payload.type).toBe('backup.failed');
      expect(got?.payload.data).toEqual(jasmine.objectContaining({ severity: 'error', vm, jobId: 'job-1', message: 'Backup of db01 failed: the VM is busy' }));
      // The same fact again is not a second event.
      expect(await s.record({ type: 'backup.failed', vm, message: 'again' }, 'job:job-1:backup.failed')).toBeNull();
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received.length).toBe(1);
      expect(receiver.refused).toEqual([]);
      expect(s.store.counts(ch.id)).toEqual({ pending: 0, delivered: 1, dead: 0 });
      expect(s.store.deliveryLog({ channelId: ch.id })).toEqual([jasmine.objectContaining({ eventId: event?.id, outcome: 'delivered', detail: 'HTTP 204', attempt: 1 })]);
      // The channel shows that it has a secret, never the secret; the database holds it sealed.
      expect(JSON.stringify(s.store.listChannels())).not.toContain(secret);
      expect(s.store.getChannel(ch.id).secretSet).toBeTrue();
      db.pragma('wal_checkpoint(TRUNCATE)');
      expect((await readFile(join(dir, 'lifeline.db'))).includes(Buffer.from(secret))).toBeFalse();
      expect(lines.join('\n')).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });

  it('keeps delivering to the other channels while a webhook receiver takes requests and does not answer', async () => {
    const secret = webhookSecret();
    const hook = await startWebhookReceiver(secret);
    const siem = await startSyslogReceiver('tcp');
    try {
      hook.holdAnswers = true;
      const s = service({ concurrency: 8 });
      const ch = webhookChannel(s, hook, secret);
      s.store.createChannel(validateChannelInput({ name: 'siem', kind: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: siem.port } }));
      // More events than attempts may be in flight at once, all of them due before any answer.
      const n = 30;
      await Promise.all(Array.from({ length: n }, (_, i) => s.record({ type: 'backup.succeeded', message: `Backup ${i} succeeded` })));
      // Every one reaches syslog while the webhook's requests hang.
      await siem.waitFor(n);
      expect(siem.messages.length).toBe(n);
      expect(hook.received.length).toBe(0);
      hook.holdAnswers = false;
      hook.answerHeld();
      await hook.waitFor(n);
      await expectAsync(waitUntil(() => s.store.counts(ch.id).delivered === n)).toBeResolved();
      expect(new Set(hook.received.map((w) => w.id)).size).toBe(n);
    } finally {
      hook.answerHeld();
      await Promise.all([hook.close(), siem.close()]);
    }
  });

  it('sends webhooks from a thread of their own, and when that thread ends retries its requests and delivers each once', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      receiver.holdAnswers = true;
      const s = service();
      const ch = webhookChannel(s, receiver, secret);
      const n = 5;
      const events = await Promise.all(Array.from({ length: n }, (_, i) => s.record({ type: 'backup.failed', message: `Backup ${i} failed` })));
      // Every request is at the receiver, unanswered, when the thread that sent them ends.
      await waitUntil(() => receiver.held === n);
      const thread = s.webhooks.thread;
      expect(thread).not.toBeNull();
      expect(thread?.threadId).not.toBe(threadId);
      await thread?.terminate();
      receiver.holdAnswers = false;
      // Its attempts failed and were retried by another thread, each event once.
      await receiver.waitFor(n);
      await waitUntil(() => s.store.counts(ch.id).delivered === n);
      expect(s.webhooks.thread?.threadId).not.toBe(thread?.threadId);
      await new Promise((r) => setTimeout(r, 150));
      expect(receiver.received.map((w) => w.id).sort()).toEqual(events.map((e) => e?.id ?? '').sort());
      expect(receiver.refused).toEqual([]);
      const log = s.store.deliveryLog({ channelId: ch.id });
      expect(log.filter((e) => e.outcome === 'retry').map((e) => e.detail)).toEqual(Array.from({ length: n }, () => jasmine.stringMatching(/webhook thread ended/)));
      expect(log.filter((e) => e.outcome === 'delivered').length).toBe(n);
    } finally {
      receiver.answerHeld();
      await receiver.close();
    }
  });

  it('sends a backlog longer than one read of the outbox after a start, each delivery once', async () => {
    const siem = await startSyslogReceiver('tcp');
    try {
      // Recorded by a server that stopped before sending any (as after a crash).
      const before = new EventsService({ db, dataDir: dir, clock: systemClock, random: () => 0.5, randomBytes: systemRandomBytes, log: createLogger({ level: 'warn', write: (l) => lines.push(l) }), version: '0.0.0-test' });
      const ch = before.store.createChannel(validateChannelInput({ name: 'siem', kind: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: siem.port } }));
      const n = 700;
      before.store.recordMany(Array.from({ length: n }, (_, i) => ({ event: { type: 'backup.succeeded' as const, message: `Backup ${i} succeeded` } })));
      const s = service();
      await siem.waitFor(n);
      await waitUntil(() => s.store.counts(ch.id).delivered === n);
      const ids = siem.messages.map((m) => /id="(evt_[0-9a-f]+)"/.exec(m)?.[1]);
      expect(new Set(ids).size).toBe(n);
      expect(siem.messages.length).toBe(n);
      expect(s.store.counts(ch.id)).toEqual({ pending: 0, delivered: n, dead: 0 });
    } finally {
      await siem.close();
    }
  });

  it('retries with backoff while the receiver fails and delivers exactly once when it answers', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      receiver.failWith = 503;
      const s = service({ retry: { maxAttempts: 8, baseDelayMs: 30, maxDelayMs: 100 } });
      const ch = webhookChannel(s, receiver, secret);
      void s.record({ type: 'rpo.violated', vm: { vcenterGuid: 'vc-1', moref: 'vm-7' }, message: 'vm-7 is out of its RPO' });
      await waitUntil(() => s.store.deliveryLog({ channelId: ch.id }).length >= 2);
      receiver.failWith = null;
      await receiver.waitFor(1);
      await waitUntil(() => s.store.counts(ch.id).delivered === 1);
      const log = s.store.deliveryLog({ channelId: ch.id });
      expect(log[0]).toEqual(jasmine.objectContaining({ outcome: 'delivered' }));
      expect(log.slice(1).every((e) => e.outcome === 'retry' && e.detail === 'HTTP 503')).toBeTrue();
      await new Promise((r) => setTimeout(r, 150));
      expect(receiver.received.length).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('writes events recorded together in one commit, and resolves each only once another connection can read it', async () => {
    const s = service();
    const before = s.writer.stats.commits;
    const recorded = await Promise.all(Array.from({ length: 50 }, (_, i) => s.record({ type: 'backup.succeeded', message: `backup ${i}` }, `job:${i}:backup.succeeded`)));
    // One disk sync for the fifty, not fifty.
    expect(s.writer.stats.commits - before).toBe(1);
    // Synced by the writer itself (the database is in WAL mode), off the event loop.
    expect(s.writer.stats.syncs).toBeGreaterThan(0);
    expect(recorded.every((e) => e !== null)).toBeTrue();
    const reader = new Database(join(dir, 'lifeline.db'), { readonly: true });
    try {
      expect((reader.prepare('SELECT COUNT(*) AS n FROM events_outbox').get() as { n: number }).n).toBe(50);
    } finally {
      reader.close();
    }
    // A key seen before, in the same commit or an earlier one, records nothing.
    const again = await Promise.all([s.record({ type: 'backup.succeeded', message: 'again' }, 'job:7:backup.succeeded'), s.record({ type: 'backup.failed', message: 'new' }, 'k'), s.record({ type: 'backup.failed', message: 'twice' }, 'k')]);
    expect(again.map((e) => e?.message ?? null)).toEqual([null, 'new', null]);
  });

  it('prunes finished events and log entries past the retention, never an event still to be delivered', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      const s = service({ retention: { days: 30, maxEvents: 3, maxLogEntries: 4 } });
      const ch = webhookChannel(s, receiver, secret);
      const old = await s.record({ type: 'backup.failed', message: 'old and told' }, 'old');
      await waitUntil(() => s.store.counts(ch.id).delivered === 1);
      await receiver.close();
      const waiting = await s.record({ type: 'backup.failed', message: 'old, not yet told' });
      await waitUntil(() => s.store.deliveryLog({ channelId: ch.id }).length === 2);
      // Both forty days old.
      db.prepare("UPDATE events_outbox SET at = '2000-01-01T00:00:00.000Z'").run();
      db.prepare("UPDATE events_delivery_log SET at = '2000-01-01T00:00:00.000Z'").run();
      const gone = s.prune();
      expect(gone).toEqual({ events: 1, logEntries: 2 });
      const left = s.store.recentEvents().map((e) => e.id);
      expect(left).toEqual([waiting?.id ?? '']);
      expect(left).not.toContain(old?.id ?? '');
      expect(s.store.counts(ch.id)).toEqual({ pending: 1, delivered: 0, dead: 0 });
      // The same fact, its record gone, may be told again.
      expect(await s.record({ type: 'backup.failed', message: 'again' }, 'old')).not.toBeNull();
      // Beyond the most kept, the oldest finished events go, whatever their age.
      db.prepare("UPDATE events_deliveries SET state = 'dead'").run();
      for (let i = 0; i < 4; i++) await s.record({ type: 'rpo.violated', message: `late ${i}` });
      db.prepare("UPDATE events_deliveries SET state = 'delivered'").run();
      s.prune();
      expect(s.store.recentEvents().map((e) => e.message)).toEqual(['late 3', 'late 2', 'late 1']);
    } finally {
      await receiver.close();
    }
  });

  it('keeps an undelivered event across a restart and delivers it once afterwards', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      await receiver.close();
      const first = service({ retry: { maxAttempts: 8, baseDelayMs: 10_000, maxDelayMs: 10_000 } });
      const ch = webhookChannel(first, receiver, secret);
      const event = await first.record({ type: 'verify.damage', message: 'Verification found damage in 1 restore point(s)', data: { damagedPoints: ['p-1'] } });
      await waitUntil(() => first.store.deliveryLog({ channelId: ch.id }).length === 1);
      expect(first.store.deliveryLog({ channelId: ch.id })[0]?.detail).toMatch(/ECONNREFUSED/);
      await first.stop();
      await receiver.start();
      // The next process finds the delivery pending, due after its backoff; make it due now.
      db.prepare('UPDATE events_deliveries SET next_attempt_at = 0').run();
      const second = service();
      await receiver.waitFor(1);
      await waitUntil(() => second.store.counts(ch.id).delivered === 1);
      await new Promise((r) => setTimeout(r, 150));
      expect(receiver.received.map((r) => r.id)).toEqual([event?.id ?? '']);
    } finally {
      await receiver.close();
    }
  });

  it('gives a delivery up as dead after its last attempt, visibly', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      receiver.failWith = 500;
      const s = service({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
      const ch = webhookChannel(s, receiver, secret);
      void s.record({ type: 'maintenance.failed', message: 'Repository maintenance failed' });
      await waitUntil(() => s.store.counts(ch.id).dead === 1);
      expect(s.store.deliveryLog({ channelId: ch.id }).map((e) => e.outcome)).toEqual(['dead', 'retry', 'retry']);
      // Logged once the outcome is on disk.
      await waitUntil(() => lines.some((l) => l.includes('event not delivered after its last attempt')));
    } finally {
      await receiver.close();
    }
  });

  it('sends a channel only the events its filter takes', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      const s = service();
      webhookChannel(s, receiver, secret, { types: ['backup.*'], minSeverity: 'warning' });
      void s.record({ type: 'backup.succeeded', message: 'ok' });
      void s.record({ type: 'rpo.violated', message: 'late' });
      void s.record({ type: 'backup.failed', message: 'failed' });
      await receiver.waitFor(1);
      await new Promise((r) => setTimeout(r, 150));
      expect(receiver.received.map((r) => r.payload.type)).toEqual(['backup.failed']);
    } finally {
      await receiver.close();
    }
  });

  it('answers a send test with the receiver\'s answer, or the error', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      const s = service();
      const ch = webhookChannel(s, receiver, secret, { types: ['verify.damage'] });
      expect(await s.sendTest(ch.id, new AbortController().signal)).toEqual(jasmine.objectContaining({ delivered: true, detail: 'HTTP 204' }));
      expect(receiver.received.map((r) => r.payload.type)).toEqual(['lifeline.test']);
      await receiver.close();
      const failed = await s.sendTest(ch.id, new AbortController().signal);
      expect(failed.delivered).toBeFalse();
      // Refused, or reset when a kept-alive connection the receiver dropped is tried first.
      expect(failed.detail).toMatch(/ECONNREFUSED|socket hang up|ECONNRESET/);
    } finally {
      await receiver.close();
    }
  });

  it("reads a VM's events off the index on its moref, and names the VM in RPO events by the name its backups recorded", async () => {
    const s = service();
    const vm = { vcenterGuid: 'VC-1', moref: 'vm-7' };
    expect(s.store.vmEventsPlan().join(' ')).toContain('USING INDEX events_outbox_vm');
    for (let i = 0; i < 20; i++) void s.record({ type: 'backup.succeeded', vm: { vcenterGuid: 'vc-1', moref: `vm-${100 + i}`, name: `other-${i}` }, message: `other ${i}` });
    await s.record({ type: 'backup.succeeded', vm: { ...vm, name: 'payroll-db' }, message: 'Backup of payroll-db succeeded' });
    let listener: ((c: RpoTransition) => void) | null = null;
    s.listen({ rpo: { onRpoChange: (fn) => ((listener = fn), () => (listener = null)) } });
    const change = (moref: string, to: RpoTransition['to']): void =>
      listener?.({ vm: { vcenterGuid: 'vc-1', moref }, policyId: 'p', from: 'compliant', to, at: new Date().toISOString(), compliance: { ageSeconds: 7200, lastGoodPointAt: null } });
    change('vm-7', 'violated');
    change('vm-999', 'violated');
    await s.writer.flush();
    const [violated] = s.store.vmEvents({ vcenterGuid: 'vc-1', moref: 'vm-7' }, 1);
    expect(violated?.type).toBe('rpo.violated');
    expect(violated?.message).toBe('payroll-db (vm-7) is out of its RPO');
    expect(violated?.vm).toEqual({ vcenterGuid: 'vc-1', moref: 'vm-7', name: 'payroll-db' });
    // A VM no event ever named keeps its moref.
    expect(s.store.vmEvents({ vcenterGuid: 'vc-1', moref: 'vm-999' }, 1)[0]?.message).toBe('vm-999 is out of its RPO');
    expect(s.store.vmEvents({ vcenterGuid: 'vc-1', moref: 'vm-7' }).map((e) => e.type)).toEqual(['rpo.violated', 'backup.succeeded']);
  });

  it('refuses a bad channel configuration, naming the field', () => {
    const bad = (v: unknown) => {
      try {
        validateChannelInput(v);
        return null;
      } catch (err) {
        return (err as { details: { field?: string } }).details.field ?? null;
      }
    };
    const secret = webhookSecret();
    expect(bad({ name: 'h', kind: 'webhook', settings: { url: 'http://127.0.0.1/x' }, secret })).toBe('settings.url');
    expect(bad({ name: 'h', kind: 'webhook', settings: { url: 'https://127.0.0.1/x' } })).toBe('secret');
    expect(bad({ name: 'h', kind: 'webhook', settings: { url: 'https://127.0.0.1/x' }, secret: 'hunter2' })).toBe('secret');
    expect(bad({ name: 'h', kind: 'webhook', settings: { url: 'https://127.0.0.1/x' }, secret, filter: { types: ['backup.exploded'] } })).toBe('filter.types[0]');
    expect(bad({ name: 'h', kind: 'syslog', settings: { transport: 'tcp', host: '127.0.0.1', port: 70000 } })).toBe('settings.port');
    expect(bad({ name: 'h', kind: 'pager', settings: {} })).toBe('kind');
    expect(bad({ name: 'h', kind: 'syslog', settings: { transport: 'udp', host: '127.0.0.1', port: 514 }, colour: 'red' })).toBe('colour');
  });

  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    it(`writes RFC 5424 syslog messages over ${transport.toUpperCase()}`, async () => {
      const receiver = await startSyslogReceiver(transport);
      try {
        const s = service();
        s.store.createChannel(validateChannelInput({ name: 'siem', kind: 'syslog', settings: { transport, host: '127.0.0.1', port: receiver.port, ...(receiver.caPem ? { caPem: receiver.caPem } : {}) } }));
        const e1 = await s.record({ type: 'backup.failed', vm: { vcenterGuid: 'vc-1', moref: 'vm-9', name: 'web "01"' }, jobId: 'job-9', message: 'Backup of web "01" failed: busy' });
        void s.record({ type: 'backup.succeeded', message: 'Backup of web succeeded' });
        const msgs = await receiver.waitFor(2);
        const failed = msgs.find((m) => m.includes('backup.failed')) ?? '';
        // local0 (16) * 8 + error (3) = 131; version 1; APP-NAME lifeline; MSGID the type.
        expect(failed).toMatch(new RegExp(`^<131>1 \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\S+ lifeline \\d+ backup\\.failed \\[lifeline@32473 id="${e1?.id ?? ''}" type="backup\\.failed" severity="error" vcenter="vc-1" vm="vm-9" vmName="web \\\\"01\\\\"" job="job-9"\\] \\uFEFFBackup of web "01" failed: busy$`));
        expect(msgs.find((m) => m.includes('backup.succeeded'))).toMatch(/^<134>1 /);
      } finally {
        await receiver.close();
      }
    });
  }
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
