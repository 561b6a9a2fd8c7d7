// A small server-sent events reader for the server suites: it pins the server's certificate,
// parses events as they arrive, and lets a spec wait for one or for the stream's end. The answer
// and every event are checked against the OpenAPI document: an answer it does not describe fails
// the connection, an event it does not describe fails the spec running when it arrives.
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { assertDocumented, eventViolations } from '../contract/openapi-validator.js';

export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

export interface SseConnection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: SseEvent[];
  /** Comment lines seen (heartbeats). */
  readonly comments: string[];
  /** Resolves with the first event (already seen or yet to come) that matches. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, opts: { thumbprint: string; headers?: Record<string, string> }): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const comments: string[] = [];
    const waiters = new Set<() => void>();
    let endedResolve: () => void = () => undefined;
    const ended = new Promise<void>((r) => (endedResolve = r));
    const req = request(url, { headers: { accept: 'text/event-stream', ...opts.headers }, agent: false, rejectUnauthorized: false }, (res) => {
      if (res.statusCode !== 200) {
        // A refusal is a problem document, not a stream: read it whole and check it.
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            assertDocumented({ method: 'GET', url, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          endedResolve();
          resolve(refused(res.statusCode ?? 0, res.headers, ended));
        });
        return;
      }
      try {
        assertDocumented({ method: 'GET', url, status: 200, headers: res.headers });
      } catch (err) {
        res.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          let any = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) [id, any] = [line.slice(4), true];
            else if (line.startsWith('event: ')) [event, any] = [line.slice(7), true];
            else if (line.startsWith('data: ')) [any] = [true, data.push(line.slice(6))];
          }
          if (any) {
            const e = { id, event, data: data.join('\n') };
            const found = eventViolations(e);
            if (found.length > 0) fail(`A job event disagrees with the OpenAPI document:\n  ${found.join('\n  ')}`);
            events.push(e);
          }
          for (const w of [...waiters]) w();
        }
      });
      res.on('end', () => {
        endedResolve();
        for (const w of [...waiters]) w();
      });
      res.on('error', () => endedResolve());
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        close: () => req.destroy(),
        waitFor(match, timeoutMs = 5000) {
          return new Promise<SseEvent>((ok, fail) => {
            const check = () => {
              const found = events.find(match);
              if (found) {
                waiters.delete(check);
                clearTimeout(timer);
                ok(found);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; saw ${events.map((e) => `${e.id}:${e.event}`).join(', ')}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      });
    });
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        const seen = (socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        if (seen !== opts.thumbprint) req.destroy(new Error(`server certificate ${seen} is not the pinned ${opts.thumbprint}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A connection the server refused: no events, already ended. */
function refused(status: number, headers: IncomingHttpHeaders, ended: Promise<void>): SseConnection {
  return {
    status,
    headers,
    events: [],
    comments: [],
    ended,
    close: () => undefined,
    waitFor: () => Promise.reject(new Error(`the server refused the stream with ${status}`)),
  };
}
