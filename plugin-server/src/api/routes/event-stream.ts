/**
 * Server-sent events for job progress. Each event's `id:` is its sequence number, so a browser's
 * EventSource resumes with Last-Event-ID after a dropped connection and gets exactly what it
 * missed (or a snapshot/resync when that is no longer possible; see the jobs module's event hub).
 * A comment line every heartbeat keeps proxies (the vCenter reverse proxy among them) from closing
 * an idle stream. A stream ends when the client goes away, the server stops, or the caller's
 * vCenter session ends (the user logged out, the token expired, the session's lifetime is over):
 * a reconnecting client is then authenticated afresh.
 */
import type { Request, Response } from 'express';
import { ValidationError } from '../../errors/index.js';
import type { JobEvent } from '../../jobs/index.js';
import { findAuthorizedCall } from '../auth/authorize.js';
import { requestContext } from '../request-context.js';

export interface EventStream {
  /** Aborted once the stream has ended, for whatever reason. */
  readonly signal: AbortSignal;
  send(event: JobEvent): void;
  close(): void;
}

/** The sequence number a client resumes after: the Last-Event-ID header, or `lastEventId` in the query (EventSource cannot set headers on its first request). */
export function lastEventId(req: Request): number | undefined {
  const raw = req.get('last-event-id') ?? req.query['lastEventId'];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) {
    throw new ValidationError('Last-Event-ID must be the id of an event this server sent (a non-negative integer).', { parameter: 'Last-Event-ID' });
  }
  return Number(raw.trim());
}

export function openEventStream(req: Request, res: Response, opts: { heartbeatMs: number; shutdown: AbortSignal }): EventStream {
  const ended = new AbortController();
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Connection', 'keep-alive');
  // Reverse proxies that buffer responses would hold events back until the stream ends.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 3000\n\n');

  const heartbeat = setInterval(() => {
    if (!ended.signal.aborted) res.write(': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();

  const sessionEnded = findAuthorizedCall(req)?.sessionEnded;
  const close = () => {
    if (ended.signal.aborted) return;
    ended.abort();
    clearInterval(heartbeat);
    opts.shutdown.removeEventListener('abort', close);
    sessionEnded?.removeEventListener('abort', close);
    requestContext(req).signal.removeEventListener('abort', close);
    if (!res.writableEnded) res.end();
  };
  if (opts.shutdown.aborted || sessionEnded?.aborted) close();
  opts.shutdown.addEventListener('abort', close, { once: true });
  sessionEnded?.addEventListener('abort', close, { once: true });
  requestContext(req).signal.addEventListener('abort', close, { once: true });
  res.once('close', close);

  return {
    signal: ended.signal,
    send(event) {
      if (ended.signal.aborted) return;
      res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    },
    close,
  };
}
