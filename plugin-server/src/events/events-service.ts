/**
 * The events service as the server runs it: the outbox in the server's database, the dispatcher
 * with a sender per channel kind, and the producers subscribed to the job runner and the
 * protection scheduler. `createEventsService` is the one place these are put together.
 */
import { join } from 'node:path';
import type { Clock, Random, RandomBytes } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';
import type { Database, RetryPolicy, Unsubscribe } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { ChannelKind } from './channel.js';
import { startDailySummaries, type SummarySource } from './daily-summary.js';
import { EventDispatcher, type ChannelSender, type SettledDelivery } from './dispatcher.js';
import type { LifelineEvent, NewEvent } from './event.js';
import { SqliteEventsStore } from './events-store.js';
import { OutboxWriter } from './outbox-writer.js';
import { watchConditions, type ConditionSources } from './conditions.js';
import {
  eventOfExport,
  eventOfPairing,
  privilegeBursts,
  recordJobOutcomes,
  recordRpoChanges,
  type ExportOutcome,
  type JobEventSource,
  type PairingChange,
  type PrivilegeRefusal,
  type RpoChangeSource,
} from './producers.js';
import { EVENTS_KEY_FILE, fileSecretBox } from './secret-box.js';
import { emailSender } from './email.js';
import { syslogSender } from './syslog.js';
import { vcenterSender, type VcenterSenderOptions } from './vcenter-sender.js';
import { webhookSender, type WebhookSender } from './webhook.js';
import { exportLinksOf, type ExportLinkSources } from './export-links.js';
import { pointHookQueue, type PointHookRunner } from './point-hook.js';

export interface EventsServiceOptions {
  db: Database;
  /** Holds the key that seals channel secrets. */
  dataDir: string;
  clock: Clock;
  random: Random;
  randomBytes: RandomBytes;
  log: Logger;
  /** Names Lifeline to receivers (the HTTP User-Agent, the syslog APP-NAME's host). */
  version: string;
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  attemptTimeoutMs?: number;
  /** The outbox's group commit window (outbox-writer.ts). */
  commitWindowMs?: number;
  /** How much of the outbox and the delivery log is kept (EVENTS_RETENTION by default). */
  retention?: Partial<EventsRetention>;
  /** Where vCenter channels post; without it a vCenter channel's deliveries fail. */
  vcenters?: VcenterSenderOptions | null;
  /** What the daily summary mail reports; without it no summary is sent. */
  summary?: SummarySource | null;
  /** Issues the download links of new points for webhooks that ask for them; without it they get none. */
  exportLinks?: ExportLinkSources | null;
  /** The script run after each new point (point-hook.ts), or none. */
  pointHook?: PointHookRunner | null;
  /** Senders that replace or add to the built-in ones. */
  senders?: Partial<Record<ChannelKind, ChannelSender>>;
}

/** What the outbox and the delivery log keep; pruned once an hour (and at start). */
export interface EventsRetention {
  /** Finished events (every delivery delivered or dead) and log entries older than this go. */
  days: number;
  /** Finished events kept at most, the newest. */
  maxEvents: number;
  /** Delivery log entries kept at most, the newest. */
  maxLogEntries: number;
}

export const EVENTS_RETENTION: EventsRetention = { days: 30, maxEvents: 100_000, maxLogEntries: 200_000 };

const PRUNE_EVERY_MS = 3_600_000;

export interface SendTestResult {
  delivered: boolean;
  /** The receiver's answer or the error. */
  detail: string;
  eventId: string;
}

export class EventsService {
  readonly store: SqliteEventsStore;
  readonly dispatcher: EventDispatcher;
  /** The webhook channels' sender, whose requests go out from a thread of their own. */
  readonly webhooks: WebhookSender;
  /** Every write of the outbox, committed in groups. */
  readonly writer: OutboxWriter;
  private readonly subscriptions: Unsubscribe[] = [];
  private readonly lifetime = new AbortController();

