/**
 * The Express application: routes under /api/v1, the plugin (plugin.json, icons, the built UI)
 * under a versioned path, and the problem+json error handling around them. It knows nothing of TLS, ports or shutdown.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { ValidationError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { auditErrorTap } from './audit/audited.js';
import { hideDownloadTickets } from './download-tickets.js';
import { pluginFileRoutes, pluginPath, UI_FOLDER, type PluginFiles } from './plugin-files.js';
import { requestVcenter, type Authorizer } from './auth/authorize.js';
import { PermissionError, type UserSession } from './auth/ports.js';
import { notFoundHandler, problemHandler } from './problem.js';
import { requestContextMiddleware, type RequestTracker } from './request-context.js';
import type { ApiServices } from './routes/api-services.js';
import { auditRoutes } from './routes/audit.js';
import { capabilityRoutes, dynamicItemRoutes } from './routes/capabilities.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { pointRoutes } from './routes/points.js';
import { publicationRoutes } from './routes/publications.js';
import { policyRoutes } from './routes/policies.js';
import { protectionRoutes } from './routes/protection.js';
import { recoveryRoutes } from './routes/recovery.js';
import { instantRunRoutes } from './routes/instant-runs.js';
import { instantRevertRoutes } from './routes/instant-revert.js';
import { replicationRoutes } from './routes/replication.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { notificationRoutes } from './routes/notifications.js';
import { vmEventRoutes } from './routes/vm-events.js';
import { metricsRoutes } from './routes/metrics.js';
import { openApiRoutes } from './routes/openapi.js';
import { settingsRoutes } from './routes/settings.js';
import { siteRoutes } from './routes/sites.js';
import { drRoutes } from './routes/dr.js';
import { drSourceRoutes } from './routes/dr-source.js';
import { storageRoutes } from './routes/storage.js';
import { vcenterRoutes } from './routes/vcenters.js';
import { vmRoutes, type VmInventory } from './routes/vms.js';

export const API_PREFIX = '/api/v1';

export interface AppDeps<S extends UserSession & VmInventory> {
  readonly log: Logger;
  readonly version: string;
  readonly authorizer: Authorizer<S>;
  readonly tracker: RequestTracker;
  /** Policies, protection, jobs and audit. */
  readonly services: ApiServices;
  /** The built plugin UI, served at `/lifeline/<A.B.C.D>/ui/`; null for none. */
  readonly uiDir: string | null;
  /** plugin.json and its icons, served at `/lifeline/<A.B.C.D>/`; null for none. */
  readonly plugin?: PluginFiles | null;
  readonly clock?: () => Date;
  /** Millisecond clock for request timings. */
  readonly monotonic?: () => number;
  /**
   * Origins that may frame the UI and the plugin's pages (the registered vCenters, whose vSphere
   * Client loads the plugin in iframes); the server's own origin always may.
   */
  readonly frameAncestors?: readonly string[];
}

/** How deeply a request body may nest objects and arrays: far more than any Lifeline body needs. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests objects and arrays at most `limit` deep; iterative, so any depth is safe to ask about. */
export function withinJsonDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limit) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * Refuses a body nested deeper than `limit` before any route walks it: code that recurses over a
 * body (the policy merge patch) would otherwise overflow the stack on a body a megabyte of '['
 * long.
 */
function boundedJsonDepth(limit: number): express.RequestHandler {
  return (req, _res, next) => {
    if (!withinJsonDepth(req.body, limit)) {
      next(new ValidationError(`the JSON body nests objects or arrays more than ${limit} levels deep`, { field: '' }));
      return;
    }
    next();
  };
}

/**
 * Headers on every answer, the UI, plugin.json and the API alike: only the vCenters (and Lifeline
 * itself) may frame it, browsers keep to HTTPS for a year, and no type is guessed from content.
 */
export function securityHeaders(frameAncestors: readonly string[]): express.RequestHandler {
  const csp = `frame-ancestors ${["'self'", ...new Set(frameAncestors)].join(' ')}`;
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  };
}

/** The path the plugin UI is served under; versioned because the vSphere Client caches by URL. */
export function uiPath(version: string): string {
  return `${pluginPath(version)}${UI_FOLDER}`;
}

/** Whether `uiDir` holds a built UI. */
export function hasUi(uiDir: string | null): uiDir is string {
  return uiDir !== null && existsSync(join(uiDir, 'index.html'));
}

/**
 * A Location for `to` that a browser resolves against `from` (both absolute paths on this server)
 * without naming the server's root: `/lifeline/0.1.0.0/ui` → `ui/`, `/ui/` → `../lifeline/0.1.0.0/ui/`.
 */
