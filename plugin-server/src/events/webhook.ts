/**
 * Webhooks: an event as an HTTPS POST of JSON, signed per the Standard Webhooks specification
 * (standardwebhooks.com, "Signature scheme"): headers `webhook-id` (the event's id, the same on
 * every retry so a receiver can drop a repeat), `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>` under the
 * secret's bytes (the base64 after `whsec_`). The body follows the specification's recommended
 * shape `{type, timestamp, data}`. Any 2xx answer is a delivery; anything else is retried.
 *
 * Requests go out from a thread of their own (webhook-thread.ts), which builds the body, signs it
 * and POSTs it through undici's pool of kept-alive connections (HTTP/1.1, one request at a time on
 * each): a busy outbox sends one request per event, and the request's TLS, HTTP and signature
 * would otherwise cost the main thread more than every other channel of the event together. The
 * outbox, the retries and the delivery log stay with the dispatcher on the main thread; the thread
 * only answers each request with the receiver's status or the error. Should the thread end, the
 * requests it had are failed attempts (retried as any other) and the next request starts another.
 */
import { createHmac } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { TimeSource } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { LifelineEvent } from './event.js';
import type { Channel, WebhookSettings } from './channel.js';
import type { ChannelSender } from './dispatcher.js';

/** The JSON a webhook receiver gets. */
export function webhookBody(event: LifelineEvent, extra: Record<string, unknown> = {}): string {
  const { type, at, seq: _seq, ...rest } = event;
  return JSON.stringify({ type, timestamp: at, data: { ...rest, ...extra } });
}

/** The Standard Webhooks headers for `body` sent as message `id` at `timestampSeconds`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}

/** Kept-alive connections to one webhook at most. */
export const WEBHOOK_CONNECTIONS = 16;

/**
 * Requests to one webhook in flight at most: more than its connections, so that the pool sends
 * the next one the moment a connection is free, without waiting for the dispatcher's next round
 * (which a busy server's event loop may hold up far longer than a receiver takes to answer).
 */
export const WEBHOOK_IN_FLIGHT = 64;

/**
 * A thread that ended on its own is started again at once the first time; each further end before
 * it answered any request doubles the wait before the next start, from this to
 * `WEBHOOK_THREAD_BACKOFF_MAX_MS`. Meanwhile requests fail at once (and are retried as any other).
 */
export const WEBHOOK_THREAD_BACKOFF_MS = 1_000;
export const WEBHOOK_THREAD_BACKOFF_MAX_MS = 60_000;

export interface WebhookSenderOptions {
  clock: TimeSource;
  /** The signing secret of a channel, in clear. */
  secretOf(channelId: string): string | null;
  /** Extra data for an event on a channel (export links of a new point), or none. */
  extraFor?(event: LifelineEvent, channel: Channel, signal: AbortSignal): Promise<Record<string, unknown>>;
  userAgent: string;
  /** Where a thread that ended on its own is told (with when it starts again). */
  log?: Logger;
}

/** What the main thread tells the webhook thread. */
export type WebhookThreadRequest =
  /** A channel's receiver and secret, before its first request and whenever they change. */
  | { type: 'channel'; channelId: string; url: string; caPem: string | null; secret: string; userAgent: string; connections: number }
  /** Requests to send: an id of the main thread's, the channel, the signature's time (Unix seconds), the event and extra data. */
  | { type: 'send'; items: Array<[id: number, channelId: string, timestampSeconds: number, event: LifelineEvent, extra: Record<string, unknown>]> }
  /** Requests whose attempt was given up (time up, server stopping). */
  | { type: 'abort'; ids: number[] }
  /** A channel removed (or no longer a webhook): its secret and its connections go. */
  | { type: 'forget'; channelId: string };

/** What the webhook thread answers: per request, the receiver's HTTP status, or 0 and the error's message and code. */
export interface WebhookThreadAnswer {
  type: 'done';
  done: Array<[id: number, status: number, error: string | null, code: string | null]>;
}

