// The webhook thread's life against a real HTTPS receiver on loopback: a thread that keeps ending is
// started again only after a growing wait and each end is logged (without the secret), and a
// channel removed or changed takes its connections (and its secret) out of the thread at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, systemRandomBytes } from '../domain/index.js';
import { createLogger } from '../log/index.js';
import { validateChannelInput, type Channel } from './channel.js';
import type { LifelineEvent } from './event.js';
import { EventsService } from './events-service.js';
import { startWebhookReceiver, webhookSecret } from './testing.js';
import { WEBHOOK_THREAD_BACKOFF_MS, webhookSender } from './webhook.js';

describe('webhook thread', () => {
  it('is started again at once after one end, then only after a wait that doubles, and each end is logged without the secret', async () => {
    const secret = webhookSecret();
    const receiver = await startWebhookReceiver(secret);
    let now = Date.now();
    const lines: string[] = [];
    const sender = webhookSender({
      clock: { now: () => now },
      secretOf: () => secret,
      userAgent: 'Lifeline/test',
      log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    });
    const channel = { id: 'ch_1', name: 'hook', kind: 'webhook', settings: { url: receiver.url, caPem: receiver.caPem } } as Channel;
    let n = 0;
    const event = (): LifelineEvent => ({ id: `evt_${++n}`, seq: n, type: 'backup.failed', severity: 'error', at: new Date(now).toISOString(), message: 'm', vm: null, site: null, jobId: null, pointId: null, data: {} });
    const signal = new AbortController().signal;
    // A request the thread takes, and the thread ending before it answers.
    const endsUnanswered = async () => {
      const held = receiver.held;
      const sent = sender.send(event(), channel, signal);
      await waitUntil(() => receiver.held === held + 1);
      await sender.thread?.terminate();
      await expectAsync(sent).toBeRejectedWithError(/webhook thread ended/);
    };
    const warnings = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['level'] === 'warn');
    try {
      expect(await sender.send(event(), channel, signal)).toBe('HTTP 204');
      receiver.holdAnswers = true;
      // It had answered: the next request starts another thread at once.
      await endsUnanswered();
      expect(warnings().length).toBe(1);
      expect(warnings()[0]).toEqual(jasmine.objectContaining({ msg: jasmine.stringMatching(/webhook thread ended/), restartInMs: 0 }));
      await endsUnanswered();
      // Ended twice in a row without answering: a wait before the next start, requests failed meanwhile.
      expect(warnings()[1]).toEqual(jasmine.objectContaining({ restartInMs: WEBHOOK_THREAD_BACKOFF_MS }));
      await expectAsync(sender.send(event(), channel, signal)).toBeRejectedWithError(/starts again in 1 s/);
      expect(sender.thread).toBeNull();
      now += WEBHOOK_THREAD_BACKOFF_MS;
      await endsUnanswered();
      expect(warnings()[2]).toEqual(jasmine.objectContaining({ restartInMs: 2 * WEBHOOK_THREAD_BACKOFF_MS }));
      now += WEBHOOK_THREAD_BACKOFF_MS;
      await expectAsync(sender.send(event(), channel, signal)).toBeRejectedWithError(/starts again in 1 s/);
      now += WEBHOOK_THREAD_BACKOFF_MS;
      receiver.holdAnswers = false;
      receiver.answerHeld();
      expect(await sender.send(event(), channel, signal)).toBe('HTTP 204');
      expect(warnings().length).toBe(3);
      expect(lines.join('\n')).not.toContain(secret.replace(/^whsec_/, ''));
    } finally {
      sender.close();
      receiver.answerHeld();
      await receiver.close();
    }
  });

  describe('with the events service', () => {
    let dir: string;
    let db: Database.Database;
    let service: EventsService | null = null;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lifeline-webhook-'));
      db = new Database(join(dir, 'lifeline.db'));
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    });

    afterEach(async () => {
      await service?.stop();
      service = null;
      db.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("closes a channel's connections when it is removed or its receiver changes, and keeps no thread without a webhook channel", async () => {
      const secret = webhookSecret();
      const [a, b] = await Promise.all([startWebhookReceiver(secret), startWebhookReceiver(secret)]);
      try {
        const s = new EventsService({ db, dataDir: dir, clock: systemClock, random: () => 0.5, randomBytes: systemRandomBytes, log: createLogger({ level: 'warn', write: () => undefined }), version: '0.0.0-test' });
        service = s;
        s.start();
        expect(s.webhooks.thread).toBeNull();
        const input = (url: string, caPem: string) => validateChannelInput({ name: 'hook', kind: 'webhook', settings: { url, caPem }, secret });
        const ch = s.store.createChannel(input(a.url, a.caPem));
        // Ready before the first event.
        expect(s.webhooks.thread).not.toBeNull();
        await Promise.all(Array.from({ length: 3 }, (_, i) => s.record({ type: 'backup.failed', message: `Backup ${i} failed` })));
        await a.waitFor(3);
        expect(a.connections).toBeGreaterThan(0);
        // Its receiver changed: the old one's connections close at once, not at the next event.
        s.store.replaceChannel(ch.id, input(b.url, b.caPem));
        await waitUntil(() => a.connections === 0);
        await s.record({ type: 'backup.failed', message: 'Backup 3 failed' });
        await b.waitFor(1);
        expect(b.connections).toBeGreaterThan(0);
        const other = s.store.createChannel(input(a.url, a.caPem));
        await s.record({ type: 'backup.failed', message: 'Backup 4 failed' });
        await Promise.all([a.waitFor(4), b.waitFor(2)]);
        // Removed: its connections close, the other channel's stay.
        s.store.deleteChannel(ch.id);
        await waitUntil(() => b.connections === 0);
        expect(a.connections).toBeGreaterThan(0);
        s.store.deleteChannel(other.id);
        await waitUntil(() => a.connections === 0);
        expect(s.webhooks.thread).toBeNull();
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
