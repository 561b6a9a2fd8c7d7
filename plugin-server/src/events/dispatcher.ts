/**
 * Moves the outbox's pending deliveries to their channels: a bounded number at once, each attempt
 * with a time limit, a failed one retried after an exponential backoff with jitter, and one that
 * failed `maxAttempts` times given up as `dead` (kept visible in the delivery log and counts).
 * Nothing is held only in memory: what was due when the server stopped is due again when it
 * starts. A delivery is marked delivered only after the receiver took it; were the process to die
 * in between, the receiver would get it again with the same event id (at-least-once, as every
 * webhook receiver is told to expect), never not at all.
 */
import { setMaxListeners } from 'node:events';
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
  /**
   * Sends several events to one channel in one exchange (one write of syslog frames, one mail),
   * where the protocol allows: resolves when the receiver took them all, rejects when it may not
   * have taken them all (each is then retried, as after a failed `send`). Without it, or for one
   * event, `send` is used.
   */
  sendBatch?(events: readonly LifelineEvent[], channel: Channel, signal: AbortSignal): Promise<string>;
  /** The most events one `sendBatch` carries. */
  maxBatch?: number;
  /**
   * Attempts in flight to one channel at most (default: the dispatcher's whole concurrency). A
   * batching channel's further deliveries wait meanwhile and go together in its next exchange; a
   * channel at its limit never keeps the other channels' deliveries waiting.
   */
  maxInFlight?: number;
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
  /** Of that, the attempt itself (the sender's work and the receiver's answer); the rest was waiting. */
  sendMs: number;
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
  /**
   * Attempts in flight at most. Default 256: an attempt is a request or a write waiting for its
   * answer, cheap to hold. Each channel may hold its share (this divided by the channels
   * configured) or its sender's `maxInFlight`, whichever is less, so a channel that does not
   * answer never holds the attempts the others need.
   */
  concurrency?: number;
  /** One attempt longer than this fails. Default 15 s. */
  attemptTimeoutMs?: number;
}

/** Due deliveries read from the outbox per free attempt: enough for batches of several channels to fill. */
const DUE_ROWS_PER_ATTEMPT = 8;

/** Due deliveries read from the outbox at least, when it is read. */
const DUE_ROWS_MIN = 256;

/** One channel's deliveries waiting in memory, oldest first, and its attempts in flight. */
interface Lane {
  items: DueDelivery[];
  /** The first entry of `items` not yet taken. */
  head: number;
  inFlight: number;
}

/** Fresh deliveries held in memory at most; beyond, they are read back from the outbox. */
const QUEUE_MAX = 20_000;

/** Eight attempts over about 40 minutes: a receiver restarted or briefly unreachable gets every event. */
export const DEFAULT_DELIVERY_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000 };

export class EventDispatcher {
  /** Attempts in flight, by their first delivery, until their outcomes are on disk (`stop` waits for them). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Attempts holding one of the `concurrency` places: from their start until the receiver
   * answered (or not). Writing the outcome to disk holds no place: a channel's next attempt
   * need not wait for the last one's outcome to be synced.
   */
  private sending = 0;
  /** Every delivery those attempts carry. */
  private readonly inFlightDeliveries = new Set<string>();
  private readonly lifetime = new AbortController();
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly attemptTimeoutMs: number;
  private readonly listeners = new Set<(s: SettledDelivery) => void>();
  private timer: { cancel(): void } | null = null;
  private started = false;
  private pumpQueued = false;
  /**
   * Deliveries waiting to be sent, in a lane per channel: those of events just committed (sent
   * from memory without reading the outbox again) and those read from the outbox. The outbox is
   * read (`scan`) at start, when a retry comes due, after `wake()`, and when the lanes overflowed
   * or a read left more behind; a delivery is never both waiting and read back (`queued`).
   */
  private readonly lanes = new Map<string, Lane>();
  /** Deliveries waiting in the lanes. */
  private waiting = 0;
  private readonly queued = new Set<string>();
  private scan = true;
  /** More was due than the last read of the outbox took. */
  private moreDue = false;
  private overflowed = false;
  /** The lane served first in the next round, so that no channel is always served last. */
  private turn = 0;

