/**
 * Webhooks: an event as an HTTPS POST of JSON, signed per the Standard Webhooks specification
 * (standardwebhooks.com, "Signature scheme"): headers `webhook-id` (the event's id, the same on
 * every retry so a receiver can drop a repeat), `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>` under the
 * secret's bytes (the base64 after `whsec_`). The body follows the specification's recommended
 * shape `{type, timestamp, data}`. Any 2xx answer is a delivery; anything else is retried.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:https';
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

/**
 * Kept-alive connections to one webhook at most, and as many requests in flight: one more would
 * only wait in the agent for a free connection, holding one of the dispatcher's attempts.
 */
export const WEBHOOK_CONNECTIONS = 16;

export interface WebhookSenderOptions {
  clock: TimeSource;
  /** The signing secret of a channel, in clear. */
  secretOf(channelId: string): string | null;
  /** Extra data for an event on a channel (export links of a new point), or none. */
  extraFor?(event: LifelineEvent, channel: Channel, signal: AbortSignal): Promise<Record<string, unknown>>;
  userAgent: string;
}

export function webhookSender(opts: WebhookSenderOptions): ChannelSender {
  // One kept-alive connection pool per channel configuration: no TLS handshake per event.
  // The URL is parsed once per configuration too.
  const agents = new Map<string, { settings: WebhookSettings; agent: Agent; url: URL }>();
  const agentFor = (channel: Channel & { kind: 'webhook' }): { agent: Agent; url: URL } => {
    const known = agents.get(channel.id);
    // The store hands out the same settings object until the channel changes.
    if (known && (known.settings === channel.settings || JSON.stringify(known.settings) === JSON.stringify(channel.settings))) {
      known.settings = channel.settings;
      return known;
    }
    known?.agent.destroy();
    const agent = new Agent({ keepAlive: true, maxSockets: WEBHOOK_CONNECTIONS, timeout: 30_000, ...(channel.settings.caPem ? { ca: channel.settings.caPem } : {}) });
    const entry = { settings: channel.settings, agent, url: new URL(channel.settings.url) };
    agents.set(channel.id, entry);
    return entry;
  };
  return {
    async send(event, channel, signal) {
      if (channel.kind !== 'webhook') throw new LifelineError('validation', `channel ${channel.id} is not a webhook`);
      const secret = opts.secretOf(channel.id);
      if (secret === null) throw new LifelineError('validation', `webhook channel ${channel.name} has no secret`, { field: 'secret' });
      const body = webhookBody(event, (await opts.extraFor?.(event, channel, signal)) ?? {});
      const headers = signWebhook(secret, event.id, Math.floor(opts.clock.now() / 1000), body);
      const { agent, url } = agentFor(channel);
      const status = await post(url, agent, body, { ...headers, 'user-agent': opts.userAgent }, signal);
      return `HTTP ${status}`;
    },
    maxInFlight: WEBHOOK_CONNECTIONS,
    close() {
      for (const a of agents.values()) a.agent.destroy();
      agents.clear();
    },
  };
}

function post(url: URL, agent: Agent, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        signal,
        agent,
      },
      (res) => {
        let seen = 0;
        res.on('data', (b: Buffer) => {
          seen += b.length;
          if (seen > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('close', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(new LifelineError('delivery-failed', `HTTP ${status}`, { status }));
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (err) => reject(err));
    req.end(body);
  });
}