/** A webhook sender: a `ChannelSender` with its thread in view. */
export interface WebhookSender extends ChannelSender {
  /** The thread sending the requests, once one has started; null before the first request and after close. */
  readonly thread: Worker | null;
  /**
   * The webhook channels configured now, each with its secret: the thread is started (and each
   * channel's connection pool made) ahead of the first event, a channel changed is configured
   * again at once, and one no longer listed is forgotten with its secret and its connections. With
   * none listed, no thread is kept.
   */
  sync(channels: ReadonlyArray<{ channel: Channel & { kind: 'webhook' }; secret: string }>): void;
  /** Ends the thread, its connections and what it knows of the channels. */
  close(): void;
}

interface PendingRequest {
  resolve(status: number): void;
  reject(err: Error): void;
  signal: AbortSignal;
}

/**
 * The main thread's side of one webhook thread: requests handed over together once per turn of
 * the event loop, their answers matched back by id, an attempt's signal forwarded as an abort.
 */
class WebhookThread {
  readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private outgoing: Extract<WebhookThreadRequest, { type: 'send' }>['items'] = [];
  private flushQueued = false;
  private readonly configured = new Map<string, { settings: WebhookSettings; secret: string; userAgent: string }>();
  /** Requests waiting for their answer per attempt signal (the dispatcher shares one among many attempts). */
  private readonly bySignal = new WeakMap<AbortSignal, Set<number>>();
  ended: Error | null = null;
  /** Ended by `close`, not on its own. */
  closed = false;

  /** The thread answered at least one request: it works. */
  answeredOnce = false;

  constructor(private readonly onEnd: (t: WebhookThread, err: Error) => void) {
    this.worker = new Worker(new URL('./webhook-thread.js', import.meta.url));
    // Held only while requests wait for their answers: an idle thread keeps no process alive.
    this.worker.unref();
    this.worker.on('message', (m: WebhookThreadAnswer) => this.answered(m));
    this.worker.on('error', (err) => this.end(err));
    this.worker.on('exit', (code) => this.end(new Error(`exited with code ${code}`)));
  }

  request(channel: Channel & { kind: 'webhook' }, secret: string, userAgent: string, timestampSeconds: number, event: LifelineEvent, extra: Record<string, unknown>, signal: AbortSignal): Promise<number> {
    if (this.ended) return Promise.reject(this.ended);
    this.configure(channel, secret, userAgent);
    return new Promise<number>((resolve, reject) => {
      const id = this.nextId++;
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject, signal });
      let ids = this.bySignal.get(signal);
      if (!ids) {
        const set = new Set<number>();
        ids = set;
        this.bySignal.set(signal, set);
        signal.addEventListener('abort', () => this.abort(signal, set), { once: true });
      }
      ids.add(id);
      this.outgoing.push([id, channel.id, timestampSeconds, event, extra]);
      if (!this.flushQueued) {
        this.flushQueued = true;
        // After the microtasks of this turn: every attempt the dispatcher started in it goes in one message.
        process.nextTick(() => this.flush());
      }
    });
  }

  /** Tells the thread a channel's receiver and secret, unless it has them already. */
  configure(channel: Channel & { kind: 'webhook' }, secret: string, userAgent: string): void {
    if (this.ended) return;
    const known = this.configured.get(channel.id);
    // The store hands out the same settings object until the channel changes.
    if (known && known.settings === channel.settings && known.secret === secret && known.userAgent === userAgent) return;
    this.configured.set(channel.id, { settings: channel.settings, secret, userAgent });
    // In order with the requests: those already handed over go first, with the configuration they were made for.
    this.flush();
    this.post({ type: 'channel', channelId: channel.id, url: channel.settings.url, caPem: channel.settings.caPem, secret, userAgent, connections: WEBHOOK_CONNECTIONS });
  }

  /** The channels the thread was told of. */
  channelIds(): string[] {
    return [...this.configured.keys()];
  }

  /** Drops a channel's secret here and its secret and connections in the thread. */
  forget(channelId: string): void {
    if (!this.configured.delete(channelId) || this.ended) return;
    this.flush();
    this.post({ type: 'forget', channelId });
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.outgoing.length === 0 || this.ended) return;
    const items = this.outgoing;
    this.outgoing = [];
    try {
      this.post({ type: 'send', items });
    } catch (err) {
      // Runs from process.nextTick: a message the thread cannot take fails its attempts (retried), never the process.
      for (const [id] of items) this.settle(id)?.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private post(m: WebhookThreadRequest): void {
    this.worker.postMessage(m);
  }

  private settle(id: number): PendingRequest | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.bySignal.get(p.signal)?.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    return p;
  }

  private answered(m: WebhookThreadAnswer): void {
    this.answeredOnce = true;
    for (const [id, status, error, code] of m.done) {
      const p = this.settle(id);
      if (!p) continue;
      if (error === null) p.resolve(status);
      else p.reject(Object.assign(new Error(error), code === null ? {} : { code }));
    }
  }

  private abort(signal: AbortSignal, ids: Set<number>): void {
    const aborted = [...ids];
    const reason = signal.reason instanceof Error ? signal.reason : new Error('the attempt was aborted');
    for (const id of aborted) this.settle(id)?.reject(reason);
    this.flush();
    if (aborted.length > 0 && !this.ended) this.post({ type: 'abort', ids: aborted });
  }

  private end(err: Error): void {
    if (this.ended) return;
    this.ended = new LifelineError('delivery-failed', `the webhook thread ended: ${err.message}`);
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(this.ended);
    this.outgoing = [];
    this.configured.clear();
    this.onEnd(this, err);
  }

  close(): void {
    this.closed = true;
    this.end(new Error('closed'));
    void this.worker.terminate().catch(() => undefined);
  }
}

