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
import { Pool, type Dispatcher } from 'undici';
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
/** Requests in flight by the main thread's id: each can be aborted, whether it went out yet or not. */
const requests = new Map<number, { abort(): void }>();
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

/** Channels whose configuration could not be used here, with why: their requests fail alone, the thread goes on. */
const unusable = new Map<string, string>();

function configure(m: Extract<WebhookThreadRequest, { type: 'channel' }>): void {
  try {
    configureChannel(m);
    unusable.delete(m.channelId);
  } catch (err) {
    channels.delete(m.channelId);
    unusable.set(m.channelId, `webhook channel ${m.channelId} cannot be used: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function configureChannel(m: Extract<WebhookThreadRequest, { type: 'channel' }>): void {
  const known = channels.get(m.channelId);
  if (known && known.url === m.url && known.caPem === m.caPem && known.connections === m.connections) {
    known.secret = m.secret;
    known.userAgent = m.userAgent;
    return;
  }
  if (known) {
    channels.delete(m.channelId);
    void known.pool.destroy().catch(() => undefined);
  }
  const url = new URL(m.url);
  const pool = new Pool(url.origin, {
    connections: m.connections,
    keepAliveTimeout: 30_000,
    ...(m.caPem ? { connect: { ca: m.caPem } } : {}),
  });
  channels.set(m.channelId, { url: m.url, caPem: m.caPem, secret: m.secret, userAgent: m.userAgent, connections: m.connections, pool, path: `${url.pathname}${url.search}` });
}

/**
 * One POST through the pool's dispatch interface: the answer's status and at most a few KiB of its
 * body are read (a connection is kept only once its answer is read) without a stream, an abort
 * signal or a promise per request, which cost more than the request itself.
 */
function post(item: Extract<WebhookThreadRequest, { type: 'send' }>['items'][number]): void {
  const [id, channelId, timestampSeconds, event, extra] = item;
  const ch = channels.get(channelId);
  if (!ch) {
    const why = unusable.get(channelId);
    answer(why !== undefined ? [id, 0, why, 'validation'] : [id, 0, `webhook channel ${channelId} is not configured in the webhook thread`, 'internal']);
    return;
  }
  let controller: Dispatcher.DispatchController | null = null;
  let aborted = false;
  let status = 0;
  let seen = 0;
  let finished = false;
  const finish = (error: unknown) => {
    if (finished) return;
    finished = true;
    requests.delete(id);
    if (error === null) answer([id, status, null, null]);
    else {
      const e = error as { message?: unknown; code?: unknown };
      answer([id, 0, typeof e?.message === 'string' ? e.message : String(error), typeof e?.code === 'string' ? e.code : null]);
    }
  };
  const abort = () => {
    aborted = true;
    controller?.abort(new Error('the attempt was aborted'));
  };
  requests.set(id, { abort });
  try {
    const body = webhookBody(event, extra);
    const headers = { ...signWebhook(ch.secret, event.id, timestampSeconds, body), 'user-agent': ch.userAgent, 'content-type': 'application/json' };
    ch.pool.dispatch(
      { path: ch.path, method: 'POST', headers, body },
      {
        onRequestStart(c) {
          controller = c;
          // Aborted while it waited for a connection: it never goes out.
          if (aborted) c.abort(new Error('the attempt was aborted'));
        },
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData(c, chunk) {
          seen += chunk.length;
          // The status decides; an answer longer than a few KiB is not read further.
          if (seen > MAX_ANSWER_BYTES) {
            finish(null);
            c.abort(new Error('answer too long'));
          }
        },
        onResponseEnd() {
          finish(null);
        },
        onResponseError(_c, err) {
          finish(err);
        },
      },
    );
  } catch (err) {
    finish(err);
  }
}

port.on('message', (m: WebhookThreadRequest) => {
  switch (m.type) {
    case 'channel':
      configure(m);
      break;
    case 'send':
      for (const item of m.items) post(item);
      break;
    case 'abort':
      for (const id of m.ids) requests.get(id)?.abort();
      break;
    case 'forget': {
      const known = channels.get(m.channelId);
      channels.delete(m.channelId);
      unusable.delete(m.channelId);
      // Its requests still in flight end with an error (their channel is gone, and its deliveries with it).
      if (known) void known.pool.destroy().catch(() => undefined);
      break;
    }
  }
});
