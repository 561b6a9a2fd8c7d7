/**
 * Per-request state that every handler may need: an id the user can quote (sent back as
 * X-Request-Id and used as the error id of a failed request) and an AbortSignal that fires when
 * the client goes away or the server gives up on the request at shutdown, so vCenter calls made
 * for it stop too. Kept in a WeakMap rather than `res.locals`, which Express types as `any`.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../log/index.js';

export interface RequestContext {
  readonly id: string;
  readonly signal: AbortSignal;
}

const contexts = new WeakMap<Request, RequestContext>();

export function requestContext(req: Request): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('requestContext() used on a request the API did not set up');
  return ctx;
}

export interface RequestTracker {
  /** Called with each request's abort function; the returned function is called once it ends. */
  track(abort: (reason: Error) => void): () => void;
}

/**
 * Sets up the request context and writes one access-log line per request. Only the path is
 * logged: query strings and headers may carry tokens.
 */
export function requestContextMiddleware(
  log: Logger,
  tracker: RequestTracker,
  clock: () => number,
  /** Requests whose successful answers are logged at debug only (e.g. one per chunk uploaded). */
  routine?: (method: string, path: string) => boolean,
): RequestHandler {
  return (req, res, next) => {
    const id = randomUUID();
    const controller = new AbortController();
    contexts.set(req, { id, signal: controller.signal });
    res.setHeader('X-Request-Id', id);
    const started = clock();
    // Read now: routers rewrite req.url while they route.
    const path = req.path;
    const untrack = tracker.track((reason) => controller.abort(reason));
    res.on('close', () => {
      untrack();
      if (!res.writableFinished) {
        controller.abort(new Error('the client closed the connection'));
      }
      const quiet = routine !== undefined && res.statusCode < 400 && res.writableFinished && routine(req.method, path);
      (quiet ? log.debug.bind(log) : log.info.bind(log))('request', {
        requestId: id,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round((clock() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    next();
  };
}