  constructor(private readonly opts: DispatcherOptions) {
    this.retry = { ...DEFAULT_DELIVERY_RETRY, ...opts.retry };
    this.concurrency = Math.max(1, opts.concurrency ?? 256);
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 15_000;
  }

  start(): void {
    if (this.started || this.lifetime.signal.aborted) return;
    this.started = true;
    this.wake();
  }

  /** Something was recorded outside the group commit: look in the outbox for due deliveries soon. */
  wake(): void {
    this.scan = true;
    this.soon();
  }

  /**
   * Deliveries of events just committed (and synced) by the outbox writer: due now, sent from
   * memory. Once the queue is full they are left to be read back from the outbox.
   */
  enqueue(deliveries: ReadonlyArray<{ event: LifelineEvent; channelId: string }>): void {
    for (const { event, channelId } of deliveries) {
      const key = deliveryKey(event.seq, channelId);
      // Already read back from the outbox (between the commit and its sync) and in flight.
      if (this.inFlightDeliveries.has(key) || this.queued.has(key)) continue;
      if (this.waiting >= QUEUE_MAX) {
        this.overflowed = true;
        continue;
      }
      this.laneOf(channelId).items.push({ event, channelId, attempts: 0 });
      this.queued.add(key);
      this.waiting++;
    }
    this.soon();
  }

  private laneOf(channelId: string): Lane {
    let lane = this.lanes.get(channelId);
    if (!lane) {
      lane = { items: [], head: 0, inFlight: 0 };
      this.lanes.set(channelId, lane);
    }
    return lane;
  }

  /** Look for work once per turn of the event loop, however many events came. */
  private soon(): void {
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
    this.lanes.clear();
    this.waiting = 0;
    this.queued.clear();
    await Promise.allSettled([...this.inFlight.values()]);
    for (const sender of Object.values(this.opts.senders)) sender?.close?.();
  }

  private pump(): void {
    if (this.lifetime.signal.aborted) return;
    try {
      const now = this.opts.clock.now();
      const free = this.concurrency - this.sending;
      if (free > 0) for (const batch of this.batches(now, free)) this.launch(batch);
    } catch (err) {
      // The database is closing or failing: try again later rather than stop for good.
      this.opts.log.error('event delivery round failed', { error: describeError(err) });
      this.timer?.cancel();
      this.timer = this.opts.clock.setTimer(5_000, () => this.wake());
    }
  }