  constructor(private readonly opts: EventsServiceOptions) {
    this.store = new SqliteEventsStore(opts.db, { clock: opts.clock, randomBytes: opts.randomBytes, secrets: fileSecretBox(join(opts.dataDir, EVENTS_KEY_FILE)) });
    this.writer = new OutboxWriter(this.store, opts.commitWindowMs);
    this.webhooks = webhookSender({
      clock: opts.clock,
      secretOf: (id) => this.store.channelSecret(id),
      userAgent: `Lifeline/${opts.version}`,
      log: opts.log,
      extraFor: (event, channel) => {
        const links = opts.exportLinks;
        const wants = channel.kind === 'webhook' && channel.settings.exportLinks;
        return Promise.resolve(links && wants ? exportLinksOf(event, `notification channel ${channel.name}`, links) : {});
      },
    });
    this.dispatcher = new EventDispatcher({
      store: this.store,
      writer: this.writer,
      senders: {
        webhook: this.webhooks,
        syslog: syslogSender({ clock: opts.clock }),
        email: emailSender(),
        ...(opts.vcenters ? { vcenter: vcenterSender(opts.vcenters) } : {}),
        ...opts.senders,
      },
      clock: opts.clock,
      random: opts.random,
      log: opts.log,
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(opts.attemptTimeoutMs ? { attemptTimeoutMs: opts.attemptTimeoutMs } : {}),
    });
    // Whatever a commit recorded is due now, sent from memory; a new point also runs the point hook.
    const pointHook = opts.pointHook ? pointHookQueue(opts.pointHook, opts.exportLinks ?? null, opts.log, this.lifetime.signal) : null;
    this.writer.onCommit((recorded) => {
      if (recorded.length > 0) this.dispatcher.enqueue(recorded.flatMap((event) => this.store.deliveriesOf(event).map((channelId) => ({ event, channelId }))));
      pointHook?.(recorded);
    });
  }

  /**
   * Records an event (once per `dedupeKey`) and has it delivered. Resolves once the event is on
   * disk (with others of the same moment: group commit), with null when its key was seen before.
   */
  record(e: NewEvent, dedupeKey?: string): Promise<LifelineEvent | null> {
    return this.writer.record(e, dedupeKey === undefined ? {} : { dedupeKey });
  }

  /** Events from conditions looked at every `intervalMs`: replication lag, store space (conditions.ts). */
  watch(sources: ConditionSources, intervalMs = 60_000): void {
    if (this.lifetime.signal.aborted) return;
    const stop = watchConditions({
      sources,
      intervalMs,
      clock: this.opts.clock,
      log: this.opts.log,
      signal: this.lifetime.signal,
      record: (e, o) => {
        this.writer.record(e, o).catch((err: unknown) => this.opts.log.error('event not recorded', { type: e.type, error: err instanceof Error ? err.message : String(err) }));
      },
    });
    this.subscriptions.push(stop);
  }

  /** Events from the job runner's outcomes and the scheduler's RPO changes, from now on. */
  listen(sources: { jobs?: JobEventSource; rpo?: RpoChangeSource }): void {
    const record = (e: NewEvent, key: string) => {
      this.record(e, key).catch((err: unknown) => {
        this.opts.log.error('event not recorded', { type: e.type, error: err instanceof Error ? err.message : String(err) });
      });
    };
    if (sources.jobs) this.subscriptions.push(recordJobOutcomes(sources.jobs, record));
    if (sources.rpo) this.subscriptions.push(recordRpoChanges(sources.rpo, record, (vm) => this.store.vmName(vm)));
  }

  /** Records an event, logging (not throwing) when it could not be: a fact's own work goes on. */
  private tell(e: NewEvent, dedupeKey?: string): void {
    if (this.lifetime.signal.aborted) return;
    this.record(e, dedupeKey).catch((err: unknown) => {
      this.opts.log.error('event not recorded', { type: e.type, error: err instanceof Error ? err.message : String(err) });
    });
  }

  /** A download of a point's disk ended: `export.succeeded` (a whole disk) or `export.failed`. */
  exportOutcome(o: ExportOutcome): void {
    const e = eventOfExport(o);
    if (e) this.tell(e);
  }

  /** A pairing was made, ended or refused. */
  pairingChange(c: PairingChange): void {
    this.tell(eventOfPairing(c));
  }

  private readonly refusals = privilegeBursts(() => this.opts.clock.now(), (e, key) => this.tell(e, key));

