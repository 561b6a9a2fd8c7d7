import { Router } from 'express';
import { ValidationError } from '../../errors/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { authorizedCall, type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES } from '../privileges.js';
import { pageOf } from './paging.js';

/**
 * GET /api/v1/audit: the audit log, newest first, filtered by `user`, `object` and `action`
 * (exact matches; user without case). Lifeline's Admin privilege on the inventory root: the log
 * shows what every user did on that vCenter, and nothing of another vCenter Lifeline serves, and
 * what other sites did at the site listener (records of no vCenter).
 */
export function auditRoutes<S extends UserSession>(auth: Authorizer<S>, log: AuditLog): Router {
  const router = Router();
  router.get('/audit', auth.require({ privileges: [PRIVILEGES.admin] }), (req, res) => {
    const page = pageOf(req);
    const filter = (name: 'user' | 'object' | 'action'): Record<string, string> => {
      const v = req.query[name];
      if (v === undefined) return {};
      if (typeof v !== 'string' || v.length < 1 || v.length > 300) {
        throw new ValidationError(`Query parameter ${name} must be 1 to 300 characters.`, { parameter: name });
      }
      return { [name]: v };
    };
    const vcenterGuid = authorizedCall<S>(req).vcenter.guid;
    const { items, total } = log.list({ vcenterGuid, serverWide: true, ...filter('user'), ...filter('object'), ...filter('action'), ...page });
    res.json({ items, total, ...page });
  });
  return router;
}