export function relativeRedirect(from: string, to: string): string {
  const fromDir = from.slice(0, from.lastIndexOf('/') + 1).split('/').filter(Boolean);
  const toParts = to.split('/').filter(Boolean);
  let common = 0;
  while (common < fromDir.length && common < toParts.length && fromDir[common] === toParts[common]) common++;
  const rest = toParts.slice(common).join('/') + (to.endsWith('/') && toParts.length > common ? '/' : '');
  return `${'../'.repeat(fromDir.length - common)}${rest}` || './';
}

export function createApp<S extends UserSession & VmInventory>(deps: AppDeps<S>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Query strings are only ever simple key=value pairs here; nested objects are not wanted.
  app.set('query parser', 'simple');
  // Before the access log and the error handler read the URL: a download ticket never reaches a log.
  app.use(hideDownloadTickets(`${API_PREFIX}/downloads/`));
  app.use(securityHeaders(deps.frameAncestors ?? []));
  app.use(requestContextMiddleware(deps.log, deps.tracker, deps.monotonic ?? (() => performance.now())));

  if (deps.services.metrics) app.use(metricsRoutes(deps.services.metrics.metrics, deps.services.metrics.tokenFile, deps.services.metrics.clientCa ?? false));

  const api = express.Router();
  api.use((_req, res, next) => {
    // Answers depend on the caller's session: never cache them anywhere.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  // PATCH bodies are RFC 7396 merge patches, sent with their own media type.
  api.use(express.json({ limit: '1mb', type: ['application/json', 'application/merge-patch+json'] }));
  api.use(boundedJsonDepth(MAX_JSON_DEPTH));
  api.use(healthRoutes({ version: deps.version, clock: deps.clock ?? (() => new Date()) }));
  api.use(openApiRoutes(deps.version));
  api.use(vcenterRoutes(deps.authorizer));
  api.use(vmRoutes(deps.authorizer));
  api.use(capabilityRoutes(deps.authorizer));
  api.use(policyRoutes(deps.authorizer, deps.services));
  api.use(protectionRoutes(deps.authorizer, deps.services));
  api.use(jobRoutes(deps.authorizer, deps.services));
  api.use(pointRoutes(deps.authorizer, deps.services));
  api.use(publicationRoutes(deps.authorizer, deps.services));
  api.use(recoveryRoutes(deps.authorizer, deps.services));
  api.use(instantRunRoutes(deps.authorizer, deps.services));
  api.use(instantRevertRoutes(deps.authorizer, deps.services));
  api.use(replicationRoutes(deps.authorizer, deps.services));
  api.use(auditRoutes(deps.authorizer, deps.services.audit));
  api.use(storageRoutes(deps.authorizer, deps.services));
  api.use(settingsRoutes(deps.authorizer, deps.services.settings ?? null));
  api.use(maintenanceRoutes(deps.authorizer, deps.services));
  api.use(siteRoutes(deps.authorizer, deps.services));
  api.use(drRoutes(deps.authorizer, deps.services));
  api.use(drSourceRoutes(deps.authorizer, deps.services));
  api.use(notificationRoutes(deps.authorizer, deps.services));
  api.use(vmEventRoutes(deps.authorizer, deps.services));
  app.use(API_PREFIX, api);

  // The vSphere Client asks which dynamic menu items to show at a URI relative to plugin.json.
  app.use(pluginPath(deps.version), dynamicItemRoutes(deps.authorizer));
  if (deps.plugin) app.use(pluginPath(deps.version), pluginFileRoutes(deps.plugin));
  if (hasUi(deps.uiDir)) {
    const path = uiPath(deps.version);
    // The UI's base href is relative: without the trailing slash its files would be looked up
    // one level too high. Redirects are relative, so that behind vCenter's reverse proxy they stay
    // under its /plugins/… prefix (an absolute path would leave it).
    app.use((req, res, next) => (req.path === path.slice(0, -1) ? res.redirect(301, relativeRedirect(req.path, path)) : next()));
    app.use(path, express.static(deps.uiDir, { index: 'index.html', fallthrough: true, redirect: false }));
    app.get(['/', '/ui', '/ui/', '/lifeline', '/lifeline/'], (req, res) => res.redirect(302, relativeRedirect(req.path, path)));
  } else if (deps.uiDir !== null) {
    deps.log.warn('plugin UI not found; serving the API only', { uiDir: deps.uiDir });
  }

  app.use(notFoundHandler());
  // Events out: a call refused for lack of a privilege (one event per burst of a user and privilege).
  app.use((err: unknown, req: express.Request, _res: express.Response, next: express.NextFunction) => {
    if (err instanceof PermissionError) deps.services.notifications?.privilegeRefused({ user: err.userName, privilege: String(err.details['privilege']), entity: String(err.details['entity']), vcenterGuid: requestVcenter(req)?.guid ?? null });
    next(err);
  });
  app.use(auditErrorTap());
  app.use(problemHandler(deps.log));
  return app;
}