  /**
   * Up to `free` attempts of the deliveries due now: those read from the outbox (when it is to be
   * read) before the fresh ones in memory, oldest first in each channel's lane, the lanes served
   * in turn. A channel whose sender takes batches gets its waiting deliveries together (up to its
   * `maxBatch`), any other one each alone; a channel with `maxInFlight` attempts in flight is
   * passed over (its deliveries wait for its next attempt) while the others go on.
   */
  private batches(now: number, free: number): DueDelivery[][] {
    if (this.waiting === 0 && this.overflowed) {
      // What did not fit in memory is in the outbox.
      this.overflowed = false;
      this.scan = true;
    }
    const limit = Math.max(DUE_ROWS_MIN, free * DUE_ROWS_PER_ATTEMPT);
    // A read that left more behind goes on once fewer than one read's worth wait: each read then
    // passes over (skips) no more rows than it takes, however long the backlog in the outbox.
    if (this.moreDue && this.waiting < limit) this.scan = true;
    if (this.scan) {
      this.scan = false;
      const skip = this.queued.size === 0 ? this.inFlightDeliveries : new Set([...this.inFlightDeliveries, ...this.queued]);
      const read = this.opts.store.due(now, limit, skip);
      this.moreDue = read.length >= limit;
      this.arm(now);
      // Read from the outbox: due before anything committed since, so ahead in their lanes.
      const byChannel = new Map<string, DueDelivery[]>();
      for (const d of read) {
        const list = byChannel.get(d.channelId) ?? [];
        byChannel.set(d.channelId, list);
        list.push(d);
        this.queued.add(deliveryKey(d.event.seq, d.channelId));
      }
      for (const [channelId, list] of byChannel) {
        const lane = this.laneOf(channelId);
        lane.items = [...list, ...lane.items.slice(lane.head)];
        lane.head = 0;
        this.waiting += list.length;
      }
    }
    const out: DueDelivery[][] = [];
    const lanes = [...this.lanes];
    if (lanes.length === 0) return out;
    this.turn = (this.turn + 1) % lanes.length;
    const order = [...lanes.slice(this.turn), ...lanes.slice(0, this.turn)];
    for (let took = true; took && out.length < free; ) {
      took = false;
      for (const [channelId, lane] of order) {
        if (out.length >= free) break;
        if (lane.head >= lane.items.length) continue;
        const { maxBatch, maxInFlight } = this.limitsOf(channelId);
        // Counted with the batches taken in this round, which are not launched yet.
        if (lane.inFlight >= maxInFlight) continue;
        const batch = lane.items.slice(lane.head, lane.head + maxBatch);
        lane.head += batch.length;
        lane.inFlight++;
        this.waiting -= batch.length;
        for (const d of batch) this.queued.delete(deliveryKey(d.event.seq, d.channelId));
        out.push(batch);
        took = true;
      }
    }
    for (const [channelId, lane] of lanes) {
      // Drop what was taken once it is all or a good part of the lane (not on every round: a copy costs).
      if (lane.head === lane.items.length) {
        if (lane.inFlight === 0) this.lanes.delete(channelId);
        else {
          lane.items = [];
          lane.head = 0;
        }
      } else if (lane.head > 4096) {
        lane.items = lane.items.slice(lane.head);
        lane.head = 0;
      }
    }
    return out;
  }

  /** How many deliveries one attempt to the channel carries at most, and how many attempts to it may be in flight. */
  private limitsOf(channelId: string): { maxBatch: number; maxInFlight: number } {
    const kind = this.channelKind(channelId);
    const sender = kind === null ? undefined : this.opts.senders[kind];
    const share = Math.floor(this.concurrency / Math.max(1, this.opts.store.listChannels().length));
    return {
      maxBatch: sender?.sendBatch ? Math.max(1, sender.maxBatch ?? 1) : 1,
      maxInFlight: Math.max(1, Math.min(sender?.maxInFlight ?? this.concurrency, share)),
    };
  }

  private channelKind(channelId: string): ChannelKind | null {
    try {
      return this.opts.store.getChannel(channelId).kind;
    } catch {
      return null;
    }
  }

  /** A timer for the next delivery due later (a retry); it has the outbox read again then. */
  private arm(now: number): void {
    this.timer?.cancel();
    this.timer = null;
    const next = this.opts.store.nextDueAt();
    if (next === null) return;
    // Deliveries due now are all in flight; look again when the first later one is due.
    const laterDue = next > now ? next : this.opts.store.nextDueAfter(now);
    if (laterDue === null) return;
    this.timer = this.opts.clock.setTimer(laterDue - now, () => this.wake());
  }

