/**
 * Moves the outbox's pending deliveries to their channels: a bounded number at once, each attempt
 * with a time limit, a failed one retried after an exponential backoff with jitter, and one that
 * failed `maxAttempts` times given up as `dead` (kept visible in the delivery log and counts).
 * Nothing is held only in memory: what was due when the server stopped is due again when it
 * starts. A delivery is marked delivered only after the receiver took it; were the process to die
 * in between, the receiver would get it again with the same event id (at-least-once, as every
 * webhook receiver is told to expect), never not at all.
 */
import type { Clock, Random } from '../domain/index.js';
import { describeError } from '../errors/index.js';
import { backoffDelay, type RetryPolicy } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { Channel, ChannelKind } from './channel.js';
import type { LifelineEvent } from './event.js';
import { deliveryKey, type DueDelivery, type SqliteEventsStore } from './events-store.js';
import type { OutboxWriter } from './outbox-writer.js';

/** Sends one event to one channel; resolves with a short note of the receiver's answer, rejects when it did not take it. */
export interface ChannelSender {
  send(event: LifelineEvent, channel: Channel, signal: AbortSignal): Promise<string>;
  /** Closes the connections it keeps between events. */
  close?(): void;
}

export interface SettledDelivery {
  eventId: string;
  seq: number;
  channelId: string;
  attempt: number;
  outcome: 'delivered' | 'retry' | 'dead';
  detail: string;
  /** From the event's recording to this outcome. */
  latencyMs: number;
}

export interface DispatcherOptions {
  store: SqliteEventsStore;
  /** Writes each attempt's outcome (group commit with the events recorded). */
  writer: OutboxWriter;
  senders: Partial<Record<ChannelKind, ChannelSender>>;
  clock: Clock;
  random: Random;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Attempts in flight at most. Default 16. */
  concurrency?: number;
  /** One attempt longer than this fails. Default 15 s. */
  attemptTimeoutMs?: number;
}

/** Eight attempts over about 40 minutes: a receiver restarted or briefly unreachable gets every event. */
export const DEFAULT_DELIVERY_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000 };

export class EventDispatcher {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lifetime = new AbortController();
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly attemptTimeoutMs: number;
  private readonly listeners = new Set<(s: SettledDelivery) => void>();
  private timer: { cancel(): void } | null = null;
  private started = false;
  private pumpQueued = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.retry = { ...DEFAULT_DELIVERY_RETRY, ...opts.retry };
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 15_000;
  }

  start(): void {
    if (this.started || this.lifetime.signal.aborted) return;
    this.started = true;
    this.wake();
  }

  /** Something was recorded: look for due deliveries soon (once per turn of the event loop, however many events came). */
  wake(): void {
    if (!this.started || this.pumpQueued || this.lifetime.signal.aborted) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Each attempt's outcome, e.g. for "send test" and the benchmark. */
  onSettled(fn: (s: SettledDelivery) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Ends attempts in flight (they stay pending, to be sent after the next start) and waits for them. */
  async stop(): Promise<void> {
    this.lifetime.abort();
    this.timer?.cancel();
    this.timer = null;
    await Promise.allSettled([...this.inFlight.values()]);
    for (const sender of Object.values(this.opts.senders)) sender?.close?.();
  }

  private pump(): void {
    if (this.lifetime.signal.aborted) return;
    try {
      const now = this.opts.clock.now();
      const free = this.concurrency - this.inFlight.size;
      if (free > 0) for (const d of this.opts.store.due(now, free, new Set(this.inFlight.keys()))) this.launch(d);
      this.arm(now);
    } catch (err) {
      // The database is closing or failing: try again later rather than stop for good.
      this.opts.log.error('event delivery round failed', { error: describeError(err) });
      this.timer?.cancel();
      this.timer = this.opts.clock.setTimer(5_000, () => this.pump());
    }
  }

  /** A timer for the next delivery due later; a full pipeline is woken by its own completions. */
  private arm(now: number): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.inFlight.size >= this.concurrency) return;
    const next = this.opts.store.nextDueAt();
    if (next === null) return;
    // Deliveries due now are all in flight; look again when the first later one is due.
    const laterDue = next > now ? next : this.opts.store.nextDueAfter(now);
    if (laterDue === null) return;
    this.timer = this.opts.clock.setTimer(laterDue - now, () => this.pump());
  }

  private launch(d: DueDelivery): void {
    const key = deliveryKey(d.event.seq, d.channelId);
    const run = this.attempt(d).finally(() => {
      this.inFlight.delete(key);
      this.wake();
    });
    this.inFlight.set(key, run);
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const started = this.opts.clock.now();
    const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.attemptTimeoutMs)]);
    let outcome: SettledDelivery['outcome'];
    let detail: string;
    try {
      const channel = this.opts.store.getChannel(d.channelId);
      const sender = this.opts.senders[channel.kind];
      if (!sender) throw new Error(`no sender for ${channel.kind} channels in this server`);
      detail = await sender.send(d.event, channel, signal);
      outcome = 'delivered';
    } catch (err) {
      // Stopping: the delivery stays pending as it was and is sent after the next start.
      if (this.lifetime.signal.aborted) return;
      detail = signal.aborted ? `no answer within ${this.attemptTimeoutMs} ms` : describeError(err);
      // A test is one attempt: its sender wants the answer now, not in half an hour.
      outcome = d.attempts + 1 >= this.retry.maxAttempts || d.event.type === 'lifeline.test' ? 'dead' : 'retry';
    }
    const now = this.opts.clock.now();
    try {
      // The delivery stays in flight until its outcome is on disk, so it is never picked twice.
      await this.opts.writer.settle({
        d,
        outcome: outcome === 'retry' ? { kind: 'retry', retryAt: now + backoffDelay(d.attempts + 2, this.retry, this.opts.random) } : { kind: outcome },
        detail,
        durationMs: now - started,
      });
    } catch (err) {
      if (this.lifetime.signal.aborted) return;
      this.opts.log.error('event delivery outcome not recorded', { eventId: d.event.id, channelId: d.channelId, error: describeError(err) });
      return;
    }
    if (outcome === 'dead') this.opts.log.warn('event not delivered after its last attempt', { eventId: d.event.id, type: d.event.type, channelId: d.channelId, attempts: d.attempts + 1, detail });
    const settled: SettledDelivery = {
      eventId: d.event.id,
      seq: d.event.seq,
      channelId: d.channelId,
      attempt: d.attempts + 1,
      outcome,
      detail,
      latencyMs: now - Date.parse(d.event.at),
    };
    for (const fn of [...this.listeners]) {
      try {
        fn(settled);
      } catch (err) {
        this.opts.log.error('event delivery listener failed', { error: describeError(err) });
      }
    }
  }
}
