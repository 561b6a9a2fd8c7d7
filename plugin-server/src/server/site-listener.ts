/**
 * The site listener: the second HTTPS server, for site-to-site traffic only (pairing, unpairing,
 * replication), on its own port (config `site`), with mutual TLS. It serves the routes of
 * sites/site-routes.ts under /site/v1, answers errors as problem+json like the API, and audits
 * what peers and other clients do in the server's audit log. Routes for paired peers are added
 * with `siteRoutes` (replication mounts its router at /site/v1/replication there).
 */
import { hostname } from 'node:os';
import express, { type Router } from 'express';
import type { Logger } from '../log/index.js';
import { SITE_API_PREFIX, siteErrorTap, siteRouter, type SiteService } from '../sites/index.js';
import type { AuditLog } from '../api/audit/audit-log.js';
import { InFlightRequests, listenHttps, type HttpsListener } from './https-server.js';
import { notFoundHandler, problemHandler } from '../api/problem.js';
import { requestContext, requestContextMiddleware } from '../api/request-context.js';

export interface SiteListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly keyPem: string;
  readonly certPem: string;
  readonly service: SiteService;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly shutdownTimeoutMs: number;
  /** The address other sites reach this listener at, when it is not the one listened on (config site.url). */
  readonly advertisedUrl?: string | null;
  /** Routes for paired peers, mounted behind the peer middleware (`res.locals.peer` is set). */
  readonly siteRoutes?: (peerRouter: Router) => void;
}

export interface SiteListener extends HttpsListener {
  /**
   * The address other sites reach it at: the advertised one, or `https://<host>:<port>` as
   * listened on (the machine's host name for a wildcard host).
   */
  readonly url: string;
}

export async function startSiteListener(opts: SiteListenerOptions): Promise<SiteListener> {
  const log = opts.log.child({ component: 'site' });
  const inFlight = new InFlightRequests();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // One successful chunk upload a line at info would be some 250 lines per GiB replicated: those go to debug.
  app.use(requestContextMiddleware(log, inFlight, () => performance.now(), (method, path) => method === 'PUT' && /\/replication\/sessions\/[^/]+\/chunks\//.test(path)));
  app.use(SITE_API_PREFIX, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(
    SITE_API_PREFIX,
    siteRouter({
      service: opts.service,
      audit: (e) => {
        try {
          opts.audit.append({
            user: null,
            vcenterGuid: null,
            action: e.action,
            object: e.object,
            outcome: e.outcome,
            status: e.status,
            errorCode: e.errorCode,
            requestId: requestContext(e.req).id,
            details: e.details,
          });
        } catch (err) {
          log.error('audit record not written', { action: e.action, error: err instanceof Error ? err.message : String(err) });
        }
      },
      ...(opts.siteRoutes ? { siteRoutes: opts.siteRoutes } : {}),
    }),
  );
  app.use(notFoundHandler());
  app.use(siteErrorTap());
  app.use(problemHandler(log));
  const listener = await listenHttps(app, inFlight, {
    host: opts.host,
    port: opts.port,
    keyPem: opts.keyPem,
    certPem: opts.certPem,
    log,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    requestClientCertificate: true,
  });
  const host = listener.host === '0.0.0.0' || listener.host === '::' ? hostname() : listener.host;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const listened = `https://${hostInUrl}:${listener.port}`;
  const url = opts.advertisedUrl ?? listened;
  log.info('site listener listening', { url: listened, ...(opts.advertisedUrl ? { advertisedUrl: opts.advertisedUrl } : {}) });
  // For `lifeline site` commands run beside this server.
  opts.service.directory.recordListener(url);
  return { ...listener, url };
}
