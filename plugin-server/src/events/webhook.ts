/**
 * Webhooks: an event as an HTTPS POST of JSON, signed per the Standard Webhooks specification
 * (standardwebhooks.com, "Signature scheme"): headers `webhook-id` (the event's id, the same on
 * every retry so a receiver can drop a repeat), `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>` under the
 * secret's bytes (the base64 after `whsec_`). The body follows the specification's recommended
 * shape `{type, timestamp, data}`. Any 2xx answer is a delivery; anything else is retried.
 *
 * Requests go out through undici's connection pool (kept-alive HTTP/1.1 connections, one request
 * at a time on each): it spends about half the CPU of node:https per request, and a busy outbox
 * sends one request per event.
 */
import { createHmac } from 'node:crypto';
import { Pool } from 'undici';
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

const MAX_ANSWER_BYTES = 4096;

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

export function webhookSender(opts: WebhookSenderOptions): ChannelSender {
  // One pool of kept-alive connections per channel configuration: no TLS handshake per event.
  // The URL is parsed once per configuration too.
  const pools = new Map<string, { settings: WebhookSettings; pool: Pool; path: string }>();
  const poolFor = (channel: Channel & { kind: 'webhook' }): { pool: Pool; path: string } => {
    const known = pools.get(channel.id);
    // The store hands out the same settings object until the channel changes.
    if (known && (known.settings === channel.settings || JSON.stringify(known.settings) === JSON.stringify(channel.settings))) {
      known.settings = channel.settings;
      return known;
    }
    if (known) void known.pool.destroy().catch(() => undefined);
    const url = new URL(channel.settings.url);
    const pool = new Pool(url.origin, {
      connections: WEBHOOK_CONNECTIONS,
      keepAliveTimeout: 30_000,
      ...(channel.settings.caPem ? { connect: { ca: channel.settings.caPem } } : {}),
    });
    const entry = { settings: channel.settings, pool, path: `${url.pathname}${url.search}` };
    pools.set(channel.id, entry);
    return entry;
  };
  return {
    async send(event, channel, signal) {
      if (channel.kind !== 'webhook') throw new LifelineError('validation', `channel ${channel.id} is not a webhook`);
      const secret = opts.secretOf(channel.id);
      if (secret === null) throw new LifelineError('validation', `webhook channel ${channel.name} has no secret`, { field: 'secret' });
      const body = webhookBody(event, (await opts.extraFor?.(event, channel, signal)) ?? {});
      const headers = signWebhook(secret, event.id, Math.floor(opts.clock.now() / 1000), body);
      const { pool, path } = poolFor(channel);
      const status = await post(pool, path, body, { ...headers, 'user-agent': opts.userAgent }, signal);
      return `HTTP ${status}`;
    },
    maxInFlight: WEBHOOK_IN_FLIGHT,
    close() {
      for (const p of pools.values()) void p.pool.destroy().catch(() => undefined);
      pools.clear();
    },
  };
}

async function post(pool: Pool, path: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const res = await pool.request({ path, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal });
  // The answer is read (a connection is kept only once its answer is read), at most a few KiB of it.
  let seen = 0;
  try {
    for await (const chunk of res.body) {
      seen += (chunk as Buffer).length;
      if (seen > MAX_ANSWER_BYTES) break;
    }
  } catch {
    // The status decides; a body cut short does not.
  } finally {
    if (seen > MAX_ANSWER_BYTES) res.body.destroy();
  }
  const status = res.statusCode;
  if (status >= 200 && status < 300) return status;
  throw new LifelineError('delivery-failed', `HTTP ${status}`, { status });
}
