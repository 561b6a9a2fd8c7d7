/**
 * Sites: this site and the sites it is paired with (docs/replication.md, "Pairing").
 *
 * - `GET /sites` — System.Read on the inventory root: this site, its peers and their link state.
 * - `POST /sites/pairing-codes` — allow pairing (on the DR site): a one-time code, shown once.
 * - `POST /sites/probe` — who answers at an address: its thumbprint and name (wizard step 2).
 * - `POST /sites` — pair with the DR site at an address (this site becomes the source).
 * - `PATCH /sites/{id}` — change a pairing's replication settings.
 * - `DELETE /sites/{id}` — unpair here and tell the peer.
 *
 * Everything but the list needs Lifeline's Admin privilege on every vCenter this server serves
 * (a pairing is the whole server's), and is audited. The pairing code is never logged, audited
 * or kept: the audit record names only the site.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { PeerRecord, SiteService } from '../../sites/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import type { Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES, READ_PRIVILEGE } from '../privileges.js';
import { requestContext } from '../request-context.js';
import type { ApiServices } from './api-services.js';

const SITE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function siteRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const read = auth.require({ privileges: [READ_PRIVILEGE] });
  const admin = auth.require({ privileges: [PRIVILEGES.admin] });
  /** A pairing is the whole server's: Admin on every vCenter it serves, as for its settings. */
  const adminEverywhere: RequestHandler = async (req, _res, next) => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    next();
  };
  const sites = (): SiteService => {
    if (!svc.sites) throw new NotFoundError('this Lifeline server does not pair with other sites');
    return svc.sites;
  };
  const view = (p: PeerRecord) => ({ ...p, unpairedByPeerAt: p.unpairedByPeerAt ?? null, link: svc.replication?.linkStats(p.id) ?? null });
  const audit = (action: string) => audited(svc.audit, svc.log, action, (params) => (params['id'] ? `site:${params['id']}` : null));

  router.get('/sites', read, (_req, res) => {
    const s = sites();
    res.json({ self: s.self(), peers: s.directory.peers().map(view) });
  });

  router.post('/sites/pairing-codes', audit('site.allow-pairing'), admin, adminEverywhere, (_req, res) => {
    res.status(201).json(sites().issueCode());
  });

  router.post('/sites/probe', audit('site.probe'), admin, adminEverywhere, async (req, res) => {
    const body: unknown = req.body;
    const url = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['url'] : undefined;
    noteAudit(req, { details: { url: typeof url === 'string' ? url : null } });
    res.json(await sites().probe(url, requestContext(req).signal));
  });

  router.post('/sites', audit('site.pair'), admin, adminEverywhere, async (req, res) => {
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['url'] === 'string') {
      noteAudit(req, { details: { url: (body as Record<string, string>)['url'] ?? null } });
    }
    const peer = await sites().pair(body, requestContext(req).signal);
    noteAudit(req, { object: `site:${peer.id}`, details: { name: peer.name, thumbprint: peer.thumbprint } });
    res.status(201).location(`${req.baseUrl}/sites/${peer.id}`).json(view(peer));
  });

  router.patch('/sites/:id', audit('site.update'), admin, adminEverywhere, (req, res) => {
    res.json(view(sites().updateSettings(siteId(req), req.body)));
  });

  router.delete('/sites/:id', audit('site.unpair'), admin, adminEverywhere, async (req, res) => {
    const { peer, peerTold } = await sites().unpair(siteId(req));
    noteAudit(req, { details: { name: peer.name, peerTold } });
    res.status(204).end();
  });

  return router;
}

function siteId(req: Request): string {
  const id = req.params['id'];
  if (typeof id !== 'string' || !SITE_ID.test(id)) throw new ValidationError('id must be the id of a paired site', { field: 'id' });
  return id;
}