  /** Starts an attempt `batches` took (and counted in its channel's lane). */
  private launch(batch: DueDelivery[]): void {
    const keys = batch.map((d) => deliveryKey(d.event.seq, d.channelId));
    for (const k of keys) this.inFlightDeliveries.add(k);
    const attemptKey = keys[0] ?? '';
    const channelId = batch[0]?.channelId ?? '';
    this.sending++;
    let released = false;
    // Its place, in all and in its channel's lane, once the receiver answered; its deliveries
    // stay in flight (never picked again) until their outcomes are on disk.
    const release = () => {
      if (released) return;
      released = true;
      this.sending--;
      const lane = this.lanes.get(channelId);
      if (lane) {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.head === lane.items.length) this.lanes.delete(channelId);
      }
      this.soon();
    };
    const run = this.attempt(batch, release).finally(() => {
      release();
      this.inFlight.delete(attemptKey);
      for (const k of keys) this.inFlightDeliveries.delete(k);
      this.soon();
    });
    this.inFlight.set(attemptKey, run);
  }

  /**
   * The signal of an attempt starting now: aborted when the dispatcher stops or the attempt's time
   * is up. Attempts that start within the same second share one (a signal and its timer per
   * attempt cost more than a small attempt), so an attempt may run up to a second longer than
   * `attemptTimeoutMs`, never shorter.
   */
  private attemptSignal(): AbortSignal {
    const now = performance.now();
    if (this.sharedSignal === null || now - this.sharedSignal.at >= 1000) {
      const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.attemptTimeoutMs + 1000)]);
      // Many attempts listen to one shared signal (and every shared signal to the lifetime's): by
      // design, not a leak, so node's warning past 10 listeners is turned off for them.
      setMaxListeners(0, signal, this.lifetime.signal);
      this.sharedSignal = { at: now, signal };
    }
    return this.sharedSignal.signal;
  }

  private sharedSignal: { at: number; signal: AbortSignal } | null = null;

  /** One attempt: one event, or a batch of one channel's events that its receiver takes (or not) as a whole. */
  private async attempt(batch: DueDelivery[], answered: () => void): Promise<void> {
    const first = batch[0];
    if (!first) return;
    const started = this.opts.clock.now();
    const signal = this.attemptSignal();
    let delivered: boolean;
    let detail: string;
    try {
      const channel = this.opts.store.getChannel(first.channelId);
      const sender = this.opts.senders[channel.kind];
      if (!sender) throw new Error(`no sender for ${channel.kind} channels in this server`);
      detail = batch.length > 1 && sender.sendBatch ? await sender.sendBatch(batch.map((d) => d.event), channel, signal) : await sender.send(first.event, channel, signal);
      delivered = true;
    } catch (err) {
      // Stopping: the delivery stays pending as it was and is sent after the next start.
      if (this.lifetime.signal.aborted) return;
      detail = signal.aborted ? `no answer within ${this.attemptTimeoutMs} ms` : describeError(err);
      delivered = false;
    }
    answered();
    const now = this.opts.clock.now();
    const outcomes = batch.map((d): SettledDelivery['outcome'] =>
      // A test is one attempt: its sender wants the answer now, not in half an hour.
      delivered ? 'delivered' : d.attempts + 1 >= this.retry.maxAttempts || d.event.type === 'lifeline.test' ? 'dead' : 'retry',
    );
    try {
      // The deliveries stay in flight until their outcomes are on disk, so none is picked twice.
      await this.opts.writer.settleAll(
        batch.map((d, i) => ({
          d,
          outcome: outcomes[i] === 'retry' ? { kind: 'retry', retryAt: now + backoffDelay(d.attempts + 2, this.retry, this.opts.random) } : { kind: outcomes[i] === 'dead' ? 'dead' : 'delivered' },
          detail,
          durationMs: now - started,
        })),
      );
      // A retry is due later: the next round reads the outbox and arms the timer for it.
      if (outcomes.includes('retry')) this.scan = true;
    } catch (err) {
      if (this.lifetime.signal.aborted) return;
      this.opts.log.error('event delivery outcome not recorded', { eventId: first.event.id, channelId: first.channelId, events: batch.length, error: describeError(err) });
      return;
    }
    const listeners = [...this.listeners];
    batch.forEach((d, i) => {
      const outcome = outcomes[i] ?? 'retry';
      if (outcome === 'dead') this.opts.log.warn('event not delivered after its last attempt', { eventId: d.event.id, type: d.event.type, channelId: d.channelId, attempts: d.attempts + 1, detail });
      const settled: SettledDelivery = {
        eventId: d.event.id,
        seq: d.event.seq,
        channelId: d.channelId,
        attempt: d.attempts + 1,
        outcome,
        detail,
        latencyMs: now - Date.parse(d.event.at),
        sendMs: now - started,
      };
      for (const fn of listeners) {
        try {
          fn(settled);
        } catch (err) {
          this.opts.log.error('event delivery listener failed', { error: describeError(err) });
        }
      }
    });
  }
}