export function webhookSender(opts: WebhookSenderOptions): WebhookSender {
  let thread: WebhookThread | null = null;
  /** Ends on its own in a row, each before the thread answered anything; and when the next may start. */
  let failures = 0;
  let restartAt = -Infinity;
  const onEnd = (t: WebhookThread, err: Error) => {
    if (thread === t) thread = null;
    if (t.closed) return;
    failures = t.answeredOnce ? 1 : failures + 1;
    const waitMs = failures <= 1 ? 0 : Math.min(WEBHOOK_THREAD_BACKOFF_MAX_MS, WEBHOOK_THREAD_BACKOFF_MS * 2 ** (failures - 2));
    restartAt = opts.clock.now() + waitMs;
    // The thread's own words: its error never carries a channel's secret (the thread puts none in one).
    opts.log?.warn('webhook thread ended; its requests are retried', { error: err.message, endsInARow: failures, restartInMs: waitMs });
  };
  const threadNow = (): WebhookThread => {
    if (thread) return thread;
    const waitMs = restartAt - opts.clock.now();
    if (waitMs > 0) throw new LifelineError('delivery-failed', `the webhook thread ended and starts again in ${Math.ceil(waitMs / 1000)} s`);
    thread = new WebhookThread(onEnd);
    return thread;
  };
  return {
    get thread() {
      return thread?.worker ?? null;
    },
    sync(channels) {
      if (channels.length === 0) {
        thread?.close();
        thread = null;
        return;
      }
      let t: WebhookThread;
      try {
        t = threadNow();
      } catch {
        // Waiting to start again: the first request after the wait configures its channel.
        return;
      }
      const listed = new Set(channels.map((c) => c.channel.id));
      for (const id of t.channelIds()) if (!listed.has(id)) t.forget(id);
      for (const { channel, secret } of channels) t.configure(channel, secret, opts.userAgent);
    },
    async send(event, channel, signal) {
      if (channel.kind !== 'webhook') throw new LifelineError('validation', `channel ${channel.id} is not a webhook`);
      const secret = opts.secretOf(channel.id);
      if (secret === null) throw new LifelineError('validation', `webhook channel ${channel.name} has no secret`, { field: 'secret' });
      const extra = (await opts.extraFor?.(event, channel, signal)) ?? {};
      signal.throwIfAborted();
      const status = await threadNow().request(channel, secret, opts.userAgent, Math.floor(opts.clock.now() / 1000), event, extra, signal);
      if (status >= 200 && status < 300) return `HTTP ${status}`;
      throw new LifelineError('delivery-failed', `HTTP ${status}`, { status });
    },
    maxInFlight: WEBHOOK_IN_FLIGHT,
    close() {
      thread?.close();
      thread = null;
    },
  };
}
