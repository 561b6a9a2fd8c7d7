/**
 * The routes of the site listener, under /site/v1 (docs/replication.md, "Pairing"):
 *
 * - `GET /hello` — any client: this site's name and certificate thumbprint.
 * - `POST /pairing` — a client certificate that is not paired yet, with a valid code.
 * - everything else — paired peers only: the peer middleware identifies the client
 *   certificate's peer and puts it in `res.locals.peer`, and refuses any other certificate with
 *   403 `site-not-paired` and an audit record. Behind it: `GET /peer` (who this site takes the
 *   caller for), `POST /unpair`, and whatever the server mounts (replication at /replication).
 *
 * Every request that changes something, or is refused, is audited with the client
 * certificate's thumbprint.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { TLSSocket } from 'node:tls';
import { presentedThumbprint } from '../domain/index.js';
import { LifelineError, isLifelineError } from '../errors/index.js';
import type { SiteService } from './site-service.js';
import type { PeerIdentity, PeerRecord } from './site-types.js';

/** What an audit record of the site listener says; the server writes it to its audit log. */
export interface SiteAuditEvent {
  readonly action: string;
  /** 'site:<peer id>' for a paired peer, 'certificate:<thumbprint>' for another client. */
  readonly object: string | null;
  readonly outcome: 'success' | 'failure';
  readonly status: number;
  readonly errorCode: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly req: Request;
}

export interface SiteRouterOptions {
  readonly service: SiteService;
  readonly audit: (event: SiteAuditEvent) => void;
  /** Mounts routes for paired peers behind the peer middleware (e.g. replication at /replication). */
  readonly siteRoutes?: (peerRouter: Router) => void;
}

/** The client certificate's SHA-256 thumbprint, or null when the client presented none. */
export function clientThumbprint(req: Request): string | null {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return null;
  return presentedThumbprint(socket);
}

/** The paired peer a peer route runs for (set by the peer middleware). */
export function peerOf(res: Response): PeerIdentity {
  return (res.locals as { peer: PeerIdentity }).peer;
}

export function siteRouter(opts: SiteRouterOptions): Router {
  const router = Router();
  const { service } = opts;

  /** Records the request once answered, with the error that ended it, if any. */
  const audited = (action: string, objectOf: (req: Request, res: Response) => string | null) => (req: Request, res: Response, next: NextFunction) => {
    const thumbprint = clientThumbprint(req);
    res.once('finish', () => {
      const error = (res.locals as { siteError?: unknown }).siteError;
      opts.audit({
        action,
        object: objectOf(req, res),
        outcome: res.statusCode >= 400 ? 'failure' : 'success',
        status: res.statusCode,
        errorCode: res.statusCode >= 400 ? (isLifelineError(error) ? error.code : `http-${res.statusCode}`) : null,
        details: { thumbprint, method: req.method, path: req.originalUrl.split('?')[0] ?? '' },
        req,
      });
    });
    next();
  };
  const certificateObject = (req: Request) => {
    const t = clientThumbprint(req);
    return t === null ? null : `certificate:${t}`;
  };

  router.get('/hello', (_req, res) => {
    const self = service.self();
    res.json({ name: self.name, thumbprint: self.thumbprint, siteUrl: self.siteUrl });
  });

  // Pairing offers are small; routes mounted for peers parse their own bodies, as large as they need.
  const json = express.json({ limit: '64kb' });

  router.post(
    '/pairing',
    json,
    audited('site.pair-accept', (req, res) => ((res.locals as { paired?: PeerRecord }).paired ? `site:${(res.locals as { paired: PeerRecord }).paired.id}` : certificateObject(req))),
    (req, res) => {
      const thumbprint = clientThumbprint(req);
      if (thumbprint === null) throw new LifelineError('site-not-paired', 'pairing needs a client certificate: the pairing site presents its own server certificate');
      const { peer, answer } = service.acceptPairing(req.body, thumbprint);
      (res.locals as { paired?: PeerRecord }).paired = peer;
      res.status(201).json(answer);
    },
  );

  const peers = Router();
  // Refused requests are audited here; the others by their route, when it changes something.
  peers.use((req, res, next) => {
    const thumbprint = clientThumbprint(req);
    const peer = thumbprint === null ? undefined : service.directory.byThumbprint(thumbprint);
    if (!peer) {
      audited('site.refused', certificateObject)(req, res, () => undefined);
      const who = thumbprint === null ? 'a client without a certificate' : `the certificate ${thumbprint}`;
      throw new LifelineError('site-not-paired', `this site is not paired with ${who}`, { thumbprint });
    }
    const identity: PeerIdentity = { id: peer.id, name: peer.name, thumbprint: peer.thumbprint };
    (res.locals as { peer: PeerIdentity; peerRecord: PeerRecord }).peer = identity;
    (res.locals as { peerRecord: PeerRecord }).peerRecord = peer;
    next();
  });
  peers.get('/peer', (_req, res) => {
    const peer = (res.locals as { peerRecord: PeerRecord }).peerRecord;
    res.json({ id: peer.id, name: peer.name, role: peer.role });
  });
  peers.post('/unpair', audited('site.unpaired-by-peer', (_req, res) => `site:${peerOf(res).id}`), (_req, res) => {
    service.unpairedByPeer((res.locals as { peerRecord: PeerRecord }).peerRecord);
    res.status(204).end();
  });
  opts.siteRoutes?.(peers);
  router.use(peers);
  return router;
}

/** Notes the error that ends a site request, for its audit record; goes before the problem handler. */
export function siteErrorTap() {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    (res.locals as { siteError?: unknown }).siteError = err;
    next(err);
  };
}
