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

export interface WebhookSenderOptions {
  clock: TimeSource;
  /** The signing secret of a channel, in clear. */
  secretOf(channelId: string): string | null;
  /** Extra data for an event on a channel (export links of a new point), or none. */
  extraFor?(event: LifelineEvent, channel: Channel, signal: AbortSignal): Promise<Record<string, unknown>>;
  userAgent: string;
}

/** What the main thread tells the webhook thread. */
export type WebhookThreadRequest =
  /** A channel's receiver and secret, before its first request and whenever they change. */
  | { type: 'channel'; channelId: string; url: string; caPem: string | null; secret: string; userAgent: string; connections: number }
  /** Requests to send: an id of the main thread's, the channel, the signature's time (Unix seconds), the event and extra data. */
  | { type: 'send'; items: Array<[id: number, channelId: string, timestampSeconds: number, event: LifelineEvent, extra: Record<string, unknown>]> }
  /** Requests whose attempt was given up (time up, server stopping). */
  | { type: 'abort'; ids: number[] };

/** What the webhook thread answers: per request, the receiver's HTTP status, or 0 and the error's message and code. */
export interface WebhookThreadAnswer {
  type: 'done';
  done: Array<[id: number, status: number, error: string | null, code: string | null]>;
}

/** A webhook sender: a `ChannelSender` with its thread in view. */
export interface WebhookSender extends ChannelSender {
  /** The thread sending the requests, once one has started; null before the first request and after close. */
  readonly thread: Worker | null;
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

  constructor(private readonly onEnd: (t: WebhookThread) => void) {
    this.worker = new Worker(new URL('./webhook-thread.js', import.meta.url));
    // Held only while requests wait for their answers: an idle thread keeps no process alive.
    this.worker.unref();
    this.worker.on('message', (m: WebhookThreadAnswer) => this.answered(m));
    this.worker.on('error', (err) => this.end(err));
    this.worker.on('exit', (code) => this.end(new Error(`exited with code ${code}`)));
  }

  request(channel: Channel & { kind: 'webhook' }, secret: string, userAgent: string, timestampSeconds: number, event: LifelineEvent, extra: Record<string, unknown>, signal: AbortSignal): Promise<number> {
    if (this.ended) return Promise.reject(this.ended);
    const known = this.configured.get(channel.id);
    // The store hands out the same settings object until the channel changes.
    if (!known || known.settings !== channel.settings || known.secret !== secret || known.userAgent !== userAgent) {
      this.configured.set(channel.id, { settings: channel.settings, secret, userAgent });
      // In order with the requests: those already handed over go first, with the configuration they were made for.
      this.flush();
      this.post({ type: 'channel', channelId: channel.id, url: channel.settings.url, caPem: channel.settings.caPem, secret, userAgent, connections: WEBHOOK_CONNECTIONS });
    }
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
    this.onEnd(this);
  }

  close(): void {
    this.end(new Error('closed'));
    void this.worker.terminate().catch(() => undefined);
  }
}

export function webhookSender(opts: WebhookSenderOptions): WebhookSender {
  let thread: WebhookThread | null = null;
  const threadNow = (): WebhookThread => {
    thread ??= new WebhookThread((t) => {
      // The next request starts another thread.
      if (thread === t) thread = null;
    });
    return thread;
  };
  return {
    get thread() {
      return thread?.worker ?? null;
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
