/**
 * GET /api/v1/vcenters: the vCenters of this server the caller's session is for, each with the
 * name the vSphere Client shows for it in its inventory (the host name of the vCenter's URL as
 * Lifeline's configuration names it), so that the UI can name a vCenter rather than show its
 * instance UUID.
 *
 * A session is made on one vCenter, the one the `lifeline-vc-guid` header names (or the only one
 * configured): the answer lists that vCenter, and nothing of the others this server serves. It
 * needs a session vCenter accepts and no privilege beyond it: every user signed in to a vCenter
 * sees its name in the vSphere Client. Without a session it answers 401 and names no vCenter.
 */
import { Router } from 'express';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession, VcenterTarget } from '../auth/ports.js';

/** A vCenter as the UI names it. */
export interface VcenterName {
  /** The instance UUID, lower case, as the configuration keys it. */
  readonly guid: string;
  /** The host name of the configured vCenter URL, as the vSphere Client's inventory shows it. */
  readonly name: string;
}

/** The name of a configured vCenter: its URL's host name, without port or brackets. */
export function vcenterName(vcenter: VcenterTarget): VcenterName {
  const host = new URL(vcenter.url).hostname;
  return { guid: vcenter.guid, name: host.replace(/^\[(.*)\]$/, '$1') };
}

export function vcenterRoutes<S extends UserSession>(auth: Authorizer<S>): Router {
  const router = Router();
  router.get('/vcenters', auth.require({ privileges: [] }), (req, res) => {
    res.json({ items: [vcenterName(authorizedCall<S>(req).vcenter)] });
  });
  return router;
}
