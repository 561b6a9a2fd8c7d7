/**
 * The webhook thread: builds each webhook's JSON body, signs it (Standard Webhooks) and POSTs it
 * over HTTPS through undici's pool of kept-alive connections, off the server's main thread. A busy
 * outbox sends one request per event, and the TLS, HTTP and signing of a request cost more of the
 * main thread than all the other channels of the same event together; here they run beside it.
 * Started only by the webhook sender (webhook.ts), which documents the messages
 * (`WebhookThreadRequest`, `WebhookThreadAnswer`) and keeps the outbox: this thread holds no
 * delivery state of its own, only the requests the main thread has in flight.
 */
import { parentPort } from 'node:worker_threads';
import { Pool } from 'undici';
import { signWebhook, webhookBody, type WebhookThreadAnswer, type WebhookThreadRequest } from './webhook.js';

const port = parentPort;
if (!port) throw new Error('webhook-thread must run as a worker thread');

const MAX_ANSWER_BYTES = 4096;

interface ChannelEntry {
  url: string;
  caPem: string | null;
  secret: string;
  userAgent: string;
  connections: number;
  pool: Pool;
  path: string;
}

const channels = new Map<string, ChannelEntry>();
const requests = new Map<number, AbortController>();

/** Answers are sent together once per turn of this thread's event loop. */
let answers: WebhookThreadAnswer['done'] = [];
let answerQueued = false;
function answer(a: WebhookThreadAnswer['done'][number]): void {
  answers.push(a);
  if (answerQueued) return;
  answerQueued = true;
  setImmediate(() => {
    answerQueued = false;
    const done = answers;
    answers = [];
    const msg: WebhookThreadAnswer = { type: 'done', done };
    port?.postMessage(msg);
  });
}

function configure(m: Extract<WebhookThreadRequest, { type: 'channel' }>): void {
  const known = channels.get(m.channelId);
  if (known && known.url === m.url && known.caPem === m.caPem && known.connections === m.connections) {
    known.secret = m.secret;
    known.userAgent = m.userAgent;
    return;
  }
  if (known) void known.pool.destroy().catch(() => undefined);
  const url = new URL(m.url);
  const pool = new Pool(url.origin, {
    connections: m.connections,
    keepAliveTimeout: 30_000,
    ...(m.caPem ? { connect: { ca: m.caPem } } : {}),
  });
  channels.set(m.channelId, { url: m.url, caPem: m.caPem, secret: m.secret, userAgent: m.userAgent, connections: m.connections, pool, path: `${url.pathname}${url.search}` });
}

async function post(item: Extract<WebhookThreadRequest, { type: 'send' }>['items'][number]): Promise<void> {
  const [id, channelId, timestampSeconds, event, extra] = item;
  const ch = channels.get(channelId);
  if (!ch) {
    answer([id, 0, `webhook channel ${channelId} is not configured in the webhook thread`, 'internal']);
    return;
  }
  const ac = new AbortController();
  requests.set(id, ac);
  try {
    const body = webhookBody(event, extra);
    const headers = { ...signWebhook(ch.secret, event.id, timestampSeconds, body), 'user-agent': ch.userAgent, 'content-type': 'application/json' };
    const res = await ch.pool.request({ path: ch.path, method: 'POST', headers, body, signal: ac.signal });
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
    answer([id, res.statusCode, null, null]);
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    answer([id, 0, typeof e?.message === 'string' ? e.message : String(err), typeof e?.code === 'string' ? e.code : null]);
  } finally {
    requests.delete(id);
  }
}

port.on('message', (m: WebhookThreadRequest) => {
  switch (m.type) {
    case 'channel':
      configure(m);
      break;
    case 'send':
      for (const item of m.items) void post(item);
      break;
    case 'abort':
      for (const id of m.ids) requests.get(id)?.abort();
      break;
  }
});
