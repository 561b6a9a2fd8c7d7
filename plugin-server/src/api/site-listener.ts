/**
 * The site listener: the second HTTPS server, for site-to-site traffic only (pairing, unpairing,
 * replication), on its own port (config `site`), with mutual TLS. It serves the routes of
 * sites/site-routes.ts under /site/v1, answers errors as problem+json like the API, and audits
 * what peers and other clients do in the server's audit log. Routes for paired peers are added
 * with `siteRoutes` (replication mounts its router at /site/v1/replication there).
 */
import express, { type Router } from 'express';
import type { Logger } from '../log/index.js';
import { SITE_API_PREFIX, siteErrorTap, siteRouter, type SiteService } from '../sites/index.js';
import type { AuditLog } from './audit/audit-log.js';
import { InFlightRequests, listenHttps, type HttpsListener } from './https-server.js';
import { notFoundHandler, problemHandler } from './problem.js';
import { requestContext, requestContextMiddleware } from './request-context.js';

export interface SiteListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly keyPem: string;
  readonly certPem: string;
  readonly service: SiteService;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly shutdownTimeoutMs: number;
  /** Routes for paired peers, mounted behind the peer middleware (`res.locals.peer` is set). */
  readonly siteRoutes?: (peerRouter: Router) => void;
}

export interface SiteListener extends HttpsListener {
  /** `https://<host>:<port>` as listened on. */
  readonly url: string;
}

/** The body a site request may carry: pairing offers are small; replication routes parse their own bodies. */
const SITE_JSON_LIMIT = '64kb';

export async function startSiteListener(opts: SiteListenerOptions): Promise<SiteListener> {
  const log = opts.log.child({ component: 'site' });
  const inFlight = new InFlightRequests();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContextMiddleware(log, inFlight, () => performance.now()));
  app.use(SITE_API_PREFIX, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(SITE_API_PREFIX, express.json({ limit: SITE_JSON_LIMIT }));
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
  const hostInUrl = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  const url = `https://${hostInUrl}:${listener.port}`;
  // For `lifeline site` commands run beside this server.
  opts.service.directory.recordListener(url);
  return { ...listener, url };
}