  /** A call refused for lack of a privilege: one `privilege.refused` per burst of one user and privilege. */
  privilegeRefused(r: PrivilegeRefusal): void {
    this.refusals(r);
  }

  /** Prunes the outbox and the delivery log to the retention; returns what went. */
  prune(): { events: number; logEntries: number } {
    const r = { ...EVENTS_RETENTION, ...this.opts.retention };
    const before = new Date(this.opts.clock.now() - r.days * 86_400_000).toISOString();
    return this.store.prune({ before, maxEvents: r.maxEvents, maxLogEntries: r.maxLogEntries });
  }

  private startPruning(): void {
    let timer: { cancel(): void } | null = null;
    const run = () => {
      if (this.lifetime.signal.aborted) return;
      let again = false;
      try {
        const gone = this.prune();
        if (gone.events + gone.logEntries > 0) this.opts.log.info('events pruned', gone);
        // A full batch: more is due; go on soon, in another short write.
        again = gone.events >= 5000 || gone.logEntries >= 5000;
      } catch (err) {
        this.opts.log.error('events not pruned', { error: err instanceof Error ? err.message : String(err) });
      }
      timer = this.opts.clock.setTimer(again ? 1000 : PRUNE_EVERY_MS, run);
    };
    run();
    this.subscriptions.push(() => timer?.cancel());
  }

  /**
   * The webhook thread kept in step with the webhook channels from the start: started, its pools
   * made, before the first event rather than under it; a channel removed or changed forgotten or
   * configured again at once.
   */
  private syncWebhooks(): void {
    if (this.lifetime.signal.aborted) return;
    const hooks = this.store.listChannels().flatMap((channel) => {
      if (channel.kind !== 'webhook') return [];
      const secret = this.store.channelSecret(channel.id);
      return secret === null ? [] : [{ channel, secret }];
    });
    this.webhooks.sync(hooks);
  }

  start(): void {
    this.dispatcher.start();
    try {
      this.syncWebhooks();
    } catch (err) {
      // The first request tries again.
      this.opts.log.error('webhook channels not prepared', { error: err instanceof Error ? err.message : String(err) });
    }
    const offChannels = this.store.onChannelsChanged(() => {
      try {
        this.syncWebhooks();
      } catch (err) {
        this.opts.log.error('webhook channels not prepared', { error: err instanceof Error ? err.message : String(err) });
      }
    });
    this.subscriptions.push(offChannels);
    this.startPruning();
    const facts = this.opts.summary;
    if (facts && !this.lifetime.signal.aborted) {
      const stop = startDailySummaries({
        store: this.store,
        clock: this.opts.clock,
        log: this.opts.log,
        facts,
        signal: this.lifetime.signal,
        record: (e, o) => {
          this.writer.record(e, o).catch((err: unknown) => this.opts.log.error('daily summary not recorded', { error: err instanceof Error ? err.message : String(err) }));
        },
      });
      this.subscriptions.push(stop);
    }
  }

  /** A `lifeline.test` event to one channel, one attempt; resolves with its outcome. */
  sendTest(channelId: string, signal: AbortSignal): Promise<SendTestResult> {
    const channel = this.store.getChannel(channelId);
    return new Promise<SendTestResult>((resolve, reject) => {
      let eventId = '';
      const off = this.dispatcher.onSettled((s) => {
        if (s.eventId !== eventId) return;
        done();
        resolve({ delivered: s.outcome === 'delivered', detail: s.detail, eventId });
      });
      const onAbort = () => {
        done();
        reject(new LifelineError('aborted', 'the test was abandoned before the channel answered'));
      };
      const done = () => {
        off();
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const event = this.store.record({ type: 'lifeline.test', message: `Test of notification channel ${channel.name}`, data: { channelId } }, { onlyChannel: channelId });
      eventId = event?.id ?? '';
      this.dispatcher.wake();
    });
  }

  onSettled(fn: (s: SettledDelivery) => void): () => void {
    return this.dispatcher.onSettled(fn);
  }

  async stop(): Promise<void> {
    this.lifetime.abort();
    for (const off of this.subscriptions.splice(0)) off();
    await this.dispatcher.stop();
    // What was handed to the writer goes to disk before the database closes.
    await this.writer.flush();
  }
}
